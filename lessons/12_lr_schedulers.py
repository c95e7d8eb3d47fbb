# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12 · Learning-rate schedulers
#
# A learning rate that suits the first steps of training (big moves, far from any minimum) is
# too big for the last ones (small corrections near a minimum). A **scheduler** changes the
# optimizer's learning rate as training goes on, by a rule you choose.
#
# **What you will learn**
#
# - where the learning rate lives (`optimizer.param_groups`), how a scheduler changes it, and
#   the loop order: `optimizer.step()` first, `scheduler.step()` after;
# - the fixed schedules `StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR`,
#   `CosineAnnealingWarmRestarts`, `LambdaLR` (a warm-up, one rule per parameter group),
#   `SequentialLR` (warm-up, then cosine) and `OneCycleLR` (with its momentum cycle), each
#   written out as a formula and checked against PyTorch;
# - `ReduceLROnPlateau`, which watches a validation loss: `patience`, `factor`, `threshold`,
#   `cooldown` and `min_lr` at work on a made-up loss curve;
# - stepping per epoch or per batch, and what `T_max` or `total_steps` must be in each case;
# - `get_last_lr()` against `optimizer.param_groups[0]["lr"]`, and saving a scheduler's state to
#   resume training;
# - a **learning-rate range test** on the digits, to choose the largest learning rate;
# - the warning you get when `scheduler.step()` comes before `optimizer.step()`, and what it
#   costs you.
#
# **Target:** every schedule's learning rates equal the closed-form values computed by hand
# (to a relative tolerance of 1e-12).

# %%
import math
import time
import warnings

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset
from torchvision import transforms as T

from tools import check_exercise, get_device, record_metrics, runs_dir, set_seed, tqdm, use_course_style
from tools.datasets import CachedDataset, ClassFolderDataset, ensure_dataset, stratified_split
from tools.models import LeNet

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## 1 · Where the learning rate lives
#
# An optimizer keeps its settings in `optimizer.param_groups`, a list of dicts, one per group of
# parameters (lesson 11). Each group has its own `"lr"`, and `optimizer.step()` reads it afresh
# at every step. A scheduler does nothing else than **write new values into those dicts**:
#
# - when it is created, it stores each group's starting rate as `group["initial_lr"]` (its
#   `base_lrs`) and sets the rate of step 0;
# - each `scheduler.step()` moves its counter `last_epoch` on by one and writes the rate for
#   the new count;
# - `scheduler.get_last_lr()` returns the rates it wrote last, one per group.
#
# The counter is called `last_epoch`, but it counts calls to `step()`, whatever they stand for:
# epochs if you call it once per epoch, batches if you call it after every batch.
#
# The loop order is fixed: **first `optimizer.step()`, then `scheduler.step()`**. The optimizer
# uses the rate of the current step; then the scheduler prepares the rate of the next one.
# To study schedules we need no model: one dummy parameter is enough for an optimizer, and its
# `step()` does nothing when the parameter has no gradient.

# %%
def make_optimizer(base_lrs=(0.1,), optimizer_class=torch.optim.SGD, **options):
    """An optimizer with one dummy parameter per group; group k starts at base_lrs[k]."""
    groups = [{"params": [nn.Parameter(torch.zeros(1))], "lr": lr} for lr in base_lrs]
    return optimizer_class(groups, **options)


optimizer = make_optimizer()
print("before the scheduler:", {key: optimizer.param_groups[0][key] for key in ("lr", "momentum")})
scheduler = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
print("after creating it:   ", {key: optimizer.param_groups[0][key] for key in ("lr", "initial_lr")},
      "| base_lrs", scheduler.base_lrs, "| last_epoch", scheduler.last_epoch)
for epoch in range(7):
    used = optimizer.param_groups[0]["lr"]
    optimizer.step()  # training for this epoch would happen here, with lr = used
    scheduler.step()
    print(f"epoch {epoch}: trained with lr {used:.4f}; after scheduler.step(): last_epoch {scheduler.last_epoch}, "
          f"get_last_lr() {scheduler.get_last_lr()[0]:.4f}, param_groups lr {optimizer.param_groups[0]['lr']:.4f}")

# %% [markdown]
# `get_last_lr()` and `optimizer.param_groups[0]["lr"]` agree here: both show the rate the *next*
# epoch will train with. They are not the same object, though. `param_groups` is what the
# optimizer really uses; `get_last_lr()` is the scheduler's record of what it wrote (a list, one
# value per group). If anything else changes `group["lr"]` (your own code, a second scheduler),
# only `param_groups` knows, until the scheduler's next step. `StepLR` then simply carries on from
# the rate it finds there: it multiplies the *current* rate by γ when a change is due.

# %%
optimizer.param_groups[0]["lr"] = 0.3  # changed by hand, behind the scheduler's back
print(f"changed by hand:     param_groups lr {optimizer.param_groups[0]['lr']:.4f}, "
      f"get_last_lr() {scheduler.get_last_lr()[0]:.4f}")
optimizer.step()
scheduler.step()
print(f"after the next step: param_groups lr {optimizer.param_groups[0]['lr']:.4f}, "
      f"get_last_lr() {scheduler.get_last_lr()[0]:.4f}")

# %% [markdown]
# To log the rate an epoch trained with, read `param_groups` before the step, as the loop above
# does. The rest of the lesson needs the rates of whole runs, so we wrap that loop in a function:
# `lr_trace(make_scheduler, steps)` returns, for every group, the rate each of `steps` optimizer
# steps used.

# %%
def lr_trace(make_scheduler, steps, base_lrs=(0.1,), optimizer_class=torch.optim.SGD, **options):
    """The learning rate that each of `steps` optimizer steps used: a list per param group
    (just the list when there is one group)."""
    optimizer = make_optimizer(base_lrs, optimizer_class, **options)
    scheduler = make_scheduler(optimizer)
    used = [[] for _ in base_lrs]
    for _ in range(steps):
        for rates, group in zip(used, optimizer.param_groups):
            rates.append(group["lr"])
        optimizer.step()
        scheduler.step()
    return used if len(base_lrs) > 1 else used[0]


def matches(library, by_hand) -> bool:
    """Two schedules agree to a relative tolerance of 1e-12 (float64)."""
    library, by_hand = torch.tensor(library, dtype=torch.float64), torch.tensor(by_hand, dtype=torch.float64)
    return library.shape == by_hand.shape and torch.allclose(library, by_hand, rtol=1e-12, atol=1e-18)


def short(rates, count=8, digits=4):
    """The first `count` rates as text."""
    return "[" + ", ".join(f"{rate:.{digits}g}" for rate in rates[:count]) + (", ...]" if len(rates) > count else "]")


LR = 0.1  # the starting rate of every demonstration
EPOCHS = 40
library_lrs, hand_lrs = {}, {}  # name -> the rates of the whole run, from PyTorch and from the formula
print(short(lr_trace(lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5), 10)))

# %% [markdown]
# ## 2 · Decay in steps: StepLR, MultiStepLR, ExponentialLR
#
# With `e` the epoch (the number of `scheduler.step()` calls so far) and `lr₀` the starting rate:
#
# | scheduler | rule | closed form |
# |---|---|---|
# | `StepLR(step_size=s, gamma=γ)` | multiply by γ every `s` epochs | `lr₀ · γ^⌊e/s⌋` |
# | `MultiStepLR(milestones=[m₁, m₂, …], gamma=γ)` | multiply by γ at each milestone | `lr₀ · γ^(number of milestones ≤ e)` |
# | `ExponentialLR(gamma=γ)` | multiply by γ every epoch | `lr₀ · γ^e` |
#
# `MultiStepLR` with `milestones=[15, 30]` and `gamma=0.1` is the classic "divide by 10 twice"
# recipe: you pick the epochs where the loss usually levels off. `ExponentialLR` shrinks fast:
# with γ = 0.9 the rate is down to 1/10 after 22 epochs (0.9²² ≈ 0.098).
#
# PyTorch does not evaluate these formulas: each `step()` multiplies the *current* rate by γ
# when a change is due (the "chainable" form, which lets other code change the rate too). In
# exact arithmetic the two are the same; in floats a product of many factors can differ from
# `γ^e` in the last bit, so we compare with a tolerance, not with `==`.

# %%
MILESTONES = [15, 30]
library_lrs["StepLR"] = lr_trace(lambda opt: lr_scheduler.StepLR(opt, step_size=10, gamma=0.5), EPOCHS)
hand_lrs["StepLR"] = [LR * 0.5 ** (e // 10) for e in range(EPOCHS)]
library_lrs["MultiStepLR"] = lr_trace(lambda opt: lr_scheduler.MultiStepLR(opt, MILESTONES, gamma=0.1), EPOCHS)
hand_lrs["MultiStepLR"] = [LR * 0.1 ** sum(m <= e for m in MILESTONES) for e in range(EPOCHS)]
library_lrs["ExponentialLR"] = lr_trace(lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9), EPOCHS)
hand_lrs["ExponentialLR"] = [LR * 0.9**e for e in range(EPOCHS)]

for name in ["StepLR", "MultiStepLR", "ExponentialLR"]:
    picks = [0, 9, 10, 14, 15, 29, 30, 39]
    print(f"{name:<14}", " ".join(f"e{e}:{library_lrs[name][e]:.4g}" for e in picks),
          "| hand == library:", matches(library_lrs[name], hand_lrs[name]))
chained = torch.tensor(library_lrs["ExponentialLR"], dtype=torch.float64)
closed = torch.tensor(hand_lrs["ExponentialLR"], dtype=torch.float64)
print("ExponentialLR: bit for bit equal to 0.1·0.9^e everywhere:", torch.equal(chained, closed),
      "| largest relative difference below 1e-14:", ((chained - closed).abs() / closed).max().item() < 1e-14)

# %% [markdown]
# ## 3 · Cosine annealing, with and without restarts
#
# `CosineAnnealingLR(T_max, eta_min)` glides from the starting rate `η_max = lr₀` down to
# `eta_min` along half a cosine wave:
#
# $$\eta(e) = \eta_{\min} + \tfrac12(\eta_{\max} - \eta_{\min})\left(1 + \cos\frac{\pi e}{T_{\max}}\right).$$
#
# It changes slowly at the start and at the end and fastest in the middle, with no sudden
# jumps. It reaches `eta_min` at `e = T_max`, that is after `T_max` calls to `step()`. In a run of
# 40 epochs with `T_max=40`, the last epoch (`e = 39`) trains with a rate just above `eta_min`;
# the value for `e = 40` is written by the last `step()` and never used. (Stepping past `T_max`
# does not stop at `eta_min`: the cosine climbs back up.)
#
# `CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)` runs the same curve over and over, and
# every run ("cycle") is `T_mult` times longer than the last: with `T_0=5` and `T_mult=2` the cycles
# last 5, 10, 20, 40 epochs, and the rate jumps back to `lr₀` at epochs 5, 15, 35 and 75. Inside a
# cycle of length `T_i`, `T_cur` counts the epochs since the restart and the rate is the cosine above
# with `T_cur / T_i` in place of `e / T_max`. The jumps are meant to shake the model out of a
# narrow minimum; the cycle ends are good moments for a snapshot of the weights.

# %%
ETA_MIN = 0.001
library_lrs["CosineAnnealingLR"] = lr_trace(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS, eta_min=ETA_MIN),
                                            EPOCHS + 1)
hand_lrs["CosineAnnealingLR"] = [ETA_MIN + (LR - ETA_MIN) * (1 + math.cos(math.pi * e / EPOCHS)) / 2
                                 for e in range(EPOCHS + 1)]


def warm_restarts_by_hand(e, lr0=LR, T_0=5, T_mult=2, eta_min=ETA_MIN):
    """Cosine annealing with warm restarts: find the cycle that epoch e falls in, then the cosine."""
    t_cur, t_i = e, T_0
    while t_cur >= t_i:  # skip the finished cycles
        t_cur, t_i = t_cur - t_i, t_i * T_mult
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


RESTART_EPOCHS = 75
library_lrs["CosineAnnealingWarmRestarts"] = lr_trace(
    lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, eta_min=ETA_MIN), RESTART_EPOCHS)
hand_lrs["CosineAnnealingWarmRestarts"] = [warm_restarts_by_hand(e) for e in range(RESTART_EPOCHS)]

cosine = library_lrs["CosineAnnealingLR"]
print(f"cosine: e0 {cosine[0]:.4f}, e20 (half way) {cosine[20]:.4f}, e39 {cosine[39]:.6f}, e40 = eta_min {cosine[40]:.6f}")
print("cosine hand == library:", matches(cosine, hand_lrs["CosineAnnealingLR"]))
restarts = library_lrs["CosineAnnealingWarmRestarts"]
print("warm restarts: the rate jumps up at epochs", [e for e in range(1, RESTART_EPOCHS) if restarts[e] > restarts[e - 1]])
print("warm restarts hand == library:", matches(restarts, hand_lrs["CosineAnnealingWarmRestarts"]))

# %% [markdown]
# ## 4 · LambdaLR: your own rule, and one rule per parameter group
#
# `LambdaLR(optimizer, lr_lambda)` sets `lr = base_lr · lr_lambda(e)`: the function returns a
# **factor**, not a rate. It is the escape hatch for any schedule PyTorch does not ship. The
# most common one is a **warm-up**: at the very start the weights are random, the gradients large
# and Adam's running averages still empty, so a few epochs with a small, growing rate keep the
# first updates from wrecking the network. A linear warm-up over `W` epochs is the factor
# `min(1, (e + 1) / W)`: `1/W, 2/W, …, 1`, then 1 for good. (Without the `min`, a lambda such as
# `e / W` keeps growing after the warm-up, and also trains the first epoch with a rate of 0.)
#
# `lr_lambda` may also be a **list with one function per parameter group**. That is how you
# fine-tune a pretrained network (lesson 18): the new head starts at once with a large rate that
# decays, while the pretrained backbone is left alone for two epochs (factor 0) and then warms
# up slowly, so that the large gradients of the untrained head cannot spoil its features.
# Groups are matched to functions by position.

# %%
WARMUP = 5


def warmup_factor(e):
    return min(1.0, (e + 1) / WARMUP)


def backbone_factor(e):  # frozen for 2 epochs, then a linear warm-up over 4 epochs
    return 0.0 if e < 2 else min(1.0, (e - 1) / 4)


def head_factor(e):  # full rate at once, then 10 % less every epoch
    return 0.9**e


warmup = lr_trace(lambda opt: lr_scheduler.LambdaLR(opt, warmup_factor), 8)
print("warm-up, one group:", short(warmup), "| hand == library:", matches(warmup, [LR * warmup_factor(e) for e in range(8)]))

BACKBONE_LR, HEAD_LR = 0.01, 0.1
backbone, head = lr_trace(lambda opt: lr_scheduler.LambdaLR(opt, [backbone_factor, head_factor]), EPOCHS,
                          base_lrs=(BACKBONE_LR, HEAD_LR))
library_lrs["LambdaLR (backbone)"], library_lrs["LambdaLR (head)"] = backbone, head
hand_lrs["LambdaLR (backbone)"] = [BACKBONE_LR * backbone_factor(e) for e in range(EPOCHS)]
hand_lrs["LambdaLR (head)"] = [HEAD_LR * head_factor(e) for e in range(EPOCHS)]
print("backbone group:    ", short(backbone))
print("head group:        ", short(head))
print("both groups hand == library:",
      matches(backbone, hand_lrs["LambdaLR (backbone)"]) and matches(head, hand_lrs["LambdaLR (head)"]))

# %% [markdown]
# ## 5 · Chaining: warm-up, then cosine
#
# Warm-up followed by cosine annealing is the default recipe of many modern training runs.
# `SequentialLR` hands the optimizer from one scheduler to the next at given milestones:
# below, `LinearLR` raises the factor from 0.1 to 1 over 5 epochs, and from epoch 5 on
# `CosineAnnealingLR` takes over, with `T_max = 35` for the remaining 35 epochs. At the milestone
# the second scheduler starts from its own epoch 0, so the hand formula uses `e − 5` there:
#
# $$\text{lr}(e) = \begin{cases} \text{lr}_0\,\bigl(0.1 + 0.9\,\tfrac{e}{5}\bigr) & e < 5 \\
# \tfrac12\,\text{lr}_0\,\bigl(1 + \cos\frac{\pi (e-5)}{35}\bigr) & e \ge 5 \end{cases}$$
#
# (`ChainedScheduler` is the other combinator: it calls *all* its schedulers at every step, so
# their factors multiply; e.g. a warm-up factor times an exponential decay.)

# %%
def warmup_then_cosine(opt):
    warm = lr_scheduler.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=WARMUP)
    anneal = lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS - WARMUP)
    return lr_scheduler.SequentialLR(opt, schedulers=[warm, anneal], milestones=[WARMUP])


library_lrs["SequentialLR"] = lr_trace(warmup_then_cosine, EPOCHS)
hand_lrs["SequentialLR"] = [LR * (0.1 + 0.9 * e / WARMUP) if e < WARMUP
                            else LR * (1 + math.cos(math.pi * (e - WARMUP) / (EPOCHS - WARMUP))) / 2
                            for e in range(EPOCHS)]
print("warm-up then cosine:", short(library_lrs["SequentialLR"]))
print("hand == library:", matches(library_lrs["SequentialLR"], hand_lrs["SequentialLR"]))

# %% [markdown]
# ## 6 · OneCycleLR, per batch
#
# Lesson 09 trained LeNet with Adam and `OneCycleLR(optimizer, max_lr=5e-3, total_steps=...)`.
# The one-cycle policy is built for **per-batch** stepping and counts batches, not epochs. Its
# parameters:
#
# - `max_lr`: the peak rate (the `lr` you gave the optimizer is ignored);
# - it starts at `initial_lr = max_lr / div_factor` (default `div_factor=25`);
# - it climbs to `max_lr` during the first `pct_start` of the steps (default 0.3);
# - then it falls to `min_lr = initial_lr / final_div_factor` (default `1e4`), at the last step;
# - `total_steps` (or `epochs` and `steps_per_epoch`, multiplied) is the number of `step()` calls
#   it expects; it refuses to go further.
#
# With the default `anneal_strategy="cos"` both phases are cosine curves (`"linear"` makes them
# straight lines): `anneal(a, b, p) = b + (a − b)·(1 + cos πp)/2` goes from `a` at
# `p = 0` to `b` at `p = 1`. Reading `torch/optim/lr_scheduler.py` (torch 2.14, with the default
# `three_phase=False`), the first phase ends at step `s₁ = pct_start · total_steps − 1`, the second
# at `total_steps − 1`, and step `s` gets
#
# $$\text{lr}(s) = \begin{cases} \text{anneal}(\text{initial lr}, \text{max lr}, s / s_1) & s \le s_1 \\
# \text{anneal}(\text{max lr}, \text{min lr}, (s - s_1) / (\text{total steps} - 1 - s_1)) & s > s_1 \end{cases}$$
#
# With `cycle_momentum=True` (the default) it also moves the **momentum** the other way: from
# `max_momentum=0.95` down to `base_momentum=0.85` while the rate climbs, and back up while it
# falls. A large step goes with little momentum, and the reverse. With Adam the "momentum" is
# `betas[0]`; with SGD, `momentum`. (`three_phase=True` is closer to the paper's version: up,
# back down to the start, then a separate third phase to `min_lr`.)

# %%
TOTAL_STEPS, MAX_LR = 200, 5e-3


def one_cycle(opt):
    return lr_scheduler.OneCycleLR(opt, max_lr=MAX_LR, total_steps=TOTAL_STEPS)  # pct_start=0.3, div 25, final 1e4


def anneal(start, end, fraction):
    return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2


def one_cycle_by_hand(s, low, high, end, total=TOTAL_STEPS, pct_start=0.3):
    """The value at step s of a two-phase cycle low -> high -> end (the rate, or the momentum)."""
    s1 = pct_start * total - 1
    return anneal(low, high, s / s1) if s <= s1 else anneal(high, end, (s - s1) / (total - 1 - s1))


optimizer = make_optimizer(optimizer_class=torch.optim.Adam)
scheduler = one_cycle(optimizer)
cycle_lrs, cycle_beta1 = [], []
for _step in range(TOTAL_STEPS):
    cycle_lrs.append(optimizer.param_groups[0]["lr"])
    cycle_beta1.append(optimizer.param_groups[0]["betas"][0])
    optimizer.step()
    scheduler.step()
initial_lr = MAX_LR / 25
library_lrs["OneCycleLR"] = cycle_lrs
hand_lrs["OneCycleLR"] = [one_cycle_by_hand(s, initial_lr, MAX_LR, initial_lr / 1e4) for s in range(TOTAL_STEPS)]
peak = max(range(TOTAL_STEPS), key=cycle_lrs.__getitem__)
print(f"step 0: lr {cycle_lrs[0]:.3g} (= max_lr/25), beta1 {cycle_beta1[0]:.4f}")
print(f"step {peak}: lr {cycle_lrs[peak]:.3g} (the peak), beta1 {cycle_beta1[peak]:.4f}")
print(f"step {TOTAL_STEPS - 1}: lr {cycle_lrs[-1]:.3g} (= max_lr/25/1e4), beta1 {cycle_beta1[-1]:.4f}")
print("lr hand == library:", matches(cycle_lrs, hand_lrs["OneCycleLR"]))
print("beta1 hand == library:", matches(cycle_beta1, [one_cycle_by_hand(s, 0.95, 0.85, 0.95) for s in range(TOTAL_STEPS)]))

# %%
fig, (ax_lr, ax_m) = plt.subplots(1, 2, figsize=(11, 3.5))
ax_lr.plot(cycle_lrs, color="tab:blue")
ax_lr.axvline(peak, color="gray", ls="--", lw=0.8)
ax_lr.set(title="OneCycleLR: learning rate", xlabel="optimizer step (batch)", ylabel="lr")
ax_m.plot(cycle_beta1, color="tab:orange")
ax_m.axvline(peak, color="gray", ls="--", lw=0.8)
ax_m.set(title="... and Adam's beta1, cycled the other way", xlabel="optimizer step (batch)", ylabel="beta1")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 7 · ReduceLROnPlateau: a schedule that watches the validation loss
#
# The schedules so far are fixed in advance. `ReduceLROnPlateau` reacts instead: you call
# `scheduler.step(val_loss)` once per epoch, after validation, and it multiplies the rate by
# `factor` when the loss has stopped improving. Its knobs, in the order it applies them:
#
# - **threshold** (with `threshold_mode="rel"`): a loss counts as an *improvement* only if it
#   beats the best so far by more than this fraction: `loss < best · (1 − threshold)`. Tiny
#   improvements are noise, not progress. (`threshold_mode="abs"`: `loss < best − threshold`.)
# - **patience**: the number of epochs without improvement ("bad epochs") that it tolerates; the
#   rate drops at the end of the bad epoch number `patience + 1`, and the count starts again;
# - **factor**: `new_lr = lr · factor`;
# - **cooldown**: for this many epochs after a drop, bad epochs are not counted, so that the model
#   gets time to profit from the new rate;
# - **min_lr**: the rate never goes below it (a drop is cut at `min_lr`, or skipped once there).
#
# `mode="min"` is for a loss; use `mode="max"` to watch an accuracy. Below: a made-up validation
# loss of 24 epochs that improves, stalls, improves after each drop and stalls again, with
# `factor=0.5, patience=2, threshold=0.01, cooldown=2, min_lr=0.02`. The table shows the
# scheduler's own state after each `step()`.

# %%
VAL_LOSSES = [1.00, 0.80, 0.70, 0.650, 0.645, 0.648, 0.646, 0.600, 0.580, 0.575, 0.578, 0.577,
              0.560, 0.562, 0.561, 0.563, 0.562, 0.559, 0.558, 0.557, 0.556, 0.556, 0.557, 0.556]
PLATEAU = dict(mode="min", factor=0.5, patience=2, threshold=0.01, cooldown=2, min_lr=0.02)


def plateau_run(losses, lr=LR, **config):
    """Feed `losses` to ReduceLROnPlateau; the rate every epoch trained with, and the state after each step."""
    optimizer = make_optimizer((lr,))
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, **config)
    used, states = [], []
    for loss in losses:
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # a training epoch ...
        scheduler.step(loss)  # ... then validation, then the scheduler, with the validation loss
        states.append((scheduler.best, scheduler.num_bad_epochs, scheduler.cooldown_counter,
                       optimizer.param_groups[0]["lr"]))
    return used, states


plateau_lrs, states = plateau_run(VAL_LOSSES, **PLATEAU)
print("epoch  val loss   lr used |  best   bad  cooldown  next lr")
for epoch, (loss, used, (best, bad, cooldown, next_lr)) in enumerate(zip(VAL_LOSSES, plateau_lrs, states)):
    note = "   <- lr drops" if next_lr < used else ""
    print(f"{epoch:>5}  {loss:>8.3f}  {used:>8.4f} | {best:.3f}  {bad:>3}  {cooldown:>8}  {next_lr:>7.4f}{note}")

# %% [markdown]
# Read it top to bottom:
#
# - **threshold**: at epoch 4 the loss goes from 0.650 to 0.645, lower, but not by 1 % (that would
#   be below 0.6435), so `best` stays 0.650 and epoch 4 is the first bad epoch;
# - **patience = 2**: epochs 4, 5, 6 are bad; at the third one (`patience + 1`) the rate halves, and
#   epoch 7 trains with 0.05. The loss falls again, to 0.600 and 0.580;
# - **cooldown = 2**: after the drop at epoch 11, epoch 12 improves and epoch 13 does not, but it
#   falls in the cooldown and is not counted (bad stays 0). The bad epochs are 14, 15, 16, so the
#   next drop comes at epoch 16 instead of 15;
# - **min_lr = 0.02**: that drop would give 0.0125; it is cut to 0.02. At epoch 21 the counter
#   reaches 3 again, but the rate is already at `min_lr` and stays there.
#
# `ReduceLROnPlateau` has no closed form: its "formula" is the rule itself. Written out by hand
# as a loop over the epochs, it is short; the order of the tests is the order of the list above
# (improvement, then cooldown, then patience):

# %%
def plateau_by_hand(losses, lr=LR, factor=0.5, patience=2, threshold=0.01, cooldown=2, min_lr=0.0, mode="min"):
    """ReduceLROnPlateau's rule (mode "min", relative threshold): the rate every epoch trained with."""
    used, best, bad, cooling = [], math.inf, 0, 0
    for loss in losses:
        used.append(lr)  # this epoch trains with lr; then validation gives `loss`
        if loss < best * (1 - threshold):  # a real improvement
            best, bad = loss, 0
        else:
            bad += 1
        if cooling > 0:  # in the cooldown, bad epochs are not counted
            cooling, bad = cooling - 1, 0
        if bad > patience:  # patience + 1 bad epochs in a row: drop, floored at min_lr
            lr, cooling, bad = max(lr * factor, min_lr), cooldown, 0
    return used


print("by hand:", short(plateau_by_hand(VAL_LOSSES, **PLATEAU), 24, 3))
print("library:", short(plateau_lrs, 24, 3))

# %% [markdown]
# Each knob moves the drops. The same loss curve with one knob changed at a time, each run both
# by PyTorch and by hand:

# %%
def drop_epochs(used_lrs):
    """The epochs after which the rate dropped (the next epoch trained with less)."""
    return [e for e in range(len(used_lrs) - 1) if used_lrs[e + 1] < used_lrs[e]]


plateau_variants = {"as above": {}, "threshold=0": {"threshold": 0.0}, "patience=0": {"patience": 0},
                    "cooldown=0": {"cooldown": 0}, "min_lr=0": {"min_lr": 0.0}}
for name, change in plateau_variants.items():
    config = {**PLATEAU, **change}
    used, _ = plateau_run(VAL_LOSSES + [0.556], **config)  # one more epoch shows the last drop
    by_hand = plateau_by_hand(VAL_LOSSES + [0.556], **config)
    print(f"{name:<13} drops after epochs {str(drop_epochs(used)):<16} last lr {used[-1]:.5f} | "
          f"hand == library: {matches(used, by_hand)}")

# %% [markdown]
# With `threshold=0`, every tiny improvement resets the count, so the first drop comes only at epoch
# 15. With `patience=0`, a single bad epoch is enough. Without the cooldown, the third drop comes one
# epoch earlier. Without `min_lr`, the rate keeps halving. In the plot, the rate each epoch
# trained with is drawn centred on that epoch, and a dotted line marks each drop.

# %%
library_lrs["ReduceLROnPlateau"] = plateau_lrs
hand_lrs["ReduceLROnPlateau"] = plateau_by_hand(VAL_LOSSES, **PLATEAU)
print("hand == library:", matches(plateau_lrs, hand_lrs["ReduceLROnPlateau"]))

fig, ax_loss = plt.subplots(figsize=(8, 3.5))
ax_loss.plot(VAL_LOSSES, "o-", color="tab:blue", ms=4, label="validation loss")
ax_loss.set(xlabel="epoch", ylabel="validation loss", title="ReduceLROnPlateau: the rate drops when the loss stalls")
ax_rate = ax_loss.twinx()
ax_rate.step(range(len(plateau_lrs)), plateau_lrs, where="mid", color="tab:red", label="lr used")
ax_rate.set_ylabel("learning rate")
ax_rate.set_ylim(0, 0.11)
ax_rate.grid(False)
for epoch in drop_epochs(plateau_lrs):
    ax_loss.axvline(epoch + 0.5, color="gray", ls=":", lw=1)
ax_loss.legend(loc="upper center")
ax_rate.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 8 · All schedules at a glance, and the target
#
# Every schedule of this lesson, as a curve: the learning rate each epoch (or, for
# `OneCycleLR`, each batch) trained with. Step changes are drawn half way between two epochs,
# as in the plot above.

# %%
panels = [
    ("StepLR", "StepLR(step_size=10, gamma=0.5)"),
    ("MultiStepLR", "MultiStepLR([15, 30], gamma=0.1)"),
    ("ExponentialLR", "ExponentialLR(gamma=0.9)"),
    ("CosineAnnealingLR", "CosineAnnealingLR(T_max=40)"),
    ("CosineAnnealingWarmRestarts", "WarmRestarts(T_0=5, T_mult=2)"),
    ("LambdaLR", "LambdaLR: two groups"),
    ("SequentialLR", "SequentialLR: warm-up, cosine"),
    ("OneCycleLR", "OneCycleLR(max_lr=5e-3), per batch"),
    ("ReduceLROnPlateau", "ReduceLROnPlateau(factor=0.5)"),
]
fig, axes = plt.subplots(3, 3, figsize=(12, 8.5))
for ax, (name, title) in zip(axes.flat, panels):
    if name == "LambdaLR":
        ax.plot(library_lrs["LambdaLR (head)"], label="head (0.1)")
        ax.plot(library_lrs["LambdaLR (backbone)"], label="backbone (0.01)")
        ax.legend(fontsize=8)
    else:
        rates = library_lrs[name][:EPOCHS] if name == "CosineAnnealingLR" else library_lrs[name]  # the used ones
        ax.plot(rates, drawstyle="steps-mid" if name in ("StepLR", "MultiStepLR", "ReduceLROnPlateau") else "default")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("batch" if name == "OneCycleLR" else "epoch")
    ax.set_ylabel("lr")
fig.tight_layout()
plt.show()

# %% [markdown]
# And the target: for every scheduler, the rates PyTorch produced against the closed form we
# wrote ourselves, over whole runs.

# %%
equal = {name: matches(library_lrs[name], hand_lrs[name]) for name in library_lrs}
for name, same in equal.items():
    print(f"{name:<28} {len(library_lrs[name]):>4} rates   hand == library: {same}")
all_equal = all(equal.values())
print("all equal:", all_equal)
record_metrics("12_lr_schedulers", schedules_checked=len(equal), all_schedules_equal=all_equal)

# %% [markdown]
# ## 9 · Per epoch or per batch: what `T_max` and `total_steps` count
#
# A scheduler counts its own `step()` calls and knows nothing about epochs. Where you call it
# decides what its parameters mean:
#
# ```python
# for epoch in range(EPOCHS):
#     for x, y in loader:
#         ...                       # forward, loss, backward
#         optimizer.step()
#         per_batch_scheduler.step()    # OneCycleLR, or any scheduler sized in batches
#     validate(...)
#     per_epoch_scheduler.step()        # StepLR, CosineAnnealingLR sized in epochs, ...
# ```
#
# Per epoch, `T_max = EPOCHS`. Per batch, `T_max = EPOCHS · len(loader)`, and `len(loader)` is the
# number of batches: `⌈N / batch_size⌉`, or `⌊N / batch_size⌋` with `drop_last=True`, which throws
# the last, incomplete batch away. A real loader over 1,000 items:

# %%
items = TensorDataset(torch.arange(1000))
for drop_last in (False, True):
    loader = DataLoader(items, batch_size=64, drop_last=drop_last)
    counted = sum(1 for _ in loader)
    print(f"drop_last={drop_last!s:<5}: len(loader) = {len(loader)} = {'ceil' if not drop_last else 'floor'}(1000/64), "
          f"batches seen in one epoch {counted}, size of the last {len(list(loader)[-1][0])}")
EPOCHS_SHORT, BATCHES = 5, len(DataLoader(items, batch_size=64))
print("per-batch T_max / total_steps for", EPOCHS_SHORT, "epochs:", EPOCHS_SHORT * BATCHES)

# %% [markdown]
# Mix the two up and nothing raises an error for the cosine: `T_max` given in epochs but stepped
# every batch runs through the whole cosine in `T_max` batches, then climbs back up and down,
# again and again, since the cosine is periodic. Look at your learning-rate curve once: a mistake
# like this is obvious in the plot and invisible in the code.

# %%
per_batch = EPOCHS_SHORT * BATCHES
wrong = lr_trace(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS_SHORT), per_batch)
right = lr_trace(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=per_batch), per_batch)
fig, ax = plt.subplots(figsize=(10, 3.2))
ax.plot(wrong, label=f"T_max = {EPOCHS_SHORT} (epochs),\nstepped per batch: wrong")
ax.plot(right, label=f"T_max = {per_batch} (epochs × batches):\nright")
for epoch in range(1, EPOCHS_SHORT):
    ax.axvline(epoch * BATCHES, color="0.25", lw=1, ls=":")
ax.set(xlabel="optimizer step (batch); dotted lines: epoch ends", ylabel="lr", title="Cosine annealing stepped per batch")
ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=9)
fig.tight_layout()
plt.show()
minima = [s for s in range(1, per_batch - 1) if wrong[s] < wrong[s - 1] and wrong[s] <= wrong[s + 1]]
print("the wrong schedule reaches its minimum", len(minima), "times in", per_batch, "steps")

# %% [markdown]
# `OneCycleLR` is stricter: it was told how many steps to expect and raises an error at the first
# step beyond them. Here it was sized in epochs (`total_steps=5`) but stepped per batch:

# %% tags=["raises-exception"]
optimizer = make_optimizer()
scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=EPOCHS_SHORT)
for _batch in range(BATCHES):
    optimizer.step()
    scheduler.step()

# %% [markdown]
# How to read it: "Tried to step 6 times" counts the loop's calls of `scheduler.step()`, the
# failing one included; "The specified number of total steps is 5" is what the constructor was
# told. Already the sixth batch of the first epoch fails: the scheduler was sized in epochs and
# stepped per batch. Use `total_steps=EPOCHS * len(loader)` (or `epochs=EPOCHS,
# steps_per_epoch=len(loader)`), and step it exactly that often.

# %% [markdown]
# ## 10 · Saving and resuming a schedule
#
# A scheduler has state: its step count, and for some schedulers much more
# (`ReduceLROnPlateau` keeps `best`, the bad-epoch count and the cooldown). Stopping and resuming
# training must restore it together with the model and the optimizer, through
# `scheduler.state_dict()` and `load_state_dict()` (lesson 17 builds full checkpoints). Create
# the new optimizer and scheduler first, then load both states. For the cosine below the order
# happens not to matter, but `LambdaLR`, `LinearLR` and `OneCycleLR` write their own step-0 rate
# into the optimizer when they are created: created after the optimizer's state was loaded, they
# overwrite the loaded rate, and loading their state afterwards does not write it back, so the
# first resumed epoch trains with the wrong rate. Build first, load last, and the order is safe
# for every scheduler.
#
# Below, a cosine schedule of 12 epochs runs once without a break, and once with a stop after
# epoch 6: the states are saved to a file, read back with `weights_only=True` into freshly built
# objects, and the run continues. A third run forgets the scheduler's state.

# %%
def fresh_pair():
    optimizer = make_optimizer()
    return optimizer, lr_scheduler.CosineAnnealingLR(optimizer, T_max=12, eta_min=ETA_MIN)


def run_epochs(optimizer, scheduler, epochs):
    used = []
    for _ in range(epochs):
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return used


uninterrupted = run_epochs(*fresh_pair(), 12)

optimizer, scheduler = fresh_pair()
first_half = run_epochs(optimizer, scheduler, 6)
checkpoint_path = runs_dir("12_lr_schedulers") / "schedule_checkpoint.pt"
torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, checkpoint_path)

checkpoint = torch.load(checkpoint_path, weights_only=True)
optimizer, scheduler = fresh_pair()
optimizer.load_state_dict(checkpoint["optimizer"])
scheduler.load_state_dict(checkpoint["scheduler"])
resumed = first_half + run_epochs(optimizer, scheduler, 6)

optimizer, scheduler = fresh_pair()
optimizer.load_state_dict(checkpoint["optimizer"])  # the scheduler's state forgotten
forgot = first_half + run_epochs(optimizer, scheduler, 6)

print("scheduler state keys:", sorted(key for key in checkpoint["scheduler"] if not key.startswith("_")),
      "(+ internal keys starting with _)")
print("uninterrupted:      ", short(uninterrupted[5:], 7))
print("resumed:            ", short(resumed[5:], 7))
print("scheduler forgotten:", short(forgot[5:], 7))
print("resumed run == uninterrupted run, exactly:", resumed == uninterrupted)

# %% [markdown]
# The keys starting with `_` are PyTorch's internal bookkeeping (how often `step()` ran, whether
# it is the first step); they are saved and restored like the rest, you never set them yourself.
# The schedules are shown from epoch 5 on. The resumed run is the uninterrupted run, number for
# number. The run that forgot the scheduler's state trains epoch 6 with the rate saved in the
# optimizer, but the new scheduler counts from 0 again: it believes the cosine has just started
# and lowers the rate far too slowly, so every later epoch trains with a larger rate than it
# should. Older code (and the notes) set `scheduler.last_epoch = start_epoch` by hand; that
# restores the count and nothing else, so use the state dict.

# %% [markdown]
# ## 11 · A learning-rate range test: how large may the rate be?
#
# Every schedule above starts from a number you must choose: the base rate, or `max_lr`. Too
# small and training crawls; too large and it diverges. The **range test** measures it in a few
# hundred steps (Leslie Smith, 2015, grew the rate linearly; the exponential sweep with a smoothed
# loss below is the form of fastai's "LR finder"): train a fresh model while the rate grows exponentially
# from tiny (1e-5) to huge (1), one batch per rate, and record the loss. At first nothing
# happens, then the loss falls, faster and faster, and at some rate it turns and blows up. We
# stop as soon as the loss is more than 4 times the best seen.
#
# The rate grows by the same factor every step: that is `ExponentialLR` with
# `γ = (1 / 1e-5)^(1/(steps − 1))`, stepped per batch. One batch's loss is noisy, so we follow an
# exponential moving average of it, with the same bias correction as Adam (lesson 11), and plot it
# against the rate on a log axis. The model is LeNet with Adam on the training digits, the set-up
# of lesson 09 (without augmentation). The digit images are decoded once into one tensor, as in
# lesson 09, and normalised with the training images' mean and std.

# %%
root = ensure_dataset("digits")
decoded = CachedDataset(ClassFolderDataset(root, transform=T.Compose([T.Grayscale(), T.ToTensor()])))
split = stratified_split(decoded.targets, fractions=(0.8, 0.1, 0.1), seed=0)
train_images = decoded.images[split["train"]]
mean, std = train_images.mean().item(), train_images.std().item()
train_set = TensorDataset((train_images - mean) / std, torch.tensor(decoded.targets)[split["train"]])
print("training digits:", tuple(train_set.tensors[0].shape), "| normalised with", f"mean {mean:.4f}, std {std:.4f}")

# %%
def lr_range_test(dataset, start_lr=1e-5, end_lr=1.0, steps=300, beta=0.9, blow_up=4.0, seed=0):
    """Train a fresh LeNet with Adam while the rate grows from start_lr to end_lr, one batch per rate.
    Returns the rates, the losses and the smoothed losses, up to the step where the smoothed loss
    passes blow_up times its minimum."""
    set_seed(seed)
    model = LeNet(classes=10, in_channels=1).initialize_weights().to(DEVICE)
    optimizer = torch.optim.Adam(model.parameters(), lr=start_lr)
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=(end_lr / start_lr) ** (1 / (steps - 1)))
    loader = DataLoader(dataset, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(seed))
    loss_fn = nn.CrossEntropyLoss()
    rates, losses, smoothed = [], [], []
    average, best, batches = 0.0, math.inf, iter(loader)
    model.train()
    for step in tqdm(range(steps), desc="range test"):
        try:
            x, y = next(batches)
        except StopIteration:  # more steps than one epoch: start a new pass
            batches = iter(loader)
            x, y = next(batches)
        rates.append(optimizer.param_groups[0]["lr"])
        loss = loss_fn(model(x.to(DEVICE)), y.to(DEVICE))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        average = beta * average + (1 - beta) * losses[-1]
        smoothed.append(average / (1 - beta ** (step + 1)))  # bias correction, as in Adam
        best = min(best, smoothed[-1])
        if not math.isfinite(smoothed[-1]) or smoothed[-1] > blow_up * best:
            break
    return rates, losses, smoothed


print(f"the rate grows by a factor of {(1.0 / 1e-5) ** (1 / 299):.4f} per step over 300 steps")

# %% [markdown]
# Two points on the curve matter. The **minimum** of the smoothed loss: beyond it, larger rates
# make things worse. And the **steepest descent**, where the loss falls fastest per decade of rate
# (the most negative slope `d loss / d log₁₀ lr`, looked for before the minimum): there the rate is
# large enough to make quick progress and still safely below the trouble. The run takes a few
# seconds; its numbers depend on the machine's float arithmetic, so this cell's output is not
# compared (the checks follow the plot).

# %% tags=["nbval-ignore-output"]
start = time.perf_counter()
rates, losses, smoothed = lr_range_test(train_set)
range_seconds = time.perf_counter() - start

log_rates = torch.tensor(rates, dtype=torch.float64).log10()
curve = torch.tensor(smoothed, dtype=torch.float64)
lowest = int(curve.argmin())
slopes = (curve[2:] - curve[:-2]) / (log_rates[2:] - log_rates[:-2])  # central differences, steps 1 .. n-2
steepest = 1 + int(slopes[: lowest - 1].argmin())  # only before the minimum
best_lr, steepest_lr = rates[lowest], rates[steepest]

print(f"{len(rates)} steps in {range_seconds:.1f} s, stopped at lr {rates[-1]:.3g} with smoothed loss {smoothed[-1]:.3f}")
print(f"minimum of the smoothed loss {smoothed[lowest]:.3f} at lr {best_lr:.3g}")
print(f"steepest descent at lr {steepest_lr:.3g} (slope {slopes[steepest - 1]:.2f} per decade)")
print(f"a tenth of the minimum's lr: {best_lr / 10:.3g}")

# %%
fig, ax = plt.subplots(figsize=(10, 4.5))
ax.plot(rates, losses, color="tab:blue", alpha=0.3, lw=0.8, label="loss of each batch")
ax.plot(rates, smoothed, color="tab:blue", lw=2, label="smoothed loss")
ax.plot(best_lr, smoothed[lowest], "o", color="tab:red", ms=8, label=f"minimum, lr {best_lr:.1e}")
ax.plot(steepest_lr, smoothed[steepest], "o", color="tab:green", ms=8, label=f"steepest descent, lr {steepest_lr:.1e}")
ax.axvspan(min(steepest_lr, best_lr / 10), max(steepest_lr, best_lr / 10), color="tab:green", alpha=0.15,
           label="steepest point to minimum lr / 10")
ax.axvline(5e-3, color="gray", ls="--", lw=1, label="lesson 09's max_lr, 5e-3")
ax.set_xscale("log")
ax.set(xlabel="learning rate (log scale)", ylabel="cross-entropy loss", ylim=(0, max(3.0, 1.1 * max(smoothed))),
       title="Learning-rate range test: LeNet + Adam on the digits")
ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=9)
plt.show()

# %% [markdown]
# How to choose from the plot:
#
# - **never at the minimum**: there the rate is already at the edge, and the minimum of a noisy,
#   smoothed curve lies a little to the right of where trouble starts (the average lags behind);
# - a plain schedule (constant, step or cosine decay from its base rate) starts well at the
#   **steepest** point or at about **a tenth of the minimum's** rate (the shaded band lies between
#   the two);
# - `OneCycleLR` spends only a short time at its peak and then anneals, so its `max_lr` may go
#   higher, up to several times the tenth of the minimum; lesson 09's `max_lr = 5e-3` (dashed line)
#   lies there, between the steepest point and the minimum.
#
# The exact numbers depend on the model, the optimizer, the batch size, the data, and on the
# machine: a float rounded differently early in the run changes the later batches' losses a
# little. (Repeated with eight seeds, the minimum lay at about lr 7e-3 to 3e-2, the
# steepest point between 6e-4 and 9e-4, and the sweep stopped at a rate of 0.03 to 0.08.) So the numbers printed before the plot are not compared.
# What every machine agrees on:

# %%
blew_up = len(rates) < 300 and smoothed[-1] > 4 * min(smoothed)
print("the loss blew up (more than 4x its minimum) before the rate reached 1:", blew_up)
print("the minimum lies between lr 1e-3 and 1e-1:", 1e-3 < best_lr < 1e-1)
print("the sweep stopped well before lr 1, below 0.3:", rates[-1] < 0.3)
print("the steepest descent comes first, between lr 1e-4 and 1e-2:", steepest < lowest and 1e-4 < steepest_lr < 1e-2)
record_metrics("12_lr_schedulers", range_test_best_lr=best_lr, range_test_steepest_lr=steepest_lr,
               range_test_steps=len(rates), range_test_seconds=round(range_seconds, 1))

# %% [markdown]
# ## 12 · Common mistakes
#
# **`scheduler.step()` before `optimizer.step()`.** Before PyTorch 1.1 the scheduler was stepped at
# the *start* of each epoch, and old code (the notes' cookbook among it) still does. Today the
# scheduler's constructor already sets the rate of epoch 0, so an extra step at the start of the
# epoch moves on before that rate was ever used. PyTorch notices (it wraps `optimizer.step` to
# see whether it has run) and warns once. A warning is not an error: the run goes on with a
# schedule shifted by one, so we catch the warning and print it.

# %%
def used_rates(scheduler_first, epochs=8):
    optimizer = make_optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    used = []
    for _ in range(epochs):
        if scheduler_first:
            scheduler.step()
        used.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if not scheduler_first:
            scheduler.step()
    return used


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    shifted = used_rates(scheduler_first=True)
print(len(caught), "warning:", caught[0].category.__name__)
print(caught[0].message)
print()
right_order = used_rates(scheduler_first=False)
print("optimizer first:", short(right_order))
print("scheduler first:", short(shifted))
print("the wrong order trains epoch e with the rate of epoch e+1:", shifted == used_rates(False, 9)[1:])

# %% [markdown]
# How to read it: "Detected call of `lr_scheduler.step()` before `optimizer.step()`" names the
# order problem; "skipping the first value of the learning rate schedule" is the consequence. The
# printed schedules show it: with the scheduler first, the rate 0.1 is used for 2 epochs instead
# of 3, and every later change comes one epoch early. For a warm-up the first, smallest rate is
# lost; with `OneCycleLR` every batch trains with the rate meant for the next one. The fix:
# `optimizer.step()` first, `scheduler.step()` after it, both in the loop they belong to (the
# batch loop for per-batch schedulers, the end of the epoch for per-epoch ones).

# %% [markdown]
# **Asking `get_lr()` for the current rate.** `get_lr()` is the scheduler's internal "compute the
# rate for the new step" function, meant to be called only inside `step()`. Outside it warns and,
# for chainable schedulers, applies the rule one time too many:

# %%
optimizer = make_optimizer()
scheduler = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
for _ in range(3):
    optimizer.step()
    scheduler.step()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    misread = scheduler.get_lr()
print("warning:", caught[0].message)
print(f"get_lr(): {misread[0]:.4f} (wrong) | get_last_lr(): {scheduler.get_last_lr()[0]:.4f} | "
      f"param_groups: {optimizer.param_groups[0]['lr']:.4f}")

# %% [markdown]
# After three epochs with `step_size=3` the rate has just halved to 0.05; `get_lr()` halves it again.
# Read the rate with `get_last_lr()` or from `optimizer.param_groups`.
#
# **`ReduceLROnPlateau.step()` without the metric.** It is the one scheduler whose `step` needs
# an argument, the quantity to watch; a loop that steps all schedulers alike fails:

# %% tags=["raises-exception"]
optimizer = make_optimizer()
scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2)
optimizer.step()
scheduler.step()

# %% [markdown]
# How to read it: `missing 1 required positional argument: 'metrics'` means `step` wants the
# monitored value: `scheduler.step(val_loss)`, once per epoch, after validation. For the same
# reason `SequentialLR` and `ChainedScheduler` refuse to wrap it.

# %% [markdown]
# ## Exercises
#
# **12.1** Write `warmup_cosine(step, warmup, total, base_lr, min_lr)`, the learning rate of
# optimizer step `step` (counted from 0) in a run of `total` steps:
#
# - a linear warm-up over the first `warmup` steps: step `s < warmup` gets `base_lr · (s + 1) / warmup`,
#   so the last warm-up step reaches `base_lr`;
# - then a cosine from `base_lr` at step `warmup` down to **exactly `min_lr` at the last step,
#   `total − 1`** (`warmup = 0` means no warm-up; you may assume `0 ≤ warmup < total − 1`).
#
# Then write `make_warmup_cosine(optimizer, warmup, total, min_lr)`, which returns a `LambdaLR`
# that makes every parameter group follow `warmup_cosine` with **its own** starting rate as
# `base_lr` and the **same** `min_lr` for all groups. Think about what a `LambdaLR` function
# returns. The check evaluates your function on its own cases (including step 0, step `warmup` and
# the last step) and runs your scheduler, stepped per batch, on an optimizer with two groups.

# %%
### BEGIN SOLUTION
def warmup_cosine(step, warmup, total, base_lr, min_lr):
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / (total - 1 - warmup)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


def make_warmup_cosine(optimizer, warmup, total, min_lr):
    def factor_for(base_lr):  # a new function per group, with its own base_lr
        return lambda step: warmup_cosine(step, warmup, total, base_lr, min_lr) / base_lr

    return lr_scheduler.LambdaLR(optimizer, [factor_for(group["lr"]) for group in optimizer.param_groups])
### END SOLUTION

# %%
WARMUP_COSINE_CASES = [(0, 5, 50, 0.1, 0.001), (4, 5, 50, 0.1, 0.001), (5, 5, 50, 0.1, 0.001),
                       (27, 5, 50, 0.1, 0.001), (49, 5, 50, 0.1, 0.001), (0, 0, 20, 0.02, 0.0),
                       (10, 0, 21, 0.02, 0.0), (19, 0, 20, 0.02, 0.0), (2, 3, 5, 1.0, 0.5), (3, 3, 5, 1.0, 0.5),
                       (4, 3, 5, 1.0, 0.5), (7, 10, 100, 3e-4, 1e-5), (60, 10, 100, 3e-4, 1e-5)]


def check_warmup_cosine(answer):
    import math

    def expected(step, warmup, total, base_lr, min_lr):
        if step < warmup:
            return base_lr * (step + 1) / warmup
        progress = (step - warmup) / (total - 1 - warmup)
        return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2

    cases = [(0, 5, 50, 0.1, 0.001), (4, 5, 50, 0.1, 0.001), (5, 5, 50, 0.1, 0.001), (27, 5, 50, 0.1, 0.001),
             (49, 5, 50, 0.1, 0.001), (0, 0, 20, 0.02, 0.0), (10, 0, 21, 0.02, 0.0), (19, 0, 20, 0.02, 0.0),
             (2, 3, 5, 1.0, 0.5), (3, 3, 5, 1.0, 0.5), (4, 3, 5, 1.0, 0.5), (7, 10, 100, 3e-4, 1e-5),
             (60, 10, 100, 3e-4, 1e-5)]  # as warmup_cosine_answer asks, in order
    values = answer["values"]
    assert len(values) == len(cases), f"expected {len(cases)} values, one per case, got {len(values)}"
    for (step, warmup, total, base_lr, min_lr), got in zip(cases, values):
        want = expected(step, warmup, total, base_lr, min_lr)
        call = f"warmup_cosine({step}, {warmup}, {total}, {base_lr}, {min_lr})"
        assert isinstance(got, (int, float)) and math.isfinite(got), f"{call} should return a number, got {got!r}"
        if step == 0 and warmup > 0 and abs(got) < 1e-15:
            raise AssertionError(f"{call} = 0: the warm-up's first step already gets base_lr·1/warmup, not 0")
        if step == total - 1 and not math.isclose(got, min_lr, rel_tol=1e-9, abs_tol=1e-15):
            raise AssertionError(f"{call} = {got:.6g}: the last step, total − 1, must get exactly min_lr = {min_lr} "
                                 "(is the cosine's length total − 1 − warmup steps?)")
        if step == warmup and not math.isclose(got, base_lr, rel_tol=1e-9):
            raise AssertionError(f"{call} = {got:.6g}: the cosine starts at base_lr = {base_lr} at step warmup")
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-15), f"{call} = {got:.8g}, expected {want:.8g}"

    assert answer["scheduler class"] == "LambdaLR", \
        f"make_warmup_cosine should return a LambdaLR, got {answer['scheduler class']}"
    base_lrs, warmup, total, min_lr = (0.1, 0.004), 4, 30, 0.001  # as warmup_cosine_answer runs it
    runs = answer["scheduled"]
    assert len(runs) == 2 and all(len(run) == total for run in runs), \
        f"expected the rates of 2 groups over {total} steps"
    for group, (base_lr, run) in enumerate(zip(base_lrs, runs)):
        want = [expected(s, warmup, total, base_lr, min_lr) for s in range(total)]
        other = base_lrs[1 - group]
        if all(math.isclose(g, w * base_lr, rel_tol=1e-9, abs_tol=1e-15) for g, w in zip(run, want)):
            raise AssertionError(f"group {group}: each rate is base_lr times warmup_cosine(...): a LambdaLR function "
                                 "returns a factor, which LambdaLR multiplies by the group's base_lr; divide by it")
        if all(math.isclose(g, base_lr * expected(s, warmup, total, other, min_lr) / other, rel_tol=1e-9, abs_tol=1e-15)
               for s, g in enumerate(run)):
            raise AssertionError(f"group {group} follows the other group's base_lr: either one factor function "
                                 "is shared by all groups, or the functions were made in a loop and all see the "
                                 "loop variable's last value; each group needs a factor computed with its own "
                                 "base_lr, bound when its function is made")
        if math.isclose(run[-1], min_lr * base_lr, rel_tol=1e-6):
            raise AssertionError(f"group {group} ends at min_lr·base_lr = {run[-1]:.3g}, not at min_lr = {min_lr}: "
                                 "LambdaLR multiplies the factor by the group's base_lr, so the factor at the last "
                                 "step must be min_lr / base_lr")
        warmup_right = all(math.isclose(run[s], want[s], rel_tol=1e-9, abs_tol=1e-15) for s in range(warmup))
        for step, (got, w) in enumerate(zip(run, want)):
            if not math.isclose(got, w, rel_tol=1e-9, abs_tol=1e-15):
                hint = ""
                if warmup_right and step >= warmup:
                    hint = (". The warm-up steps are right, the cosine steps are not: does the factor use the "
                            "group's starting rate, fixed when the function is made? group['lr'] read inside the "
                            "function is the current rate (the last one written), not the starting one")
                raise AssertionError(f"group {group} (base_lr {base_lr}) trains step {step} with lr {got:.10g}, "
                                     f"expected {w:.10g} (relative error {abs(got - w) / abs(w):.1e}){hint}")


def warmup_cosine_answer():
    values = [warmup_cosine(*case) for case in WARMUP_COSINE_CASES]
    optimizer = make_optimizer((0.1, 0.004))
    scheduler = make_warmup_cosine(optimizer, warmup=4, total=30, min_lr=0.001)
    scheduled = [[], []]
    for _ in range(30):
        for run, group in zip(scheduled, optimizer.param_groups):
            run.append(float(group["lr"]))
        optimizer.step()
        scheduler.step()
    return {"values": [float(v) for v in values], "scheduler class": type(scheduler).__name__, "scheduled": scheduled}


check_exercise("12.1", check_warmup_cosine, points=2, answer=warmup_cosine_answer)

# %% [markdown]
# **12.2** You step a scheduler per optimizer step, and you need its `T_max` (or `OneCycleLR`'s
# `total_steps`): the number of optimizer steps in the whole run. The loop accumulates gradients
# over `accumulate` batches before each optimizer step (to train with an effective batch of
# `accumulate · batch_size` when memory holds only `batch_size`), and also steps at the end of
# every epoch with whatever has accumulated:
#
# ```python
# loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=drop_last)
# for epoch in range(epochs):
#     for i, (x, y) in enumerate(loader):
#         (loss_fn(model(x), y) / accumulate).backward()
#         if (i + 1) % accumulate == 0 or i + 1 == len(loader):
#             optimizer.step()
#             optimizer.zero_grad()
#             scheduler.step()
# ```
#
# Write `optimizer_steps(dataset_size, batch_size, drop_last, epochs, accumulate=1)` that returns
# this number (an `int`). Arithmetic is enough: try it without building a `DataLoader` (any approach
# that counts right is accepted). The check builds real loaders and counts the steps of this loop.

# %%
### BEGIN SOLUTION
def optimizer_steps(dataset_size, batch_size, drop_last, epochs, accumulate=1):
    batches = dataset_size // batch_size if drop_last else -(-dataset_size // batch_size)
    return epochs * -(-batches // accumulate)
### END SOLUTION

# %%
def check_optimizer_steps(answer):
    import torch
    from torch.utils.data import DataLoader

    cases = [(1000, 64, False, 5, 1), (1000, 64, True, 5, 1), (4000, 64, False, 16, 1), (1000, 64, False, 3, 4),
             (1000, 64, True, 3, 4), (1000, 100, False, 2, 5), (1000, 100, True, 2, 3), (50, 64, False, 7, 1),
             (50, 64, True, 7, 1), (130, 10, False, 1, 6)]  # as optimizer_steps_answer asks, in order
    counts = answer["counts"]
    assert len(counts) == len(cases), f"expected {len(cases)} counts, one per case"
    for (size, batch_size, drop_last, epochs, accumulate), got in zip(cases, counts):
        loader = DataLoader(torch.arange(size), batch_size=batch_size, drop_last=drop_last)
        steps = 0
        for _ in range(epochs):
            for i, _ in enumerate(loader):
                if (i + 1) % accumulate == 0 or i + 1 == len(loader):
                    steps += 1
        call = f"optimizer_steps({size}, {batch_size}, drop_last={drop_last}, epochs={epochs}, accumulate={accumulate})"
        assert type(got) is int, f"{call} should return an int, got {type(got).__name__} {got!r}"
        other_len = size // batch_size if not drop_last else -(-size // batch_size)  # the other rounding
        hint = ""
        if got == epochs * len(loader) and accumulate > 1:
            hint = ": that counts batches, but with accumulate > 1 the optimizer steps only every few batches"
        elif got == epochs * (len(loader) // accumulate):
            hint = ": the end of each epoch also makes a step with a partial accumulation"
        elif accumulate > 1 and got == -(-epochs * len(loader) // accumulate):
            hint = (": that counts the accumulation across the whole run, but it restarts every epoch, and the "
                    "last partial group of an epoch is stepped too")
        elif other_len != len(loader) and got == epochs * -(-other_len // accumulate):
            hint = ": with drop_last=True the incomplete last batch is dropped (floor), without it it is kept (ceil)"
        assert got == steps, f"{call} = {got}, but the loop makes {steps} optimizer steps{hint}"


def optimizer_steps_answer():
    cases = [(1000, 64, False, 5, 1), (1000, 64, True, 5, 1), (4000, 64, False, 16, 1), (1000, 64, False, 3, 4),
             (1000, 64, True, 3, 4), (1000, 100, False, 2, 5), (1000, 100, True, 2, 3), (50, 64, False, 7, 1),
             (50, 64, True, 7, 1), (130, 10, False, 1, 6)]
    return {"counts": [optimizer_steps(*case) for case in cases]}


check_exercise("12.2", check_optimizer_steps, points=1, answer=optimizer_steps_answer)

# %% [markdown]
# ## Summary
#
# - A scheduler writes the learning rate into `optimizer.param_groups`; it counts its own `step()`
#   calls (`last_epoch`), whatever they stand for. Order: `optimizer.step()`, then
#   `scheduler.step()`; the other order warns and skips the first value of the schedule.
# - Read the rate with `get_last_lr()` or `optimizer.param_groups[k]["lr"]`, never with `get_lr()`.
# - Fixed schedules and their closed forms: StepLR `lr₀·γ^⌊e/s⌋`, MultiStepLR `lr₀·γ^(#milestones ≤ e)`,
#   ExponentialLR `lr₀·γ^e`, cosine `η_min + (η_max − η_min)(1 + cos(πe/T_max))/2`, with warm
#   restarts cycles of `T_0, T_0·T_mult, …`; LambdaLR `lr₀·λ(e)` with one function per param group;
#   SequentialLR joins them (warm-up, then cosine); OneCycleLR climbs from `max_lr/div_factor` to
#   `max_lr` in `pct_start` of the steps and anneals to `max_lr/div_factor/final_div_factor`,
#   moving the momentum the other way. All of them equal their closed forms to 1e-12.
# - ReduceLROnPlateau steps with the validation loss: an improvement must beat `threshold`, the
#   rate drops by `factor` after `patience + 1` bad epochs, `cooldown` epochs are not counted after
#   a drop, and `min_lr` is the floor.
# - Per epoch, `T_max = epochs`; per batch, `T_max = total_steps = epochs · len(loader)`, with
#   `len(loader)` rounded up, or down with `drop_last=True`. Plot the schedule once.
# - Resume with `scheduler.state_dict()` / `load_state_dict()` next to the optimizer's.
# - A range test (rate growing exponentially, smoothed loss on a log axis) shows where training
#   starts to work and where it blows up: choose the base rate near the steepest descent or a tenth
#   of the minimum; one-cycle's `max_lr` may go higher, never to the minimum itself.
