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
# # 11 · Optimizers: how the weights move
#
# The loss says how wrong a model is and `backward()` says, for every weight, which way is
# uphill. The **optimizer** decides how far to step downhill, and how to use what it saw at
# earlier steps. This lesson opens it up.
#
# **What you will learn**
#
# - gradient descent by hand, and what a learning rate that is too small, right, or too large
#   does; why a quadratic with curvature `L` needs `lr < 2/L`;
# - momentum as an **exponentially weighted average** of past gradients, its "window" of about
#   `1/(1 − β)` steps, and the exact rule PyTorch's `SGD` uses (with dampening and Nesterov);
# - one SGD step with momentum and weight decay **by hand**, equal to `torch.optim.SGD`'s;
# - Adam by hand (first and second moments, bias correction), and why AdamW's weight decay is
#   not Adam's;
# - what an `Optimizer` object holds: `param_groups`, `state`, `zero_grad`, `step`,
#   `add_param_group`, `state_dict`, and how to save it and resume training exactly;
# - twelve optimizers on one problem: SGD, momentum, Nesterov, Adagrad, RMSprop, Adadelta,
#   Adam, AdamW, Adamax, ASGD, Rprop and L-BFGS, with their paths on a contour plot;
# - gradient clipping by norm and by value.
#
# **Target:** two steps of SGD with momentum and weight decay, done by hand, give the same
# weights as `torch.optim.SGD` (float64, to 1e-12).

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch import nn

from tools import check_exercise, get_device, record_metrics, runs_dir, set_seed, tqdm, use_course_style

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## Gradient descent by hand
#
# Gradient descent repeats one rule: move every weight a little against its gradient,
#
# $$x_{k+1} = x_k - \text{lr}\cdot f'(x_k).$$
#
# The **learning rate** `lr` sets how far. Take the simplest loss there is, `f(x) = 4x²`, whose
# gradient is `f'(x) = 8x` and whose minimum is at 0. One step gives
# `x − lr·8x = (1 − 8·lr)·x`: every step multiplies `x` by the same factor `1 − 8·lr`. So:
#
# - a small `lr` (0.01) gives a factor 0.92: `x` creeps towards 0, losing 8 % per step;
# - `lr = 0.1` gives 0.2: five times closer at every step;
# - `lr = 0.2` gives −0.6: `x` jumps over the minimum to the other side each time, but
#   lands closer, so it still converges, zig-zagging;
# - `lr = 0.26` gives −1.08: each jump lands *farther* away than it started. It diverges.
#
# We do it exactly as an optimizer would: compute the loss, `backward()`, then update `x` in
# place under `torch.no_grad()` (lesson 02: an in-place change of a leaf must not be recorded)
# and clear the gradient. The computation is in float64 on the CPU, where every step is the
# same on every machine.

# %%
def gradient_descent_1d(lr: float, x0: float = 2.0, steps: int = 8) -> torch.Tensor:
    """Plain gradient descent on f(x) = 4x², by hand; returns x_0, x_1, ..., x_steps."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    path = [x.item()]
    for _ in range(steps):
        loss = 4 * x**2
        loss.backward()
        with torch.no_grad():
            x -= lr * x.grad  # the update
        x.grad = None  # clear the gradient, or the next backward() adds to it
        path.append(x.item())
    return torch.tensor(path, dtype=torch.float64)


LEARNING_RATES_1D = {0.01: "creeping", 0.1: "converging", 0.2: "zig-zag, converging", 0.26: "diverging (off the plot)"}
paths_1d = {lr: gradient_descent_1d(lr) for lr in LEARNING_RATES_1D}
for lr, path in paths_1d.items():
    factor = 1 - 8 * lr
    by_formula = 2.0 * factor ** torch.arange(9, dtype=torch.float64)
    print(f"lr = {lr:<4}  factor {factor:+.2f}  x_0..x_5 = {[round(v, 4) for v in path[:6].tolist()]}"
          f"  equals 2·factor^k (to 1e-12): {torch.allclose(path, by_formula, rtol=1e-12, atol=0)}")

# %% [markdown]
# The same four runs, drawn on the curve. Each dot is one iterate; the lines join them in
# order, so a zig-zag shows as lines crossing the valley.

# %%
xs = torch.linspace(-3, 3, 200)
fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), sharey=True, layout="constrained")
for ax, (lr, path) in zip(axes, paths_1d.items()):
    ax.plot(xs, 4 * xs**2, color="lightgray", lw=2)
    ax.plot(path, 4 * path**2, "-o", color="tab:red", ms=4, lw=1)
    ax.plot(path[0], 4 * path[0] ** 2, "s", color="black", ms=6, label="start")
    ax.set(title=f"lr = {lr}: {LEARNING_RATES_1D[lr]}", xlabel="x", xlim=(-3, 3), ylim=(-1, 36))
axes[0].set_ylabel("f(x) = 4x²")
axes[0].legend(loc="upper center")
fig.suptitle("Eight steps of gradient descent on f(x) = 4x², from x = 2")
plt.show()

# %% [markdown]
# On a log scale the distance `|x_k|` to the minimum is a straight line whose slope is
# `log|1 − 8·lr|`. Only the size of the factor counts: `lr = 0.01` (factor 0.92, creeping) and
# `lr = 0.24` (factor −0.92, zig-zagging) lie on the same line. The best choice here is
# `lr = 1/8`: factor 0, the minimum in one step.
#
# **The threshold.** The iterates shrink exactly when `|1 − lr·L| < 1`, where `L = f''(x) = 8`
# is the curvature: that is `0 < lr < 2/L = 0.25`. For a quadratic in many dimensions,
# `f(x) = ½ xᵀAx`, the same happens separately along each eigenvector of `A` (the Hessian), with
# its eigenvalue as the curvature. The steepest direction, the **largest eigenvalue**, sets the
# limit `lr < 2/λ_max`, while the flattest direction, the smallest eigenvalue, converges with
# factor `1 − lr·λ_min`, and that is the slow part. A loss whose curvatures differ a lot (an
# elongated valley) is slow for plain gradient descent whatever `lr` you pick. Momentum is the
# classic remedy.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for lr in [0.01, 0.1, 0.2, 0.24, 0.26]:
    path = gradient_descent_1d(lr, steps=30)
    style = {"ls": "--", "marker": "s", "ms": 6, "mfc": "none"} if lr == 0.24 else {"marker": "o", "ms": 3}
    ax.semilogy(path.abs(), **style, label=f"lr = {lr}  (factor {1 - 8 * lr:+.2f})")
ax.axhline(2.0, color="gray", lw=0.8, ls="--")
ax.set(title="Distance to the minimum, |x_k| (log scale)", xlabel="step k", ylabel="|x_k|", ylim=(1e-16, 1e2))
ax.legend(fontsize=8, loc="lower left")
plt.show()

# %% [markdown]
# ## Momentum: an average of past gradients
#
# ### Exponentially weighted averages
#
# Before momentum, one tool: the **exponentially weighted average** (EWA) of a series
# `θ₁, θ₂, …`:
#
# $$v_t = \beta\, v_{t-1} + (1-\beta)\,\theta_t, \qquad v_0 = 0.$$
#
# Unrolled, `v_t = Σᵢ (1 − β)·βⁱ·θ_{t−i}`: the newest value has weight `1 − β`, the one before
# `(1 − β)β`, and so on, each older value counting `β` times less. With `β = 0.9` the weights
# shrink by a factor `e` about every 10 steps, so the average "remembers" roughly the last
# **`1/(1 − β)` values**: its effective window (10 for 0.9, 50 for 0.98). A larger `β` gives a
# smoother average that reacts later.
#
# Here is a noisy series (a daily temperature, say): a slow wave plus noise, drawn from a seeded
# generator. We compute its EWA for three values of β, and check the recursion against the
# unrolled sum.

# %%
def ewa(series: torch.Tensor, beta: float) -> torch.Tensor:
    """Exponentially weighted average of a 1-D series, v_0 = 0."""
    averages, v = [], 0.0
    for value in series.tolist():
        v = beta * v + (1 - beta) * value
        averages.append(v)
    return torch.tensor(averages, dtype=torch.float64)


noise_generator = torch.Generator().manual_seed(11)
days = torch.arange(1, 201, dtype=torch.float64)
temperature = 15 + 8 * torch.sin(days / 30) + 3 * torch.randn(200, generator=noise_generator, dtype=torch.float64)
BETAS = [0.5, 0.9, 0.98]
averages = {beta: ewa(temperature, beta) for beta in BETAS}

t = 100  # the unrolled sum at day 100: sum over i of (1 - β) β^i θ_{t-i}
for beta in BETAS:
    weights = (1 - beta) * beta ** torch.arange(t, dtype=torch.float64)
    unrolled = (weights * temperature[:t].flip(0)).sum()
    print(f"β = {beta}: window 1/(1-β) = {1 / (1 - beta):4.0f} days;  v_100 recursion {averages[beta][t - 1]:.2f},"
          f" unrolled {unrolled:.2f}, equal (to 1e-10): {math.isclose(averages[beta][t - 1], unrolled, abs_tol=1e-10)}")

# %% [markdown]
# Left, the averages: β = 0.5 follows the noise, β = 0.9 is smooth and close, β = 0.98 is
# smoothest but **lags** behind the wave and starts far too low, because `v₀ = 0` drags the
# first values towards 0 (Adam corrects exactly this bias, below). Right, the weights each
# average gives to the past, on a log scale, where a factor β per day is a straight line; the
# dashed lines mark the windows `1/(1 − β)`.

# %%
fig, (ax_series, ax_weights) = plt.subplots(1, 2, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
ax_series.plot(days, temperature, ".", color="lightgray", ms=4, label="daily values")
for beta, color in zip(BETAS, ["tab:green", "tab:blue", "tab:red"]):
    ax_series.plot(days, averages[beta], color=color, lw=1.8, label=f"EWA, β = {beta}")
ax_series.set(title="A noisy series and its exponentially weighted averages", xlabel="day", ylabel="value")
ax_series.legend(fontsize=8, loc="lower center", ncols=2)
ages = torch.arange(0, 80)
for beta, color in zip(BETAS, ["tab:green", "tab:blue", "tab:red"]):
    ax_weights.semilogy(ages, (1 - beta) * beta**ages, color=color, lw=1.8, label=f"β = {beta}")
    ax_weights.axvline(1 / (1 - beta), color=color, ls="--", lw=1)
ax_weights.set(title="Weight of a value i days old: (1 − β)·βⁱ", xlabel="age i (days)", ylabel="weight (log scale)",
               xlim=(0, 80), ylim=(1e-4, 1))
ax_weights.legend(fontsize=8)
plt.show()

# %% [markdown]
# How much of the total weight sits inside the window? The last `n = 1/(1 − β)` values carry
# `1 − βⁿ`, and since `βⁿ = (1 − 1/n)ⁿ ≈ 1/e`, about 63 % for any β close to 1:

# %%
for beta in BETAS:
    n = round(1 / (1 - beta))
    inside = ((1 - beta) * beta ** torch.arange(n, dtype=torch.float64)).sum().item()
    print(f"β = {beta}: the last {n:2d} values carry {inside:.4f} of the weight;  1 - β^n = {1 - beta**n:.4f}")
print(f"1 - 1/e = {1 - 1 / math.e:.4f}")

# %% [markdown]
# ### Momentum in PyTorch: `v = μ·v + g`, then `p -= lr·v`
#
# Gradient descent with momentum keeps a running average of the gradients (the "velocity") and
# steps along it. Along a direction where the gradient keeps its sign, the average builds up
# speed; along a direction where it flips sign at every step (the zig-zag across a valley),
# the flips cancel in the average. PyTorch's `SGD(momentum=μ)` keeps a **momentum buffer** `v`
# for every parameter and does, at every step,
#
# $$v \leftarrow \mu\, v + g, \qquad p \leftarrow p - \text{lr}\cdot v$$
#
# with `v = g` at the very first step. Note: no `(1 − μ)` in front of `g`. So PyTorch's buffer
# is the EWA multiplied by `1/(1 − μ)`: under a constant gradient it grows towards `g/(1 − μ)`,
# and the step towards `lr·g/(1 − μ)`, ten times `lr·g` for `μ = 0.9`. After `k` steps it is
# exactly `g·(1 − μᵏ)/(1 − μ)`.
#
# Two options change the rule:
#
# - **dampening** `d`: the new gradient enters as `(1 − d)·g` (from the second step on; the
#   first step still sets `v = g`). With `d = μ` the buffer is an EWA again and tends to `g`;
# - **Nesterov** (`nesterov=True`): the step uses `g + μ·v` instead of `v`, which is a cheap
#   way to take the gradient "where momentum is about to carry us". It requires `d = 0`.
#
# A loss that is linear in `p`, `loss = g·p`, has the same gradient `g` everywhere, so we can
# check what the optimizer stores after `k` steps against the formulas. Below, `g = 1` and
# `μ = 0.9`; for Nesterov, the column is the step direction `g + μ·v`, read off the change in
# `p` (`Δp / (−lr)`).

# %%
def constant_gradient_run(steps: int, **sgd_options) -> tuple[list[float], list[float]]:
    """SGD on loss = 1.0 * p (gradient 1 everywhere): the momentum buffer and -Δp/lr after each step."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.1, **sgd_options)
    buffers, directions = [], []
    for _ in range(steps):
        before = p.detach().clone()
        optimizer.zero_grad()
        (1.0 * p).sum().backward()
        optimizer.step()
        buffers.append(optimizer.state[p]["momentum_buffer"].item())
        directions.append(((before - p.detach()) / 0.1).item())
    return buffers, directions


MU, STEPS = 0.9, 30
k = torch.arange(1, STEPS + 1, dtype=torch.float64)
plain_buffer, _ = constant_gradient_run(STEPS, momentum=MU)
damped_buffer, _ = constant_gradient_run(STEPS, momentum=MU, dampening=MU)
nesterov_buffer, nesterov_direction = constant_gradient_run(STEPS, momentum=MU, nesterov=True)

plain_formula = (1 - MU**k) / (1 - MU)
damped_formula = MU ** (k - 1) + (1 - MU) * (1 - MU ** (k - 1)) / (1 - MU)  # first step v = g, then (1-d) g
nesterov_formula = 1 + MU * plain_formula
print("step k            1        2        3        10       30")
for name, values in [("plain buffer", plain_buffer), ("dampened buffer", damped_buffer),
                     ("Nesterov g + μv", nesterov_direction)]:
    print(f"{name:<16}" + "".join(f"{values[i]:9.4f}" for i in [0, 1, 2, 9, 29]))
print("plain    = (1 - μ^k)/(1 - μ):              ",
      torch.allclose(torch.tensor(plain_buffer, dtype=torch.float64), plain_formula, rtol=1e-12, atol=0))
print("dampened, d = μ: = 1 (= g) for every k:   ",
      torch.allclose(torch.tensor(damped_buffer, dtype=torch.float64), damped_formula, rtol=1e-12, atol=0))
print("Nesterov = 1 + μ·(1 - μ^k)/(1 - μ):        ",
      torch.allclose(torch.tensor(nesterov_direction, dtype=torch.float64), nesterov_formula, rtol=1e-12, atol=1e-14))
print("Nesterov's buffer is the plain one:", nesterov_buffer == plain_buffer)

# %% [markdown]
# With `d = μ` the buffer stays at exactly 1 = `g` (the first step set it to `g`, and an EWA of
# a constant is that constant): dampening turns PyTorch's sum back into an average, and the
# step is `lr·g`, not ten times more. Without dampening the buffer, and the step, approach
# `1/(1 − μ) = 10`. Nesterov keeps the same buffer but steps by `g + μ·v`, a little further.
#
# ## The target: two SGD steps by hand
#
# Now the full rule on a real loss. **Weight decay** `wd` adds `wd·p` to the gradient before
# anything else (it is the gradient of the L2 penalty `½·wd·‖p‖²`), so the update with momentum
# and weight decay is
#
# 1. `d = g + wd·p` (the decayed gradient),
# 2. `v = d` at the first step, `v = μ·v + d` after that,
# 3. `p = p − lr·v`.
#
# The model: a linear regression `ŷ = X·w + b` on 8 points with an MSE loss, whose gradient we
# also write out by hand, `∇_w = (2/N)·Xᵀ(ŷ − y)` and `∇_b = (2/N)·Σ(ŷ − y)`. We take two steps
# by hand and two with `torch.optim.SGD`, from the same start, in float64. The second step is
# the one that uses the buffer: `v₂ = μ·v₁ + d₂`.

# %%
data_generator = torch.Generator().manual_seed(5)
X = torch.randn(8, 3, generator=data_generator, dtype=torch.float64).to(DEVICE)
y = (X @ torch.tensor([1.5, -2.0, 0.5], dtype=torch.float64, device=DEVICE) + 0.3
     + 0.1 * torch.randn(8, generator=data_generator, dtype=torch.float64).to(DEVICE))
w_start = torch.tensor([0.2, 0.1, -0.3], dtype=torch.float64)
b_start = torch.tensor(0.0, dtype=torch.float64)
LR, MOMENTUM, WEIGHT_DECAY = 0.1, 0.9, 0.01


def mse_gradients(w: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradient of mean((X w + b - y)²) with respect to w and b, written out by hand."""
    residual = X @ w + b - y
    return 2 / len(y) * X.T @ residual, 2 / len(y) * residual.sum()


# --- by hand
w, b = w_start.to(DEVICE), b_start.to(DEVICE)
buffers = {}
for step in (1, 2):
    grad_w, grad_b = mse_gradients(w, b)
    new = {}
    for name, p, g in [("w", w, grad_w), ("b", b, grad_b)]:
        d = g + WEIGHT_DECAY * p                                                  # 1. weight decay
        buffers[name] = d if step == 1 else MOMENTUM * buffers[name] + d         # 2. momentum buffer
        new[name] = p - LR * buffers[name]                                       # 3. the step
    w, b = new["w"], new["b"]
    print(f"by hand, after step {step}:  w = {w.cpu()}  b = {b.item():.4f}")
w_hand, b_hand = w, b

# --- with torch.optim.SGD
w_t = w_start.to(DEVICE).requires_grad_(True)
b_t = b_start.to(DEVICE).requires_grad_(True)
optimizer = torch.optim.SGD([w_t, b_t], lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
for step in (1, 2):
    optimizer.zero_grad()
    loss = ((X @ w_t + b_t - y) ** 2).mean()
    loss.backward()
    if step == 1:
        autograd_matches = torch.allclose(w_t.grad, mse_gradients(w_t.detach(), b_t.detach())[0], rtol=1e-12, atol=1e-14)
    optimizer.step()
    print(f"optim.SGD, after step {step}: w = {w_t.detach().cpu()}  b = {b_t.item():.4f}")
print("hand-written gradient equals autograd's (to 1e-12):", autograd_matches)

# %%
sgd_difference = max((w_hand - w_t.detach()).abs().max().item(), abs(b_hand.item() - b_t.item()))
sgd_matches = torch.allclose(w_hand, w_t.detach(), rtol=0, atol=1e-12) and math.isclose(b_hand.item(), b_t.item(), abs_tol=1e-12)
record_metrics("11_optimizers", sgd_hand_max_difference=sgd_difference)
print("the buffer after step 2 is μ·v₁ + d₂:",
      torch.allclose(optimizer.state[w_t]["momentum_buffer"], buffers["w"], rtol=0, atol=1e-12))
print("largest difference below 1e-12:", sgd_difference < 1e-12)
print("target: two hand steps == optim.SGD (momentum 0.9, weight decay 0.01), to 1e-12:", sgd_matches)

# %% [markdown]
# Why a tolerance of 1e-12 rather than `torch.equal`? PyTorch writes `p − lr·v` as one fused
# operation (`p.add_(v, alpha=-lr)`), which a CPU may evaluate with a single rounding (a fused
# multiply-add) where our `p − LR * v` rounds twice. The two can differ in the last bit, a few
# times 1e-16 at these sizes (on the machine that stored these outputs they happen to agree
# exactly). 1e-12 is far above that and far below any real mistake, such as a forgotten weight
# decay (0.01·p ≈ 1e-3) or a missing momentum term.

# %% [markdown]
# ## What an optimizer holds
#
# An optimizer is a small object. These are the parts you use:
#
# | attribute / method | what it is |
# |---|---|
# | `param_groups` | a list of dicts: each holds some parameters (`"params"`) and their settings (`lr`, `momentum`, …) |
# | `state` | a dict from each parameter to what the optimizer remembers about it (momentum buffer, Adam's averages) |
# | `zero_grad()` | clears the `.grad` of every parameter it holds |
# | `step()` | one update of every parameter, from its `.grad` |
# | `add_param_group(dict)` | adds more parameters, with their own settings |
# | `state_dict()` / `load_state_dict()` | everything above except the parameters themselves, to save and restore |
#
# We look at each on a tiny network. The settings of a group are the defaults of the
# constructor plus whatever you passed:

# %%
set_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)).to(DEVICE)
optimizer = torch.optim.SGD(net[0].parameters(), lr=0.01, momentum=0.9)
group = optimizer.param_groups[0]
print("groups:", len(optimizer.param_groups))
print("keys of a group:", sorted(group.keys()))
print("lr", group["lr"], " momentum", group["momentum"], " weight_decay", group["weight_decay"],
      " nesterov", group["nesterov"])
print("the group holds the layer's own tensors:", [p is q for p, q in zip(group["params"], net[0].parameters())])

# %% [markdown]
# ### `add_param_group`: a new part with its own settings
#
# We built the optimizer with the first layer only. The last layer joins as a second group
# with a ten times larger learning rate, as you might do for a freshly added head on top of a
# pretrained network (lesson 18). Settings the new group does not give (here `momentum`) come
# from the optimizer's defaults.

# %%
optimizer.add_param_group({"params": net[2].parameters(), "lr": 0.1})
for number, g in enumerate(optimizer.param_groups):
    print(f"group {number}: {len(g['params'])} tensors, shapes {[tuple(p.shape) for p in g['params']]}, "
          f"lr {g['lr']}, momentum {g['momentum']}")

# %% [markdown]
# ### `state`, `step` and `zero_grad`
#
# Before the first step the state is empty: the momentum buffers are created lazily, by the
# first `step()`. After it, every parameter has one, equal to its gradient (first step:
# `v = g`), and each group moved with its own `lr`.

# %%
inputs = torch.randn(16, 3, generator=torch.Generator().manual_seed(1)).to(DEVICE)
targets = torch.randn(16, 1, generator=torch.Generator().manual_seed(2)).to(DEVICE)
print("state before the first step:", dict(optimizer.state))

before = [p.detach().clone() for p in net.parameters()]
loss = nn.functional.mse_loss(net(inputs), targets)
loss.backward()
optimizer.step()

print("state after one step:", [list(s.keys()) for s in optimizer.state.values()])
first = net[0].weight
print("buffer of the first weight == its gradient:", torch.equal(optimizer.state[first]["momentum_buffer"], first.grad))
for number, g in enumerate(optimizer.param_groups):
    moved_by_lr = all(torch.allclose(p.detach() - old, -g["lr"] * p.grad, rtol=0, atol=1e-6)
                      for p, old in zip(g["params"], before[2 * number: 2 * number + 2]))
    print(f"group {number}: every parameter moved by -lr·grad with lr = {g['lr']}:", moved_by_lr)

# %% [markdown]
# `zero_grad()` clears the gradients. Since PyTorch 2.0 it does not fill them with zeros but
# sets them to **`None`** (`set_to_none=True` is the default): it saves memory and a write, and
# it means something different to the optimizer. A parameter whose `.grad` is `None` is
# **skipped** by `step()`; a parameter whose gradient is a tensor of zeros is **still moved**,
# by its momentum buffer (and by weight decay). That is one way a "frozen" layer keeps
# drifting.

# %%
optimizer.zero_grad()
print("after zero_grad():", [p.grad for p in net.parameters()])
frozen_before = net[0].weight.detach().clone()
optimizer.step()  # every .grad is None: nothing moves
print("step with None gradients, weight unchanged:", torch.equal(net[0].weight, frozen_before))
nn.functional.mse_loss(net(inputs), targets).backward()  # fresh gradients, then clear them with zeros
optimizer.zero_grad(set_to_none=False)
print("zero_grad(set_to_none=False) gives zero tensors:", all(torch.count_nonzero(p.grad) == 0 for p in net.parameters()))
v_old = optimizer.state[net[0].weight]["momentum_buffer"].clone()
optimizer.step()  # zero gradients, but the momentum buffer is not zero
v_new = optimizer.state[net[0].weight]["momentum_buffer"]
print("buffer after the step == μ·v_old:", torch.allclose(v_new, 0.9 * v_old, rtol=1e-6, atol=0))
print("step with zero gradients, weight moved by -lr·μ·v_old:",
      not torch.equal(net[0].weight, frozen_before)
      and torch.allclose(net[0].weight.detach(), frozen_before - 0.01 * 0.9 * v_old, rtol=1e-5, atol=1e-8))

# %% [markdown]
# ### `state_dict`: what gets saved
#
# `optimizer.state_dict()` has two entries. `"param_groups"` holds the settings, with each
# parameter replaced by a number (its position across all groups); `"state"` maps those
# numbers to the buffers. The parameters themselves are not in it: they belong to the model's
# own `state_dict`. That is why a checkpoint saves both, and why the optimizer must be built on
# the parameters of the new model, **in the same order**, before loading.

# %%
saved = optimizer.state_dict()
print("keys:", list(saved.keys()))
print("group 0 params:", saved["param_groups"][0]["params"], "  group 1 params:", saved["param_groups"][1]["params"])
print("state keys:", list(saved["state"].keys()), " each holds:", list(saved["state"][0].keys()))

# %% [markdown]
# ### Save, load and resume: exactly the same weights
#
# The point of saving the optimizer is to resume training as if it had never stopped. We train
# a small network with Adam for 40 steps in one go; then again, but stop after 20, save the
# model's and the optimizer's `state_dict` to a file under `runs/11_optimizers/`, build a
# **new** model and a **new** optimizer (as a restarted script would), load both, and train
# the remaining 20. Adam's state (its step count and two running averages per parameter) is
# what carries over. A third run restores the model but forgets the optimizer: a fresh Adam
# whose averages start again from zero.
#
# One surprise on the way: **`load_state_dict` does not copy**. Where it can, the optimizer
# keeps the very tensors of the dict you loaded as its state (Adam's `step` always stays on the
# CPU; the moment tensors are moved to the parameters' device only when they are elsewhere), so
# the dict you loaded changes as training goes on. We read Adam's step count from it before
# training and again after; `copy.deepcopy` the dict if you need it to stay as saved.

# %%
regression_generator = torch.Generator().manual_seed(7)
features = torch.rand(64, 2, generator=regression_generator) * 4 - 2
labels = torch.sin(features[:, :1]) + 0.5 * features[:, 1:] ** 2
features, labels = features.to(DEVICE), labels.to(DEVICE)


def make_model() -> nn.Module:
    set_seed(1)  # the same initial weights every time
    return nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1)).to(DEVICE)


def train(model: nn.Module, optimizer: torch.optim.Optimizer, steps: int, losses: list[float]) -> None:
    for _ in tqdm(range(steps), desc="Adam", leave=False):
        loss = nn.functional.mse_loss(model(features), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


# 1. forty steps in one go
model_straight = make_model()
losses_straight: list[float] = []
train(model_straight, torch.optim.Adam(model_straight.parameters(), lr=0.02), 40, losses_straight)

# 2. twenty steps, save, rebuild everything, load, twenty more
model_a = make_model()
optimizer_a = torch.optim.Adam(model_a.parameters(), lr=0.02)
losses_resumed: list[float] = []
train(model_a, optimizer_a, 20, losses_resumed)
checkpoint_path = runs_dir("11_optimizers") / "checkpoint.pt"
torch.save({"model": model_a.state_dict(), "optimizer": optimizer_a.state_dict(), "step": 20}, checkpoint_path)

checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)  # load_state_dict moves tensors
model_b = make_model()
model_b.load_state_dict(checkpoint["model"])
optimizer_b = torch.optim.Adam(model_b.parameters(), lr=0.02)
optimizer_b.load_state_dict(checkpoint["optimizer"])
loaded_keys, loaded_step = sorted(checkpoint["optimizer"]["state"][0].keys()), int(checkpoint["optimizer"]["state"][0]["step"])
train(model_b, optimizer_b, 20, losses_resumed)
step_after_training = int(checkpoint["optimizer"]["state"][0]["step"])

# 3. the model restored, the optimizer forgotten
model_c = make_model()
model_c.load_state_dict(checkpoint["model"])
losses_fresh = losses_resumed[:20]
train(model_c, torch.optim.Adam(model_c.parameters(), lr=0.02), 20, losses_fresh)

print("checkpoint written under runs/11_optimizers/:", checkpoint_path.name)
print("Adam's state for the first weight holds:", loaded_keys, " step when loaded:", loaded_step)
print("the same entry of the loaded dict after 20 more steps of optimizer_b:", step_after_training)
print("resumed == uninterrupted, every weight bit for bit (torch.equal):",
      all(torch.equal(p, q) for p, q in zip(model_b.parameters(), model_straight.parameters())))
print("fresh Adam == uninterrupted:",
      all(torch.equal(p, q) for p, q in zip(model_c.parameters(), model_straight.parameters())))

# %%
# NBVAL_IGNORE_OUTPUT
fresh_gap = max((p - q).abs().max().item() for p, q in zip(model_c.parameters(), model_straight.parameters()))
print(f"largest weight difference, fresh Adam vs uninterrupted: {fresh_gap:.4f}")
print(f"loss at step 21: uninterrupted {losses_straight[20]:.4f}, resumed {losses_resumed[20]:.4f}, "
      f"fresh Adam {losses_fresh[20]:.4f};  loss at step 40: {losses_straight[-1]:.4f} / "
      f"{losses_resumed[-1]:.4f} / {losses_fresh[-1]:.4f}")

# %%
print("fresh Adam's weights differ by more than 1e-3:", fresh_gap > 1e-3)
print("fresh Adam's final loss is more than 10% lower:", losses_fresh[-1] < 0.9 * losses_straight[-1])
print("resumed losses == uninterrupted losses:", losses_resumed == losses_straight)

# %% [markdown]
# Restoring the optimizer reproduces the uninterrupted run exactly, every bit of every weight.
# A fresh Adam does not: its step counter restarts at 1, so its bias correction treats the
# first new gradients as the whole history, and its first steps are about `lr` in every
# coordinate, whatever the gradient's size. In the plot the curves part right after the
# restart. Different is not always worse (here the fresh start happens to end lower), but it is
# no longer the run you were resuming, and a result you cannot reproduce. Lesson 17 builds full
# checkpoints (model, optimizer, scheduler, epoch) on this.

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
ax.plot(range(1, 41), losses_straight, color="black", lw=3, label="40 steps in one go")
ax.plot(range(1, 41), losses_resumed, color="tab:orange", lw=1.5, ls="--", label="stopped at 20, optimizer restored")
ax.plot(range(21, 41), losses_fresh[20:], color="tab:red", lw=1.5, label="stopped at 20, fresh Adam")
ax.axvline(20.5, color="gray", lw=0.8, ls=":")
ax.set(title="Resuming training: restore the optimizer too", xlabel="step", ylabel="training loss (MSE)", yscale="log")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Adam by hand
#
# Adam keeps two exponentially weighted averages per parameter: of the gradient, `m` (with
# `β₁ = 0.9`), and of the squared gradient, `v` (with `β₂ = 0.999`). Both start at 0, so both
# are biased towards 0 at first (the lag of the β = 0.98 curve above); Adam divides them by
# `1 − βᵗ`, the total weight the average has given so far, which removes the bias exactly. At
# step `t`:
#
# $$m \leftarrow \beta_1 m + (1-\beta_1) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
# \hat m = \frac{m}{1-\beta_1^t}, \quad \hat v = \frac{v}{1-\beta_2^t}, \quad
# p \leftarrow p - \text{lr}\cdot\frac{\hat m}{\sqrt{\hat v} + \varepsilon}.$$
#
# The step `m̂/√v̂` has no unit: it is a gradient divided by its own typical size, so Adam moves
# every coordinate by about `lr` at first, however large or small its gradient. We check two
# steps by hand on three coordinates whose gradients differ by a factor of a million, setting
# the gradients directly: the optimizer reads nothing but `.grad`.

# %%
p_start = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
gradients = [torch.tensor([1e-3, 1.0, -1e3], dtype=torch.float64), torch.tensor([3e-3, -1.0, -2e3], dtype=torch.float64)]
lr, (beta1, beta2), eps = 0.01, (0.9, 0.999), 1e-8

p_hand, m, v = p_start.clone(), torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
for t, g in enumerate(gradients, start=1):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    step = lr * m_hat / (v_hat.sqrt() + eps)
    p_hand = p_hand - step
    print(f"step {t}: g = {g.tolist()}  update = {[f'{u:+.6f}' for u in (-step).tolist()]}")

p_adam = p_start.clone().requires_grad_(True)
adam = torch.optim.Adam([p_adam], lr=lr, betas=(beta1, beta2), eps=eps)
for g in gradients:
    p_adam.grad = g.clone()
    adam.step()
state = adam.state[p_adam]
print("Adam's state:", sorted(state.keys()), " step", int(state["step"]))
print("m == exp_avg:", torch.allclose(m, state["exp_avg"], rtol=1e-12, atol=0),
      "  v == exp_avg_sq:", torch.allclose(v, state["exp_avg_sq"], rtol=1e-12, atol=0))
print("hand == optim.Adam after two steps (to 1e-12):", torch.allclose(p_hand, p_adam.detach(), rtol=0, atol=1e-12))

# %% [markdown]
# The first update has the same size, 0.01 = `lr` (up to ε), in all three coordinates, each
# against the sign of its gradient: a gradient of 0.001 and one of −1000 move their weights
# equally far. In the second step the middle
# gradient flipped its sign, so `m` shrank while `v` did not: Adam slows down a coordinate
# whose gradient is inconsistent.
#
# ### Adam's `weight_decay` versus AdamW
#
# With SGD, weight decay and an L2 penalty are the same thing. With Adam they are not.
# `Adam(weight_decay=wd)` adds `wd·p` to the gradient, so the decay goes through the division
# by `√v̂` like everything else: a coordinate with small gradients gets its decay *amplified*
# to a step of about `lr`. **AdamW** ("decoupled weight decay") shrinks the weights directly,
# `p ← p·(1 − lr·wd)`, and only then takes the Adam step with the plain gradient. One step of
# each, by hand and by the library, for a parameter whose second coordinate gets no gradient
# at all from the loss (`lr = 0.1`, `wd = 0.1`):

# %%
p0, g0 = torch.tensor([1.0, 1.0], dtype=torch.float64), torch.tensor([1.0, 0.0], dtype=torch.float64)
lr, wd = 0.1, 0.1


def adam_first_step(g: torch.Tensor) -> torch.Tensor:
    """Adam's first update for gradient g (t = 1: m̂ = g, v̂ = g²)."""
    return -lr * g / (g.abs() + 1e-8)


adam_l2_hand = p0 + adam_first_step(g0 + wd * p0)  # the decay enters the gradient
adamw_hand = p0 * (1 - lr * wd) + adam_first_step(g0)  # the decay is applied to p directly

results = {}
for name, optimizer_class in [("Adam(weight_decay)", torch.optim.Adam), ("AdamW", torch.optim.AdamW)]:
    p = p0.clone().requires_grad_(True)
    opt = optimizer_class([p], lr=lr, weight_decay=wd)
    p.grad = g0.clone()
    opt.step()
    results[name] = p.detach()
print(f"Adam + L2 : by hand {adam_l2_hand}, library {results['Adam(weight_decay)']}")
print(f"AdamW     : by hand {adamw_hand}, library {results['AdamW']}")
print("both match (to 1e-12):", torch.allclose(adam_l2_hand, results["Adam(weight_decay)"], rtol=0, atol=1e-12)
      and torch.allclose(adamw_hand, results["AdamW"], rtol=0, atol=1e-12))

# %% [markdown]
# With Adam's L2, the second coordinate, which nothing but the decay pulls on, dropped from 1 to
# 0.9, as far as the first one, whose gradient is real: the decay was blown up to a full
# `lr`-sized step. With AdamW it shrank by exactly `lr·wd` = 1 %, as intended. That is why
# AdamW is the usual choice when you want weight decay with Adam. Careful: `AdamW`'s default
# `weight_decay` is 0.01, `Adam`'s is 0.

# %% [markdown]
# ## Twelve optimizers on one problem
#
# `torch.optim` has many optimizers. The ten of the course notes plus Nesterov and AdamW:
#
# | optimizer | idea in one line |
# |---|---|
# | `SGD` | `p −= lr·g` |
# | `SGD(momentum=0.9)` | step along a running sum of gradients |
# | `SGD(momentum=0.9, nesterov=True)` | the same, stepping by `g + μ·v` |
# | `Adagrad` | divides by the root of the **sum** of all squared gradients so far: steps only shrink |
# | `RMSprop` | divides by the root of an **EWA** of squared gradients |
# | `Adadelta` | like RMSprop, and scales the step by an EWA of past step sizes (units of `p`) |
# | `Adam` | momentum (`m`) + RMSprop (`v`) + bias correction |
# | `AdamW` | Adam with decoupled weight decay |
# | `Adamax` | Adam with a decaying maximum of past \|g\| (an infinity norm) instead of `√v` |
# | `ASGD` | SGD that also keeps an **average** of the iterates (from step `t0` on) |
# | `Rprop` | uses only the **sign** of each gradient; grows a coordinate's step while the sign holds, shrinks it when it flips |
# | `LBFGS` | a quasi-Newton method: estimates curvature from past gradients, takes line-searched steps; needs a `closure` |
#
# The test function is a Rosenbrock-style valley in two dimensions,
# `f(x, y) = (1 − x)² + 10·(y − x²)²`, with its minimum at `(1, 1)`: a curved valley whose
# walls are much steeper (curvature about 100 near the minimum) than its floor (about 0.4).
# Every optimizer starts at `(−1.5, 2)` and gets 150 gradient steps, in float64 on the CPU.
# The learning rates come from a quick search of ours on this problem; each optimizer lives on
# its own scale (Adadelta's default `lr = 1.0`, for one, covers only about 0.39 of the 2.7 distance to the
# minimum in 150 steps). L-BFGS is different: one call of `step(closure)` runs its own loop of
# up to 150 iterations (`max_iter`; at most `max_eval` = 150·5/4 = 187 evaluations of `f`) and
# stops when it can no longer make progress (here after 28 evaluations, stopped by
# `tolerance_change`, its test on how much the loss still changes). ASGD starts averaging at step 50 (`t0=50`).

# %%
def valley(p: torch.Tensor) -> torch.Tensor:
    """f(x, y) = (1 - x)² + 10 (y - x²)², minimum 0 at (1, 1)."""
    return (1 - p[0]) ** 2 + 10 * (p[1] - p[0] ** 2) ** 2


START, MINIMUM, N_STEPS = (-1.5, 2.0), torch.tensor([1.0, 1.0], dtype=torch.float64), 150
OPTIMIZERS = {
    "SGD": lambda ps: torch.optim.SGD(ps, lr=0.01),
    "Momentum": lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
    "Nesterov": lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True),
    "Adagrad": lambda ps: torch.optim.Adagrad(ps, lr=1.0),
    "RMSprop": lambda ps: torch.optim.RMSprop(ps, lr=0.1),
    "Adadelta": lambda ps: torch.optim.Adadelta(ps, lr=10.0),
    "Adam": lambda ps: torch.optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: torch.optim.AdamW(ps, lr=0.1),
    "Adamax": lambda ps: torch.optim.Adamax(ps, lr=0.5),
    "ASGD": lambda ps: torch.optim.ASGD(ps, lr=0.01, t0=50),
    "Rprop": lambda ps: torch.optim.Rprop(ps, lr=0.01),
    "LBFGS": lambda ps: torch.optim.LBFGS(ps, lr=1.0, max_iter=N_STEPS, line_search_fn="strong_wolfe"),
}


def run_on_valley(name: str) -> tuple[torch.Tensor, torch.optim.Optimizer]:
    """The path (points visited, start included) of one optimizer on the valley, and the optimizer."""
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = OPTIMIZERS[name]([p])
    path = [p.detach().clone()]
    if name == "LBFGS":
        def closure():  # L-BFGS calls this as often as it needs: recompute the loss and the gradient
            optimizer.zero_grad()
            loss = valley(p)
            loss.backward()
            path.append(p.detach().clone())  # every point where it evaluated f
            return loss

        optimizer.step(closure)
    else:
        for _ in range(N_STEPS):
            optimizer.zero_grad()
            valley(p).backward()
            optimizer.step()
            path.append(p.detach().clone())
    return torch.stack(path), optimizer


valley_paths, valley_optimizers = {}, {}
for name in tqdm(OPTIMIZERS, desc="optimizers"):
    valley_paths[name], valley_optimizers[name] = run_on_valley(name)
distances = {name: (path[-1] - MINIMUM).norm().item() for name, path in valley_paths.items()}
print("evaluations of f: ", {name: len(path) - 1 for name, path in valley_paths.items() if name in ("SGD", "Adam")},
      " L-BFGS stopped on its own after fewer than 60:", len(valley_paths["LBFGS"]) - 1 < 60)

# %% [markdown]
# Each panel shows one path on the contour lines of `f` (log-spaced levels); the star is the
# minimum, the square the start. The L-BFGS path joins every point where it evaluated `f`,
# trial points of its line search included: the long stroke down to the right is one of them.

# %%
gx, gy = torch.meshgrid(torch.linspace(-2.2, 2.2, 120, dtype=torch.float64),
                        torch.linspace(-1.0, 3.4, 120, dtype=torch.float64), indexing="xy")
surface = valley(torch.stack([gx, gy]))
levels = torch.logspace(-2, 2.5, 14).tolist()
fig, axes = plt.subplots(3, 4, figsize=(13, 9.6), sharex=True, sharey=True, layout="constrained")
for ax, (name, path) in zip(axes.flat, valley_paths.items()):
    ax.contour(gx, gy, surface, levels=levels, colors="0.75", linewidths=0.6, antialiased=False)
    ax.plot(path[:, 0], path[:, 1], "-", color="tab:red", lw=1.2, marker="o", ms=1.5)
    ax.plot(*START, "s", color="black", ms=5)
    ax.plot(1, 1, "*", color="gold", ms=14, mec="black")
    ax.set(title=f"{name}: distance {distances[name]:.1e}", xlim=(-2.2, 2.2), ylim=(-1.0, 3.4))
for ax in axes[-1]:
    ax.set_xlabel("x")
for ax in axes[:, 0]:
    ax.set_ylabel("y")
fig.suptitle("150 steps on f(x, y) = (1 − x)² + 10 (y − x²)², from (−1.5, 2)")
plt.show()

# %% [markdown]
# The distance to the minimum after each step tells the same story over time:

# %%
fig, ax = plt.subplots(figsize=(10, 4.5))
colors = [plt.get_cmap("tab10")(i) for i in range(10)] + ["black", "magenta"]
styles = ["-", "--", ":", "-."]
for number, (name, path) in enumerate(valley_paths.items()):
    ax.semilogy((path - MINIMUM).norm(dim=1), ls=styles[number % 4], color=colors[number], lw=1.6, label=name)
ax.set(title="Distance to the minimum (1, 1)", xlabel="step (for L-BFGS: evaluation of f)", ylabel="distance",
       xlim=(0, N_STEPS), ylim=(1e-6, 5))
ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5))
plt.show()

# %% [markdown]
# ASGD's iterate is practically SGD's (its averaging only affects the extra point `ax` it
# keeps, and its tiny default decay `lambd = 1e-4` changes almost nothing), so its curve covers
# SGD's. Nesterov's sharp dips to about 1e-5 are its path passing through the
# minimum and overshooting it, not a convergence that is then lost.
#
# The final distances. They may differ in the last digits on another machine (another CPU
# or library can round a sum differently), so the table is not compared; the grouping after it, which holds with a margin, is.

# %%
# NBVAL_IGNORE_OUTPUT
for name, distance in sorted(distances.items(), key=lambda item: item[1]):
    print(f"{name:<9} {distance:9.2e}")
asgd_state = next(iter(valley_optimizers["ASGD"].state.values()))
asgd_average_distance = (asgd_state["ax"] - MINIMUM).norm().item()
print(f"ASGD's averaged point ax: {asgd_average_distance:.2e}")

# %%
GROUPS = [("reached (closer than 0.005)", 0.0, 0.005), ("close (0.005 to 0.2)", 0.005, 0.2),
          ("still on the way (beyond 0.2)", 0.2, math.inf)]
margin_ok = all(distance < low / 1.5 or distance > low * 1.5 for distance in distances.values()
                for _, low, _ in GROUPS if low > 0)
for title, low, high in GROUPS:
    print(f"{title:<30}", ", ".join(name for name, d in distances.items() if low <= d < high))
print("every distance at least 1.5x away from a group edge:", margin_ok)
print("ASGD's average is farther from the minimum than its last iterate:", asgd_average_distance > distances["ASGD"])
record_metrics("11_optimizers", valley_distance_sgd=distances["SGD"], valley_distance_momentum=distances["Momentum"],
               valley_distance_adam=distances["Adam"], lbfgs_evaluations=len(valley_paths["LBFGS"]) - 1)

# %% [markdown]
# What to take from it:
#
# - **Plain SGD** is stuck with a small `lr`: 0.01 is already at the stability limit
#   `2/λ_max` on the steep walls (see the first section; near the start `λ_max ≈ 211`, so
#   `2/λ_max ≈ 0.0095` and 0.01 is slightly above it: the small hook at the start of its
#   path), and along the flat floor such a step
#   crawls. **Momentum** and **Nesterov**, with the *same* `lr`, build up speed along the floor
#   and arrive.
# - The adaptive methods (**Adagrad, RMSprop, Adadelta, Adam, Adamax**) rescale every
#   coordinate by its own gradient size, so the walls do not limit them the way they limit SGD.
#   It also makes their first step ignore the gradient's size: Adagrad's and Adamax's first
#   step is `lr` in each coordinate, RMSprop's `10·lr` (its average of squares starts at 0 with
#   weight `1 − α = 0.01`, and nothing corrects that bias), which is the jump up and to the
#   right in their panels. Along the flat floor **RMSprop** and **Adamax** then crawl much like
#   **Adagrad**: their denominators remember the walls' large gradients (RMSprop's average of
#   squares with `α = 0.99` spans about 100 steps; Adamax's maximum decays by only 0.999 per
#   step), so the floor's small gradients are divided by a large number. **Adagrad**'s steps
#   shrink for good (its sum of squares only grows). **AdamW** differs from Adam only by its default weight
#   decay (0.01), which pulls towards the origin.
# - **Rprop** ignores the size of the gradient and adapts a step per coordinate: it walks
#   down the valley steadily here, but it is meant for full-batch gradients (the sign of a
#   noisy mini-batch gradient is unreliable).
# - **ASGD** is SGD plus an average of the iterates. Averaging removes noise, but there is no
#   noise here, so the average just lags behind the moving point.
# - **L-BFGS** with a line search reaches the minimum in a few dozen evaluations: on a smooth,
#   small, deterministic problem, curvature information wins. It needs full-batch gradients
#   and memory for its history, which is why deep learning rarely uses it.
#
# One toy problem does not rank optimizers in general; on real networks with mini-batches,
# SGD with momentum and Adam/AdamW are the usual choices, and the learning rate matters more
# than the choice between them.

# %% [markdown]
# ## Gradient clipping
#
# An unlucky batch can produce a huge gradient that throws the weights far away (common in
# RNNs). **Clipping** limits the gradient after `backward()` and before `step()`:
#
# - `nn.utils.clip_grad_norm_(params, max_norm)` computes the **total norm** of all the
#   gradients together, as if they were one long vector, `‖g‖ = √(Σ gᵢ²)`. If it is above
#   `max_norm`, every gradient is multiplied by `max_norm / (‖g‖ + 1e-6)`: the direction is kept,
#   the length capped. It **returns the total norm before clipping**, handy to log;
# - `nn.utils.clip_grad_value_(params, clip_value)` clamps every entry to
#   `[−clip_value, clip_value]` independently, which can change the direction.
#
# Two parameters with the gradients `(3, 4)` and `(12,)` have a total norm of
# `√(9 + 16 + 144) = 13`.

# %%
def parameters_with_gradients() -> list[torch.Tensor]:
    a, b = torch.zeros(2, device=DEVICE, requires_grad=True), torch.zeros(1, device=DEVICE, requires_grad=True)
    a.grad = torch.tensor([3.0, 4.0], device=DEVICE)
    b.grad = torch.tensor([12.0], device=DEVICE)
    return [a, b]


params = parameters_with_gradients()
total = nn.utils.clip_grad_norm_(params, max_norm=6.5)
by_hand_norm = math.sqrt(3.0**2 + 4.0**2 + 12.0**2)
scale = 6.5 / (by_hand_norm + 1e-6)
print(f"returned total norm {total.item():.4f}, by hand {by_hand_norm:.4f}")
print("clipped gradients:", [p.grad.cpu() for p in params], f" (scale {scale:.6f})")
print("equal to the hand-scaled gradients:", all(torch.allclose(p.grad.cpu(), g * scale, rtol=1e-6, atol=0)
                                                for p, g in zip(params, [torch.tensor([3.0, 4.0]), torch.tensor([12.0])])))
new_norm = math.sqrt(sum((p.grad.cpu() ** 2).sum().item() for p in params))
print(f"total norm after clipping {new_norm:.4f} = max_norm:", math.isclose(new_norm, 6.5, rel_tol=1e-6))
params = parameters_with_gradients()
print("max_norm = 20 is above the norm: unchanged:",
      nn.utils.clip_grad_norm_(params, max_norm=20.0).item() == 13.0
      and all(torch.equal(p.grad.cpu(), g) for p, g in zip(params, [torch.tensor([3.0, 4.0]), torch.tensor([12.0])])))

params = parameters_with_gradients()
nn.utils.clip_grad_value_(params, clip_value=3.5)
print("clip_grad_value_(3.5):", [p.grad.cpu() for p in params],
      " == clamp by hand:", all(torch.equal(p.grad.cpu(), g.clamp(-3.5, 3.5))
                                for p, g in zip(params, [torch.tensor([3.0, 4.0]), torch.tensor([12.0])])))

# %% [markdown]
# In two dimensions the difference is easy to see: clipping by norm shortens the arrow,
# clipping by value pushes its tip into a square and turns it.

# %%
g = torch.tensor([3.0, 1.0])
by_norm = g * min(1.0, 1.5 / g.norm().item())
by_value = g.clamp(-1.0, 1.0)
fig, ax = plt.subplots(figsize=(8, 3.6))
ax.add_patch(plt.Circle((0, 0), 1.5, fill=False, ls="--", color="tab:blue"))
ax.add_patch(plt.Rectangle((-1, -1), 2, 2, fill=False, ls="--", color="tab:green"))
for vector, color, label in [(g, "black", "gradient (3, 1)"), (by_norm, "tab:blue", "clip_grad_norm_, max_norm 1.5"),
                             (by_value, "tab:green", "clip_grad_value_, 1.0")]:
    ax.annotate("", xy=tuple(vector.tolist()), xytext=(0, 0), arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2})
    ax.plot([], [], color=color, lw=2, label=label)
ax.set(title="Clipping a gradient", xlim=(-1.6, 3.4), ylim=(-1.6, 1.8), aspect="equal")
ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.02, 0.5))
plt.show()

# %% [markdown]
# In a training loop the call sits between `backward()` and `step()`:
#
# ```python
# loss.backward()
# grad_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
# optimizer.step()
# ```

# %% [markdown]
# ## Common mistakes
#
# **1. Using `model.parameters()` twice.** It returns a *generator*, which can be consumed only
# once. The first optimizer takes all the parameters; the second finds nothing left:

# %% tags=["raises-exception"]
layer = nn.Linear(3, 1)
params = layer.parameters()
optimizer_1 = torch.optim.SGD(params, lr=0.1)
optimizer_2 = torch.optim.Adam(params, lr=0.01)

# %% [markdown]
# How to read it: "empty parameter list" means the iterable was empty *by the time the
# optimizer read it*; the layer has parameters. Call `layer.parameters()` anew for each
# optimizer, or keep them in a list: `params = list(layer.parameters())`.
#
# **2. The same parameter in two groups.** When you give one layer its own learning rate, the
# other group must leave it out:

# %% tags=["raises-exception"]
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
torch.optim.SGD([{"params": net.parameters()}, {"params": net[2].parameters(), "lr": 0.1}], lr=0.01)

# %% [markdown]
# How to read it: the first group already holds every parameter of `net`, including the last
# layer's, so the last layer would get two learning rates. Fix: build the first group from the
# other parameters only, e.g. `net[0].parameters()`, or
# `[p for name, p in net.named_parameters() if not name.startswith("2.")]`.
#
# **3. L-BFGS without a closure.** L-BFGS evaluates the loss several times per step (its line
# search tries several points), so `step()` needs a function that recomputes it:

# %% tags=["raises-exception"]
x = torch.tensor([0.0, 0.0], requires_grad=True)
lbfgs = torch.optim.LBFGS([x])
valley(x).backward()
lbfgs.step()

# %% [markdown]
# How to read it: `step()` of most optimizers takes an *optional* closure; L-BFGS's requires it.
# Pass a function that zeroes the gradients, computes the loss, calls `backward()` and returns
# the loss, as in the comparison above.
#
# **4. The silent one: a layer replaced after the optimizer was built.** When you swap the head
# of a model (as in fine-tuning), the optimizer still holds the *old* layer's tensors. Nothing
# raises; the new layer simply never learns:

# %%
set_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
net[2] = nn.Linear(4, 2)  # a new head, created after the optimizer
new_head_before = net[2].weight.detach().clone()
net(torch.ones(5, 3)).sum().backward()
optimizer.step()
held = {id(p) for group in optimizer.param_groups for p in group["params"]}
print("the optimizer holds the new head's weight:", id(net[2].weight) in held)
print("the new head got a gradient:", net[2].weight.grad is not None,
      "  but did not move:", torch.equal(net[2].weight, new_head_before))

# %% [markdown]
# Fix: build the optimizer *after* the model is complete (or `add_param_group` the new head).
# Moving a model with `.to(DEVICE)` is not this mistake: `Module.to` keeps the same parameter
# objects.

# %% [markdown]
# ## Exercises
#
# **11.1** Write `sgd_step(params, grads, buffers, lr, momentum=0.0, dampening=0.0,
# weight_decay=0.0, nesterov=False)`: one step of PyTorch's SGD for a **list** of tensors,
# written without modifying anything you are given.
#
# - `params`, `grads`: lists of tensors (same shapes pairwise); `buffers`: a list of the same
#   length holding each parameter's momentum buffer, or `None` where there is none yet.
# - Return `(new_params, new_buffers)`, two new lists. With `momentum == 0` there are no buffers:
#   return `None` for each.
# - Follow PyTorch's documented rule, dampening and Nesterov included (the lesson showed what
#   they do under a constant gradient; now the gradient changes from step to step).
# - One twist, common in real training recipes: apply **weight decay only to tensors with two
#   or more dimensions** (weight matrices and conv kernels), never to 1-D or 0-D tensors
#   (biases, normalisation scales).
#
# The check runs three steps of several configurations and compares with the rule. At each step
# the answer calls `sgd_step` twice on the same inputs: a function that changes what it is given
# gives itself away, because the second call then sees other inputs. Any way that produces the
# documented numbers is accepted.

# %%
### BEGIN SOLUTION
def sgd_step(params: list[torch.Tensor], grads: list[torch.Tensor], buffers: list, lr: float,
             momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
             nesterov: bool = False) -> tuple[list[torch.Tensor], list]:
    new_params, new_buffers = [], []
    for p, g, buf in zip(params, grads, buffers):
        if weight_decay != 0 and p.dim() >= 2:
            g = g + weight_decay * p
        if momentum != 0:
            buf = g.clone() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        else:
            buf = None
        new_params.append(p - lr * g)
        new_buffers.append(buf)
    return new_params, new_buffers
### END SOLUTION

# %%
def check_sgd_step(answer):
    import torch

    configs = [dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.9, weight_decay=0.1),
               dict(lr=0.1, momentum=0.8, dampening=0.5, weight_decay=0.2), dict(lr=0.1, momentum=0.9, nesterov=True),
               dict(lr=0.1, momentum=0.7, nesterov=True, weight_decay=0.3), dict(lr=0.2, weight_decay=0.5)]

    def rule(params, grads, buffers, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
             decay_all=False, damp_first=False, ignore_nesterov=False):
        new_params, new_buffers = [], []
        for p, g, buf in zip(params, grads, buffers):
            if weight_decay and (p.dim() >= 2 or decay_all):
                g = g + weight_decay * p
            if momentum:
                if buf is None:
                    buf = (1 - dampening) * g if damp_first else g
                else:
                    buf = momentum * buf + (1 - dampening) * g
                g = g + momentum * buf if nesterov and not ignore_nesterov else buf
            else:
                buf = None
            new_params.append(p - lr * g)
            new_buffers.append(buf)
        return new_params, new_buffers

    def inputs():  # the same draws as sgd_step_answer
        gen = torch.Generator().manual_seed(111)
        params = [torch.randn(3, 2, generator=gen, dtype=torch.float64), torch.randn(2, generator=gen, dtype=torch.float64),
                  torch.randn((), generator=gen, dtype=torch.float64)]
        grads = [[torch.randn(p.shape, generator=gen, dtype=torch.float64) for p in params] for _ in range(3)]
        return params, grads

    def run(config, **variant):
        params, grad_steps = inputs()
        buffers, trace = [None] * len(params), []
        for grads in grad_steps:
            params, buffers = rule(params, grads, buffers, **config, **variant)
            trace.append((params, buffers))
        return trace

    def close(a, b):
        return len(a) == len(b) and all(torch.is_tensor(x) and x.dtype == torch.float64 and x.shape == y.shape
                                        and torch.allclose(x, y, rtol=1e-9, atol=1e-12) for x, y in zip(a, b))

    runs = answer["runs"]
    assert isinstance(runs, (list, tuple)) and len(runs) == len(configs), "one run per configuration expected"
    for config, got_run in zip(configs, runs):
        want_run = run(config)
        name = f"sgd_step(..., {', '.join(f'{k}={v}' for k, v in config.items())})"
        assert isinstance(got_run, (list, tuple)) and len(got_run) == len(want_run), f"{name}: expected 3 steps"
        for step, (got_step, (want_p, want_b)) in enumerate(zip(got_run, want_run), start=1):
            where = f"{name}, step {step}"
            assert isinstance(got_step, (list, tuple)) and len(got_step) == 4, f"{where}: malformed step"
            got_p, got_b, again_p, again_b = got_step
            for result in (got_p, got_b, again_p, again_b):
                assert isinstance(result, (list, tuple)) and len(result) == 3, \
                    f"{where}: return one new parameter and one buffer per tensor"
            if not config.get("momentum"):
                assert all(b is None for b in got_b + again_b), f"{where}: with momentum 0 every buffer should be None"
            else:
                assert all(torch.is_tensor(b) for b in got_b + again_b), \
                    f"{where}: with momentum every buffer should be a tensor"
            for part, got, want in [(0, got_p, want_p), (1, got_b, want_b)]:
                if (part == 1 and not config.get("momentum")) or close(got, want):
                    continue
                hint = ""
                hints = [("decay_all", "weight decay goes only to tensors with 2+ dimensions, not to biases or scalars"),
                         ("damp_first", "the first step sets the buffer to the gradient itself; dampening starts at step 2"),
                         ("ignore_nesterov", "with nesterov=True the step is g + momentum * buffer, not the buffer")]
                for variant, text in hints:
                    if close(got, run(config, **{variant: True})[step - 1][part]):
                        hint = f" ({text})"
                assert False, f"{where}: the {['new parameters', 'momentum buffers'][part]} are wrong{hint}"
            for got, want in [(again_p, want_p), (again_b, want_b if config.get("momentum") else None)]:
                assert want is None or close(got, want), (
                    f"{where}: calling sgd_step a second time on the same inputs gave another result: it changed the "
                    "tensors it was given; return new tensors instead")


def sgd_step_answer():
    configs = [dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.9, weight_decay=0.1),
               dict(lr=0.1, momentum=0.8, dampening=0.5, weight_decay=0.2), dict(lr=0.1, momentum=0.9, nesterov=True),
               dict(lr=0.1, momentum=0.7, nesterov=True, weight_decay=0.3), dict(lr=0.2, weight_decay=0.5)]
    runs = []
    for config in configs:
        gen = torch.Generator().manual_seed(111)
        params = [torch.randn(3, 2, generator=gen, dtype=torch.float64), torch.randn(2, generator=gen, dtype=torch.float64),
                  torch.randn((), generator=gen, dtype=torch.float64)]
        grad_steps = [[torch.randn(p.shape, generator=gen, dtype=torch.float64) for p in params] for _ in range(3)]
        buffers, trace = [None] * 3, []
        for grads in grad_steps:
            new_params, new_buffers = sgd_step(params, grads, buffers, **config)
            first = ([t.clone() for t in new_params], [None if b is None else b.clone() for b in new_buffers])
            again_params, again_buffers = sgd_step(params, grads, buffers, **config)  # the same inputs once more
            trace.append((*first, list(again_params), list(again_buffers)))
            params, buffers = list(new_params), list(new_buffers)
        runs.append(trace)
    return {"runs": runs}


check_exercise("11.1", check_sgd_step, points=2, answer=sgd_step_answer)

# %% [markdown]
# **11.2** Bias correction, looked at closely. Write `adam_updates(grads, lr=1e-3,
# betas=(0.9, 0.999), eps=1e-8, bias_correction=True)`. `grads` is a tensor of shape
# `(k, …)`: the gradients of `k` successive steps, given in advance (as if recorded from a
# run). Return a tensor of the same shape with the `k` **updates** `Δp_t = p_t − p_{t−1}` that
# Adam makes from them. With `bias_correction=False`, use `m` and `v` as they are instead of
# `m̂` and `v̂` (`torch.optim.Adam` has no such switch; ε still goes after the square root, as
# in the lesson).
#
# Then set `answer_11_2` to the ratio *first update without bias correction / first update
# with it* for a single nonzero gradient and the default betas, as a float (ignore ε, or take
# `|g| = 1`). Is the uncorrected
# first step larger or smaller? Work it out from the formulas before you run anything.

# %%
### BEGIN SOLUTION
def adam_updates(grads: torch.Tensor, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, bias_correction: bool = True) -> torch.Tensor:
    beta1, beta2 = betas
    m, v = torch.zeros_like(grads[0]), torch.zeros_like(grads[0])
    updates = []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = (m / (1 - beta1**t), v / (1 - beta2**t)) if bias_correction else (m, v)
        updates.append(-lr * m_hat / (v_hat.sqrt() + eps))
    return torch.stack(updates)


answer_11_2 = (1 - 0.9) / math.sqrt(1 - 0.999)  # m = 0.1 g, sqrt(v) = 0.0316 |g|: 3.16 times larger
### END SOLUTION

# %%
def check_adam_updates(answer):
    import math

    import torch

    def reference(grads, lr, betas, eps, bias_correction, eps_inside=False):
        (b1, b2), m, v, out = betas, torch.zeros_like(grads[0]), torch.zeros_like(grads[0]), []
        for t, g in enumerate(grads, start=1):
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
            mh, vh = (m / (1 - b1**t), v / (1 - b2**t)) if bias_correction else (m, v)
            out.append(-lr * mh / ((vh + eps).sqrt() if eps_inside else vh.sqrt() + eps))
        return torch.stack(out)

    gen = torch.Generator().manual_seed(222)  # the same draws as adam_updates_answer
    scale = torch.tensor([1e-3, 1.0, 1e3, 0.0], dtype=torch.float64)
    grads = torch.randn(6, 4, generator=gen, dtype=torch.float64) * scale
    matrix_grads = torch.randn(5, 2, 3, generator=gen, dtype=torch.float64)
    cases = [("default settings", grads, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, bias_correction=True)),
             ("bias_correction=False", grads, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, bias_correction=False)),
             ("(5, 2, 3) gradients, lr=0.1, betas=(0.8, 0.99)", matrix_grads,
              dict(lr=0.1, betas=(0.8, 0.99), eps=1e-8, bias_correction=True)),
             ("(5, 2, 3) gradients, lr=0.1, betas=(0.8, 0.99), bias_correction=False", matrix_grads,
              dict(lr=0.1, betas=(0.8, 0.99), eps=1e-8, bias_correction=False))]
    assert len(answer["updates"]) == len(cases), "one result per case expected"
    for (name, g, options), got in zip(cases, answer["updates"]):
        assert torch.is_tensor(got) and tuple(got.shape) == tuple(g.shape), \
            f"{name}: return a tensor of shape {tuple(g.shape)} (one update per step), got {getattr(got, 'shape', got)}"
        want = reference(g, **options)
        if torch.allclose(got, want, rtol=1e-7, atol=1e-15):
            continue
        hint = ""
        if torch.allclose(got, -want, rtol=1e-7, atol=1e-15):
            hint = " (the sign: an update moves against the gradient)"
        elif torch.allclose(got, reference(g, **{**options, "bias_correction": not options["bias_correction"]}),
                            rtol=1e-7, atol=1e-15):
            hint = " (that is the result for the other bias_correction setting)"
        elif torch.allclose(got, reference(g, **options, eps_inside=True), rtol=1e-7, atol=1e-15):
            hint = " (ε goes after the square root: √v̂ + ε, not √(v̂ + ε))"
        elif torch.allclose(got[0], want[0], rtol=1e-7, atol=1e-15):
            hint = " (the first step is right; do m and v carry over, and does t count up?)"
        assert False, f"{name}: the updates differ from Adam's rule{hint}"
    ratio = float(answer["answer_11_2"])
    expected = 0.1 / math.sqrt(0.001)
    hint = ""
    if math.isclose(ratio, 1 / expected, rel_tol=1e-3):
        hint = " (that is the inverse ratio: corrected over uncorrected)"
    elif math.isclose(ratio, 0.1 / 0.001, rel_tol=1e-3) or math.isclose(ratio, 1.0, rel_tol=1e-3):
        hint = " (√v, not v: the denominator is the square root of the average of squares)"
    assert math.isclose(ratio, expected, rel_tol=1e-3), (
        f"answer_11_2 = {ratio:.4f}; at t = 1, m = (1 - β1) g and v = (1 - β2) g², so what is m/√v without correction, "
        f"and with it? (Ignore ε: it only matters when |g| is tiny.){hint}")


def adam_updates_answer():
    gen = torch.Generator().manual_seed(222)
    scale = torch.tensor([1e-3, 1.0, 1e3, 0.0], dtype=torch.float64)
    grads = torch.randn(6, 4, generator=gen, dtype=torch.float64) * scale
    matrix_grads = torch.randn(5, 2, 3, generator=gen, dtype=torch.float64)
    return {"updates": [adam_updates(grads), adam_updates(grads, bias_correction=False),
                        adam_updates(matrix_grads, lr=0.1, betas=(0.8, 0.99)),
                        adam_updates(matrix_grads, lr=0.1, betas=(0.8, 0.99), bias_correction=False)],
            "answer_11_2": answer_11_2}


check_exercise("11.2", check_adam_updates, points=2, answer=adam_updates_answer)

# %% [markdown]
# **11.3** The largest stable learning rate. Write two functions for a quadratic loss
# `loss_fn` of a float64 vector (such as `½·xᵀAx − bᵀx + c` with a symmetric, positive
# definite `A`; you are given only the function, not `A`):
#
# - `largest_stable_lr(loss_fn, dim)`: the learning rate, as a float, above which plain
#   gradient descent diverges on it (`dim` is the length of the vector). The lesson's 1-D rule
#   is `2/L` with `L = f''`; in several dimensions, which curvature counts?
#   (`torch.autograd.functional.hessian` computes a Hessian; lesson 02's `create_graph` can too.)
# - `gradient_descent(loss_fn, x0, lr, steps)`: plain gradient descent with autograd from `x0`;
#   return all the iterates, a tensor of shape `(steps + 1, dim)` starting with `x0`.
#
# The check runs them on quadratics of its own (a 1-D one, a rotated valley and three random
# 4-D bowls) and wants each learning rate exact to about 6 significant digits (relative error
# below 1e-6: compute the curvature exactly, a rough estimate such as a short power iteration
# is not enough). Then it takes `steps = 300` at 0.9× and at 1.1× your largest stable learning
# rate on the first bowl: the first run must end at the minimum, the second must run away from it. Plot the two runs' distances to the
# minimum if you like to see it.

# %%
### BEGIN SOLUTION
def largest_stable_lr(loss_fn, dim: int) -> float:
    hessian = torch.autograd.functional.hessian(loss_fn, torch.zeros(dim, dtype=torch.float64))
    return 2.0 / torch.linalg.eigvalsh(hessian).max().item()  # the steepest curvature sets the limit


def gradient_descent(loss_fn, x0: torch.Tensor, lr: float, steps: int) -> torch.Tensor:
    x = x0.clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        (grad,) = torch.autograd.grad(loss_fn(x), x)
        with torch.no_grad():
            x -= lr * grad
        path.append(x.detach().clone())
    return torch.stack(path)
### END SOLUTION

# %%
def check_largest_stable_lr(answer):
    import math

    import torch

    def bowl(seed):  # the random 4-D bowls largest_stable_lr_answer builds, as (name, A, b)
        gen = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(4, 4, generator=gen, dtype=torch.float64))
        curvatures = 1 + 11 * torch.rand(4, generator=gen, dtype=torch.float64)
        return (f"a random 4-D bowl (seed {seed})", q @ torch.diag(curvatures) @ q.T,
                torch.randn(4, generator=gen, dtype=torch.float64))

    angle = math.radians(30)
    rotation = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]],
                            dtype=torch.float64)
    cases = [("f(x) = 4x²", torch.tensor([[8.0]], dtype=torch.float64), torch.zeros(1, dtype=torch.float64)),
             ("a valley rotated by 30°, curvatures 10 and 1",
              rotation @ torch.diag(torch.tensor([10.0, 1.0], dtype=torch.float64)) @ rotation.T,
              torch.tensor([1.0, -2.0], dtype=torch.float64))] + [bowl(seed) for seed in (1101, 1102, 1103)]
    got_lrs = answer["lrs"]
    assert isinstance(got_lrs, (list, tuple)) and len(got_lrs) == len(cases), "one learning rate per loss expected"
    for (name, A, b), got in zip(cases, got_lrs):
        assert isinstance(got, (int, float)), f"{name}: return the learning rate as a float, got {type(got).__name__}"
        eigenvalues = torch.linalg.eigvalsh(A)
        want = 2.0 / eigenvalues.max().item()
        hint = ""
        if len(b) > 1 and math.isclose(got, 2.0 / A.diagonal().max().item(), rel_tol=1e-6):
            hint = " (2 over the largest diagonal entry of the Hessian: the steepest direction need not be an axis)"
        elif math.isclose(got, 1.0 / eigenvalues.max().item(), rel_tol=1e-6):
            hint = " (1/λ_max is the fastest rate along the steepest direction, not the limit)"
        elif len(b) > 1 and math.isclose(got, 2.0 / eigenvalues.min().item(), rel_tol=1e-6):
            hint = " (the flattest direction is the slow one; the steepest one limits the learning rate)"
        assert math.isclose(got, want, rel_tol=1e-6), \
            f"{name}: got {got:.8g}, expected {want:.8g} (relative error {abs(got - want) / want:.1e}, allowed 1e-6){hint}"

    name, A, b = cases[2]
    minimum = torch.linalg.solve(A, b)
    start = torch.ones(4, dtype=torch.float64)
    paths = answer["paths"]
    assert isinstance(paths, (list, tuple)) and len(paths) == 2, "expected two runs of gradient_descent (0.9x and 1.1x)"
    for factor, path in zip((0.9, 1.1), paths):
        where = f"gradient_descent on {name} at {factor}x the largest stable lr"
        assert torch.is_tensor(path) and tuple(path.shape) == (301, 4), \
            f"{where}: expected the iterates as a tensor of shape (301, 4), got {getattr(path, 'shape', type(path).__name__)}"
        assert path.dtype == torch.float64, f"{where}: x0 is float64, so should the iterates be, got {path.dtype}"
        assert torch.equal(path[0], start), f"{where}: the first row should be x0 itself"
        x, lr, want = start.clone(), factor * got_lrs[2], [start]
        for _ in range(300):
            x = x - lr * (A @ x - b)  # the gradient of ½ xᵀAx − bᵀx
            want.append(x)
        want = torch.stack(want)
        assert torch.allclose(path[:5], want[:5], rtol=1e-9, atol=1e-12), \
            f"{where}: the first iterates are not x_k+1 = x_k - lr * gradient"
        assert torch.allclose(path, want, rtol=1e-6, atol=1e-9), f"{where}: the iterates drift away from gradient descent"
        distance, start_distance = (path[-1] - minimum).norm().item(), (start - minimum).norm().item()
        if factor == 0.9:
            assert distance < 1e-6 * start_distance, f"{where}: the run should end at the minimum"
        else:
            assert distance > 1e6 * start_distance, f"{where}: the run should run away from the minimum"


def largest_stable_lr_answer():
    angle = math.radians(30)
    rotation = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], dtype=torch.float64)
    valley_matrix = rotation @ torch.diag(torch.tensor([10.0, 1.0], dtype=torch.float64)) @ rotation.T

    def bowl_loss(seed):
        gen = torch.Generator().manual_seed(seed)
        q, _ = torch.linalg.qr(torch.randn(4, 4, generator=gen, dtype=torch.float64))
        bowl = q @ torch.diag(1 + 11 * torch.rand(4, generator=gen, dtype=torch.float64)) @ q.T
        bowl_b = torch.randn(4, generator=gen, dtype=torch.float64)
        return lambda x: 0.5 * x @ bowl @ x - x @ bowl_b + 3.0

    losses = [
        lambda x: 4 * x[0] ** 2,
        lambda x: 0.5 * x @ valley_matrix @ x - x @ torch.tensor([1.0, -2.0], dtype=torch.float64),
    ] + [bowl_loss(seed) for seed in (1101, 1102, 1103)]
    lrs = [largest_stable_lr(loss, dim) for loss, dim in zip(losses, [1, 2, 4, 4, 4])]
    x0 = torch.ones(4, dtype=torch.float64)
    paths = [gradient_descent(losses[2], x0, factor * lrs[2], 300) for factor in (0.9, 1.1)]
    return {"lrs": lrs, "paths": paths}


check_exercise("11.3", check_largest_stable_lr, points=2, answer=largest_stable_lr_answer)

# %% [markdown]
# ## Summary
#
# - Gradient descent multiplies the distance to a quadratic's minimum by `1 − lr·λ` along each
#   curvature direction: too small an `lr` creeps, too large (`lr > 2/λ_max`) diverges, and the
#   flattest direction sets the pace.
# - Momentum is an exponentially weighted average of gradients (window about `1/(1 − β)`).
#   PyTorch's buffer is `v = μ·v + g` (first step `v = g`), the step `lr·v`; dampening scales
#   the new gradient by `1 − d`, Nesterov steps by `g + μ·v`. Weight decay adds `wd·p` to the
#   gradient first. Two hand steps matched `optim.SGD` to 1e-12.
# - Adam divides a bias-corrected average of gradients by the root of a bias-corrected average
#   of squared gradients: its first steps are about `lr` whatever the gradient's scale. AdamW
#   decays the weights directly instead of through the gradient.
# - An optimizer holds `param_groups` (settings per group, `add_param_group` for more) and
#   `state` (buffers, created by the first `step`). `zero_grad()` sets gradients to `None`,
#   and `step()` skips those. Save `optimizer.state_dict()` with the model's to resume
#   training bit for bit; a fresh optimizer changes the result.
# - On one curved valley, momentum, Nesterov and L-BFGS arrived, Adam got close, plain SGD
#   crawled; each optimizer needed its own learning rate.
# - `clip_grad_norm_` rescales all gradients together to a maximum total norm and returns
#   the norm before clipping; `clip_grad_value_` clamps each entry.
# - Next: lesson 12 changes the learning rate during training with schedulers.
