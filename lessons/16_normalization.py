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
# # 16 · Normalization: BatchNorm, LayerNorm, InstanceNorm, GroupNorm
#
# Lesson 08 kept the signal alive through 100 layers by choosing the initial weights with care.
# That care lasts one step: as soon as training changes the weights, the scale of every layer's
# output drifts again. A **normalization layer** does not trust the weights to keep the scale: it
# measures the mean and the spread of its input and rescales it, at every forward pass.
#
# **What you will learn**
#
# - why activations drift through a deep network, and how BatchNorm pins them (the notes' "internal
#   covariate shift");
# - BatchNorm by hand: which axes `BatchNorm1d/2d/3d` average over, the biased variance it
#   normalizes with, `eps`, the learnable `weight` and `bias` (`affine`);
# - the buffers `running_mean` and `running_var`: the **unbiased** variance, PyTorch's `momentum`
#   convention (the opposite of the usual wording), `momentum=None`, and why eval mode uses them;
# - `affine=False` and `track_running_stats=False`: which parameters and buffers disappear;
# - LeNet with BatchNorm against plain LeNet, both from a bad initialisation, on real digits;
# - LayerNorm, InstanceNorm and GroupNorm: over which axes each takes its statistics (a picture),
#   the shapes of their parameters, each checked against a hand computation;
# - the errors you will meet: a batch of one in training mode, a wrong `num_features`, a group
#   count that does not divide the channels.
#
# **Target:** hand-written BatchNorm equals `BatchNorm1d/2d/3d` to float precision
# (max |hand − library| ≤ 1e-5), and from the same bad initialisation, LeNet with BatchNorm reaches
# 0.9 validation accuracy in fewer epochs than LeNet without it.

# %%
import copy
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset
from torchvision import transforms as T

from tools import check_exercise, get_device, record_metrics, set_seed, use_course_style
from tools.datasets import CachedDataset, ClassFolderDataset, ensure_dataset, stratified_split
from tools.models import LeNet, count_parameters
from tools.train import fit

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()
print("DEVICE is cpu or cuda:", DEVICE.type in ("cpu", "cuda"))  # which one differs between machines: not printed

# %% [markdown]
# ## 1 · Why normalize: the scale drifts from layer to layer
#
# Each layer multiplies the scale of its input by a factor that depends on its weights (lesson 08:
# about `std(w)·√fan_in`, times √½ after a ReLU). Over many layers these factors multiply: a
# factor of 0.9 per layer leaves 0.9¹⁰⁰ ≈ 3·10⁻⁵ after 100 layers, a factor of 1.1 gives 10⁴.
# And the weights change at every training step, so even a network that starts well balanced
# drifts. The BatchNorm paper (Ioffe & Szegedy, 2015) called the drift of a layer's input
# distribution during training **internal covariate shift**: every layer must keep adapting to
# inputs whose scale and centre move under it.
#
# BatchNorm's answer: after a linear layer, take each feature, subtract its mean over the batch
# and divide by its standard deviation over the batch. Whatever the weights did to the scale is
# undone. (Later work argued that BatchNorm helps mostly by making the loss surface smoother, so
# that larger steps are safe, rather than by removing the "shift"; either way, the effect below is
# what you get.)
#
# The notes' experiment: 100 layers `Linear(256, 256)` + ReLU, weights drawn from N(0, σ²) with a
# σ that is too small (0.01) or too large (1), with and without a `BatchNorm1d` after every
# linear layer. We record the standard deviation of each layer's output. The network runs in
# float64 so that even 10¹⁰⁵ stays a finite number we can plot.

# %%
WIDTH, DEPTH = 256, 100


def deep_stack(weight_std: float, batch_norm: bool, seed: int = 1) -> nn.Sequential:
    """DEPTH blocks of Linear(WIDTH, WIDTH) [+ BatchNorm1d] + ReLU, weights N(0, weight_std²)."""
    generator = torch.Generator().manual_seed(seed)
    blocks = []
    for _ in range(DEPTH):
        linear = nn.Linear(WIDTH, WIDTH, bias=False)
        with torch.no_grad():
            linear.weight.copy_(torch.randn(WIDTH, WIDTH, generator=generator) * weight_std)
        blocks.append(nn.Sequential(linear, nn.BatchNorm1d(WIDTH), nn.ReLU()) if batch_norm
                      else nn.Sequential(linear, nn.ReLU()))
    return nn.Sequential(*blocks).to(DEVICE, torch.float64)


@torch.no_grad()
def layer_stds(model: nn.Sequential, x: torch.Tensor) -> list[float]:
    """The standard deviation of every block's output (training mode: BatchNorm uses the batch)."""
    stds = []
    for block in model.train():
        x = block(x)
        stds.append(x.std().item())
    return stds


x_deep = torch.randn(64, WIDTH, generator=torch.Generator().manual_seed(0)).to(DEVICE, torch.float64)
stds = {(sigma, bn): layer_stds(deep_stack(sigma, bn), x_deep) for sigma in (0.01, 1.0) for bn in (False, True)}
print("input: a batch of 64 vectors of 256 standard-normal numbers")
print("σ = 0.01, plain:     std after layer 100 < 1e-80:", stds[0.01, False][-1] < 1e-80)
print("σ = 1,    plain:     std after layer 100 > 1e+80:", stds[1.0, False][-1] > 1e80)
for sigma in (0.01, 1.0):
    print(f"σ = {sigma:<4}, BatchNorm: every layer's std between 0.55 and 0.65:",
          all(0.55 < s < 0.65 for s in stds[sigma, True]))

# %% [markdown]
# With BatchNorm, both bad initialisations give the same picture (the thick blue line lies under
# the red one): every layer's output has a
# standard deviation near 0.58. That number is no accident: BatchNorm makes each feature
# mean 0 and std 1 over the batch, and a ReLU of a standard normal has std √(½ − 1/(2π)) ≈ 0.584.

# %%
figure, axis = plt.subplots(figsize=(8, 4))
styles = {(0.01, False): ("tab:blue", "--"), (1.0, False): ("tab:red", "--"),
          (0.01, True): ("tab:blue", "-"), (1.0, True): ("tab:red", "-")}
for (sigma, bn), values in stds.items():
    color, line = styles[sigma, bn]
    axis.semilogy(range(1, DEPTH + 1), values, color=color, linestyle=line, lw=5 if (sigma, bn) == (0.01, True) else 2,
                  label=f"σ = {sigma}, {'with BatchNorm' if bn else 'plain'}")
axis.set(xlabel="layer", ylabel="std of the layer's output (log scale)", yticks=[1e-100, 1e-50, 1, 1e50, 1e100],
         title="100 layers Linear(256, 256) + ReLU: the scale with and without BatchNorm")
axis.legend(loc="upper left", fontsize=9);

# %% [markdown]
# Why the weights' scale stops mattering: BatchNorm divides by the spread it measures, so
# multiplying its input by any positive factor `a` changes nothing, `BN(a·z) = BN(z)`. (Almost:
# `eps`, a small number added to the variance, section 2, wins over a tiny variance. With
# `eps = 1e-5` that happens for a spread below about 0.003.)

# %%
bn_check = nn.BatchNorm1d(8).to(DEVICE)
z = torch.randn(32, 8, generator=torch.Generator().manual_seed(1)).to(DEVICE)
for factor in (10.0, 1000.0):
    difference = (bn_check(factor * z) - bn_check(z)).abs().max().item()
    print(f"BN({factor:g}·z) equals BN(z) within 1e-4:", difference <= 1e-4)

# %% [markdown]
# ## 2 · BatchNorm by hand
#
# For each **channel** (feature) `c`, over all the values of that channel in the batch:
#
# 1. the mean `μ_c` and the **biased** variance `σ²_c` (divide by the count `n`, not `n − 1`);
# 2. normalize: `x̂ = (x − μ_c) / √(σ²_c + eps)`; `eps` (default 1e-5) keeps the division safe
#    when a channel is constant;
# 3. scale and shift: `y = γ_c·x̂ + β_c`, with the learnable `weight` γ and `bias` β (one
#    number each per channel, starting at 1 and 0). They let the network undo the normalization
#    where that helps: normalizing must never cost the layer what it could represent.
#
# The channel axis is always axis 1. Which other axes count as "the same channel" depends on the
# input: `BatchNorm1d` takes `(N, C)` or `(N, C, L)`, `BatchNorm2d` `(N, C, H, W)` and
# `BatchNorm3d` `(N, C, D, H, W)`. A convolution applies the same filter at every position, so
# every position of a channel is a sample of the same feature: the statistics are taken over every
# axis **except** 1. The hand version therefore needs no case for 1d, 2d or 3d:

# %%
def batch_norm_by_hand(x, weight, bias, eps=1e-5):
    """Training-mode BatchNorm: statistics over every axis except the channel axis 1."""
    dims = [0] + list(range(2, x.dim()))
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, correction=0, keepdim=True)  # biased: divide by n
    shape = [1, -1] + [1] * (x.dim() - 2)  # weight and bias broadcast along the channel axis
    return (x - mean) / torch.sqrt(var + eps) * weight.view(shape) + bias.view(shape)


two_samples = torch.tensor([[1.0, 2.0], [3.0, 6.0]])  # a batch of 2 samples with 2 features
print("a batch of two: each feature becomes -1 and +1 (almost: eps):")
print(batch_norm_by_hand(two_samples, torch.ones(2), torch.zeros(2)))

# %% [markdown]
# The inputs are the notes' examples (batches of 3), plus a plain `(N, C)` batch as after a
# linear layer. Each channel gets its own centre and spread, so normalizing has work to do, and
# each layer gets random `weight` and `bias` values instead of 1 and 0, so the affine step is
# checked too. Everything is drawn on the CPU from a seeded generator and then moved to `DEVICE`.

# %%
generator = torch.Generator().manual_seed(16)
cases = {"BatchNorm1d": [(8, 3), (3, 5, 1)], "BatchNorm2d": [(3, 3, 2, 2)], "BatchNorm3d": [(3, 4, 2, 2, 3)]}
worst = 0.0
for layer_name, shapes in cases.items():
    for shape in shapes:
        channels = shape[1]
        centre = torch.randn(channels, generator=generator) * 3
        spread = torch.rand(channels, generator=generator) * 4 + 0.5
        view = [1, -1] + [1] * (len(shape) - 2)
        x = (torch.randn(shape, generator=generator) * spread.view(view) + centre.view(view)).to(DEVICE)
        layer = getattr(nn, layer_name)(channels).to(DEVICE)
        with torch.no_grad():
            layer.weight.copy_(torch.rand(channels, generator=generator) + 0.5)
            layer.bias.copy_(torch.randn(channels, generator=generator))
        library = layer(x)  # a fresh layer is in training mode: it uses the batch statistics
        hand = batch_norm_by_hand(x, layer.weight, layer.bias)
        difference = (hand - library).abs().max().item()
        worst = max(worst, difference)
        dims = tuple([0] + list(range(2, len(shape))))
        count = x.numel() // channels
        print(f"{layer_name}({channels}) on {str(shape):16} statistics over dims {str(dims):13} "
              f"({count:2d} values per channel) | max |hand - library| <= 1e-5: {difference <= 1e-5}")
print("target met, hand BatchNorm equals the library's (max |hand - library| <= 1e-5 in every case):",
      worst <= 1e-5)

# %% [markdown]
# ### The running statistics: `running_mean`, `running_var` and `momentum`
#
# At test time there may be no batch (one image at a time), and a prediction should not depend on
# which other images happen to share its batch. So while training, each BatchNorm layer keeps a
# moving average of the batch statistics in two **buffers** (tensors saved with the model but not
# trained by the optimizer), and in eval mode it normalizes with those instead:
#
# `running = (1 − momentum)·running + momentum·batch_statistic`, with `momentum = 0.1` by default.
#
# Two details trip people up:
#
# - **PyTorch's `momentum` is the weight of the new value.** In the usual exponential moving
#   average (and in the momentum of optimizers, lesson 11) "momentum 0.9" means keep 90% of the
#   old value. BatchNorm's `momentum=0.1` means the same thing, take 10% of the new one: the
#   number is the other side of the same average. Setting `momentum=0.9` because "0.9 is the
#   usual momentum" makes the running statistics follow each batch almost blindly.
# - **`running_var` averages the unbiased variance** (divide by `n − 1`), while the batch itself is
#   normalized with the biased one (divide by `n`). With few values per channel the two differ
#   noticeably.
#
# The buffers start at `running_mean = 0`, `running_var = 1`. One training-mode pass of a batch of
# 2×2×2 values per channel:

# %%
generator = torch.Generator().manual_seed(160)
bn = nn.BatchNorm2d(3).to(DEVICE)
print("before:", {name: tuple(buffer.shape) for name, buffer in bn.named_buffers()})
x = (torch.randn(2, 3, 2, 2, generator=generator) * 2 + torch.tensor([1.0, -2.0, 4.0]).view(1, 3, 1, 1)).to(DEVICE)
bn(x)
batch_mean = x.mean(dim=(0, 2, 3))
batch_var_biased = x.var(dim=(0, 2, 3), correction=0)
batch_var_unbiased = x.var(dim=(0, 2, 3), correction=1)
hand_mean = (1 - 0.1) * 0.0 + 0.1 * batch_mean
hand_var = (1 - 0.1) * 1.0 + 0.1 * batch_var_unbiased
print("running_mean:", bn.running_mean.cpu(), "| running_var:", bn.running_var.cpu(),
      "| num_batches_tracked:", bn.num_batches_tracked.item())
print("running_mean = 0.9·0 + 0.1·batch mean:", torch.allclose(bn.running_mean, hand_mean, atol=1e-6))
print("running_var  = 0.9·1 + 0.1·unbiased batch variance:", torch.allclose(bn.running_var, hand_var, atol=1e-6))
print("with the biased variance it would not match:",
      not torch.allclose(bn.running_var, 0.9 + 0.1 * batch_var_biased, atol=1e-3))

# %% [markdown]
# With `momentum=None` the layer keeps the plain **cumulative average** of all batch statistics
# seen so far instead: after batch `k` (counted in `num_batches_tracked`),
# `running = running + (batch_statistic − running) / k`. The first batch replaces the starting
# values completely, and every batch ends up with the same weight `1/k`.
#
# The figure feeds 60 batches of 16 values from one distribution (mean 3, std 2) to layers with
# different momenta, and plots `running_mean` after each batch. A large momentum reaches the
# right neighbourhood at once but keeps jumping with every batch; a small one is smooth but needs
# many batches to forget its start at 0 (after `k` batches, the start still weighs
# `(1 − momentum)^k`: 0.9⁶⁰ ≈ 0.002, but 0.99⁶⁰ ≈ 0.55).

# %%
stream_gen = torch.Generator().manual_seed(61)
stream = [(torch.randn(16, 1, generator=stream_gen) * 2 + 3).to(DEVICE) for _ in range(60)]
momenta = (0.5, 0.1, 0.01, None)
traces = {}
for momentum in momenta:
    layer = nn.BatchNorm1d(1, momentum=momentum).to(DEVICE)
    traces[momentum] = []
    for batch in stream:
        layer(batch)
        traces[momentum].append(layer.running_mean.item())
batch_means = torch.stack([batch.mean() for batch in stream]).cpu()

hand = 0.0
for mean in batch_means.tolist():
    hand = 0.9 * hand + 0.1 * mean
print("momentum 0.1: running_mean equals the hand-made moving average:", abs(hand - traces[0.1][-1]) <= 1e-5)
print("momentum None: running_mean equals the average of all 60 batch means:",
      abs(batch_means.mean().item() - traces[None][-1]) <= 1e-5)

figure, axis = plt.subplots(figsize=(8, 3.8))
axis.plot(range(1, 61), batch_means, "o", color="lightgray", ms=4, label="the batch's own mean")
for momentum, color in zip(momenta, ("tab:red", "tab:blue", "tab:green", "black")):
    axis.plot(range(1, 61), traces[momentum], color=color, lw=2, label=f"momentum={momentum}")
axis.axhline(3, color="gray", ls=":", label="true mean 3")
axis.set(xlabel="batches seen", ylabel="running_mean", ylim=(-0.1, 4.7), title="running_mean after each training batch")
axis.legend(ncol=3, fontsize=9);

# %% [markdown]
# ### Train mode and eval mode
#
# In **training mode** the layer normalizes with the statistics of the current batch (and updates
# its buffers); in **eval mode** (`model.eval()`) it normalizes with the buffers and changes
# nothing. Two consequences to check:
#
# - in eval mode the output is `γ·(x − running_mean)/√(running_var + eps) + β`: a fixed affine
#   map, one per channel, the same for every batch;
# - in training mode the output for one sample depends on the **other samples in its batch**; in
#   eval mode it does not. That is why predictions must be made in eval mode.
#
# A third one, often forgotten: a forward pass in training mode updates the buffers even inside
# `torch.no_grad()`, which only switches off gradients. "Just looking" at some data in training
# mode changes the model.

# %%
generator = torch.Generator().manual_seed(7)
bn = nn.BatchNorm1d(4).to(DEVICE)
with torch.no_grad():
    bn.weight.copy_(torch.rand(4, generator=generator) + 0.5)
    bn.bias.copy_(torch.randn(4, generator=generator))
    for _ in range(20):  # a few training batches to fill the running statistics
        bn(torch.randn(8, 4, generator=generator).to(DEVICE) * 3 + 1)

x = (torch.randn(8, 4, generator=generator) * 3 + 1).to(DEVICE)
others = (torch.randn(7, 4, generator=generator) * 3 + 1).to(DEVICE)
x_other_batch = torch.cat([x[:1], others])  # the same first sample, different companions

bn.eval()
with torch.no_grad():
    eval_out = bn(x)
    hand = (x - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    print("eval mode equals the hand formula with the running statistics:",
          (eval_out - hand).abs().max().item() <= 1e-5)
    print("eval mode: sample 0's output is the same in another batch:",
          torch.allclose(bn(x_other_batch)[0], eval_out[0], atol=1e-6))
    bn.train()
    before = bn.running_mean.clone()
    train_out = bn(x)
    print("train mode: sample 0's output changes with its batch-mates:",
          not torch.allclose(bn(x_other_batch)[0], train_out[0], atol=1e-3))
    print("train mode and eval mode give different outputs:", not torch.allclose(train_out, eval_out, atol=1e-3))
    print("a train-mode pass under no_grad still moved running_mean:", not torch.equal(before, bn.running_mean))

# %% [markdown]
# ### `affine` and `track_running_stats`: what the layer owns
#
# `nn.BatchNorm2d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)`
# holds four tensors of shape `(num_features,)`: the **parameters** `weight` and `bias` (trained
# by the optimizer) and the **buffers** `running_mean` and `running_var`, plus the counter
# `num_batches_tracked`. Because every tensor has the channel count as its only size, a BatchNorm
# layer can be slipped in after any layer with that many channels, or taken out again.
#
# - `affine=False`: no `weight` and `bias`, plain normalization (mean 0, std 1).
# - `track_running_stats=False`: no buffers, and then **eval mode also uses the batch
#   statistics**: the layer behaves the same in both modes.

# %%
variants = {
    "BatchNorm2d(4)": nn.BatchNorm2d(4),
    "BatchNorm2d(4, affine=False)": nn.BatchNorm2d(4, affine=False),
    "BatchNorm2d(4, track_running_stats=False)": nn.BatchNorm2d(4, track_running_stats=False),
}
for name, layer in variants.items():
    parameters = {key: tuple(value.shape) for key, value in layer.named_parameters()}
    buffers = {key: tuple(value.shape) for key, value in layer.named_buffers()}
    print(f"{name:42} parameters {parameters}\n{'':42} buffers    {buffers}")

untracked = variants["BatchNorm2d(4, track_running_stats=False)"].to(DEVICE)
x = torch.randn(5, 4, 3, 3, generator=torch.Generator().manual_seed(3)).to(DEVICE)
with torch.no_grad():
    same = torch.allclose(untracked.train()(x), untracked.eval()(x))
print("track_running_stats=False: eval mode output equals train mode output:", same)

# %% [markdown]
# ### Common mistakes
#
# **A batch of one in training mode.** After a linear layer, a batch of one sample has one value
# per feature: its variance over the batch is 0 and `x − μ` is 0, so the output would be
# nothing but β. PyTorch refuses instead:

# %% tags=["raises-exception"]
nn.BatchNorm1d(3).train()(torch.randn(1, 3))

# %% [markdown]
# How to read it: "more than 1 value per channel" counts the values the statistics would be taken
# over, here `N = 1`; `input size torch.Size([1, 3])` is your batch. It usually appears in the
# **last batch of an epoch**: 4,001 samples in batches of 64 leave one. Pass `drop_last=True` to
# the training `DataLoader`, or choose the batch size so the remainder is not 1. A single
# prediction is no problem: call `model.eval()` first, and the layer uses its running statistics.
# (`BatchNorm2d` accepts one image, since its `H·W` positions are several values per channel, and
# `InstanceNorm2d` refuses a 1×1 feature map with "Expected more than 1 spatial element".)
#
# **A wrong `num_features`.** The number must equal the channels of the layer before it. A
# `BatchNorm2d(6)` written after a convolution with 16 output channels:

# %% tags=["raises-exception"]
nn.BatchNorm2d(6)(torch.randn(2, 16, 5, 5))

# %% [markdown]
# How to read it: `running_mean should contain 16 elements` gives the channel count of the input
# (axis 1 of `(2, 16, 5, 5)`), `not 6` the `num_features` the layer was built with. Change the
# layer to `BatchNorm2d(16)`. (These two cells run on the CPU, where the message is this one; a
# GPU reports the same mismatch in its own words.) A third message, `expected 4D input (got 2D
# input)`, means the input has the wrong number of axes: a `BatchNorm2d` after `flatten`, where
# `BatchNorm1d` belongs.

# %% [markdown]
# ## 3 · LeNet with BatchNorm against LeNet without, from a bad initialisation
#
# Now a real network. Plain LeNet (from `tools.models`) against the same network with a
# `BatchNorm2d` after each convolution and a `BatchNorm1d` after each hidden linear layer, before
# the ReLU, the placement of the BatchNorm paper. Both start from the **same bad initialisation**:
# every weight drawn from N(0, 0.03²), several times smaller than lesson 08's Kaiming rule for
# ReLU layers asks for (`√(2/fan_in)`: 0.28 for conv1, 0.12 for conv2, 0.07 for fc1). In the plain
# network every layer shrinks the signal by such a factor, five layers multiply them, and the
# scores at the end come out about a hundred times too small; so do the gradients: training
# crawls.
#
# A convolution or linear layer followed by BatchNorm gets `bias=False`: the mean that BatchNorm
# subtracts would remove any constant the layer adds (BatchNorm's own β takes its role). We check
# that claim first.

# %%
class LeNetBN(nn.Module):
    """LeNet with BatchNorm after every convolution and hidden linear layer (before the ReLU)."""

    def __init__(self, classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5, bias=False)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc1 = nn.Linear(16 * 5 * 5, 120, bias=False)
        self.bn3 = nn.BatchNorm1d(120)
        self.fc2 = nn.Linear(120, 84, bias=False)
        self.bn4 = nn.BatchNorm1d(84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.bn3(self.fc1(x)))
        x = F.relu(self.bn4(self.fc2(x)))
        return self.fc3(x)


def bad_init(model: nn.Module, std: float = 0.03, seed: int = 0) -> nn.Module:
    """Every conv/linear weight from N(0, std²), biases 0, drawn in module order from one seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            with torch.no_grad():
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * std)
                if module.bias is not None:
                    module.bias.zero_()
    return model


conv_with_bias = nn.Conv2d(1, 6, 5).to(DEVICE)
conv_without = copy.deepcopy(conv_with_bias)
conv_without.bias = None
image_batch = torch.randn(4, 1, 32, 32, generator=torch.Generator().manual_seed(5)).to(DEVICE)
bn = nn.BatchNorm2d(6).to(DEVICE)
with torch.no_grad():
    cancelled = (bn(conv_with_bias(image_batch)) - bn(conv_without(image_batch))).abs().max().item()
print("a conv bias before BatchNorm changes nothing (max difference <= 1e-4):", cancelled <= 1e-4)
print("parameters: LeNet", count_parameters(LeNet(classes=10, in_channels=1)),
      "| LeNetBN", count_parameters(LeNetBN()))

# %% [markdown]
# The data is lesson 09's: the 5,000 digit images decoded once, the same 80/10/10 split (4,000
# training images, 500 for validation), normalized with the training images' mean and std. No
# augmentation this time, and all images sit in two tensors, so an epoch is nothing but
# arithmetic. Both networks see the batches in the same order (same seeded generator). Each
# `BatchNorm` needs more than one sample per batch: 4,000 = 62·64 + 32, so the last batch holds 32.

# %%
root = ensure_dataset("digits")
decoded = CachedDataset(ClassFolderDataset(root, transform=T.Compose([T.Grayscale(), T.ToTensor()])))
split = stratified_split(decoded.targets, fractions=(0.8, 0.1, 0.1), seed=0)
labels = torch.tensor(decoded.targets)
train_pixels = decoded.images[split["train"]]
images = (decoded.images - train_pixels.mean()) / train_pixels.std()
train_data = TensorDataset(images[split["train"]], labels[split["train"]])
valid_data = TensorDataset(images[split["valid"]], labels[split["valid"]])
print("training images:", tuple(train_data.tensors[0].shape), "| validation images:", tuple(valid_data.tensors[0].shape))


def make_loaders(seed: int = 0):
    shuffle_generator = torch.Generator().manual_seed(seed)
    return (DataLoader(train_data, batch_size=64, shuffle=True, generator=shuffle_generator),
            DataLoader(valid_data, batch_size=500))


models = {"plain LeNet": bad_init(LeNet(classes=10, in_channels=1)).to(DEVICE),
          "LeNet + BatchNorm": bad_init(LeNetBN()).to(DEVICE)}
weights = [[m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))] for model in models.values()]
print("both start from the same conv/linear weights:", all(torch.equal(a, b) for a, b in zip(*weights)))

# %% [markdown]
# How small are the scores of the untouched networks? We push one batch of 500 validation
# images through copies of them (in training mode, so BatchNorm uses the batch, as it will when
# training starts; copies, because a training-mode pass would move the real layers' buffers).

# %%
with torch.no_grad():
    start_scores = {name: copy.deepcopy(model).train()(valid_data.tensors[0].to(DEVICE)).std().item()
                    for name, model in models.items()}
print("std of the initial scores, plain LeNet < 0.01:", start_scores["plain LeNet"] < 0.01)
print("std of the initial scores, LeNet + BatchNorm > 0.05:", start_scores["LeNet + BatchNorm"] > 0.05)
print("BatchNorm's initial scores spread over 20 times wider:",
      start_scores["LeNet + BatchNorm"] > 20 * start_scores["plain LeNet"])

# %% [markdown]
# Both networks train for 6 epochs with SGD (learning rate 0.01, momentum 0.9) through
# `tools.train.fit`, which validates after every epoch in eval mode, so the BatchNorm network's
# validation accuracy already uses its running statistics. The exact numbers differ between
# machines (the float path changes each step a little, and after a few hundred steps the runs
# differ), so the log is not compared; the checks after the plot state what holds everywhere.

# %%
# NBVAL_IGNORE_OUTPUT
EPOCHS = 6
histories, seconds = {}, {}
for name, model in models.items():
    set_seed(0)
    train_loader, valid_loader = make_loaders(seed=0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    histories[name] = fit(model, train_loader, valid_loader, nn.CrossEntropyLoss(), optimizer, EPOCHS, DEVICE)
    seconds[name] = time.perf_counter() - start
    print(f"{name:18} valid accuracy per epoch:", " ".join(f"{acc:.3f}" for acc in histories[name].valid_acc),
          f"| {seconds[name]:.1f} s")

# %%
figure, (acc_axis, loss_axis) = plt.subplots(1, 2, figsize=(11, 3.8))
epochs = range(1, EPOCHS + 1)
for (name, history), color in zip(histories.items(), ("tab:red", "tab:blue")):
    acc_axis.plot(epochs, history.valid_acc, "o-", color=color, label=f"{name}: validation")
    acc_axis.plot(epochs, history.train_acc, "--", color=color, alpha=0.6, label=f"{name}: training")
    loss_axis.plot(epochs, history.train_loss, "o-", color=color, label=name)
acc_axis.axhline(0.9, color="gray", ls=":", label="0.9")
acc_axis.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1), title="Accuracy, both from weights N(0, 0.03²)")
acc_axis.legend(fontsize=8, loc="lower right")
loss_axis.set(xlabel="epoch", ylabel="training loss (log scale)", yscale="log", title="Training loss")
loss_axis.legend(fontsize=8)
figure.tight_layout();

# %% [markdown]
# The plain network spends its first epochs on the plateau of a network that outputs nearly the
# same scores for every image (accuracy near 0.1, loss near ln 10 ≈ 2.3) and only slowly finds a
# way out; the BatchNorm network rescales every layer's output from the first step on and reaches
# 0.9 within its first two epochs. The target, stated so that it holds on any machine:

# %%
def epochs_to_reach(history, level=0.9):
    """The first epoch (counted from 1) whose validation accuracy reaches `level`, or None."""
    return next((epoch for epoch, acc in enumerate(history.valid_acc, start=1) if acc >= level), None)


reached = {name: epochs_to_reach(history) for name, history in histories.items()}
bn_epochs = reached["LeNet + BatchNorm"]
plain_epochs = reached["plain LeNet"] or EPOCHS + 1  # never reached counts as "after the last epoch"
print("LeNet + BatchNorm reaches 0.9 validation accuracy within 2 epochs:", bn_epochs is not None and bn_epochs <= 2)
print("plain LeNet is still below 0.5 after its first epoch:", histories["plain LeNet"].valid_acc[0] < 0.5)
print("target met, the BatchNorm network reaches 0.9 in fewer epochs than the plain one:",
      bn_epochs is not None and bn_epochs < plain_epochs)
record_metrics("16_normalization", hand_bn_max_difference=worst,
               bn_epochs_to_0_9=bn_epochs if bn_epochs is not None else f"more than {EPOCHS}",
               plain_epochs_to_0_9=reached["plain LeNet"] or f"more than {EPOCHS}",
               bn_final_valid_acc=histories["LeNet + BatchNorm"].valid_acc[-1],
               plain_final_valid_acc=histories["plain LeNet"].valid_acc[-1],
               train_seconds=sum(seconds.values()))

# %% [markdown]
# BatchNorm did not make the bad initialisation good; it made it harmless, as in section 1. (From
# a sensible initialisation, plain LeNet learns quickly too: lesson 09.) The price is a dependence
# on the batch: small batches give noisy statistics, a batch of one fails, and train and eval mode
# behave differently. The other normalization layers avoid some of that.

# %% [markdown]
# ## 4 · LayerNorm, InstanceNorm, GroupNorm
#
# All four layers compute the same thing, `γ·(x − mean)/√(var + eps) + β` with the biased
# variance. They differ only in **which values share one mean and one variance**. Picture a batch
# `(N, C, H, W)` as a block with the positions `H·W` along one edge:
#
# - **BatchNorm**: one channel, across all samples and positions: statistics over `(N, H, W)`.
# - **LayerNorm**: one sample, across all its channels and positions: over `(C, H, W)`.
# - **InstanceNorm**: one sample and one channel: over `(H, W)`.
# - **GroupNorm**: one sample and a group of neighbouring channels: over `(C/G, H, W)`.
#
# Only BatchNorm mixes different samples. The other three compute everything inside one sample, so
# they need no running statistics, work with a batch of one and behave the same in train and eval
# mode. That is why LayerNorm is the norm of transformers and recurrent networks (sequences of
# different lengths, small batches), InstanceNorm that of style transfer and image generation
# (each image's own contrast is what gets removed), and GroupNorm that of detection and
# segmentation models trained with one or two large images per GPU, where batch statistics are
# too noisy.

# %%
N_SHOW, C_SHOW, HW_SHOW, GROUPS_SHOW = 4, 6, 5, 3
highlight = {
    "BatchNorm": lambda n, c: c == 1,
    "LayerNorm": lambda n, c: n == 1,
    "InstanceNorm": lambda n, c: n == 1 and c == 1,
    "GroupNorm (3 groups)": lambda n, c: n == 1 and c // (C_SHOW // GROUPS_SHOW) == 0,
}
statistics_axes = {"BatchNorm": "(N, H, W)", "LayerNorm": "(C, H, W)", "InstanceNorm": "(H, W)",
                   "GroupNorm (3 groups)": "(C/G, H, W)"}
figure = plt.figure(figsize=(13, 3.9))
for index, (name, chosen) in enumerate(highlight.items(), start=1):
    axis = figure.add_subplot(1, 4, index, projection="3d")
    chosen_cells = np.zeros((C_SHOW, N_SHOW, HW_SHOW), dtype=bool)  # voxel axes: x = C, y = N, z = H·W
    for c in range(C_SHOW):
        for n in range(N_SHOW):
            chosen_cells[c, n, :] = chosen(n, c)
    # two calls, so that the faces between the shaded cells and the others are drawn
    axis.voxels(~chosen_cells, facecolors=(0.85, 0.85, 0.85, 0.12), edgecolor=(0.4, 0.4, 0.4, 0.25), linewidth=0.4)
    axis.voxels(chosen_cells, facecolors=(0.12, 0.47, 0.71, 0.85), edgecolor=(0.05, 0.2, 0.4, 0.6), linewidth=0.5)
    axis.set_xlabel("C", labelpad=-10)
    axis.set_ylabel("N", labelpad=-10)
    axis.set_zlabel("H·W", labelpad=-10)
    axis.set(xticklabels=[], yticklabels=[], zticklabels=[])
    axis.set_box_aspect((C_SHOW, N_SHOW, HW_SHOW))
    axis.view_init(elev=22, azim=-58)
    axis.set_title(f"{name}\none mean and variance over {statistics_axes[name]}", fontsize=10)
figure.suptitle("Which values share their statistics (blue): one set of each layer, in a batch N × C × (H·W)")
figure.subplots_adjust(left=0.0, right=0.97, top=0.8, bottom=0.02, wspace=0.08);

# %% [markdown]
# ### Each one by hand
#
# One helper normalizes over the axes we name, and each library layer is compared with it on the
# same batch. For LayerNorm the axes are the **last ones**, given by `normalized_shape`: with
# `LayerNorm([C, H, W])` each sample is normalized as a whole, and its `weight` and `bias` have
# the shape `(C, H, W)`: one γ and one β per **element**, not per channel. We give them random
# values so that the check covers them.

# %%
def normalize_over(x, dims, eps=1e-5):
    """(x − mean) / √(var + eps), mean and biased variance over the axes `dims`."""
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, correction=0, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


generator = torch.Generator().manual_seed(44)
x = (torch.randn(4, 6, 5, 5, generator=generator) * 3 + torch.randn(4, 6, 1, 1, generator=generator) * 2).to(DEVICE)

layer_norm = nn.LayerNorm([6, 5, 5]).to(DEVICE)
with torch.no_grad():
    layer_norm.weight.copy_(torch.rand(6, 5, 5, generator=generator) + 0.5)
    layer_norm.bias.copy_(torch.randn(6, 5, 5, generator=generator))
instance_norm = nn.InstanceNorm2d(6).to(DEVICE)
checks = {
    "BatchNorm2d(6)     over (N, H, W)": (nn.BatchNorm2d(6).to(DEVICE)(x), normalize_over(x, (0, 2, 3))),
    "LayerNorm([6,5,5]) over (C, H, W)": (layer_norm(x), normalize_over(x, (1, 2, 3)) * layer_norm.weight + layer_norm.bias),
    "InstanceNorm2d(6)  over (H, W)   ": (instance_norm(x), normalize_over(x, (2, 3))),
}
with torch.no_grad():
    for name, (library, hand) in checks.items():
        print(f"{name}: max |hand - library| <= 1e-5:", (library - hand).abs().max().item() <= 1e-5)

# %% [markdown]
# GroupNorm sits between the two per-sample extremes: with one group it takes the statistics of
# the whole sample (LayerNorm over `(C, H, W)`), with as many groups as channels those of each
# channel alone (InstanceNorm). Its γ and β are per channel, shape `(C,)`, like BatchNorm's; at
# their starting values 1 and 0 the layers can be compared directly. (Writing GroupNorm for any
# group count is exercise 16.1.)

# %%
with torch.no_grad():
    one_group = nn.GroupNorm(1, 6).to(DEVICE)(x)
    six_groups = nn.GroupNorm(6, 6).to(DEVICE)(x)
    plain_layer_norm = nn.LayerNorm([6, 5, 5], elementwise_affine=False).to(DEVICE)(x)
print("GroupNorm(1, 6) equals LayerNorm over (C, H, W):", (one_group - plain_layer_norm).abs().max().item() <= 1e-5)
print("GroupNorm(6, 6) equals InstanceNorm2d(6):", (six_groups - instance_norm(x)).abs().max().item() <= 1e-5)

# %% [markdown]
# ### Parameters and buffers of every kind
#
# Where the statistics are taken decides what the layer must store. BatchNorm is the only one with
# running statistics by default. LayerNorm's γ and β have the `normalized_shape`, which may be any
# tail of the input's shape: `LayerNorm(5)` normalizes each row of 5 values on its own.
# InstanceNorm has **no parameters by default** (`affine=False`, unlike the others) and no running
# statistics (`track_running_stats=False`). GroupNorm's are per channel.

# %%
layers = {
    "BatchNorm2d(6)": nn.BatchNorm2d(6),
    "LayerNorm([6, 5, 5])": nn.LayerNorm([6, 5, 5]),
    "LayerNorm([5, 5])": nn.LayerNorm([5, 5]),
    "LayerNorm(5)": nn.LayerNorm(5),
    "LayerNorm([6,5,5], elementwise_affine=False)": nn.LayerNorm([6, 5, 5], elementwise_affine=False),
    "InstanceNorm2d(6)": nn.InstanceNorm2d(6),
    "InstanceNorm2d(6, affine=True)": nn.InstanceNorm2d(6, affine=True),
    "GroupNorm(3, 6)": nn.GroupNorm(3, 6),
}
for name, layer in layers.items():
    parameters = {key: tuple(value.shape) for key, value in layer.named_parameters()} or "none"
    buffers = {key: tuple(value.shape) for key, value in layer.named_buffers()} or "none"
    print(f"{name:44} parameters: {str(parameters):38} buffers: {buffers}")

# %% [markdown]
# And the property that sets them apart in use: does a sample's output depend on the rest of the
# batch? We change every sample but the first and compare the first sample's output.

# %%
companions = (torch.randn(3, 6, 5, 5, generator=torch.Generator().manual_seed(45)) * 3).to(DEVICE)
x_swapped = torch.cat([x[:1], companions])
for name, layer in {"BatchNorm2d (train)": nn.BatchNorm2d(6), "LayerNorm": nn.LayerNorm([6, 5, 5]),
                    "InstanceNorm2d": nn.InstanceNorm2d(6), "GroupNorm": nn.GroupNorm(3, 6)}.items():
    layer = layer.to(DEVICE).train()
    with torch.no_grad():
        independent = torch.allclose(layer(x)[0], layer(x_swapped)[0], atol=1e-5)
    print(f"{name:20} sample 0's output independent of the other samples: {independent}")

# %% [markdown]
# ### Common mistake: a group count that does not divide the channels
#
# GroupNorm splits the `C` channels into `G` groups of `C/G` neighbouring channels, so `G` must
# divide `C`:

# %% tags=["raises-exception"]
nn.GroupNorm(4, 6)

# %% [markdown]
# How to read it: the message names both numbers. The error comes when the layer is built, not
# when data flows. Pick a divisor of the channel count (for 6 channels: 1, 2, 3 or 6); networks
# usually take 32 groups with channel counts that are multiples of 32.

# %% [markdown]
# ## Exercises
#
# **16.1 · GroupNorm by hand.** Write `group_norm(x, num_groups, weight=None, bias=None, eps=1e-5)`
# for an input `x` of shape `(N, C, *)` (any number of spatial axes, also none). Channels
# `0 … C/G − 1` form group 0, the next `C/G` group 1, and so on. Return three tensors:
#
# - `y`, the normalized input, shaped like `x`, with `weight` and `bias` (shape `(C,)`, one value
#   per **channel**) applied when they are given;
# - `mean` and `var`, each of shape `(N, num_groups)`: the statistics of every sample's groups
#   (`var` the biased variance that `y` was normalized with).
#
# Raise `ValueError` when `num_groups` does not divide `C` (advice 16.4 tries it, for no points:
# whether code raised cannot reach the grader as data). Do not call `F.group_norm` or
# `nn.GroupNorm`: the check compares with them itself, over several group counts.

# %%
### BEGIN SOLUTION
def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    n, c = x.shape[:2]
    if c % num_groups != 0:
        raise ValueError(f"num_channels ({c}) must be divisible by num_groups ({num_groups})")
    grouped = x.reshape(n, num_groups, -1)  # each row: the C/G channels of one group, all positions
    mean = grouped.mean(dim=2)
    var = grouped.var(dim=2, correction=0)
    y = ((grouped - mean.unsqueeze(2)) / torch.sqrt(var.unsqueeze(2) + eps)).reshape(x.shape)
    shape = [1, c] + [1] * (x.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y, mean, var
### END SOLUTION
y_groups, mean_groups, var_groups = group_norm(x, 3)  # section 4's batch (4, 6, 5, 5), 3 groups of 2 channels
with torch.no_grad():
    library_groups = nn.GroupNorm(3, 6).to(DEVICE)(x)
print("group_norm(x, 3): y", tuple(y_groups.shape), "| mean", tuple(mean_groups.shape), "| var", tuple(var_groups.shape),
      "| equals nn.GroupNorm(3, 6) within 1e-5:", (y_groups - library_groups).abs().max().item() <= 1e-5)

# %%
def check_group_norm(answer):
    import torch
    from torch.nn import functional as F

    def cases():
        g = torch.Generator().manual_seed(1601)
        x4 = torch.randn(4, 6, 5, 5, generator=g, dtype=torch.float64) * 2 + torch.randn(4, 6, 1, 1, generator=g, dtype=torch.float64) * 3
        w6 = torch.rand(6, generator=g, dtype=torch.float64) + 0.5
        b6 = torch.randn(6, generator=g, dtype=torch.float64)
        found = [(f"x {tuple(x4.shape)}, {k} groups, weight and bias", x4, k, w6, b6, 1e-5) for k in (1, 2, 3, 6)]
        x3 = torch.randn(3, 6, 7, generator=g, dtype=torch.float64) * 4 + 1
        found.append(("x (3, 6, 7), 2 groups, no weight or bias", x3, 2, None, None, 1e-5))
        x5 = torch.randn(2, 8, 3, 3, 2, generator=g, dtype=torch.float64) + torch.arange(8, dtype=torch.float64).view(1, 8, 1, 1, 1)
        w8 = torch.rand(8, generator=g, dtype=torch.float64) + 0.5
        b8 = torch.randn(8, generator=g, dtype=torch.float64)
        found.append(("x (2, 8, 3, 3, 2), 4 groups, eps=0.1", x5, 4, w8, b8, 0.1))
        tiny = torch.randn(3, 4, 2, 2, generator=g, dtype=torch.float64) * 1e-3
        found.append(("a tiny-valued x (3, 4, 2, 2), 2 groups", tiny, 2, None, None, 1e-5))
        return found

    assert isinstance(answer, dict) and "outputs" in answer, "the answer should hold the outputs of group_norm"
    outputs = answer["outputs"]
    expected_cases = cases()
    assert isinstance(outputs, list) and len(outputs) == len(expected_cases), "one output per case is expected"
    for (name, x, groups, weight, bias, eps), got in zip(expected_cases, outputs):
        assert isinstance(got, (tuple, list)) and len(got) == 3, f"{name}: return the three tensors (y, mean, var)"
        y, mean, var = got
        n, c = x.shape[:2]
        for label, value, shape in (("y", y, tuple(x.shape)), ("mean", mean, (n, groups)), ("var", var, (n, groups))):
            assert isinstance(value, torch.Tensor) and tuple(value.shape) == shape, \
                f"{name}: {label} should be a tensor of shape {shape}, got {getattr(value, 'shape', value)!r}"
        y, mean, var = y.double(), mean.double(), var.double()
        grouped = x.reshape(n, groups, -1)
        want_mean, want_var = grouped.mean(dim=2), grouped.var(dim=2, correction=0)
        want_y = F.group_norm(x, groups, weight, bias, eps)
        if not torch.allclose(mean, want_mean, atol=1e-9):
            interleaved = x.reshape(n, c // groups, groups, -1).transpose(1, 2).reshape(n, groups, -1).mean(dim=2)
            if torch.allclose(mean, interleaved, atol=1e-9):
                raise AssertionError(f"{name}: group g holds the neighbouring channels g·C/G ... (g+1)·C/G − 1, "
                                     "not every G-th channel")
            raise AssertionError(f"{name}: mean should be the mean of each sample's group of channels, over the "
                                 "channels of the group and all positions")
        if not torch.allclose(var, want_var, atol=1e-9):
            hint = ("that is the unbiased variance; normalization uses the biased one (divide by n)"
                    if torch.allclose(var, grouped.var(dim=2), atol=1e-9) else "var should be the biased variance of each group")
            raise AssertionError(f"{name}: {hint}")
        if not torch.allclose(y, want_y, atol=1e-9):
            shape = [1, c] + [1] * (x.dim() - 2)
            plain = F.group_norm(x, groups, None, None, eps)
            whole = F.layer_norm(x, x.shape[1:], None, None, eps)
            if groups > 1 and torch.allclose(y, whole * (1 if weight is None else weight.reshape(shape))
                                             + (0 if bias is None else bias.reshape(shape)), atol=1e-9):
                hint = "y is normalized over all channels at once (LayerNorm): normalize each group with its own statistics"
            elif weight is not None and torch.allclose(y, plain, atol=1e-9):
                hint = "weight and bias were not applied (one value per channel)"
            elif torch.allclose(y, F.group_norm(x, groups, weight, bias, 1e-5), atol=1e-9):
                hint = "use the eps you were given, not always 1e-5"
            elif torch.allclose(y, F.group_norm(x, groups, weight, bias, 0.0), atol=1e-9) or torch.allclose(
                    ((grouped - want_mean.unsqueeze(2)) / (want_var.unsqueeze(2).sqrt() + eps)).reshape(x.shape)
                    * (1 if weight is None else weight.reshape(shape)) + (0 if bias is None else bias.reshape(shape)),
                    y, atol=1e-9):
                hint = "eps belongs under the square root: √(var + eps)"
            else:
                hint = f"largest difference from GroupNorm's output {(y - want_y).abs().max().item():.3g}"
            raise AssertionError(f"{name}: {hint}")


def group_norm_answer():
    g = torch.Generator().manual_seed(1601)
    x4 = torch.randn(4, 6, 5, 5, generator=g, dtype=torch.float64) * 2 + torch.randn(4, 6, 1, 1, generator=g, dtype=torch.float64) * 3
    w6 = torch.rand(6, generator=g, dtype=torch.float64) + 0.5
    b6 = torch.randn(6, generator=g, dtype=torch.float64)
    outputs = [group_norm(x4, k, w6, b6) for k in (1, 2, 3, 6)]
    x3 = torch.randn(3, 6, 7, generator=g, dtype=torch.float64) * 4 + 1
    outputs.append(group_norm(x3, 2))
    x5 = torch.randn(2, 8, 3, 3, 2, generator=g, dtype=torch.float64) + torch.arange(8, dtype=torch.float64).view(1, 8, 1, 1, 1)
    w8 = torch.rand(8, generator=g, dtype=torch.float64) + 0.5
    b8 = torch.randn(8, generator=g, dtype=torch.float64)
    outputs.append(group_norm(x5, 4, w8, b8, eps=0.1))
    tiny = torch.randn(3, 4, 2, 2, generator=g, dtype=torch.float64) * 1e-3
    outputs.append(group_norm(tiny, 2))
    return {"outputs": outputs}


check_exercise("16.1", check_group_norm, points=2, answer=group_norm_answer)

# %% [markdown]
# **16.2 · Reading a batch's statistics back from the buffers.** A `BatchNorm` layer's buffers
# were saved just before and just after one training-mode batch, as dicts
# `{"running_mean": ..., "running_var": ..., "num_batches_tracked": ...}`. Write
# `batch_stats_from_buffers(before, after, momentum, count)` that returns `(mean, var)`: the
# per-channel mean of that batch and the variance it was **normalized with**. `momentum` is the
# layer's (a float, or `None` for the cumulative average) and `count` the number of values per
# channel in the batch (`N·H·W` for `BatchNorm2d`). Section 2 has every rule you need; you have to
# run them backwards.

# %%
### BEGIN SOLUTION
def batch_stats_from_buffers(before, after, momentum, count):
    if momentum is None:
        weight = 1.0 / after["num_batches_tracked"].item()  # cumulative average: the k-th batch weighs 1/k
    else:
        weight = momentum
    mean = (after["running_mean"] - (1 - weight) * before["running_mean"]) / weight
    unbiased = (after["running_var"] - (1 - weight) * before["running_var"]) / weight
    return mean, unbiased * (count - 1) / count
### END SOLUTION
generator = torch.Generator().manual_seed(162)
bn = nn.BatchNorm2d(3, momentum=0.3).to(DEVICE)
before = {name: buffer.clone() for name, buffer in bn.named_buffers()}
x = (torch.randn(4, 3, 2, 2, generator=generator) * 2 + 1).to(DEVICE)
bn(x)
after = {name: buffer.clone() for name, buffer in bn.named_buffers()}
mean, var = batch_stats_from_buffers(before, after, 0.3, count=4 * 2 * 2)
print("read back from the buffers: the batch's mean", torch.allclose(mean, x.mean(dim=(0, 2, 3)), atol=1e-4),
      "| its biased variance", torch.allclose(var, x.var(dim=(0, 2, 3), correction=0), atol=1e-4))

# %%
def check_batch_stats(answer):
    import torch

    def batches(seed, count, shape):
        g = torch.Generator().manual_seed(seed)
        centre = torch.tensor([2.0, -1.0, 5.0]).view(1, 3, 1, 1)
        spread = torch.tensor([0.5, 3.0, 1.5]).view(1, 3, 1, 1)
        return [torch.randn(shape, generator=g) * spread + centre for _ in range(count)]

    settings = [("momentum 0.1, first batch", 0.1, 1, (2, 3, 2, 2)),
                ("momentum 0.3, third batch", 0.3, 3, (4, 3, 2, 1)),
                ("momentum None, fourth batch", None, 4, (2, 3, 2, 2))]
    assert isinstance(answer, list) and len(answer) == len(settings), "one (mean, var) pair per case is expected"
    for seed, ((name, momentum, count, shape), got) in enumerate(zip(settings, answer), start=50):
        last = batches(seed, count, shape)[-1].double()
        want_mean = last.mean(dim=(0, 2, 3))
        want_var = last.var(dim=(0, 2, 3), correction=0)
        assert isinstance(got, (tuple, list)) and len(got) == 2, f"{name}: return the pair (mean, var)"
        mean, var = got
        assert all(isinstance(t, torch.Tensor) and tuple(t.shape) == (3,) for t in (mean, var)), \
            f"{name}: mean and var should be tensors of shape (3,), one value per channel"
        mean, var = mean.double(), var.double()
        if not torch.allclose(mean, want_mean, atol=2e-4, rtol=1e-4):
            hint = "PyTorch's momentum is the weight of the NEW batch: running = (1 − m)·running + m·batch"
            if momentum is None:
                hint = "with momentum=None the k-th batch has weight 1/k (k = num_batches_tracked after the step)"
            raise AssertionError(f"{name}: the batch mean is off; {hint}")
        if not torch.allclose(var, want_var, atol=2e-4, rtol=1e-4):
            n = last.numel() // 3
            if torch.allclose(var, want_var * n / (n - 1), atol=2e-4, rtol=1e-4):
                raise AssertionError(f"{name}: that is the unbiased variance that running_var averages; the batch "
                                     "was normalized with the biased one")
            raise AssertionError(f"{name}: the variance is off (expected {[round(v, 4) for v in want_var.tolist()]})")


def batch_stats_answer():
    def batches(seed, count, shape):
        g = torch.Generator().manual_seed(seed)
        centre = torch.tensor([2.0, -1.0, 5.0]).view(1, 3, 1, 1)
        spread = torch.tensor([0.5, 3.0, 1.5]).view(1, 3, 1, 1)
        return [torch.randn(shape, generator=g) * spread + centre for _ in range(count)]

    settings = [(0.1, 1, (2, 3, 2, 2)), (0.3, 3, (4, 3, 2, 1)), (None, 4, (2, 3, 2, 2))]
    results = []
    for seed, (momentum, count, shape) in enumerate(settings, start=50):
        layer = nn.BatchNorm2d(3, momentum=momentum)
        stream = batches(seed, count, shape)
        for batch in stream[:-1]:
            layer(batch)
        before = {name: buffer.clone() for name, buffer in layer.named_buffers()}
        layer(stream[-1])
        after = {name: buffer.clone() for name, buffer in layer.named_buffers()}
        values = stream[-1].numel() // 3
        results.append(batch_stats_from_buffers(before, after, momentum, values))
    return results


check_exercise("16.2", check_batch_stats, points=1, answer=batch_stats_answer)

# %% [markdown]
# **16.3 · Folding BatchNorm away for inference.** In eval mode a BatchNorm layer is a fixed
# affine map per channel (section 2), so it can be merged into the linear layer next to it: one
# layer less to run, same outputs. Write two functions, each returning `(weight, bias)` tensors
# for **one** layer of the same kind as the conv/linear layer given (the `bias` is never `None`):
#
# - `fold_into_conv(conv, bn)`: a `Conv2d` computing `bn(conv(x))`, the usual case (conv → BN);
#   `conv` may have no bias;
# - `fold_into_linear(bn, linear)`: a `Linear` computing `linear(bn(x))`, BatchNorm1d *before* the
#   linear layer.
#
# Both BatchNorm layers are in eval mode. Think about which axis of the weight each channel's
# scale belongs to in each case. (`torch.nn.utils.fusion` has the first; the second is yours.)

# %%
### BEGIN SOLUTION
def fold_into_conv(conv, bn):
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # per output channel of the conv
    weight = conv.weight * scale.view(-1, 1, 1, 1)
    conv_bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    bias = (conv_bias - bn.running_mean) * scale + bn.bias
    return weight.detach(), bias.detach()


def fold_into_linear(bn, linear):
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # per input feature of the linear layer
    shift = bn.bias - bn.running_mean * scale
    weight = linear.weight * scale.view(1, -1)
    bias = linear.weight @ shift + (linear.bias if linear.bias is not None else 0)
    return weight.detach(), bias.detach()
### END SOLUTION
trained = models["LeNet + BatchNorm"].eval()  # section 3's network: fold its first conv and BatchNorm into one conv
folded_weight, folded_bias = fold_into_conv(trained.conv1, trained.bn1)
with torch.no_grad():
    some_images = valid_data.tensors[0][:50].to(DEVICE)
    unfolded = trained.bn1(trained.conv1(some_images))
    folded = F.conv2d(some_images, folded_weight, folded_bias)
print("LeNetBN's conv1 + bn1 as one conv: max difference <= 1e-4 of the output's largest value:",
      (folded - unfolded).abs().max().item() <= 1e-4 * unfolded.abs().max().item())
bn_then_linear = nn.Sequential(nn.BatchNorm1d(6), nn.Linear(6, 3)).to(DEVICE)
bn_then_linear(torch.randn(32, 6, generator=generator).to(DEVICE) * 3 + 2)  # one training batch fills the buffers
bn_then_linear.eval()
features = torch.randn(5, 6, generator=generator).to(DEVICE) * 3 + 2
with torch.no_grad():
    folded = F.linear(features, *fold_into_linear(*bn_then_linear))
    print("BatchNorm1d(6) then Linear(6, 3) as one Linear: equal within 1e-4:",
          torch.allclose(folded, bn_then_linear(features), atol=1e-4, rtol=1e-4))

# %%
def check_fold(answer):
    import torch
    from torch import nn
    from torch.nn import functional as F

    def fill(layer, g, positive=()):
        with torch.no_grad():
            for name, tensor in list(layer.named_parameters()) + list(layer.named_buffers()):
                if tensor.is_floating_point():
                    values = torch.randn(tensor.shape, generator=g, dtype=torch.float64)
                    tensor.copy_(values.abs() * 1.5 + 0.05 if name in positive else values)
        return layer

    def modules():
        g = torch.Generator().manual_seed(1603)
        found = {}
        for with_bias in (True, False):
            conv = fill(nn.Conv2d(3, 5, 3, bias=with_bias).double(), g)
            bn = fill(nn.BatchNorm2d(5, eps=1e-3).double(), g, positive=("running_var",)).eval()
            found[f"conv bias={with_bias}"] = (conv, bn)
        bn1 = fill(nn.BatchNorm1d(6, eps=1e-3).double(), g, positive=("running_var",)).eval()
        linear = fill(nn.Linear(6, 4).double(), g)
        found["BatchNorm1d then Linear"] = (bn1, linear)
        return found

    assert isinstance(answer, dict), "the answer should map each case to (weight, bias)"
    g = torch.Generator().manual_seed(3)
    for name, (first, second) in modules().items():
        assert name in answer, f"missing the case '{name}'"
        got = answer[name]
        assert isinstance(got, (tuple, list)) and len(got) == 2, f"{name}: return (weight, bias)"
        weight, bias = got
        is_conv = name.startswith("conv")
        layer = first if is_conv else second
        out_features = layer.weight.shape[0]
        assert isinstance(weight, torch.Tensor) and weight.shape == layer.weight.shape, \
            f"{name}: weight should have the shape of the {'conv' if is_conv else 'linear'} weight {tuple(layer.weight.shape)}"
        assert isinstance(bias, torch.Tensor) and tuple(bias.shape) == (out_features,), \
            f"{name}: bias should be a tensor of shape ({out_features},), also when the layer had no bias"
        assert weight.is_floating_point() and bias.is_floating_point(), f"{name}: weight and bias should be float tensors"
        assert torch.isfinite(weight).all() and torch.isfinite(bias).all(), f"{name}: weight and bias should be finite"
        weight, bias = weight.double(), bias.double()
        with torch.no_grad():
            if is_conv:
                x = torch.randn(2, 3, 6, 6, generator=g, dtype=torch.float64)
                want, got_out = second(first(x)), F.conv2d(x, weight, bias)
            else:
                x = torch.randn(5, 6, generator=g, dtype=torch.float64)
                want, got_out = second(first(x)), F.linear(x, weight, bias)
        difference = (got_out - want).abs().max().item()
        if not difference <= 1e-8:  # written so that NaN fails too
            hint = ("scale the weight's rows (output channels) by γ/√(running_var + eps), and fold the conv's own bias in too"
                    if is_conv else "here the BatchNorm acts on the INPUT features: scale the weight's columns, and "
                    "push the shift β − μ·γ/√(var + eps) through the weight into the bias")
            raise AssertionError(f"{name}: the folded layer's outputs differ by up to {difference:.3g}; {hint}")


def fold_answer():
    def fill(layer, g, positive=()):
        with torch.no_grad():
            for name, tensor in list(layer.named_parameters()) + list(layer.named_buffers()):
                if tensor.is_floating_point():
                    values = torch.randn(tensor.shape, generator=g, dtype=torch.float64)
                    tensor.copy_(values.abs() * 1.5 + 0.05 if name in positive else values)
        return layer

    g = torch.Generator().manual_seed(1603)
    result = {}
    for with_bias in (True, False):
        conv = fill(nn.Conv2d(3, 5, 3, bias=with_bias).double(), g)
        bn = fill(nn.BatchNorm2d(5, eps=1e-3).double(), g, positive=("running_var",)).eval()
        result[f"conv bias={with_bias}"] = fold_into_conv(conv, bn)
    bn1 = fill(nn.BatchNorm1d(6, eps=1e-3).double(), g, positive=("running_var",)).eval()
    linear = fill(nn.Linear(6, 4).double(), g)
    result["BatchNorm1d then Linear"] = fold_into_linear(bn1, linear)
    return result


check_exercise("16.3", check_fold, points=2, answer=fold_answer)

# %% [markdown]
# **16.4 · Advice, no points: does `group_norm` refuse groups that do not divide the channels?**
# This cell runs in your own notebook and tells you whether `group_norm` raises `ValueError` for
# 4 groups of 6 channels.

# %%
from tools import advise_exercise


def advise_refuses_groups(raised):
    assert raised == "ValueError", f"group_norm(x, 4) with 6 channels should raise ValueError, got {raised}"


def refuses_groups_answer():
    try:
        group_norm(torch.zeros(2, 6, 3, 3), 4)
    except ValueError:
        return "ValueError"
    except Exception as error:  # noqa: BLE001 - shown as advice
        return f"{type(error).__name__}: {error}"
    return "no error"


advise_exercise("16.4", advise_refuses_groups, answer=refuses_groups_answer)

# %% [markdown]
# ## Summary
#
# - Normalization layers compute `γ·(x − mean)/√(var + eps) + β` with the **biased** variance;
#   they differ in which values share the statistics: BatchNorm over `(N, H, W)` per channel,
#   LayerNorm over the trailing `normalized_shape` per sample, InstanceNorm over `(H, W)` per
#   sample and channel, GroupNorm over `(C/G, H, W)` per sample and group.
# - BatchNorm makes a layer's output independent of its weights' scale: a deep network under a
#   bad initialisation keeps its signal, and LeNet from N(0, 0.03²) weights learns at once with it
#   and crawls without it.
# - BatchNorm keeps `running_mean` and the **unbiased** `running_var`:
#   `running = (1 − momentum)·running + momentum·batch` (PyTorch's momentum weighs the new value;
#   `momentum=None` averages all batches). Eval mode normalizes with them, training mode with the
#   batch; train-mode passes update them even under `no_grad`. Always predict in `model.eval()`.
# - Parameters: BatchNorm, GroupNorm and affine InstanceNorm have `(C,)`, LayerNorm has
#   `normalized_shape`; only BatchNorm has buffers by default; InstanceNorm has no parameters by
#   default. A bias right before BatchNorm is wasted: use `bias=False`.
# - Errors: a 1-sample batch in training mode (`drop_last=True`), `num_features` ≠ channels,
#   `num_groups` not dividing `num_channels`.
