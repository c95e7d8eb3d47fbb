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
# # 10 · Loss functions: every one of them, by hand
#
# A loss turns "how wrong is the model?" into one number that gradients can push down. PyTorch
# ships about twenty of them, each with its own expectations about shapes, dtypes and what the
# input *means* (logits? probabilities? log-probabilities? distances?). The safest way to know a
# loss is to compute it yourself from its formula and see that you get the library's number.
# That is what this lesson does, for every loss in `torch.nn` that the course notes list. (Two
# newer ones are left out: `GaussianNLLLoss`, regression with a predicted variance, and
# `TripletMarginWithDistanceLoss`, the triplet loss with a distance function of your choice.)
#
# **What you will learn**
#
# - loss, cost and objective, and the three `reduction` modes (`'none'`, `'mean'`, `'sum'`);
# - cross-entropy as `log_softmax` + `NLLLoss`, with `weight` (and the surprising denominator of
#   the weighted mean), `ignore_index`, probability targets and **label smoothing**;
# - binary and multi-label losses: `BCELoss`, `BCEWithLogitsLoss` with `pos_weight`,
#   `MultiLabelSoftMarginLoss`;
# - regression losses: `L1Loss`, `MSELoss`, `SmoothL1Loss` and `HuberLoss` (β versus δ), and
#   `PoissonNLLLoss` for counts;
# - `KLDivLoss`: log-probabilities in, `'batchmean'` versus `'mean'`, `log_target`;
# - margin and embedding losses: `MarginRankingLoss`, `HingeEmbeddingLoss`, `SoftMarginLoss`,
#   `MultiMarginLoss`, `MultiLabelMarginLoss`, `TripletMarginLoss`, `CosineEmbeddingLoss`;
# - `CTCLoss`, checked against a brute-force sum over every alignment;
# - the classic error: **class labels must start at 0**.
#
# **Target:** every hand computation equals the library's value, gathered in one checked cell at
# the end.

# %%
import itertools
import math
import textwrap
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from tools import check_exercise, get_device, record_metrics, set_seed, use_course_style

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## How we compare
#
# Every loss below gets the same treatment: draw small inputs, compute the loss from its formula
# with plain tensor operations, compute it with the `nn` class, and compare. The inputs are
# **float64**: then the two computations differ only in the last of about 16 digits, and we can
# demand agreement to a relative tolerance of `1e-9` (in float32, with only about 7 digits,
# `1e-5` would be the honest choice). Inputs are drawn on the CPU from a seeded generator and then
# moved to `DEVICE`, so a GPU sees the same numbers.
#
# `compare` prints both values and remembers the verdict in `CHECKS`, so the last section can
# state all of them at once. A few cells also check an **identity** between two library losses
# (for example "SoftMargin is BCE-with-logits in disguise"); `identity` prints those as left and
# right side and records them apart, in `IDENTITIES`, since neither side is a hand computation.

# %%
F64 = torch.float64
TOLERANCE = {"rtol": 1e-9, "atol": 1e-12}
CHECKS: dict[str, bool] = {}
IDENTITIES: dict[str, bool] = {}
gen = torch.Generator().manual_seed(10)


def randn(*shape: int) -> torch.Tensor:
    """Standard-normal float64 numbers from the lesson's generator, on DEVICE."""
    return torch.randn(*shape, generator=gen, dtype=F64).to(DEVICE)


def fmt(values: torch.Tensor) -> str:
    """Values at 4 decimals on one line (a tiny negative rounding to zero prints as 0.0000)."""
    return " ".join(f"{v:8.4f}".replace("-0.0000", " 0.0000") for v in values.detach().cpu().flatten().tolist())


def show(name: str, tags: tuple[str, str], left: torch.Tensor, right: torch.Tensor, book: dict[str, bool]) -> None:
    """Print two values (an (N, C) tensor one row per line) and record in `book` whether they agree."""
    equal = left.shape == right.shape and torch.allclose(left, right, **TOLERANCE)
    book[name] = equal
    lines = []
    for tag, values in zip(tags, (left, right)):
        rows = [fmt(row) for row in values] if values.dim() == 2 else [fmt(values)]
        lines += [f"{tag if i == 0 else '':5} {row}" for i, row in enumerate(rows)]
    lines[-1] += f"   equal: {equal}"
    for i, line in enumerate(lines):
        print(f"{name if i == 0 else '':38} {line}")


def compare(name: str, hand: torch.Tensor, library: torch.Tensor) -> None:
    """A hand computation against the library's value, recorded in CHECKS."""
    show(name, ("hand", "lib"), hand, library, CHECKS)


def identity(name: str, left: torch.Tensor, right: torch.Tensor) -> None:
    """An identity between library values (not a hand computation), recorded in IDENTITIES."""
    show(name, ("left", "right"), left, right, IDENTITIES)


def compare_reductions(name: str, per_item: torch.Tensor, loss_class, *inputs, **options) -> None:
    """Check 'none' against the hand per-item losses, 'sum' against their sum and 'mean' against their mean."""
    for reduction, hand in [("none", per_item), ("sum", per_item.sum()), ("mean", per_item.mean())]:
        compare(f"{name} [{reduction}]", hand, loss_class(reduction=reduction, **options)(*inputs))


print(f"tolerance: {TOLERANCE}")

# %% [markdown]
# ## 1 · Loss, cost, objective, and `reduction`
#
# Three words that are often mixed up:
#
# - the **loss** measures one example: how far is the prediction `ŷᵢ` from the target `yᵢ`;
# - the **cost** is the average of the losses over the data (or the batch);
# - the **objective** is what the optimizer actually minimises: the cost plus regularisation
#   terms (weight decay, lesson 15) that keep the model simple.
#
# PyTorch's loss classes compute the per-example losses and then apply a `reduction`: `'none'`
# returns them all (useful to inspect, to weight or to mask them yourself), `'sum'` adds them up,
# and `'mean'` (the default) averages them. As the notes point out, the arguments go in two
# steps: options such as `reduction` to the constructor, the tensors to the call.
#
# Older code (and the notes) use two legacy flags instead: `reduce=False` means `'none'`
# (whatever `size_average` says); with `reduce=True`, `size_average=True` means `'mean'` and
# `size_average=False` means `'sum'`. PyTorch still accepts them, translates them into
# `reduction` and warns that they will be deprecated; write `reduction` in new code.

# %%
prediction = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=F64).to(DEVICE)
target = torch.tensor([1.5, 2.0, 1.0, 6.0], dtype=F64).to(DEVICE)
mse_none = nn.MSELoss(reduction="none")  # options to the constructor ...
print("per example (loss):", mse_none(prediction, target).cpu())  # ... tensors to the call
print("sum:               ", nn.MSELoss(reduction="sum")(prediction, target).item())
print("mean (cost):       ", nn.MSELoss()(prediction, target).item())
compare_reductions("MSELoss (warm-up)", (prediction - target) ** 2, nn.MSELoss, prediction, target)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    legacy = [nn.MSELoss(size_average=average, reduce=reduce).reduction
              for average, reduce in [(True, True), (False, True), (True, False)]]
print("size_average/reduce = True/True, False/True, True/False  ->  reduction:", legacy)
print("warning:", caught[0].message)

# %% [markdown]
# Keep in mind that `'mean'` is not always "divide by the batch size": it divides by the number
# of elements of the `'none'` output for most losses (for a multi-label `(N, C)` output that is
# `N·C`), but by a **sum of weights** for weighted cross-entropy and by target lengths for CTC;
# and `KLDivLoss` has a fourth mode, `'batchmean'`, because its plain `'mean'` is not a KL. Each
# section states what `'mean'` means for its loss.

# %% [markdown]
# ## 2 · Cross-entropy for classification
#
# ### Why `−log p`
#
# A classifier outputs one score (logit) per class; softmax turns the scores into probabilities
# `pᶜ = exp(xᶜ) / Σₖ exp(xₖ)`. Cross-entropy charges `−log p_y`, minus the log of the probability
# given to the **true** class `y`. A sure and right prediction (`p_y = 1`) costs 0; a sure and
# wrong one (`p_y → 0`) costs without bound. The gradient with respect to the logits is simply
# `p − onehot(y)`: the true class's logit is pushed up by `1 − p_y`, every other logit down by
# its probability. So the push never fades while the model is wrong, unlike the MSE on
# probabilities, whose gradient through a saturated softmax vanishes.

# %%
p_true = torch.linspace(0.005, 1.0, 400)
fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 3.6))
ax_loss.plot(p_true, -torch.log(p_true), label=r"cross-entropy $-\log p_y$")
ax_loss.plot(p_true, (1 - p_true) ** 2, label=r"squared error $(1-p_y)^2$")
ax_loss.set(title="Loss vs probability of the true class", xlabel="$p_y$", ylabel="loss", ylim=(0, 5.5))
ax_loss.legend()
ax_grad.plot(p_true, -(1 - p_true), label="cross-entropy: $p_y - 1$")
ax_grad.plot(p_true, -2 * (1 - p_true) * p_true * (1 - p_true), label=r"squared error: $-2(1-p_y)\,p_y(1-p_y)$")
ax_grad.axhline(0, color="gray", lw=0.8)
ax_grad.set(title="Gradient w.r.t. the true class's logit", xlabel="$p_y$", ylabel="d loss / d $x_y$", ylim=(-1.05, 0.1))
ax_grad.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# (The right panel takes the squared error through the softmax with two classes, where
# `dp_y/dx_y = p_y(1 − p_y)`: near `p_y = 0`, a confidently wrong model, its gradient vanishes
# while the cross-entropy's is largest.)
#
# ### `CrossEntropyLoss` = `log_softmax` + `NLLLoss`
#
# Shapes: the input is `(N, C)` float **logits** (no softmax!), the target `(N,)` **long** class
# indices in `0 … C−1`. By hand: `log pᶜ = xᶜ − log Σₖ exp(xₖ)`, pick the true class's entry of
# each row, negate. `nn.NLLLoss` does only the last two steps: it expects log-probabilities and
# returns `−input[i, yᵢ]`; `nn.CrossEntropyLoss` is `F.log_softmax` followed by it.

# %%
logits = randn(5, 3)  # N = 5 examples, C = 3 classes
labels = torch.tensor([0, 2, 1, 2, 2]).to(DEVICE)
rows = torch.arange(5, device=DEVICE)
print("logits", tuple(logits.shape), logits.dtype, "| labels", tuple(labels.shape), labels.dtype)

log_probs = logits - torch.log(torch.exp(logits).sum(dim=1, keepdim=True))  # log softmax, by its formula
ce_per_example = -log_probs[rows, labels]
compare_reductions("CrossEntropyLoss", ce_per_example, nn.CrossEntropyLoss, logits, labels)
compare("log_softmax + NLLLoss", ce_per_example.mean(), nn.NLLLoss()(F.log_softmax(logits, dim=1), labels))

# %% [markdown]
# `NLLLoss` does not check that its input is a log-probability: it picks and negates whatever
# it gets. Feed it plain numbers and you get minus the picked ones. (The name "negative log
# likelihood" describes what the numbers *should* be, not a computation.)

# %%
arbitrary = torch.tensor([[0.5, 2.0, -1.0], [3.0, 0.25, 7.0]], dtype=F64).to(DEVICE)
picked = torch.tensor([1, 2]).to(DEVICE)
print("NLLLoss(none) of plain numbers:", nn.NLLLoss(reduction="none")(arbitrary, picked).cpu())
compare("NLLLoss = -input[i, y_i]", -arbitrary[torch.arange(2, device=DEVICE), picked],
        nn.NLLLoss(reduction="none")(arbitrary, picked))

# %% [markdown]
# ### `weight`: a weighted mean, not a mean of weighted terms
#
# `weight` is a `(C,)` tensor, one factor per class, often used against class imbalance. Example
# `i` contributes `w[yᵢ] · (−log p_{yᵢ})`. With `reduction='sum'` these are added. With `'mean'`,
# PyTorch divides by the **sum of the weights of the targets**, `Σᵢ w[yᵢ]`, not by `N`: it is a
# weighted average. Both denominators are printed below; only one matches.

# %%
class_weight = torch.tensor([1.0, 2.0, 0.5], dtype=F64).to(DEVICE)
weighted = class_weight[labels] * ce_per_example
print("weights of the targets w[y]:", class_weight[labels].cpu())
print(f"sum / N        = {weighted.sum().item() / 5:.4f}")
print(f"sum / sum w[y] = {(weighted.sum() / class_weight[labels].sum()).item():.4f}")
compare("CE weight [none]", weighted, nn.CrossEntropyLoss(weight=class_weight, reduction="none")(logits, labels))
compare("CE weight [sum]", weighted.sum(), nn.CrossEntropyLoss(weight=class_weight, reduction="sum")(logits, labels))
compare("CE weight [mean] = sum / sum w[y]", weighted.sum() / class_weight[labels].sum(),
        nn.CrossEntropyLoss(weight=class_weight)(logits, labels))

# %% [markdown]
# A consequence worth knowing: in a batch whose targets all belong to one class, the weight
# cancels in the weighted mean, and the loss is the unweighted one. Class weights act only
# *between* classes in the same batch.

# %%
same_class = torch.tensor([2, 2, 2, 2, 2]).to(DEVICE)
print("all targets class 2: weighted mean == unweighted mean:",
      torch.allclose(nn.CrossEntropyLoss(weight=class_weight)(logits, same_class),
                     nn.CrossEntropyLoss()(logits, same_class), **TOLERANCE))

# %% [markdown]
# ### `ignore_index`: targets that do not count
#
# Targets equal to `ignore_index` (default −100) contribute 0 and leave the denominator: the
# mean runs over the counted targets only (with weights: over the sum of *their* weights). This
# is how padding is masked out in sequence models, or unlabelled pixels in segmentation. If a
# batch has **no** counted target at all (a batch of pure padding), `'sum'` is 0 but `'mean'` is
# `0 / 0 = nan`, and that `nan` poisons every parameter it reaches: skip such batches, or use
# `'sum'` and divide by a count you guard yourself (last line below).

# %%
labels_with_padding = torch.tensor([0, 2, -100, 2, -100]).to(DEVICE)
counted = labels_with_padding != -100
safe_labels = labels_with_padding.clamp(min=0)  # any valid index; those rows are zeroed below
per_example = torch.where(counted, -log_probs[rows, safe_labels], 0.0)
compare("CE ignore_index [none]", per_example, nn.CrossEntropyLoss(reduction="none")(logits, labels_with_padding))
compare("CE ignore_index [mean] = sum / 3", per_example.sum() / counted.sum(),
        nn.CrossEntropyLoss()(logits, labels_with_padding))
w_counted = torch.where(counted, class_weight[safe_labels], 0.0)
compare("CE weight + ignore_index [mean]", (w_counted * per_example).sum() / w_counted.sum(),
        nn.CrossEntropyLoss(weight=class_weight)(logits, labels_with_padding))
all_padding = torch.full((5,), -100).to(DEVICE)
print("every target ignored: sum =", nn.CrossEntropyLoss(reduction="sum")(logits, all_padding).item(),
      " mean =", nn.CrossEntropyLoss()(logits, all_padding).item())

# %% [markdown]
# ### Class probabilities as targets
#
# The target may also be a float `(N, C)` tensor of probabilities (each row sums to 1): a soft
# label, or a teacher network's output. The loss is then `−Σ_c q_c log p_c`. With `weight` each
# term is multiplied by `w_c`, but now `'mean'` divides by `N`: there is no single "target class"
# whose weight could go into the denominator. So a one-hot target and the class index give the
# same loss without weights, and different losses with them.

# %%
soft_target = torch.softmax(randn(5, 3), dim=1)
print("soft targets (rows sum to 1):\n", soft_target.cpu(), "\nrow sums:", soft_target.sum(dim=1).cpu())
compare("CE probability target [mean]", -(soft_target * log_probs).sum(dim=1).mean(),
        nn.CrossEntropyLoss()(logits, soft_target))
compare("CE probability target + weight [mean]", -(class_weight * soft_target * log_probs).sum(dim=1).mean(),
        nn.CrossEntropyLoss(weight=class_weight)(logits, soft_target))

one_hot = F.one_hot(labels, num_classes=3).to(F64)
print("one-hot vs index, no weight, equal:  ",
      torch.allclose(nn.CrossEntropyLoss()(logits, one_hot), nn.CrossEntropyLoss()(logits, labels), **TOLERANCE))
print("one-hot vs index, with weight, equal:",
      torch.allclose(nn.CrossEntropyLoss(weight=class_weight)(logits, one_hot),
                     nn.CrossEntropyLoss(weight=class_weight)(logits, labels), **TOLERANCE))

# %% [markdown]
# ## 3 · Label smoothing
#
# A one-hot target asks for `p_y = 1`, which softmax reaches only at infinitely large logit gaps:
# the model is pushed to be ever more confident. **Label smoothing** mixes the one-hot target
# with the uniform distribution: `q = (1 − ε)·onehot(y) + ε/C`. PyTorch adds `ε/C` to *every*
# class, the true one included, so with `ε = 0.1` and `C = 3` the true class gets
# `0.9 + 0.0333 = 0.9333` and each other class `0.0333`. (The notes' version instead gives the
# true class `1 − ε` and each other class `ε/(C − 1)`; a different convention, not PyTorch's.)
# The loss is the cross-entropy against `q`, which is `(1 − ε)` times the plain loss plus `ε/C`
# times the sum of all the `−log pᶜ`.

# %%
EPSILON = 0.1
smoothed = (1 - EPSILON) * one_hot + EPSILON / 3
print("smoothed targets:\n", smoothed.cpu())
smooth_per_example = -(smoothed * log_probs).sum(dim=1)
compare_reductions("CE label_smoothing=0.1", smooth_per_example, nn.CrossEntropyLoss, logits, labels,
                   label_smoothing=EPSILON)
compare("(1-eps)*CE + eps/C * sum(-log p)", ((1 - EPSILON) * ce_per_example - EPSILON / 3 * log_probs.sum(dim=1)).mean(),
        nn.CrossEntropyLoss(label_smoothing=EPSILON)(logits, labels))

# %% [markdown]
# What does smoothing change about the *best* logits? Take `C` classes, the true logit `z` and
# all others 0. Cross-entropy is smallest where the softmax equals the target: `p_y = q_y`. With
# a one-hot target that is `z = ∞`; with smoothing it is a finite gap
#
# $$z^* = \log\frac{q_y}{q_{\text{other}}} = \log\frac{1 - \varepsilon + \varepsilon/C}{\varepsilon/C}.$$
#
# With `C = 10` classes, we check that the gradient vanishes there (autograd, float64), then draw
# the loss against the gap for a few values of ε.

# %%
def smoothed_ce_of_gap(z: torch.Tensor, epsilon: float, classes: int = 10) -> torch.Tensor:
    """Label-smoothed cross-entropy when the true logit is z and the other classes' logits are 0."""
    row = torch.cat([z.reshape(1), torch.zeros(classes - 1, dtype=z.dtype)]).unsqueeze(0)
    return nn.CrossEntropyLoss(label_smoothing=epsilon)(row, torch.tensor([0]))


for epsilon in (0.05, 0.1, 0.2):
    best_gap = math.log((1 - epsilon + epsilon / 10) / (epsilon / 10))
    z = torch.tensor(best_gap, dtype=F64, requires_grad=True)
    (slope,) = torch.autograd.grad(smoothed_ce_of_gap(z, epsilon), z)
    print(f"eps = {epsilon:4}: best gap z* = {best_gap:.4f}, |d loss/dz| there < 1e-12: {abs(slope.item()) < 1e-12}")

# %%
gaps = torch.linspace(-2, 16, 400, dtype=F64)
fig, (ax_target, ax_gap) = plt.subplots(1, 2, figsize=(11, 3.8))
bar_x = torch.arange(10)
for offset, epsilon, color in [(-0.2, 0.0, "tab:gray"), (0.2, 0.2, "tab:orange")]:
    target_row = (1 - epsilon) * F.one_hot(torch.tensor(3), 10).double() + epsilon / 10
    ax_target.bar(bar_x + offset, target_row, width=0.4, color=color, label=f"ε = {epsilon}")
ax_target.set(title="Target distribution (C = 10, true class 3)", xlabel="class", ylabel="target probability",
              xticks=range(10))
ax_target.legend()
for epsilon, color in [(0.0, "tab:gray"), (0.05, "tab:blue"), (0.1, "tab:green"), (0.2, "tab:orange")]:
    with torch.no_grad():
        curve = torch.stack([smoothed_ce_of_gap(g_, epsilon) for g_ in gaps])
    ax_gap.plot(gaps, curve, color=color, label=f"ε = {epsilon}")
    if epsilon > 0:
        best_gap = math.log((1 - epsilon + epsilon / 10) / (epsilon / 10))
        ax_gap.plot([best_gap], [smoothed_ce_of_gap(torch.tensor(best_gap, dtype=F64), epsilon).item()], "o", color=color)
ax_gap.set(title="Loss vs logit gap (dots: the optimum)", xlabel="true logit z (others 0)", ylabel="loss", ylim=(0, 3))
ax_gap.legend(ncol=2, fontsize=8, loc="upper left", bbox_to_anchor=(0.24, 0.99))  # the empty band above the minima
plt.show()

# %% [markdown]
# Without smoothing the loss keeps falling as the gap grows: the logits are pushed apart for
# ever. With smoothing the loss rises again past `z*`, so over-confident logits are penalised.
# How smoothing combines with class weights (and what the `'mean'` then divides by) is exercise
# 10.2.

# %% [markdown]
# ## 4 · Binary and multi-label classification
#
# For one yes/no decision per output, use a sigmoid instead of a softmax. Lesson 03 built binary
# cross-entropy; here are its options. Shapes: input and target have the **same shape**, both
# **float** (targets may be soft, e.g. 0.9).
#
# - `BCELoss(weight)` takes probabilities; `weight` rescales each element's loss (it broadcasts
#   against the input) and `'mean'` divides by the number of elements, not by the weights.
# - `BCEWithLogitsLoss(pos_weight)` takes logits (stable, lesson 03). `pos_weight` multiplies only
#   the positive term: `−[pos_weight · y · log σ(x) + (1 − y) · log(1 − σ(x))]`. In a multi-label
#   task with `C` labels it is a `(C,)` tensor, one factor per label, typically
#   `#negatives / #positives` of that label, so a rare label's few positives count as much as
#   its many negatives.

# %%
multi_logits = randn(6, 3)  # 6 examples, 3 independent yes/no labels
multi_target = torch.tensor([[1, 0, 0], [1, 0, 1], [0, 0, 0], [1, 1, 0], [0, 0, 0], [1, 0, 0]], dtype=F64).to(DEVICE)
probs = torch.sigmoid(multi_logits)
bce_elements = -(multi_target * torch.log(probs) + (1 - multi_target) * torch.log(1 - probs))
compare_reductions("BCELoss", bce_elements, nn.BCELoss, probs, multi_target)
label_weight = torch.tensor([0.5, 3.0, 1.0], dtype=F64).to(DEVICE)
compare("BCELoss weight [mean] = sum / numel", (label_weight * bce_elements).mean(),
        nn.BCELoss(weight=label_weight)(probs, multi_target))

positives = multi_target.sum(dim=0)
pos_weight = (len(multi_target) - positives) / positives
print("positives per label:               ", positives.cpu())
print("pos_weight = negatives / positives:", pos_weight.cpu())
bce_pos = -(pos_weight * multi_target * torch.log(probs) + (1 - multi_target) * torch.log(1 - probs))
compare_reductions("BCEWithLogitsLoss pos_weight", bce_pos, nn.BCEWithLogitsLoss, multi_logits, multi_target,
                   pos_weight=pos_weight)

# %% [markdown]
# `MultiLabelSoftMarginLoss` is the same idea written per example: the BCE-with-logits of the `C`
# labels averaged over the labels, then `'mean'` averages over the examples. Its `weight` is a
# per-label factor on both terms (there is no `pos_weight`). Without weights its `'mean'` equals
# `BCEWithLogitsLoss`'s `'mean'` (mean over labels, then over examples, is the mean over all
# `N·C` elements); its `'sum'` is `C` times smaller, a sum of per-example averages. Its target is
# a float or long `(N, C)` tensor of 0s and 1s.

# %%
mlsm_per_example = -(multi_target * torch.log(probs) + (1 - multi_target) * torch.log(1 - probs)).mean(dim=1)
compare_reductions("MultiLabelSoftMarginLoss", mlsm_per_example, nn.MultiLabelSoftMarginLoss, multi_logits, multi_target)
compare("MultiLabelSoftMargin weight [mean]", (label_weight * bce_elements).mean(dim=1).mean(),
        nn.MultiLabelSoftMarginLoss(weight=label_weight)(multi_logits, multi_target))
identity("MultiLabelSoftMargin = BCEWithLogits", nn.BCEWithLogitsLoss()(multi_logits, multi_target),
         nn.MultiLabelSoftMarginLoss()(multi_logits, multi_target))
identity("MultiLabelSoftMargin sum = BCE sum / C",
         nn.BCEWithLogitsLoss(reduction="sum")(multi_logits, multi_target) / 3,
         nn.MultiLabelSoftMarginLoss(reduction="sum")(multi_logits, multi_target))

# %% [markdown]
# ## 5 · Regression losses
#
# For a real-valued target the loss is a function of the residual `r = ŷ − y`:
#
# | loss | per element | gradient |
# |---|---|---|
# | `L1Loss` (MAE) | `abs(r)` | `sign(r)`: the same push for every error |
# | `MSELoss` | `r²` | `2r`: outliers dominate |
# | `SmoothL1Loss(beta=β)` | `0.5 r²/β` if `abs(r) < β`, else `abs(r) − 0.5β` | `r/β`, capped at ±1 |
# | `HuberLoss(delta=δ)` | `0.5 r²` if `abs(r) ≤ δ`, else `δ(abs(r) − 0.5δ)` | `r`, capped at ±δ |
#
# SmoothL1 and Huber have the same shape but different scaling: `Huber_δ = δ · SmoothL1_{β=δ}`.
# SmoothL1's linear part always has slope 1 (β only moves the corner); Huber's quadratic part is
# always `0.5 r²` and its linear part has slope δ. For `β = δ = 1` they coincide. All four take
# input and target of the same shape, float.

# %%
y_pred = randn(8)
y_true = randn(8)
y_true[2] += 6.0  # one outlier
residual = y_pred - y_true
print("residuals:", fmt(residual))
compare_reductions("L1Loss", residual.abs(), nn.L1Loss, y_pred, y_true)
compare_reductions("MSELoss", residual**2, nn.MSELoss, y_pred, y_true)
for beta in (1.0, 0.5):
    smooth_l1 = torch.where(residual.abs() < beta, 0.5 * residual**2 / beta, residual.abs() - 0.5 * beta)
    compare_reductions(f"SmoothL1Loss beta={beta}", smooth_l1, nn.SmoothL1Loss, y_pred, y_true, beta=beta)
for delta in (1.0, 2.0):
    huber = torch.where(residual.abs() <= delta, 0.5 * residual**2, delta * (residual.abs() - 0.5 * delta))
    compare_reductions(f"HuberLoss delta={delta}", huber, nn.HuberLoss, y_pred, y_true, delta=delta)
identity("Huber(delta=2) = 2 * SmoothL1(beta=2)", 2 * nn.SmoothL1Loss(beta=2.0)(y_pred, y_true),
         nn.HuberLoss(delta=2.0)(y_pred, y_true))

# %% [markdown]
# The pictures make the table concrete. With β = δ = 2 the two curves bend at the same place,
# but Huber is twice as high and its gradient saturates at ±2 instead of ±1.

# %%
r = torch.linspace(-4, 4, 401, dtype=F64, requires_grad=True)
zeros = torch.zeros_like(r)
curves = {
    "L1": nn.L1Loss(reduction="none")(r, zeros),
    "MSE": nn.MSELoss(reduction="none")(r, zeros),
    "SmoothL1, β=2": nn.SmoothL1Loss(reduction="none", beta=2.0)(r, zeros),
    "Huber, δ=2": nn.HuberLoss(reduction="none", delta=2.0)(r, zeros),
}
fig, (ax_value, ax_slope) = plt.subplots(1, 2, figsize=(11, 3.8))
for (name, curve), style in zip(curves.items(), ["-", "-", "--", "-"]):
    (slope,) = torch.autograd.grad(curve.sum(), r)
    ax_value.plot(r.detach(), curve.detach(), style, label=name)
    ax_slope.plot(r.detach(), slope, style, label=name)
ax_value.set(title="Regression losses vs residual", xlabel="residual r = ŷ − y", ylabel="loss", ylim=(0, 8))
ax_slope.set(title="Their gradients", xlabel="residual r = ŷ − y", ylabel="d loss / d ŷ", ylim=(-4.5, 4.5))
ax_value.legend()
ax_slope.legend(loc="upper left")
plt.show()

# %% [markdown]
# ### `PoissonNLLLoss`: counts
#
# When the target is a count (events per hour, photons per pixel), a Poisson model predicts a
# rate `λ > 0` and the loss is its negative log-likelihood `λ − y·log λ + log(y!)`. The last term
# does not depend on the prediction, so by default (`full=False`) it is left out. Two ways to
# give the rate:
#
# - `log_input=True` (default): the input is `x = log λ`, any real number: loss `exp(x) − y·x`;
# - `log_input=False`: the input is `λ` itself: loss `λ − y·log(λ + eps)`, `eps = 1e-8` guarding
#   against `log 0`.
#
# `full=True` adds Stirling's approximation of `log(y!)`, `y·log y − y + ½·log(2πy)`, for the
# targets `y > 1` (for `y ≤ 1` it adds 0, which is exact: `log 0! = log 1! = 0`).
#
# Below, the same rates are given both ways, so the two versions agree element by element.
# Without the `log(y!)` term a loss can be negative; that is harmless, since a constant shift
# changes no gradient.

# %%
counts = torch.tensor([0.0, 1.0, 2.0, 3.0, 5.0, 8.0], dtype=F64).to(DEVICE)
log_rate = randn(6) + 1.0
rate = torch.exp(log_rate)
compare_reductions("PoissonNLLLoss log_input=True", torch.exp(log_rate) - counts * log_rate, nn.PoissonNLLLoss,
                   log_rate, counts)
compare_reductions("PoissonNLLLoss log_input=False", rate - counts * torch.log(rate + 1e-8), nn.PoissonNLLLoss,
                   rate, counts, log_input=False)
stirling = torch.where(counts > 1, counts * torch.log(counts) - counts + 0.5 * torch.log(2 * math.pi * counts), 0.0)
compare("PoissonNLLLoss full=True [none]", rate - counts * torch.log(rate + 1e-8) + stirling,
        nn.PoissonNLLLoss(log_input=False, full=True, reduction="none")(rate, counts))
print("Stirling vs exact log(y!) for y = 2, 3, 5, 8:")
print("  Stirling:", fmt(stirling[2:]))
print("  exact:   ", fmt(torch.lgamma(counts[2:] + 1)))

# %% [markdown]
# ## 6 · `KLDivLoss`: comparing two distributions
#
# The Kullback–Leibler divergence `KL(p‖q) = Σ_c p_c (log p_c − log q_c)` measures how far a
# model distribution `q` is from a target `p`. PyTorch's argument order trips many people up:
#
# - the **input** is the model's **log**-probabilities `log q` (for example `F.log_softmax`);
# - the **target** is the probabilities `p`, or log-probabilities with `log_target=True`;
# - element-wise it returns `p · (log p − input)` (0 where `p = 0`).
#
# The reductions: `'sum'` adds everything, `'batchmean'` divides that by the batch size `N` and is
# the true KL per example; `'mean'` divides by the number of elements `N·C`, which is not a KL at
# all. PyTorch warns about `'mean'` (we catch the warning and print its first sentence).

# %%
model_log_q = F.log_softmax(randn(4, 5), dim=1)
target_p = torch.softmax(randn(4, 5), dim=1)
kl_elements = target_p * (torch.log(target_p) - model_log_q)
compare("KLDivLoss [none]", kl_elements, nn.KLDivLoss(reduction="none")(model_log_q, target_p))
compare("KLDivLoss [sum]", kl_elements.sum(), nn.KLDivLoss(reduction="sum")(model_log_q, target_p))
compare("KLDivLoss [batchmean] = sum / N", kl_elements.sum() / 4, nn.KLDivLoss(reduction="batchmean")(model_log_q, target_p))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    kl_mean = nn.KLDivLoss(reduction="mean")(model_log_q, target_p)
compare("KLDivLoss [mean] = sum / (N*C)", kl_elements.sum() / 20, kl_mean)
print("warning:", str(caught[0].message).split(".")[0] + ".")
compare("KLDivLoss log_target=True [batchmean]", kl_elements.sum() / 4,
        nn.KLDivLoss(reduction="batchmean", log_target=True)(model_log_q, torch.log(target_p)))

# %% [markdown]
# The notes say cross-entropy = entropy + relative entropy. With soft targets: the cross-entropy
# `H(p, q) = −Σ p log q` is the target's own entropy `H(p) = −Σ p log p` (fixed by the data) plus
# `KL(p‖q)`. Minimising cross-entropy and minimising KL therefore move the model the same way;
# they differ only by a constant.

# %%
logits_q = randn(4, 5)
cross_entropy = nn.CrossEntropyLoss()(logits_q, target_p)
entropy = -(target_p * torch.log(target_p)).sum(dim=1).mean()
kl = nn.KLDivLoss(reduction="batchmean")(F.log_softmax(logits_q, dim=1), target_p)
print(f"H(p, q) = {cross_entropy.item():.4f},  H(p) = {entropy.item():.4f},  KL(p||q) = {kl.item():.4f}")
identity("cross-entropy = entropy + KL", entropy + kl, cross_entropy)

# %% [markdown]
# ## 7 · Margin losses
#
# Margin losses do not ask for probabilities; they ask for a score to be on the right side of a
# threshold **by a margin**, and stop caring once it is. Labels are often ±1 instead of 0/1.
#
# **`MarginRankingLoss(margin)`** ranks pairs: inputs `x₁, x₂` (same shape) and `y = ±1`
# saying which should be larger. Loss `max(0, −y·(x₁ − x₂) + margin)`.
#
# **`HingeEmbeddingLoss(margin=1)`**: the input `x` is usually a distance between two things,
# `y = 1` for "similar" (loss `x`, pull together) and `y = −1` for "dissimilar" (loss
# `max(0, margin − x)`, push apart until the margin).
#
# **`SoftMarginLoss`**: the logistic loss `log(1 + exp(−y·x))` for `y = ±1`, averaged over all
# elements. It is BCE-with-logits in disguise, with targets `(y + 1)/2`.

# %%
x1, x2 = randn(6), randn(6)
sign = torch.tensor([1, -1, 1, 1, -1, -1], dtype=F64).to(DEVICE)
compare_reductions("MarginRankingLoss margin=0.5", (-sign * (x1 - x2) + 0.5).clamp(min=0), nn.MarginRankingLoss,
                   x1, x2, sign, margin=0.5)
distance = randn(6).abs() * 1.5
compare_reductions("HingeEmbeddingLoss margin=1", torch.where(sign == 1, distance, (1.0 - distance).clamp(min=0)),
                   nn.HingeEmbeddingLoss, distance, sign)
compare_reductions("SoftMarginLoss", torch.log(1 + torch.exp(-sign * x1)), nn.SoftMarginLoss, x1, sign)
identity("SoftMargin = BCEWithLogits((y+1)/2)", nn.BCEWithLogitsLoss()(x1, (sign + 1) / 2), nn.SoftMarginLoss()(x1, sign))

# %% [markdown]
# **`MultiMarginLoss(p, margin, weight)`**, the multi-class hinge (as in an SVM): input `(N, C)`
# scores, target `(N,)` long. Every wrong class `j` whose score comes within `margin` of the true
# class's score costs `max(0, margin − x_y + x_j)^p`; the sum is divided by `C` (not `C − 1`).
# `weight[y]` multiplies each term after the power: with the hinge `h = max(0, margin − x_y + x_j)`
# and `p = 2` a term is `w[y]·h²`, not `(w[y]·h)²`. The last line below shows that the other
# reading disagrees with the library.

# %%
scores = randn(4, 3)
score_labels = torch.tensor([0, 2, 1, 2]).to(DEVICE)
true_score = scores.gather(1, score_labels.unsqueeze(1))
violation = (0.7 - true_score + scores).clamp(min=0)
violation = violation.masked_fill(F.one_hot(score_labels, 3).bool(), 0.0)  # the true class itself does not count
compare_reductions("MultiMarginLoss p=1 margin=0.7", violation.sum(dim=1) / 3, nn.MultiMarginLoss, scores, score_labels,
                   margin=0.7)
weighted_squares = class_weight[score_labels] * (violation**2).sum(dim=1) / 3
compare_reductions("MultiMarginLoss p=2 weight", weighted_squares, nn.MultiMarginLoss, scores, score_labels,
                   p=2, margin=0.7, weight=class_weight)
inside = ((class_weight[score_labels].unsqueeze(1) * violation) ** 2).sum(dim=1) / 3
print("weight inside the square would give:", fmt(inside), " equal:",
      torch.allclose(inside, nn.MultiMarginLoss(p=2, margin=0.7, weight=class_weight, reduction="none")(scores, score_labels)))

# %% [markdown]
# **`MultiLabelMarginLoss`**: a hinge for multi-label problems with an odd target format. The
# target is a `(N, C)` **long** tensor that *lists* the true classes of each example and is padded
# with −1; reading stops at the first −1, so anything after it is ignored. For each true class `j`
# and each class `k` not in the list, it charges `max(0, 1 − (x_j − x_k))`, and divides the sum by
# `C`. Below, row 0 lists classes 3 and 0 (the 1 after the −1 does not count), row 1 lists 1 and
# 2.

# %%
ml_scores = randn(2, 4)
ml_target = torch.tensor([[3, 0, -1, 1], [1, 2, -1, -1]]).to(DEVICE)


def multilabel_margin_by_hand(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    losses = []
    for row, listed in zip(x, target.tolist()):
        true_classes = listed[: listed.index(-1)] if -1 in listed else listed
        others = [k for k in range(len(row)) if k not in true_classes]
        terms = [(1 - (row[j] - row[k])).clamp(min=0) for j in true_classes for k in others]
        losses.append(torch.stack(terms).sum() / len(row))
    return torch.stack(losses)


compare_reductions("MultiLabelMarginLoss", multilabel_margin_by_hand(ml_scores, ml_target), nn.MultiLabelMarginLoss,
                   ml_scores, ml_target)

# %% [markdown]
# Against the signed margin `m = y·x` (how far on the right side a binary score is), these
# losses differ in how they treat a point that is already right: the hinge ignores it past the
# margin, the logistic loss (SoftMargin, BCE-with-logits) keeps pushing, ever more weakly. All of
# them are convex stand-ins for the 0–1 loss, which has no useful gradient. (With two classes,
# `MultiMarginLoss` charges `max(0, 1 − (x_y − x_j))^p / C`: the (squared) hinge of the margin
# `m = x_y − x_j`, divided by `C = 2`.)

# %%
m = torch.linspace(-3, 3, 601)
fig, ax = plt.subplots(figsize=(7.5, 4.8))
ax.plot(m, (m <= 0).float(), color="black", lw=1.5, label="0–1 loss (not trainable)")
ax.plot(m, (1 - m).clamp(min=0), label="hinge max(0, 1 − m)  (binary MultiMargin p=1, up to 1/C)")
ax.plot(m, (1 - m).clamp(min=0) ** 2, label="squared hinge  (binary MultiMargin p=2, up to 1/C)")
ax.plot(m, torch.log1p(torch.exp(-m)), label=r"logistic $\log(1 + e^{-m})$  (SoftMargin, BCE)")
ax.axvline(0, color="gray", lw=0.8, ls="--")
ax.set(title="Classification losses vs signed margin m = y·x", xlabel="m = y·x (positive: right side)",
       ylabel="loss", ylim=(0, 4))
ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.14))  # below the axes, off the curves
plt.show()

# %% [markdown]
# ## 8 · Embedding losses
#
# These compare vectors (embeddings) rather than scores, for face verification, retrieval or
# siamese networks.
#
# **`TripletMarginLoss(margin=1, p=2, eps=1e-6, swap=False)`**: an anchor `a` should be closer
# to a positive `p` (same identity) than to a negative `n`, by a margin:
# `max(0, d(a, p) − d(a, n) + margin)`. Inputs are three `(N, D)` tensors. Two details you only
# find by checking: the distance is `‖a − p + eps‖` (the `eps` is added to the *difference*,
# `F.pairwise_distance`'s way of avoiding a zero norm), and `swap=True` replaces `d(a, n)` by
# `min(d(a, n), d(p, n))`, the harder negative distance.
#
# **`CosineEmbeddingLoss(margin=0)`**: two `(N, D)` inputs and `y = ±1`; with `cos` their cosine
# similarity, the loss is `1 − cos` for similar pairs and `max(0, cos − margin)` for dissimilar
# ones.

# %%
anchor, positive, negative = randn(5, 4), randn(5, 4), randn(5, 4)


def dist(u: torch.Tensor, v: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    return torch.sqrt(((u - v + eps) ** 2).sum(dim=1))


compare_reductions("TripletMarginLoss", (dist(anchor, positive) - dist(anchor, negative) + 1.0).clamp(min=0),
                   nn.TripletMarginLoss, anchor, positive, negative)
harder = torch.minimum(dist(anchor, negative), dist(positive, negative))
compare("TripletMarginLoss swap=True [none]", (dist(anchor, positive) - harder + 1.0).clamp(min=0),
        nn.TripletMarginLoss(swap=True, reduction="none")(anchor, positive, negative))

u, v = randn(6, 4), randn(6, 4)
cosine = (u * v).sum(dim=1) / (u.norm(dim=1) * v.norm(dim=1))
print("cosine similarities:", fmt(cosine))
compare_reductions("CosineEmbeddingLoss margin=0.2", torch.where(sign == 1, 1 - cosine, (cosine - 0.2).clamp(min=0)),
                   nn.CosineEmbeddingLoss, u, v, sign, margin=0.2)

# %% [markdown]
# ## 9 · `CTCLoss`: sequences without an alignment
#
# Speech or handwriting recognition produces one distribution per **frame** (`T` frames), but the
# target is a shorter label sequence ("cab") with no information about which frame shows which
# letter. Connectionist Temporal Classification sums over every possible alignment. An
# alignment is a path of `T` symbols from the alphabet plus a **blank** `-`; it is read by first
# merging repeated symbols, then deleting blanks: `cc-ab → c-ab → cab`, and `aa-ab → a-ab → aab`
# (the blank is what lets a letter repeat). The loss is
#
# $$\text{CTC} = -\log \sum_{\text{paths } \pi \to \text{target}} \prod_{t=1}^{T} p_t(\pi_t).$$
#
# PyTorch computes the sum with dynamic programming. With `T = 5` and 3 letters plus the blank
# there are only `4⁵ = 1024` paths, so we can simply enumerate them all. Our batch holds two
# sequences: "aab" over all 5 frames, and "cb" over only the first 4 (`input_lengths` says how
# many frames of each sequence are real; the rest is padding).
#
# Shapes: `log_probs` `(T, N, C)` float (log-softmax over `C`, blank at index 0 by default),
# `targets` `(N, S)` long padded (or all targets concatenated), and two length tensors,
# `input_lengths` `(N,)` and `target_lengths` `(N,)`. `'mean'` divides each sequence's loss by its
# target length, then averages over the batch.

# %%
ALPHABET = "-abc"  # index 0 is the blank
T = 5
frame_log_probs = F.log_softmax(randn(T, 2, 4), dim=2)  # (T, N=2, C=4)
ctc_targets = torch.tensor([[1, 1, 2], [3, 2, 0]]).to(DEVICE)  # "aab" and "cb" (padded)
input_lengths = torch.tensor([5, 4])
target_lengths = torch.tensor([3, 2])


def collapse(path: tuple[int, ...]) -> list[int]:
    """Merge repeated symbols, then drop blanks (index 0)."""
    return [symbol for symbol, _ in itertools.groupby(path) if symbol != 0]


def brute_force_ctc(log_probs: torch.Tensor, target: list[int]) -> tuple[torch.Tensor, list[tuple[int, ...]]]:
    """-log of the summed probability of all paths that read as `target`; also those paths. log_probs: (T, C)."""
    frames, symbols = log_probs.shape
    valid = [path for path in itertools.product(range(symbols), repeat=frames) if collapse(path) == target]
    total = torch.zeros((), dtype=log_probs.dtype)
    for path in valid:  # probability of a path: the product of its frames' probabilities
        total = total + log_probs[torch.arange(frames), torch.tensor(path)].sum().exp()
    return -torch.log(total), valid  # no valid path: -log(0) = inf


cpu_log_probs = frame_log_probs.cpu()
hand_ctc, valid_paths = [], {}
for n in range(2):
    target_n = ctc_targets[n, : target_lengths[n]].tolist()
    loss_n, valid = brute_force_ctc(cpu_log_probs[: input_lengths[n], n], target_n)
    hand_ctc.append(loss_n)
    word = "".join(ALPHABET[s] for s in target_n)
    valid_paths[word] = valid
    examples = ", ".join("".join(ALPHABET[s] for s in path) for path in valid[:6])
    print(f"target {word!r}: {len(valid)} of {4 ** int(input_lengths[n])} paths read as it, e.g. {examples}")
hand_ctc = torch.stack(hand_ctc).to(DEVICE)
ctc_inputs = (frame_log_probs, ctc_targets, input_lengths, target_lengths)
compare("CTCLoss [none]", hand_ctc, nn.CTCLoss(reduction="none")(*ctc_inputs))
compare("CTCLoss [sum]", hand_ctc.sum(), nn.CTCLoss(reduction="sum")(*ctc_inputs))
compare("CTCLoss [mean] = mean(loss / length)", (hand_ctc / target_lengths.to(DEVICE)).mean(),
        nn.CTCLoss(reduction="mean")(*ctc_inputs))

# %% [markdown]
# Where do the valid paths run? Write the target with a blank before, between and after its
# letters, `- a - a - b -`, and draw each path on the grid of frames × these 7 positions. Every
# path starts in one of the first two rows (a blank or the first letter), moves one frame to the
# right at a time, and either stays in its row, steps down one row, or jumps over a blank, but
# only between two *different* letters: the blank between the two a's cannot be skipped, or they
# would merge into one. It ends in one of the last two rows. `CTCLoss`'s dynamic programming adds
# the probabilities along this grid instead of listing the paths; below, the width of each step
# shows the share of the total probability that flows through it.

# %%
def grid_rows(path: tuple[int, ...]) -> list[int]:
    """Row of each frame in the blank-interleaved target: 2k for a blank after k letters, 2k - 1 for letter k."""
    rows_, emitted, previous = [], 0, 0
    for symbol in path:
        if symbol != 0 and symbol != previous:  # a new letter (a repeat continues the same one)
            emitted += 1
        rows_.append(2 * emitted if symbol == 0 else 2 * emitted - 1)
        previous = symbol
    return rows_


aab_paths = valid_paths["aab"]
path_probs = torch.stack([cpu_log_probs[torch.arange(T), 0, torch.tensor(path)].sum().exp() for path in aab_paths])
share = path_probs / path_probs.sum()
steps: dict[tuple[int, int, int], float] = {}
moves = set()
for path, weight in zip(aab_paths, share.tolist()):
    path_rows = grid_rows(path)
    for t in range(T - 1):
        key = (t, path_rows[t], path_rows[t + 1])
        steps[key] = steps.get(key, 0.0) + weight
        moves.add(path_rows[t + 1] - path_rows[t])
print(f"{len(aab_paths)} paths; moves per frame: {sorted(moves)} rows; start rows:",
      sorted({grid_rows(path)[0] for path in aab_paths}), "end rows:", sorted({grid_rows(path)[-1] for path in aab_paths}))

fig, ax = plt.subplots(figsize=(7, 4))
frames_grid, rows_grid = torch.meshgrid(torch.arange(T), torch.arange(7), indexing="ij")
ax.scatter(frames_grid.flatten() + 1, rows_grid.flatten(), s=12, color="lightgray", zorder=1)
for (t, row_from, row_to), weight in steps.items():
    ax.plot([t + 1, t + 2], [row_from, row_to], color="tab:blue", lw=0.8 + 10 * weight, alpha=0.8,
            solid_capstyle="round", zorder=2)
ax.set(title=f"The {len(aab_paths)} alignments of 'aab' in {T} frames (width: share of the probability)",
       xlabel="frame t", ylabel="position in  - a - a - b -", xticks=range(1, T + 1), yticks=range(7),
       yticklabels=list("-a-a-b-"), ylim=(6.5, -0.5))
plt.show()

# %% [markdown]
# A target can be impossible: "aaa" needs at least 5 frames (`a-a-a`), so with 4 frames no path
# reads as it, the sum is 0 and the loss is `inf`. One such sequence makes the whole batch's
# loss and gradients useless; `zero_infinity=True` replaces those losses by 0.

# %%
impossible = (frame_log_probs[:4, :1], torch.tensor([[1, 1, 1]]).to(DEVICE), torch.tensor([4]), torch.tensor([3]))
hand_impossible, valid = brute_force_ctc(cpu_log_probs[:4, 0], [1, 1, 1])
print("paths reading 'aaa' in 4 frames:", len(valid))
compare("CTCLoss impossible target = inf", hand_impossible.reshape(1).to(DEVICE), nn.CTCLoss(reduction="none")(*impossible))
print("with zero_infinity=True:", nn.CTCLoss(reduction="none", zero_infinity=True)(*impossible).cpu())

# %% [markdown]
# ## Common mistakes
#
# **1. Class labels that start at 1.** Raw data often numbers its classes 1 … C (the digits'
# folders are 0 … 9, but many label files are 1-based). `CrossEntropyLoss` and `NLLLoss` use the
# label as an **index** into the `C` scores of a row, so the labels must be `0 … C − 1`. Here are
# ten classes with labels 1 … 10. (We run this on the CPU on purpose: on a GPU the same mistake is
# reported as an unreadable "device-side assert triggered", and it leaves the GPU unusable until
# the Python process restarts.)

# %% tags=["raises-exception"]
ten_class_logits = torch.randn(6, 10, generator=torch.Generator().manual_seed(0))
raw_labels = torch.tensor([3, 10, 1, 7, 10, 5])  # 1-based: 1 ... 10
nn.CrossEntropyLoss()(ten_class_logits, raw_labels)

# %% [markdown]
# **How to read it:** `IndexError: Target 10 is out of bounds.` A target is an index into the
# class dimension, whose valid range is `0 … 9` for 10 classes; the value 10 has no score to
# pick. Whenever the out-of-bounds target equals the number of classes, suspect 1-based labels.
# The fix is to shift the labels once, where the data is read: `labels - 1` (and to shift the
# predictions back, `+ 1`, when you report them). Worse than the error is the batch that
# happens to contain no label 10: it raises nothing, trains every example towards the class
# just after its own, and never trains class 0 at all.

# %%
fixed_labels = raw_labels - 1
print("labels now:", fixed_labels.tolist(), "| all in 0 ... 9:", bool(((fixed_labels >= 0) & (fixed_labels < 10)).all()))
print(f"loss: {nn.CrossEntropyLoss()(ten_class_logits, fixed_labels).item():.4f}")

# %% [markdown]
# **2. Class labels stored as floats.** Labels read from a CSV file or built with
# `torch.tensor([...], dtype=torch.float32)` are floats. With an `(N,)` target,
# `CrossEntropyLoss` wants class indices.

# %% tags=["raises-exception"]
float_labels = fixed_labels.float()
nn.CrossEntropyLoss()(ten_class_logits, float_labels)

# %% [markdown]
# **How to read it:** "expected target dtype to be Long or Byte, but got Float". An `(N,)` target
# must be integer class indices (`torch.long`). A float target is accepted only with the same
# shape as the input, `(N, C)`, where it means class *probabilities* (section 2). Fix:
# `float_labels.long()`. (The reverse mistake, long targets for `BCEWithLogitsLoss`, is in
# lesson 03.)
#
# **3. A softmax before `CrossEntropyLoss`** raises nothing. The loss applies `log_softmax`
# itself, so probabilities are treated as logits, squashed a second time, and the loss can
# never get near 0, even for a perfect model:

# %%
perfect_logits = torch.tensor([[10.0, 0.0, 0.0], [0.0, 10.0, 0.0]])
right_labels = torch.tensor([0, 1])
print(f"logits into CE:          {nn.CrossEntropyLoss()(perfect_logits, right_labels).item():.4f}")
print(f"softmax(logits) into CE: {nn.CrossEntropyLoss()(perfect_logits.softmax(dim=1), right_labels).item():.4f}"
      f"  (the lowest possible is log(1 + 2/e) = {math.log(1 + 2 / math.e):.4f})")

# %% [markdown]
# **4. Probabilities into `KLDivLoss`** also raises nothing. The input must be
# log-probabilities. KL of a distribution with itself is 0; pass the probabilities as they are
# and the "divergence" comes out negative:

# %%
p_row = torch.tensor([[0.7, 0.2, 0.1]])
right_kl = nn.KLDivLoss(reduction="batchmean")(p_row.log(), p_row).item()
print(f"KLDiv(log p, p) is 0 (|value| < 1e-6): {abs(right_kl) < 1e-6}   (right)")
print(f"KLDiv(p, p)     = {nn.KLDivLoss(reduction='batchmean')(p_row, p_row).item():.4f}          (wrong: a negative KL)")

# %% [markdown]
# ## Which loss for which task
#
# | task | loss | input | target |
# |---|---|---|---|
# | single-label classification | `CrossEntropyLoss` | `(N, C)` float logits | `(N,)` long in `0…C−1`, or `(N, C)` float probabilities |
# | same, from log-probabilities | `NLLLoss` | `(N, C)` float log-probs | `(N,)` long |
# | segmentation (per pixel) | `CrossEntropyLoss` | `(N, C, H, W)` float logits | `(N, H, W)` long |
# | binary / multi-label | `BCEWithLogitsLoss` | `(N, C)` float logits | `(N, C)` float 0/1 (or soft) |
# | same, from probabilities | `BCELoss` | `(N, C)` float in (0, 1) | `(N, C)` float |
# | multi-label, per example | `MultiLabelSoftMarginLoss` | `(N, C)` float logits | `(N, C)` 0/1 |
# | multi-label hinge | `MultiLabelMarginLoss` | `(N, C)` float scores | `(N, C)` long, class list padded with −1 |
# | multi-class hinge (SVM) | `MultiMarginLoss` | `(N, C)` float scores | `(N,)` long |
# | binary with ±1 labels | `SoftMarginLoss` | any shape, float | same shape, ±1 |
# | regression | `MSELoss` / `L1Loss` | any shape, float | same shape, float |
# | regression with outliers | `SmoothL1Loss` / `HuberLoss` | any shape, float | same shape, float |
# | counts | `PoissonNLLLoss` | log-rate (or rate), float | same shape, float counts |
# | distillation, distributions | `KLDivLoss` | `(N, C)` float log-probs | `(N, C)` float probs (or log-probs) |
# | ranking pairs | `MarginRankingLoss` | two `(N,)` float | `(N,)` ±1 |
# | similar / dissimilar by distance | `HingeEmbeddingLoss` | `(N,)` float distances | `(N,)` ±1 |
# | similar / dissimilar by angle | `CosineEmbeddingLoss` | two `(N, D)` float | `(N,)` ±1 |
# | metric learning | `TripletMarginLoss` | three `(N, D)` float | none |
# | unaligned sequences | `CTCLoss` | `(T, N, C)` float log-probs | `(N, S)` long + lengths `(N,)` |
#
# The next cell runs one example of every row with exactly these shapes and dtypes (float32,
# as in a real model), and prints the shape of what comes back.

# %%
table_gen = torch.Generator().manual_seed(1)


def rand(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=table_gen).to(DEVICE)


def labels_of(high: int, *shape: int) -> torch.Tensor:
    return torch.randint(0, high, shape, generator=table_gen).to(DEVICE)


def signs(n: int) -> torch.Tensor:
    return (labels_of(2, n) * 2 - 1).float()


N, C, D = 4, 5, 8
table = [
    ("CrossEntropyLoss", nn.CrossEntropyLoss(), (rand(N, C), labels_of(C, N))),
    ("CrossEntropyLoss, probabilities", nn.CrossEntropyLoss(), (rand(N, C), rand(N, C).softmax(dim=1))),
    ("NLLLoss", nn.NLLLoss(), (rand(N, C).log_softmax(dim=1), labels_of(C, N))),
    ("CrossEntropyLoss, segmentation", nn.CrossEntropyLoss(), (rand(N, C, 6, 6), labels_of(C, N, 6, 6))),
    ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(), (rand(N, C), labels_of(2, N, C).float())),
    ("BCELoss", nn.BCELoss(), (rand(N, C).sigmoid(), labels_of(2, N, C).float())),
    ("MultiLabelSoftMarginLoss", nn.MultiLabelSoftMarginLoss(), (rand(N, C), labels_of(2, N, C))),
    ("MultiLabelMarginLoss", nn.MultiLabelMarginLoss(), (rand(N, C), torch.tensor([[1, 3, -1, 0, 0]] * N).to(DEVICE))),
    ("MultiMarginLoss", nn.MultiMarginLoss(), (rand(N, C), labels_of(C, N))),
    ("SoftMarginLoss", nn.SoftMarginLoss(), (rand(N), signs(N))),
    ("MSELoss", nn.MSELoss(), (rand(N, 3), rand(N, 3))),
    ("L1Loss", nn.L1Loss(), (rand(N, 3), rand(N, 3))),
    ("SmoothL1Loss", nn.SmoothL1Loss(), (rand(N, 3), rand(N, 3))),
    ("HuberLoss", nn.HuberLoss(), (rand(N, 3), rand(N, 3))),
    ("PoissonNLLLoss", nn.PoissonNLLLoss(), (rand(N, 3), labels_of(6, N, 3).float())),
    ("KLDivLoss", nn.KLDivLoss(reduction="batchmean"), (rand(N, C).log_softmax(dim=1), rand(N, C).softmax(dim=1))),
    ("MarginRankingLoss", nn.MarginRankingLoss(), (rand(N), rand(N), signs(N))),
    ("HingeEmbeddingLoss", nn.HingeEmbeddingLoss(), (rand(N).abs(), signs(N))),
    ("CosineEmbeddingLoss", nn.CosineEmbeddingLoss(), (rand(N, D), rand(N, D), signs(N))),
    ("TripletMarginLoss", nn.TripletMarginLoss(), (rand(N, D), rand(N, D), rand(N, D))),
    ("CTCLoss", nn.CTCLoss(), (rand(6, N, C).log_softmax(dim=2), labels_of(C - 1, N, 3) + 1,
                               torch.full((N,), 6), torch.full((N,), 3))),
]


def describe(t: torch.Tensor) -> str:
    return f"{tuple(t.shape)} {str(t.dtype).replace('torch.', '')}"


for name, loss_fn, inputs in table:
    value = loss_fn(*inputs)
    shapes = " | ".join(describe(t) for t in inputs)
    print(f"{name:32} {shapes:58} -> {describe(value)}, finite {bool(torch.isfinite(value))}")
print("loss classes in the table:", len({type(loss_fn) for _, loss_fn, _ in table}))

# %% [markdown]
# ## All the comparisons
#
# Every `compare` above recorded its verdict. This is the lesson's target: every hand value
# equals the library's, within `rtol = 1e-9` in float64. The identities between library losses
# are counted apart: they are true, but they are not hand computations.

# %%
losses_checked = sorted({name.split(" ")[0] for name in CHECKS if name.split(" ")[0].endswith("Loss")})
for name, equal in {**CHECKS, **IDENTITIES}.items():
    if not equal:
        print("MISMATCH:", name)
print(f"{len(CHECKS)} hand comparisons covering {len(losses_checked)} loss classes:")
print(textwrap.fill(", ".join(losses_checked), width=100, initial_indent="  ", subsequent_indent="  "))
print(f"+ {len(IDENTITIES)} identities between library losses:")
print("\n".join(f"  {name}" for name in IDENTITIES))
record_metrics("10_losses", comparisons=len(CHECKS), identities=len(IDENTITIES),
               loss_classes_checked=len(losses_checked), all_equal=all(CHECKS.values()),
               identities_hold=all(IDENTITIES.values()))
print("every hand value equals the library's:", all(CHECKS.values()))
print("every identity holds:", all(IDENTITIES.values()))
print("all equal:", all(CHECKS.values()) and all(IDENTITIES.values()))

# %% [markdown]
# ## Exercises
#
# **10.1 Focal loss.** Cross-entropy keeps paying attention to examples the model already gets
# right with `p_y = 0.9`. The focal loss (Lin et al., 2017) multiplies each example's
# cross-entropy by `(1 − p_y)^γ`, which shrinks the easy examples' share, and optionally by a
# per-class factor `α[y]`:
#
# $$\text{FL}_i = -\,\alpha_{y_i}\,(1 - p_{i,y_i})^{\gamma}\,\log p_{i,y_i}.$$
#
# Write `focal_loss(logits, target, gamma, alpha=None)` for `(N, C)` logits and `(N,)` long
# targets that returns the **plain mean over the N examples** (a 0-dim tensor; note: *not* the
# weighted mean that `CrossEntropyLoss` uses for its `weight`). `alpha` is a `(C,)` tensor or
# `None` (all ones). Return the loss in the **logits' dtype**, as every `nn` loss does: float32
# logits give a float32 loss (if you compute in float64 for accuracy, cast the result back). With
# `gamma = 0` and no `alpha` it must equal `F.cross_entropy`. It must also survive a confidently
# wrong example whose true class sits 200 below the best logit (the check contains one): the
# loss of that example is about 200, not `inf` or `nan`.

# %%
### BEGIN SOLUTION
def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float, alpha: torch.Tensor | None = None) -> torch.Tensor:
    log_p = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)  # log p_y, stable
    per_example = -((1 - log_p.exp()) ** gamma) * log_p
    if alpha is not None:
        per_example = alpha[target] * per_example
    return per_example.mean()
### END SOLUTION

# %%
def check_focal_loss(answer):
    import math

    import torch

    def reference(logits, target, gamma, alpha):
        total = 0.0
        for row, y in zip(logits.tolist(), target.tolist()):
            top = max(row)
            log_p = row[y] - top - math.log(sum(math.exp(v - top) for v in row))
            factor = 1.0 if alpha is None else alpha[y]
            total += -factor * (1 - math.exp(log_p)) ** gamma * log_p
        return total / len(target)

    gen = torch.Generator().manual_seed(101)  # the same draws as focal_loss_answer
    logits = torch.randn(8, 4, generator=gen, dtype=torch.float64) * 2
    target = torch.randint(0, 4, (8,), generator=gen)
    alpha = [0.25, 1.0, 2.0, 0.5]
    cases = [(0.0, None), (0.5, None), (2.0, None), (2.0, alpha), (0.0, alpha), (5.0, alpha)]
    results = answer["cases"]
    assert len(results) == len(cases), "expected one value per case"
    def close(x, y):
        return math.isclose(x, y, rel_tol=1e-7)

    for (gamma, a), got in zip(cases, results):
        assert torch.is_tensor(got) and got.dim() == 0, f"gamma={gamma}: return a 0-dim tensor (the mean), got {got!r}"
        want, value = reference(logits, target, gamma, a), got.item()
        if close(value, want):
            continue
        label = f"gamma={gamma}, alpha={'None' if a is None else a}"
        hint = ""
        if gamma == 0 and a is None:
            hint = " (with gamma = 0 and no alpha the focal loss is the cross-entropy)"
        elif close(value, reference(logits, target, 0.0, None)):
            hint = "; that is plain cross-entropy, the focusing factor (1 - p_y)^gamma is missing"
        elif a is not None and close(value, want * len(target) / sum(a[y] for y in target.tolist())):
            hint = ("; you divided by the sum of the alphas of the targets (CE's weighted mean, what "
                    "F.cross_entropy(weight=alpha) does), the task asks for the plain mean over the N examples")
        elif a is not None and close(value, reference(logits, target, gamma, None)):
            hint = "; that is the focal loss without alpha: multiply each example by alpha[y]"
        elif gamma > 0 and close(value, reference(logits, target, 0.0, a)):
            hint = "; that is the alpha-weighted cross-entropy, the focusing factor (1 - p_y)^gamma is missing"
        raise AssertionError(f"{label}: got {value:.6f}, expected {want:.6f}{hint}")
    single = answer["float32 loss"]
    assert torch.is_tensor(single) and single.dim() == 0, f"float32 logits: return a 0-dim tensor, got {single!r}"
    assert single.dtype == torch.float32, (
        f"float32 logits gave a {single.dtype} loss; the task asks for the loss in the logits' dtype, as every nn "
        "loss returns it (if you compute in float64, cast back with .to(logits.dtype))")
    want = reference(logits.float().double(), target, 2.0, None)
    assert math.isclose(single.item(), want, rel_tol=1e-5), f"float32 logits: got {single.item():.6f}, expected {want:.6f}"
    wrong = answer["confidently wrong"]
    want = reference(torch.tensor([[0.0, 200.0, 0.0]]), torch.tensor([0]), 2.0, None)
    assert torch.is_tensor(wrong) and wrong.dim() == 0, f"confidently wrong example: return a 0-dim tensor, got {wrong!r}"
    assert math.isfinite(wrong.item()), (
        f"a true class 200 below the best logit gave {wrong}: log(softmax(...)) underflows to log(0); use log_softmax")
    assert math.isclose(wrong.item(), want, rel_tol=1e-4), f"confidently wrong example: got {wrong.item():.4f}, expected {want:.4f}"


def focal_loss_answer():
    gen = torch.Generator().manual_seed(101)
    logits = (torch.randn(8, 4, generator=gen, dtype=torch.float64) * 2).to(DEVICE)
    target = torch.randint(0, 4, (8,), generator=gen).to(DEVICE)
    alpha = torch.tensor([0.25, 1.0, 2.0, 0.5], dtype=torch.float64).to(DEVICE)
    cases = [(0.0, None), (0.5, None), (2.0, None), (2.0, alpha), (0.0, alpha), (5.0, alpha)]
    wrong_logits = torch.tensor([[0.0, 200.0, 0.0]]).to(DEVICE)
    return {"cases": [focal_loss(logits, target, gamma, a) for gamma, a in cases],
            "float32 loss": focal_loss(logits.float(), target, 2.0),
            "confidently wrong": focal_loss(wrong_logits, torch.tensor([0]).to(DEVICE), 2.0)}


check_exercise("10.1", check_focal_loss, points=2, answer=focal_loss_answer)

# %% [markdown]
# **10.2 What does PyTorch train towards when you combine `weight` and `label_smoothing`?**
# Any cross-entropy is `−Σ_i Σ_c Q_ic log p_ic` for some matrix `Q` of (weighted) targets. Write
# `smoothed_weighted_targets(target, num_classes, epsilon, weight=None, ignore_index=-100)` that
# returns `(Q, denominator)`: the `(N, C)` float64 tensor `Q` such that, for **any** logits,
#
# ```python
# nn.CrossEntropyLoss(weight=weight, label_smoothing=epsilon, ignore_index=ignore_index, reduction="sum")(logits, target)
#     == -(Q * F.log_softmax(logits, dim=1)).sum()
# ```
#
# and the 0-dim tensor `denominator` that the `'mean'` reduction divides that sum by. `weight`
# is a `(C,)` float64 tensor or `None`. Work it out from section 3 and the weighted-mean
# section, then verify your guess against the library yourself (you may call the library to
# test; the answer must be `Q` and the denominator). Think about how the weight enters the
# smoothing term, and what an ignored target contributes.

# %%
### BEGIN SOLUTION
def smoothed_weighted_targets(target: torch.Tensor, num_classes: int, epsilon: float,
                              weight: torch.Tensor | None = None, ignore_index: int = -100):
    if weight is None:
        weight = torch.ones(num_classes, dtype=torch.float64, device=target.device)
    counted = target != ignore_index
    safe = torch.where(counted, target, 0)
    one_hot = F.one_hot(safe, num_classes).to(torch.float64)
    # (1 - eps) * w[y] on the true class, plus eps/C * w[c] on every class c
    q = (1 - epsilon) * weight[safe].unsqueeze(1) * one_hot + epsilon / num_classes * weight.unsqueeze(0)
    q = q * counted.unsqueeze(1)  # ignored targets contribute nothing
    denominator = (weight[safe] * counted).sum()  # the weights of the counted targets
    return q, denominator
### END SOLUTION

# %%
def check_smoothed_weighted_targets(answer):
    import torch
    import torch.nn.functional as F
    from torch import nn

    weight = torch.tensor([1.0, 3.0, 0.5, 2.0], dtype=torch.float64)
    cases = [  # the calls smoothed_weighted_targets_answer makes, in order
        ([0, 3, 1, 3, 2], 0.0, None, -100),
        ([0, 3, 1, 3, 2], 0.2, None, -100),
        ([0, 3, 1, 3, 2], 0.0, weight, -100),
        ([0, 3, 1, 3, 2], 0.2, weight, -100),
        ([2, -100, 1, 1, -100, 0], 0.1, weight, -100),
        ([2, 0, 1, 1, 3, 0], 0.3, weight, 1),
    ]
    results = answer["cases"]
    assert len(results) == len(cases), "expected one (Q, denominator) per case"
    gen = torch.Generator().manual_seed(202)
    for (labels, eps, w, ignore), result in zip(cases, results):
        target = torch.tensor(labels)
        label = f"target {labels}, epsilon {eps}, weight {'None' if w is None else w.tolist()}, ignore_index {ignore}"
        assert isinstance(result, (list, tuple)) and len(result) == 2, f"{label}: return a pair (Q, denominator)"
        q, denominator = result
        assert torch.is_tensor(q) and q.shape == (len(labels), 4), f"{label}: Q should be a ({len(labels)}, 4) tensor"
        assert torch.is_tensor(denominator) and denominator.dim() == 0, f"{label}: the denominator should be a 0-dim tensor"
        q, denominator = q.double(), denominator.double().reshape(())
        options = {"weight": w, "label_smoothing": eps, "ignore_index": ignore}
        for _ in range(3):  # the identity must hold for any logits
            logits = torch.randn(len(labels), 4, generator=gen, dtype=torch.float64) * 2
            log_p = F.log_softmax(logits, dim=1)
            want_sum = nn.CrossEntropyLoss(reduction="sum", **options)(logits, target)
            got_sum = -(q * log_p).sum()
            if not torch.allclose(got_sum, want_sum, rtol=1e-7):
                hint = ""
                ignored_rows = target == ignore
                counted = ~ignored_rows
                safe = torch.where(counted, target, 0)
                w_or_1 = torch.ones(4, dtype=torch.float64) if w is None else w
                one_hot = F.one_hot(safe, 4).double()
                notes_q = ((1 - eps) * one_hot + eps / 3 * (1 - one_hot)) * counted.unsqueeze(1)
                if eps > 0 and any(torch.allclose(q, candidate, rtol=1e-7) for candidate in (
                        notes_q, notes_q * w_or_1, notes_q * w_or_1[safe].unsqueeze(1))):
                    hint = ("; that is the convention 1 - eps on the true class and eps/(C-1) on the others; "
                            "PyTorch adds eps/C to every class, the true one included (section 3)")
                elif ignored_rows.any() and q[ignored_rows].abs().sum() > 0:
                    hint = "; an ignored target should contribute nothing: its whole row of Q is 0"
                elif w is not None and eps > 0:
                    hint = "; the smoothing share eps/C of class c is weighted too, by weight[c]"
                raise AssertionError(f"{label}: -(Q * log_softmax).sum() = {got_sum.item():.6f}, "
                                     f"but the sum-reduced loss is {want_sum.item():.6f}{hint}")
            want_mean = nn.CrossEntropyLoss(reduction="mean", **options)(logits, target)
            assert torch.allclose(want_sum / denominator, want_mean, rtol=1e-7), (
                f"{label}: sum / denominator = {(want_sum / denominator).item():.6f}, but the mean is "
                f"{want_mean.item():.6f} (denominator {denominator.item():.4f}); the mean is a weighted mean "
                "over the targets that count")


def smoothed_weighted_targets_answer():
    weight = torch.tensor([1.0, 3.0, 0.5, 2.0], dtype=torch.float64).to(DEVICE)
    cases = [([0, 3, 1, 3, 2], 0.0, None, -100), ([0, 3, 1, 3, 2], 0.2, None, -100), ([0, 3, 1, 3, 2], 0.0, weight, -100),
             ([0, 3, 1, 3, 2], 0.2, weight, -100), ([2, -100, 1, 1, -100, 0], 0.1, weight, -100),
             ([2, 0, 1, 1, 3, 0], 0.3, weight, 1)]
    return {"cases": [smoothed_weighted_targets(torch.tensor(labels).to(DEVICE), 4, eps, w, ignore)
                      for labels, eps, w, ignore in cases]}


check_exercise("10.2", check_smoothed_weighted_targets, points=2, answer=smoothed_weighted_targets_answer)

# %% [markdown]
# **10.3 Pick the loss and build the target.** A photo-tagging dataset has `C` tags, numbered
# **1 … C** in its annotation file; each photo has any number of tags, possibly none. Write
# `tag_loss(logits, raw_tags)` for the model's `(N, C)` float logits and `raw_tags`, a list of `N`
# lists of 1-based tag numbers. It returns `(loss, pos_weight)`:
#
# - `pos_weight`: a `(C,)` tensor, for each tag the number of photos in this batch *without* it
#   divided by the number *with* it; a tag no photo has gets 1;
# - `loss`: the mean loss of the right `nn` loss for this task, using that `pos_weight`.

# %%
### BEGIN SOLUTION
def tag_loss(logits: torch.Tensor, raw_tags: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    n, c = logits.shape
    targets = torch.zeros(n, c, dtype=logits.dtype, device=logits.device)
    for row, tags in enumerate(raw_tags):
        for tag in tags:
            targets[row, tag - 1] = 1.0  # 1-based tag numbers -> 0-based columns
    positives = targets.sum(dim=0)
    pos_weight = torch.where(positives > 0, (n - positives) / positives.clamp(min=1), torch.ones_like(positives))
    return nn.BCEWithLogitsLoss(pos_weight=pos_weight)(logits, targets), pos_weight
### END SOLUTION

# %%
def check_tag_loss(answer):
    import math

    import torch

    def reference(logits, raw_tags):
        n, c = len(raw_tags), len(logits[0])
        pos_weight = []
        for tag in range(1, c + 1):
            with_tag = sum(tag in tags for tags in raw_tags)
            pos_weight.append((n - with_tag) / with_tag if with_tag else 1.0)
        total = 0.0
        for row, tags in zip(logits, raw_tags):
            for column, x in enumerate(row):
                y = 1.0 if column + 1 in tags else 0.0
                log_sig, log_one_minus = -math.log1p(math.exp(-x)), -math.log1p(math.exp(x))
                total += -(pos_weight[column] * y * log_sig + (1 - y) * log_one_minus)
        return total / (n * c), pos_weight

    gen = torch.Generator().manual_seed(303)  # the same draws as tag_loss_answer
    batches = [[[1, 3], [2], [], [5, 1], [3]], [[4], [4, 2], [1, 2, 3, 4, 5], [5], [], [2]]]
    results = answer["cases"]
    assert len(results) == len(batches), "expected one (loss, pos_weight) per batch"
    for raw_tags, result in zip(batches, results):
        logits = torch.randn(len(raw_tags), 5, generator=gen, dtype=torch.float64)
        assert isinstance(result, (list, tuple)) and len(result) == 2, "return a pair (loss, pos_weight)"
        loss, pos_weight = result
        want_loss, want_pw = reference(logits.tolist(), raw_tags)
        assert torch.is_tensor(pos_weight) and pos_weight.shape == (5,), "pos_weight should be a (C,) tensor"
        want_tensor = torch.tensor(want_pw, dtype=torch.float64)
        if not torch.allclose(pos_weight.double(), want_tensor):
            hint = ""
            informative = want_tensor != 1  # where the ratio and its inverse differ
            product = (pos_weight.double() * want_tensor)[informative]
            if informative.any() and torch.allclose(product, torch.ones_like(product)):
                hint = "it is upside down: "
            raise AssertionError(
                f"tags {raw_tags}: pos_weight {pos_weight.tolist()}, expected {want_pw}; {hint}pos_weight = photos "
                "without the tag / photos with it; tag t is column t - 1, and a tag nobody has gets 1")
        assert torch.is_tensor(loss) and loss.dim() == 0, "the loss should be a 0-dim tensor"
        assert math.isclose(loss.item(), want_loss, rel_tol=1e-7), (
            f"tags {raw_tags}: loss {loss.item():.6f}, expected {want_loss:.6f}; several tags per photo make it "
            "a multi-label task: one independent yes/no per tag, with pos_weight on the positive term")


def tag_loss_answer():
    gen = torch.Generator().manual_seed(303)
    batches = [[[1, 3], [2], [], [5, 1], [3]], [[4], [4, 2], [1, 2, 3, 4, 5], [5], [], [2]]]
    cases = []
    for raw_tags in batches:
        logits = torch.randn(len(raw_tags), 5, generator=gen, dtype=torch.float64).to(DEVICE)
        cases.append(tag_loss(logits, raw_tags))
    return {"cases": cases}


check_exercise("10.3", check_tag_loss, points=1, answer=tag_loss_answer)

# %% [markdown]
# ## Summary
#
# - A loss is computed per example; `reduction` turns it into the cost: `'none'`, `'sum'`, or
#   `'mean'`, whose denominator depends on the loss (elements, weights of the counted targets,
#   batch size for KL's `'batchmean'`, target lengths for CTC).
# - `CrossEntropyLoss` = `log_softmax` + `NLLLoss`: `(N, C)` logits and `(N,)` long labels in
#   `0 … C−1` (or `(N, C)` probabilities). With `weight`, `'mean'` divides by `Σ w[yᵢ]`;
#   `ignore_index` drops targets from sum and denominator; label smoothing trains towards
#   `(1 − ε)·onehot + ε/C`, which keeps the best logits finite.
# - Binary and multi-label: `BCEWithLogitsLoss` on logits, same shape float targets, `pos_weight`
#   per label on the positive term; `MultiLabelSoftMarginLoss` is the same loss averaged per
#   example; `SoftMarginLoss` is it again with ±1 labels.
# - Regression: L1 (robust, constant gradient), MSE (smooth, outlier-sensitive), SmoothL1 and
#   Huber in between, with `Huber_δ = δ·SmoothL1_{β=δ}`; `PoissonNLLLoss` for counts.
# - `KLDivLoss` takes log-probabilities as input and wants `'batchmean'`; cross-entropy =
#   entropy + KL.
# - Margin losses (ranking, hinge, multi-class and multi-label hinge) stop pushing once the margin
#   is met; triplet and cosine-embedding losses shape embedding spaces.
# - `CTCLoss` is `−log` of the summed probability of every alignment that reads as the target;
#   our brute force over all `4⁵` paths agrees with its dynamic programming.
# - Class labels start at 0: "Target 10 is out of bounds" with 10 classes means 1-based labels.
