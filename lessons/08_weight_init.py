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
# # 08 · Weight initialisation: keeping the signal alive through 100 layers
#
# **What you will learn**
#
# - why, with badly scaled weights, the size of the activations grows (or shrinks) by the same
#   factor at every layer, until it overflows to `inf`/`nan` or fades to nothing;
# - the **variance rule** `Var(z) = n · Var(w) · Var(x)` and what it says the weights' scale must
#   be;
# - **Xavier** initialisation for tanh networks (and what it does, and does not do, for sigmoid),
#   **Kaiming** initialisation for ReLU networks;
# - what `nn.init.calculate_gain` returns, and how its numbers compare with a gain you measure
#   yourself as `std(z) / std(f(z))`;
# - the whole `nn.init` menu: uniform, normal, constant, eye, dirac, Xavier, Kaiming, orthogonal,
#   sparse, each with a property you can check;
# - an honest limit: even the right initialisation only controls the *average* behaviour, and
#   a single deep ReLU network still drifts.
#
# **Target:** with the right initialisation, the standard deviation of the signal stays within
# **[0.5, 2]** across all 100 layers of a deep network, while the naive initialisation leaves that
# range.

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch import nn

from tools import get_device, record_metrics, set_seed, use_course_style
from tools.models import LeNet2

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## A deep network to experiment with
#
# We build the simplest deep network there is: 100 `nn.Linear(256, 256)` layers, no biases, the
# same activation after each. Its `forward` records the **standard deviation of every linear
# layer's output** (the value that then goes into the activation) in `self.stds`, and stops
# early if the numbers overflow to `inf` or `nan`. It also records, in `self.spreads`, how much
# the samples of the batch still differ from each other (the std across the batch, per unit,
# averaged over the units); we will need that for sigmoid.
#
# The std is measured in float64 (`x.double().std()`), so that the measurement itself cannot
# overflow, even when the network runs in float32.
#
# `make_stack` fills every weight with an initialisation function `init(weight, generator)`.
# The weights are drawn on the CPU from a seeded generator and only then moved to `DEVICE`, so
# every machine builds exactly the same network.

# %%
WIDTH, DEPTH = 256, 100


class DeepMLP(nn.Module):
    """`depth` bias-free Linear(width, width) layers, each followed by `activation`."""

    def __init__(self, activation: nn.Module | None = None, width: int = WIDTH, depth: int = DEPTH):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(width, width, bias=False) for _ in range(depth))
        self.activation = activation if activation is not None else nn.Identity()
        self.stds: list[float] = []
        self.spreads: list[float] = []  # std across the batch, averaged over the units
        self.blew_up_at: int | None = None  # first layer whose output holds inf or nan

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.stds, self.spreads, self.blew_up_at = [], [], None
        for number, layer in enumerate(self.layers, start=1):
            x = layer(x)
            if not torch.isfinite(x).all():
                self.blew_up_at = number
                break
            self.stds.append(x.double().std().item())
            self.spreads.append(x.double().std(dim=0).mean().item())
            x = self.activation(x)
        return x


def make_stack(init, activation=None, seed=1, dtype=torch.float64) -> DeepMLP:
    """A DeepMLP whose weights are filled by `init(weight, generator)`, on DEVICE in `dtype`."""
    model = DeepMLP(activation)
    generator = torch.Generator().manual_seed(seed)
    for layer in model.layers:
        init(layer.weight, generator)
    return model.to(DEVICE, dtype)


def std_trace(model: DeepMLP, x: torch.Tensor) -> list[float]:
    """Run `x` through `model` and return the std after every layer."""
    with torch.no_grad():
        model(x.to(DEVICE, next(model.parameters()).dtype))
    return model.stds


x = torch.randn(16, WIDTH, generator=torch.Generator().manual_seed(0))
print("input batch:", tuple(x.shape), " mean", round(x.mean().item(), 3), " std", round(x.std().item(), 3))

# %% [markdown]
# ## The naive choice: weights from N(0, 1)
#
# "Random numbers from a standard normal" sounds like a harmless default. Let us try it, in
# float32 like a normal network. Each line gives the std after the layer as a multiple of `16^k`
# (why 16 comes next), and in brackets how much bigger the std got in that layer.

# %%
naive = make_stack(lambda w, g: nn.init.normal_(w, mean=0.0, std=1.0, generator=g), dtype=torch.float32)
naive_stds = std_trace(naive, x)
for number in range(1, 6):
    ratio = naive_stds[number - 1] / (naive_stds[number - 2] if number > 1 else x.std().item())
    print(f"layer {number}: std {naive_stds[number - 1] / 16**number:.2f} · 16^{number}   (x{ratio:.1f})")
print("last finite std:", f"{naive_stds[-1]:.0e}", "at layer", len(naive_stds))
print("the output became inf/nan at layer:", naive.blew_up_at)

# %% [markdown]
# The std grows by a factor of about **16** at every layer: 16, 256, 4096, ..., a million after
# 5 layers (16⁵ ≈ 1.05·10⁶). After 31 layers it
# is about 10³⁷, close to the largest float32 number (about 3.4·10³⁸), and at layer 32 the
# partial sums overflow to `inf`, and where a sum adds `inf` and `-inf` the result is `nan`. A loss
# computed from such an output is `nan`, and so is every gradient: training is dead before it
# starts. Why 16? Because 16 = √256, and 256 is the width of the layer.

# %% [markdown]
# ## The variance rule
#
# One output of a linear layer is a sum of `n` products, `z = w₁x₁ + w₂x₂ + … + wₙxₙ`. Assume the
# weights are independent of each other and of the inputs, and have mean 0. Then:
#
# - the terms are uncorrelated, and the variance of a sum of uncorrelated terms is the sum of
#   their variances: `Var(z) = Var(w₁x₁) + … + Var(wₙxₙ)`;
# - for a zero-mean `w` independent of `x`: `Var(w·x) = E[w²]·E[x²] = Var(w)·E[x²]`, and when `x`
#   has mean 0 too, `E[x²] = Var(x)`.
#
# So
#
# $$\operatorname{Var}(z) = n \cdot \operatorname{Var}(w) \cdot \operatorname{Var}(x), \qquad
# \operatorname{std}(z) = \sqrt{n}\,\operatorname{std}(w)\,\operatorname{std}(x).$$
#
# (For inputs that are *not* centred, such as the outputs of ReLU or sigmoid, which are never
# negative, the rule keeps `E[x²]` in place of `Var(x)`: it is the mean square of the input
# that counts. We will need that twice.)
#
# Every layer multiplies the std by `√n · std(w)`. With `std(w) = 1` and `n = 256` that is 16, as
# we saw; after `k` layers the factor is `16^k`. The cure is just as simple: choose
# `std(w) = 1/√n` (here 1/16), so the factor is exactly 1.
#
# From now on the experiments run in **float64** (`dtype=torch.float64`, the default of
# `make_stack`): the picture is the same in float32, and float64 keeps far more digits than we
# print. A CPU and a GPU may still add up the products in a different order and disagree in the
# last bits, but those differences stay far below the three significant digits printed here.

# %%
def summary(stds: list[float]) -> str:
    picks = [1, 10, 50, 100]
    shown = "  ".join(f"L{k}: {stds[k - 1]:.3g}" for k in picks if k <= len(stds))
    return f"{shown}   (min {min(stds):.3g}, max {max(stds):.3g})"


linear_stacks = {
    "N(0, 1)": lambda w, g: nn.init.normal_(w, 0.0, 1.0, generator=g),
    "N(0, 1/n)": lambda w, g: nn.init.normal_(w, 0.0, 1 / math.sqrt(WIDTH), generator=g),
}
linear_stds = {name: std_trace(make_stack(init), x) for name, init in linear_stacks.items()}
for name, stds in linear_stds.items():
    print(f"{name:<10} {summary(stds)}")

# %% [markdown]
# In float64 the N(0, 1) network does not overflow within 100 layers (float64 goes up to
# 10³⁰⁸), but 16¹⁰⁰ ≈ 10¹²⁰ is just as useless. With `std(w) = 1/√n` the std stays close to 1 for
# all 100 layers. It wobbles a little because 256 random weights per unit are only an
# approximation of "the variance"; we will come back to that wobble.

# %% [markdown]
# ### Two more linear stacks: PyTorch's default and orthogonal weights
#
# What does `nn.Linear` do when you do not initialise it yourself? It calls
# `kaiming_uniform_(weight, a=√5)`, which works out to a uniform distribution on
# `[-1/√n, 1/√n]`. Its variance is `(1/√n)² / 3 = 1/(3n)`: one third of what the variance rule
# asks for, so each layer shrinks the std by `1/√3 ≈ 0.577`. In a few layers (with biases and
# activations on top) nobody notices; in 100 layers it matters.
#
# An **orthogonal** matrix `W` (with `WᵀW = I`) is a rotation, a reflection, or a rotation
# combined with a reflection: in every case it keeps the length of every vector exactly. So a
# linear stack of orthogonal layers keeps the *mean square* of the signal constant. (Up to
# rounding: `make_stack` draws the weights in float32, so each matrix is orthogonal only to about
# seven digits, and 100 of them move the mean square by about one part in a million.) The std
# moves a little more (in the third digit below), because it subtracts the mean, and the layers
# change the mean of the entries.

# %%
default_layer = nn.Linear(WIDTH, WIDTH)  # PyTorch's own init, drawn from the seeded global generator
bound = 1 / math.sqrt(WIDTH)
print("default weights inside [-1/√n, 1/√n]:", default_layer.weight.abs().max().item() <= bound)
print(f"default weight std {default_layer.weight.std().item():.4f}  vs  1/√(3n) = {bound / math.sqrt(3):.4f}")


def pytorch_default(w, g):
    return nn.init.uniform_(w, -1 / math.sqrt(WIDTH), 1 / math.sqrt(WIDTH), generator=g)


linear_stds["nn.Linear default"] = std_trace(make_stack(pytorch_default), x)
orthogonal_stack = make_stack(lambda w, g: nn.init.orthogonal_(w, generator=g))
linear_stds["orthogonal"] = std_trace(orthogonal_stack, x)
for name in ["nn.Linear default", "orthogonal"]:
    print(f"{name:<18} {summary(linear_stds[name])}")
with torch.no_grad():
    out = orthogonal_stack(x.to(DEVICE, torch.float64))
mean_square_ratio = out.pow(2).mean().item() / x.double().pow(2).mean().item()
print("orthogonal: mean square after 100 layers / before within 1e-4 of 1:", abs(mean_square_ratio - 1) < 1e-4)
print("predicted default std after 100 layers: (1/√3)^100 =", f"{(1 / math.sqrt(3)) ** 100 * x.std().item():.3g}")

# %% [markdown]
# ## Adding activations: tanh and Xavier
#
# Real networks have a non-linearity after every layer, and it changes the variance too. `tanh`
# has slope 1 at 0 and flattens out further away, so it always *shrinks* its input a little:
# with `std(w) = 1/√n` the signal fades layer after layer.
#
# **Xavier (Glorot) initialisation** (2010) looks at both directions: forward, the variance
# rule wants `Var(w) = 1/fan_in`; backward, the gradients pass through the transposed weights
# and want `Var(w) = 1/fan_out`. Xavier takes the compromise
#
# $$\operatorname{Var}(w) = \frac{2}{\text{fan\_in} + \text{fan\_out}}.$$
#
# A uniform distribution on `[-a, a]` has variance `a²/3`, so `xavier_uniform_` draws from
# `[-a, a]` with `a = gain · √(6 / (fan_in + fan_out))`; `xavier_normal_` uses
# `std = gain · √(2 / (fan_in + fan_out))`. The **gain** makes up for what the activation takes
# away: for tanh it is 5/3. For our square layers (`fan_in = fan_out = 256`) Xavier with gain 1 is
# the same variance as N(0, 1/n).

# %%
tanh_gain = nn.init.calculate_gain("tanh")
tanh_stacks = {
    "N(0, 1)": lambda w, g: nn.init.normal_(w, 0.0, 1.0, generator=g),
    "Xavier, gain 1": lambda w, g: nn.init.xavier_uniform_(w, gain=1.0, generator=g),
    "Xavier, tanh gain": lambda w, g: nn.init.xavier_uniform_(w, gain=tanh_gain, generator=g),
}
tanh_stds = {name: std_trace(make_stack(init, nn.Tanh()), x) for name, init in tanh_stacks.items()}
saturated = tanh_stds["N(0, 1)"]
print(f"{'N(0, 1)':<18} std between 14 and 18 at all {len(saturated)} layers:", all(14 < s < 18 for s in saturated))
for name in ["Xavier, gain 1", "Xavier, tanh gain"]:
    print(f"{name:<18} {summary(tanh_stds[name])}")

# %% [markdown]
# - **N(0, 1)** does not overflow here, because tanh squashes everything into (−1, 1); but each
#   linear layer still blows the std up to about 16 (= √256 times the std of a tanh output that
#   sits at ±1), so almost every tanh is saturated, where its slope (and so every gradient
#   through it) is practically 0. Saturated is as dead as `nan`. Why a range for this one
#   instead of digits? See the next section.
# - **Xavier with gain 1** lets the signal fade: after 100 layers the std is down to a few
#   hundredths, and it keeps falling.
# - **Xavier with the tanh gain 5/3** holds the std steady between about 1 and 1.7 for all 100
#   layers. Better still, tanh's flattening acts like a brake: if the signal grows, tanh shrinks
#   it more, so the std settles at a stable level instead of drifting.

# %% [markdown]
# ### A chaotic network: why the N(0, 1) line prints a range
#
# Two machines do not compute a matrix product bit for bit alike: a CPU with AVX-512, one with
# AVX2, an ARM laptop and a GPU each add the 256 products of a dot product in their own order, so
# the last of float64's 16 digits can differ. In most networks that difference stays in the last
# digits. The saturated tanh network is different: its weights are so large that every layer
# multiplies a small change of its input by about 16 before tanh squashes it, so the difference
# grows layer after layer until it reaches the digits we print. Such a network is **chaotic**.
#
# We can watch this on one machine: nudge the input by one part in 10¹² (far below anything a
# measurement could see) and follow how much each layer's std moves.

# %%
def largest_relative_change(stds: list[float], nudged_stds: list[float]) -> float:
    """The largest relative difference between two std traces, layer by layer."""
    return max(abs(a - b) / a for a, b in zip(stds, nudged_stds))


x_nudged = x.double() * (1 + 1e-12)  # in float64: float32 would round the nudge away
for name in ["N(0, 1)", "Xavier, tanh gain"]:
    nudged = std_trace(make_stack(tanh_stacks[name], nn.Tanh()), x_nudged)
    change = largest_relative_change(tanh_stds[name], nudged)
    print(f"{name:<18} a 1e-12 nudge moves some layer's std by more than 0.1%: {change > 1e-3}"
          f"   by less than 1e-6: {change < 1e-6}")

# %% [markdown]
# The nudge changes the saturated network's std by whole percents, while the Xavier network
# (with its moderate weights) keeps it within a millionth. For the chaotic network, the digits
# after "15" depend on the machine (15.4 on one of our machines, 15.8 on another), so the lesson states only
# what every machine agrees on: the std sits near 16 at every layer. Its training would be just
# as unpredictable, which is one more reason not to start a network there.

# %% [markdown]
# ## `calculate_gain`: one number per activation
#
# `nn.init.calculate_gain(name, param=None)` returns the factor recommended for each
# non-linearity. The values are fixed, so you can compare them exactly:

# %%
for name in ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
    print(f"{name:<11} {nn.init.calculate_gain(name):.6f}")
print(f"{'leaky_relu':<11} {nn.init.calculate_gain('leaky_relu', 0.2):.6f}   (negative slope 0.2)")
print("relu gain is √2:", nn.init.calculate_gain("relu") == math.sqrt(2))
print("leaky_relu gain is √(2 / (1 + slope²)):",
      math.isclose(nn.init.calculate_gain("leaky_relu", 0.2), math.sqrt(2 / (1 + 0.2**2))))

# %% [markdown]
# ### Measuring a gain yourself
#
# Where do these numbers come from? The gain is meant to undo what the activation does to the
# size of its input, so we can measure it: feed a million samples of `z ~ N(0, 1)` through the
# activation `f` and compare the sizes before and after. There are two ways to measure "size":
#
# - the ratio of the standard deviations, `std(z) / std(f(z))`;
# - the ratio of the root mean squares, `rms(z) / rms(f(z))`, where `rms(t) = √mean(t²)`. This is
#   the one the variance rule needs, because the next layer sees `E[f(z)²]`.
#
# For tanh, whose output is centred on 0, the two are the same. For ReLU and sigmoid, whose
# outputs are positive, they are not. The samples are float64 and seeded, and there are enough of
# them that two decimals are the same on every machine.

# %%
z = torch.randn(1_000_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def rms(t: torch.Tensor) -> float:
    return t.pow(2).mean().sqrt().item()


measured = {
    "tanh": (torch.tanh, nn.init.calculate_gain("tanh")),
    "sigmoid": (torch.sigmoid, nn.init.calculate_gain("sigmoid")),
    "relu": (torch.relu, nn.init.calculate_gain("relu")),
    "leaky_relu 0.2": (lambda t: nn.functional.leaky_relu(t, 0.2), nn.init.calculate_gain("leaky_relu", 0.2)),
}
print(f"{'activation':<15} {'std(z)/std(f(z))':>17} {'rms(z)/rms(f(z))':>17} {'calculate_gain':>15}")
for name, (f, gain) in measured.items():
    out = f(z)
    print(f"{name:<15} {z.std().item() / out.std().item():>17.2f} {rms(z) / rms(out):>17.2f} {gain:>15.2f}")

# %% [markdown]
# Read the table row by row:
#
# - **relu** and **leaky_relu**: the RMS ratio is exactly what `calculate_gain` returns (√2 ≈
#   1.41 and √(2 / 1.04) ≈ 1.39). The std ratio is larger (1.71 for relu), because ReLU's output
#   has a mean of about 0.4, and the std leaves that mean out. The gain is built from the mean
#   square, as the variance rule asks.
# - **tanh**: measured, 1.59; `calculate_gain` says 5/3 ≈ 1.67. The measured ratio depends on
#   how large the input is (tanh barely bends small inputs and flattens large ones; see below),
#   so "the" gain of tanh is a choice, not a constant of nature. 5/3 is a little more than tanh
#   takes away from a unit-std input, and the next cell shows what that does in a deep stack.
# - **sigmoid**: `calculate_gain` returns 1, which matches neither measurement. Sigmoid's slope
#   is 1/4 at 0 and smaller everywhere else, so it shrinks the *variations* of its input at least
#   4 times. The measured 4.8 is larger than 4 because the inputs are spread around 0, and away
#   from 0 the slope is below 1/4. Meanwhile its output sits around 0.5 for every input. No
#   single gain fixes both; we look at what happens in a deep sigmoid stack in a moment.
#
# Since tanh's ratio grows with the size of its input, a tanh stack with gain 5/3 has a balance
# point: the input std at which tanh takes away exactly 5/3. Below it the layers grow the
# signal, above it they shrink it. We find it by bisection and compare it with where the
# Xavier tanh stack above settled (the mean of its std over layers 20 to 100).

# %%
def tanh_ratio(scale: float) -> float:
    return (scale * z).std().item() / torch.tanh(scale * z).std().item()


for scale in [0.5, 1.0, 1.5, 2.0]:
    print(f"input std {scale:.1f}: std ratio of tanh {tanh_ratio(scale):.2f}")
low, high = 0.5, 2.0
for _ in range(40):
    middle = (low + high) / 2
    low, high = (middle, high) if tanh_ratio(middle) < tanh_gain else (low, middle)
settled = sum(tanh_stds["Xavier, tanh gain"][19:]) / len(tanh_stds["Xavier, tanh gain"][19:])
print(f"balance point: input std {low:.2f}")
print("the Xavier tanh stack settled within 0.01 of it:", abs(settled - low) < 0.01)

# %% [markdown]
# The balance point (1.09) and the level where 100 real layers settled agree to within 0.01: the
# gain decides at which std a tanh network settles, and 5/3 puts it a little above 1.

# %% [markdown]
# ## Sigmoid and Xavier: the size survives, the input does not
#
# Xavier's 2010 paper derived its rule for activations that are symmetric around 0 with slope 1
# at 0. tanh fits; sigmoid fits neither condition. So what does Xavier (with PyTorch's sigmoid
# gain, 1) do in a 100-layer sigmoid stack? Besides the std of every layer's output we now also
# print the *spread*: how much the 16 samples of the batch still differ from each other.

# %%
sigmoid_stack = make_stack(
    lambda w, g: nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("sigmoid"), generator=g), nn.Sigmoid()
)
sigmoid_stds = std_trace(sigmoid_stack, x)
sigmoid_spreads = sigmoid_stack.spreads
tanh_stack = make_stack(tanh_stacks["Xavier, tanh gain"], nn.Tanh())
std_trace(tanh_stack, x)
tanh_spreads = tanh_stack.spreads
print(f"sigmoid + Xavier: std    {summary(sigmoid_stds)}")
print("sigmoid + Xavier: spread between samples after  2 layers below 0.3:", sigmoid_spreads[1] < 0.3)
print("                                          after 10 layers below 1e-5:", sigmoid_spreads[9] < 1e-5)
print("                                          after 30 layers below 1e-10:", sigmoid_spreads[29] < 1e-10)
print("tanh + Xavier(5/3): spread between samples above 0.9 at all 100 layers:", min(tanh_spreads) > 0.9)

# %% [markdown]
# The std alone looks almost fine: after the first layer it settles near **0.5** and stays there
# (just under the band's lower edge at times). But the spread tells the truth: after 10 layers
# the 16 different inputs produce outputs that agree to about five decimals, and from about
# layer 25 on they differ only by float64's rounding noise (the flat dashed line near 10⁻¹⁶ in
# the figure below). The network computes the same output for every input: it has **forgotten
# its input**.
#
# Both facts follow from sigmoid's shape:
#
# - its output is about 0.5 for every input, so each unit of the next layer adds up 256 inputs
#   of about 0.5 with its own fixed weights. That gives every unit its own fixed value, spread
#   with std about `0.5 · √n · std(w) = 0.5` across the units, whatever the sample: that is the
#   0.5 we measured (the mean-square form of the variance rule);
# - the part that *does* depend on the sample passes through sigmoid's slope, at most 1/4, so
#   each layer shrinks it at least four times (Xavier's weights keep it from growing back).
#
# A larger gain only slows the loss of the input, because it scales the fixed part up as much as
# the varying part, and larger inputs push sigmoid into its flat tails where the slope is even
# smaller. (We tried, on this stack: with a gain of 8 the spread is below 10⁻⁵ after 100
# layers, with 10 to about 0.08; only from a gain of about 12 does it stay above 1 at every
# layer, and there the std is 7 to 12, about 9 at layer 100, far outside the band.) This is one
# reason deep networks moved from sigmoid to tanh (centred) and then to ReLU. Sigmoid stays
# useful where a value in (0, 1) is wanted: as the last layer for a probability, or in the gates
# of an LSTM. The figure shows both stacks, std and spread:

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
layers = range(1, DEPTH + 1)
panels = [("tanh + Xavier(5/3)", tanh_stds["Xavier, tanh gain"], tanh_spreads, "tab:green"),
          ("sigmoid + Xavier (gain 1)", sigmoid_stds, sigmoid_spreads, "tab:orange")]
for ax, (title, stds, spreads, color) in zip(axes, panels):
    ax.axhspan(0.5, 2.0, color="0.5", alpha=0.25, label="target [0.5, 2]")
    ax.plot(layers, stds, color=color, marker="o", markevery=(0, 10), label="std of the layer's output")
    ax.plot(layers, spreads, color="black", linestyle="--", marker="x", markevery=(5, 10),
            label="spread between the 16 samples")
    ax.set_yscale("log")
    ax.set_ylim(1e-18, 10)
    ax.set_title(title)
    ax.set_xlabel("layer")
    ax.legend(loc="lower left" if ax is axes[0] else "center right", fontsize=9)
axes[0].set_ylabel("log scale")
axes[0].text(50, 1e-3, "spread ≈ std:\nthe samples still differ", ha="center", fontsize=10)
axes[1].text(65, 3e-15, "the spread falls to float64's\nrounding noise: every sample\ngives the same output",
             ha="center", va="bottom", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## ReLU and Kaiming
#
# ReLU sets every negative input to 0. For a symmetric input `z`, exactly half the mass is cut,
# so `E[relu(z)²] = Var(z) / 2`: every layer **halves** the second moment. Xavier does not know
# that, so in a ReLU network the std shrinks by `1/√2` per layer, to about `2^-50 ≈ 10^-15` after
# 100 layers.
#
# **Kaiming (He) initialisation** (2015) doubles the weight variance to make up for it:
#
# $$\operatorname{Var}(w) = \frac{2}{\text{fan\_in}}, \qquad \operatorname{std}(w) =
# \frac{\text{gain}}{\sqrt{\text{fan\_in}}} \text{ with gain } \sqrt{2}.$$
#
# `kaiming_normal_(w, nonlinearity="relu")` draws from N(0, 2/fan_in); `kaiming_uniform_` from
# `[-b, b]` with `b = gain · √(3 / fan_in)`. `mode="fan_in"` (the default) keeps the forward
# signal steady; `mode="fan_out"` keeps the backward gradients steady instead.

# %%
relu_stacks = {
    "N(0, 1)": lambda w, g: nn.init.normal_(w, 0.0, 1.0, generator=g),
    "Xavier": lambda w, g: nn.init.xavier_uniform_(w, generator=g),
    "Kaiming": lambda w, g: nn.init.kaiming_normal_(w, nonlinearity="relu", generator=g),
}
relu_stds = {name: std_trace(make_stack(init, nn.ReLU()), x) for name, init in relu_stacks.items()}
for name, stds in relu_stds.items():
    print(f"{name:<8} {summary(stds)}")
print("Xavier shrinks by 1/√2 per layer, predicted after 100 layers:", f"{2 ** -50:.2g}")

# %% [markdown]
# ## The whole picture
#
# One column per activation, the std after every layer. The top row uses a logarithmic axis cut
# at 10⁻⁴ and 10⁴: the bad initialisations leave it within a few dozen layers (a triangle marks
# where each curve leaves, and the legend says where it ends up). The bottom row zooms in on a
# linear axis from 0 to 3, where the good initialisations can be told apart. The grey band is the
# target range [0.5, 2]; every initialisation keeps its colour, line style and marker in all
# panels.

# %%
STYLES = {  # one look per initialisation: good ones green/blue, naive red, fading orange/purple
    "N(0, 1)": dict(color="tab:red", linestyle="-", marker="x"),
    "N(0, 1/n)": dict(color="tab:blue", linestyle="-", marker="o"),
    "nn.Linear default": dict(color="tab:purple", linestyle="-.", marker="s"),
    "orthogonal": dict(color="tab:green", linestyle="--", marker="D"),
    "Xavier, gain 1": dict(color="tab:orange", linestyle="--", marker="s"),
    "Xavier, tanh gain": dict(color="tab:green", linestyle="-", marker="o"),
    "Xavier": dict(color="tab:orange", linestyle="--", marker="s"),
    "Kaiming": dict(color="tab:green", linestyle="-", marker="o"),
}


def plot_clipped(ax, stds, low, high, offset, label=None, **style):
    """Plot one std curve with markers every 10 layers; mark where it leaves [low, high]."""
    ax.plot(range(1, len(stds) + 1), stds, label=label, markevery=(offset, 10), markersize=5, **style)
    leaves = next((k for k, value in enumerate(stds) if not low <= value <= high), None)
    if leaves is not None:
        edge = high if stds[leaves] > high else low
        ax.plot(leaves + 1, edge, marker="^" if edge == high else "v", color=style["color"],
                markersize=11, clip_on=False, zorder=5)


fig, axes = plt.subplots(2, 3, figsize=(15, 9), sharex=True)
panels = [("no activation", linear_stds), ("tanh", tanh_stds), ("ReLU", relu_stds)]
for column, (title, curves) in enumerate(panels):
    top, zoom = axes[0, column], axes[1, column]
    for ax in (top, zoom):
        ax.axhspan(0.5, 2.0, color="0.5", alpha=0.25, label="target [0.5, 2]")
    for offset, (name, stds) in enumerate(curves.items()):
        end = f"{stds[-1]:.0e}" if not 1e-4 <= stds[-1] <= 1e4 else None
        label = name if end is None else f"{name} (layer {len(stds)}: {end})"
        plot_clipped(top, stds, 1e-4, 1e4, 2 * offset, label=label, **STYLES[name])
        plot_clipped(zoom, stds, 0.0, 3.0, 2 * offset, **STYLES[name])
    top.set_yscale("log")
    top.set_ylim(1e-4, 1e4)
    top.set_title(f"{title}: std after each layer")
    top.legend(loc="upper right", fontsize=8)
    zoom.set_ylim(0, 3)
    zoom.set_title(f"{title}: zoom on 0 to 3 (linear axis)")
    zoom.set_xlabel("layer")
axes[0, 0].axvline(naive.blew_up_at, color="black", linestyle=":", linewidth=1)
axes[0, 0].text(naive.blew_up_at + 1, 2e-4, f"float32 N(0, 1):\ninf/nan from layer {naive.blew_up_at}", fontsize=8)
axes[0, 0].set_ylabel("std (log scale, cut at 10⁻⁴ and 10⁴)")
axes[1, 0].set_ylabel("std (linear scale)")
fig.tight_layout()
plt.show()

# %% [markdown]
# Read it column by column:
#
# - **no activation**: N(0, 1) leaves the top after 4 layers and PyTorch's default leaves the
#   bottom after about 17; N(0, 1/n) wobbles around 1 while orthogonal weights draw a flat line.
# - **tanh**: N(0, 1) sits near 16, saturated; Xavier with gain 1 sinks slowly towards 0;
#   with the tanh gain the std settles near 1.1.
# - **ReLU**: N(0, 1) explodes and Xavier vanishes, while Kaiming stays in the right range,
#   but wanders, and at times leaves the band. That wandering is the subject of the next section.

# %% [markdown]
# ## An honest look: one ReLU network still drifts
#
# Look at the Kaiming curve again: it does not explode or vanish, but it wanders. (It starts at
# about 1.41 rather than 1 because the first layer's input is the raw data, not a ReLU output, so
# Kaiming's factor 2 is not halved there: `std = √2`. From layer 2 on the rule keeps that level
# on average.) The single network above wanders between about 0.8 and almost 3:

# %%
kaiming_single = relu_stds["Kaiming"]
print(f"this Kaiming ReLU network: min {min(kaiming_single):.3f}, max {max(kaiming_single):.3f}")
print("stays within [0.5, 2]:", 0.5 <= min(kaiming_single) and max(kaiming_single) <= 2.0)

# %% [markdown]
# That is not a bug in Kaiming. The variance rule talks about the **expected** value over all
# possible random weights. One network has only one draw, and at every layer its `256` random
# weights per unit multiply the std by a factor that is 1 *on average* but a little above or
# below 1 by chance. With tanh, the saturation pulls the std back towards its stable level. ReLU
# is scale-free (`relu(c·z) = c·relu(z)` for `c > 0`), so nothing pulls back: the logarithm of the
# std does a random walk, whose variance grows in proportion to `depth / width` (here 100/256).
#
# To see what Kaiming does guarantee, we build 32 independent Kaiming ReLU networks and follow
# all of them, together with their **root mean square** (RMS) std per layer: that is the quantity
# the variance rule talks about, and it predicts √2 ≈ 1.41 at every layer.

# %%
NETWORKS = 32
kaiming = relu_stacks["Kaiming"]
many_stds = torch.tensor([std_trace(make_stack(kaiming, nn.ReLU(), seed=100 + k), x) for k in range(NETWORKS)],
                         dtype=torch.float64)
rms_stds = many_stds.pow(2).mean(dim=0).sqrt()
inside = ((many_stds.min(dim=1).values >= 0.5) & (many_stds.max(dim=1).values <= 2.0)).sum().item()
print(f"single networks staying within [0.5, 2]: {inside} of {NETWORKS}")
print(f"single networks, overall range: {many_stds.min().item():.3g} .. {many_stds.max().item():.3g}")
print(f"RMS over the {NETWORKS} networks: min {rms_stds.min().item():.3g}, max {rms_stds.max().item():.3g}")

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.axhspan(0.5, 2.0, color="0.5", alpha=0.25, label="target [0.5, 2]")
layers = range(1, DEPTH + 1)
for k in range(NETWORKS):
    ax.plot(layers, many_stds[k], color="tab:blue", alpha=0.25, linewidth=0.8)
ax.plot(layers, rms_stds, color="tab:red", linewidth=2.5, label=f"RMS over {NETWORKS} networks")
ax.plot(layers, relu_stds["Xavier"], color="tab:orange", label="Xavier (one network)")
ax.set_yscale("log")
ax.set_ylim(1e-3, 10)
ax.set_title(f"{NETWORKS} Kaiming ReLU networks (thin blue), 100 layers of width 256")
ax.set_xlabel("layer")
ax.set_ylabel("std of the layer's output (log scale)")
ax.legend()
plt.show()

# %% [markdown]
# Kaiming keeps the *average* where the rule says (the RMS stays near 1.41, up to the noise of
# averaging only 32 networks), and each single network within about a factor of 10 of it, where
# Xavier is a factor of 10¹⁵ off and N(0, 1) reaches about 10¹⁰⁵ (3.67e+105 above). Half of the single networks stay
# inside [0.5, 2] all the way; the rest cross the band's edge somewhere in 100 layers. In
# practice deep ReLU networks are kept in line by more than initialisation: **normalisation
# layers** (BatchNorm, lesson 16) rescale every layer's output during training,
# and wider layers make the random walk smaller.

# %% [markdown]
# ## Target
#
# The criterion, checked on the numbers above:
#
# - tanh + Xavier with the tanh gain: the single network's std stays within [0.5, 2] at all 100
#   layers;
# - ReLU + Kaiming: the RMS std over 32 networks (what Kaiming controls) stays within [0.5, 2] at
#   all 100 layers;
# - the wrong choices leave the range: N(0, 1) everywhere, and Xavier under ReLU.

# %%
def within(stds, low=0.5, high=2.0) -> bool:
    return len(stds) == DEPTH and low <= min(stds) and max(stds) <= high


xavier_tanh = tanh_stds["Xavier, tanh gain"]
target_met = within(xavier_tanh) and within(rms_stds.tolist())
print("tanh + Xavier(gain 5/3) within [0.5, 2] across 100 layers:", within(xavier_tanh))
print("ReLU + Kaiming, RMS over 32 networks within [0.5, 2]:", within(rms_stds.tolist()))
print("naive N(0, 1) leaves the range (float32 overflow, float64, tanh, ReLU):",
      naive.blew_up_at is not None and not within(linear_stds["N(0, 1)"])
      and not within(tanh_stds["N(0, 1)"]) and not within(relu_stds["N(0, 1)"]))
print("Xavier under ReLU leaves the range:", not within(relu_stds["Xavier"]))
print("target met:", target_met)
record_metrics(
    "08_weight_init",
    xavier_tanh_min_std=round(min(xavier_tanh), 4),
    xavier_tanh_max_std=round(max(xavier_tanh), 4),
    kaiming_relu_min_std=round(rms_stds.min().item(), 4),
    kaiming_relu_max_std=round(rms_stds.max().item(), 4),
    kaiming_relu_single_min_std=round(min(kaiming_single), 4),
    kaiming_relu_single_max_std=round(max(kaiming_single), 4),
    kaiming_relu_networks_within=inside / NETWORKS,
    target_met=target_met,
);

# %% [markdown]
# ## The `nn.init` menu
#
# Every function in `nn.init` fills a tensor **in place** (hence the trailing `_`), under
# `torch.no_grad()`, and returns it. The random ones (`uniform_`, `normal_`, `trunc_normal_`,
# `xavier_*_`, `kaiming_*_`, `orthogonal_`, `sparse_`) accept `generator=` for reproducible
# draws; the fixed ones (`constant_`, `ones_`, `zeros_`, `eye_`, `dirac_`) need none.
# We try each on a small tensor and print a property you can check.
#
# **Uniform and normal** with fixed parameters: `uniform_(t, a, b)`, `normal_(t, mean, std)`,
# and `trunc_normal_(t, mean, std, a, b)`, a normal distribution cut off at `[a, b]`.

# %%
g = torch.Generator().manual_seed(0)
t = nn.init.uniform_(torch.empty(1000, 100), a=-0.1, b=0.1, generator=g)
print(f"uniform_(-0.1, 0.1):   min {t.min().item():.3f}  max {t.max().item():.3f}  inside the bounds: {t.abs().max().item() <= 0.1}")
t = nn.init.normal_(torch.empty(1000, 100), mean=0.0, std=0.02, generator=g)
print(f"normal_(0, 0.02):      mean {t.mean().item():.4f}  std {t.std().item():.4f}")
t = nn.init.trunc_normal_(torch.empty(1000, 100), std=1.0, a=-2.0, b=2.0, generator=g)
print(f"trunc_normal_(±2):     min {t.min().item():.3f}  max {t.max().item():.3f}  inside the bounds: {t.abs().max().item() <= 2.0}")

# %% [markdown]
# **Constants**: `constant_`, `ones_`, `zeros_`. Zeros are the usual choice for biases, and ones
# for the scale of a normalisation layer. (All-equal *weights* are a trap: every unit of the
# layer then computes the same thing and receives the same gradient, so they never become
# different.)

# %%
print(nn.init.constant_(torch.empty(2, 3), 0.5))
print(nn.init.ones_(torch.empty(3)))
print(nn.init.zeros_(torch.empty(3)))

# %% [markdown]
# **Identities**: `eye_` makes a 2-D matrix the identity (as far as its shape allows), and
# `dirac_` does the same for a convolution kernel: a single 1 at the centre, so the convolution
# passes its input through unchanged.

# %%
print(nn.init.eye_(torch.empty(3, 4)))
conv = nn.Conv2d(2, 2, kernel_size=3, padding=1, bias=False)
nn.init.dirac_(conv.weight)
print(conv.weight[0, 0].detach())
image = torch.randn(1, 2, 5, 5, generator=g)
with torch.no_grad():
    print("dirac conv returns its input:", torch.equal(conv(image), image))

# %% [markdown]
# **Xavier and Kaiming** compute their scale from the tensor's shape. For a `Linear` weight of
# shape `[out, in]`, fan_in = in and fan_out = out; for a convolution weight
# `[out, in, kh, kw]` both are multiplied by `kh·kw`.

# %%
w = torch.empty(128, 512)  # a Linear(512, 128) weight: fan_in 512, fan_out 128
fan_in, fan_out = 512, 128
nn.init.xavier_uniform_(w, gain=tanh_gain, generator=g)
a = tanh_gain * math.sqrt(6 / (fan_in + fan_out))
print(f"xavier_uniform_  bound a = {a:.4f}   max |w| = {w.abs().max().item():.4f}   std {w.std().item():.4f} vs a/√3 = {a / math.sqrt(3):.4f}")
nn.init.xavier_normal_(w, generator=g)
print(f"xavier_normal_   std {w.std().item():.4f} vs √(2/(fan_in+fan_out)) = {math.sqrt(2 / (fan_in + fan_out)):.4f}")
nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=g)
b = math.sqrt(2) * math.sqrt(3 / fan_in)
print(f"kaiming_uniform_ bound b = {b:.4f}   max |w| = {w.abs().max().item():.4f}")
nn.init.kaiming_normal_(w, nonlinearity="relu", generator=g)
print(f"kaiming_normal_  std {w.std().item():.4f} vs √2/√fan_in = {math.sqrt(2 / fan_in):.4f}")
nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu", generator=g)
print(f"  mode='fan_out' std {w.std().item():.4f} vs √2/√fan_out = {math.sqrt(2 / fan_out):.4f}")
conv_weight = torch.empty(16, 8, 3, 3)
nn.init.kaiming_normal_(conv_weight, nonlinearity="relu", generator=g)
print(f"conv [16, 8, 3, 3]: fan_in = 8·3·3 = 72, std {conv_weight.std().item():.4f} vs √(2/72) = {math.sqrt(2 / 72):.4f}")

# %% [markdown]
# **Orthogonal** (`orthogonal_`) fills a matrix with orthonormal rows or columns (via a QR
# decomposition of a random matrix); `gain` scales it. We saw it keep a linear stack's mean
# square constant up to rounding. **Sparse** (`sparse_(t, sparsity, std)`) sets a fraction `sparsity` of the
# entries of *every column* to zero and draws the rest from N(0, std²).

# %%
q = nn.init.orthogonal_(torch.empty(6, 6), generator=g)
print("orthogonal: QᵀQ = I up to rounding:", torch.allclose(q.T @ q, torch.eye(6), atol=1e-5))
wide = nn.init.orthogonal_(torch.empty(3, 6), generator=g)  # more columns than rows: the rows are orthonormal
print("3×6 orthogonal: rows orthonormal:", torch.allclose(wide @ wide.T, torch.eye(3), atol=1e-5))
s = nn.init.sparse_(torch.empty(10, 6), sparsity=0.3, std=0.01, generator=g)
print("zeros per column (10 rows, sparsity 0.3):", (s == 0).sum(dim=0).tolist())

# %% [markdown]
# In a real model you rarely call these one by one. The usual pattern walks over
# `model.modules()` and picks an initialisation by layer type (exercise 08.2 asks for a
# refinement of it):
#
# ```python
# for module in model.modules():
#     if isinstance(module, (nn.Conv2d, nn.Linear)):
#         nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
#         if module.bias is not None:
#             nn.init.zeros_(module.bias)
# ```

# %% [markdown]
# ## Common mistakes
#
# **Xavier or Kaiming on a bias.** Both need a fan_in and a fan_out, and a 1-D tensor has no
# such thing. Initialise biases with `zeros_` (or `constant_`) instead.

# %% tags=["raises-exception"]
layer = nn.Linear(4, 3)
nn.init.xavier_uniform_(layer.bias)

# %% [markdown]
# **Changing a parameter in place without `torch.no_grad()`.** A weight is a leaf tensor that
# requires gradients, and autograd forbids in-place changes to it. The `nn.init` functions wrap
# themselves in `no_grad`; if you write your own, do the same.

# %% tags=["raises-exception"]
layer.weight.normal_(0.0, 0.01)

# %%
with torch.no_grad():
    layer.weight.normal_(0.0, 0.01, generator=torch.Generator().manual_seed(0))
print("inside no_grad it works; still a trainable parameter:", layer.weight.requires_grad)

# %% [markdown]
# **A gain for an activation `calculate_gain` does not know.** It knows linear, the conv and
# transposed-conv names, sigmoid, tanh, relu, leaky_relu and selu. For others (GELU, SiLU, ...)
# the ReLU gain √2 is a common first guess for ReLU-like shapes; better, measure the RMS ratio as
# we did above, or record the std per layer of your real network.

# %% tags=["raises-exception"]
nn.init.calculate_gain("gelu")

# %% [markdown]
# And one mistake that raises nothing: **the wrong scheme for the activation**. Xavier in a deep
# ReLU network silently shrinks the signal by `1/√2` per layer, and the network simply learns
# very slowly, or not at all. The plots above are the quickest diagnosis: record the std per
# layer at initialisation and look. (And for sigmoid, look at the spread between samples too.)

# %% [markdown]
# ## Exercises
#
# **08.1** Write `xavier_bound(shape, gain=1.0)`: the bound `a` that `nn.init.xavier_uniform_`
# uses for a weight of the given `shape` (a tuple), so that its entries are drawn from `[-a, a]`.
# The shape is either a `Linear` weight `(out, in)` or a convolution weight
# `(out, in, k₁, k₂, …)` with any number of kernel dimensions (1-D, 2-D, 3-D convolutions), so
# you have to work out fan_in and fan_out from it. The check compares with the exact value to six
# digits, so drawing a tensor and taking its largest entry is not close enough; any exact
# computation is accepted.

# %%
### BEGIN SOLUTION
def xavier_bound(shape: tuple[int, ...], gain: float = 1.0) -> float:
    receptive_field = math.prod(shape[2:])  # 1 for a Linear weight
    fan_in, fan_out = shape[1] * receptive_field, shape[0] * receptive_field
    return gain * math.sqrt(6.0 / (fan_in + fan_out))
### END SOLUTION

# %%
from tools import check_exercise


def check_xavier_bound(answer):
    import math

    import torch
    from torch import nn

    cases = [((128, 512), 1.0), ((10, 784), math.sqrt(2)), ((16, 8, 3, 3), 1.0), ((32, 3, 5), 5 / 3),
             ((4, 2, 3, 3, 3), 1.0), ((64, 64, 1, 1), 5 / 3)]  # as xavier_bound_answer asks, in order
    assert len(answer["cases"]) == len(cases), "expected one bound per case"
    for (shape, gain), got in zip(cases, answer["cases"]):
        generator = torch.Generator().manual_seed(1)
        weight = nn.init.xavier_uniform_(torch.empty(shape), gain=gain, generator=generator)
        receptive_field = math.prod(shape[2:])
        expected = gain * math.sqrt(6.0 / ((shape[0] + shape[1]) * receptive_field))
        got = float(got)
        without_kernel = gain * math.sqrt(6.0 / (shape[0] + shape[1]))  # the bound if the kernel size is forgotten
        forgot_kernel = len(shape) > 2 and receptive_field > 1 and math.isclose(got, without_kernel, rel_tol=1e-6)
        hint = " (a convolution's fans include the kernel size)" if forgot_kernel else ""
        assert math.isclose(got, expected, rel_tol=1e-6), (
            f"xavier_bound({shape}, gain={gain:.4f}) = {got:.6f}, expected {expected:.6f}{hint}")
        assert weight.abs().max().item() <= expected, "internal: the expected bound disagrees with PyTorch"
    default = float(answer["default gain"])
    assert math.isclose(default, math.sqrt(6 / 640), rel_tol=1e-6), "without a gain argument the gain should be 1"


def xavier_bound_answer():
    shapes = [((128, 512), 1.0), ((10, 784), math.sqrt(2)), ((16, 8, 3, 3), 1.0), ((32, 3, 5), 5 / 3),
              ((4, 2, 3, 3, 3), 1.0), ((64, 64, 1, 1), 5 / 3)]
    return {"cases": [xavier_bound(shape, gain) for shape, gain in shapes], "default gain": xavier_bound((128, 512))}


check_exercise("08.1", check_xavier_bound, points=1, answer=xavier_bound_answer)

# %% [markdown]
# **08.2** Write `relu_net_init_(model)` for a network whose `nn.Conv2d` and `nn.Linear` layers
# are each followed by a ReLU, **except the last one**, which produces the output (logits) and
# has no activation after it. It should:
#
# - fill every `Conv2d`/`Linear` weight except the last with `kaiming_normal_` for ReLU
#   (fan_in mode);
# - fill the last `Conv2d`/`Linear` weight (the last one in `model.modules()` order) with
#   `xavier_uniform_`, using the gain for a layer with no activation after it (which one is it?);
# - set every bias to zero, and return the model.
#
# Layers may sit inside nested `Sequential` blocks. The check runs your function on `LeNet2` from
# `tools.models` and on a small fully convolutional network whose last layer is a `Conv2d`, and
# judges the weights and biases of the model your function returns.

# %%
### BEGIN SOLUTION
def relu_net_init_(model: nn.Module) -> nn.Module:
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for layer in layers[:-1]:
        nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
    nn.init.xavier_uniform_(layers[-1].weight, gain=nn.init.calculate_gain("linear"))
    for layer in layers:
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
    return model
### END SOLUTION

# %%
def check_relu_net_init(answer):
    import math

    import torch

    shapes = {"LeNet2": [(6, 3, 5, 5), (16, 6, 5, 5), (120, 400), (84, 120), (10, 84)],  # LeNet2(classes=10, in_channels=3)
              "fully convolutional": [(32, 3, 3, 3), (64, 32, 3, 3), (16, 64, 3, 3)]}  # as relu_net_init_answer builds it
    assert isinstance(answer, dict) and set(answer) == set(shapes), "expected the results for LeNet2 and the fully convolutional net"
    for model_name, layer_shapes in shapes.items():
        layers = answer[model_name]
        assert isinstance(layers, list), f"{model_name}: {layers}"
        count = len(layer_shapes)
        assert len(layers) == count, f"{model_name} should have {count} Conv2d/Linear layers"
        for position, (layer, shape) in enumerate(zip(layers, layer_shapes, strict=True)):
            name = f"{model_name}, layer {position + 1} of {count} (weight {shape})"
            assert isinstance(layer, dict) and set(layer) == {"weight", "bias"}, f"{name}: expected its weight and bias"
            weight, bias = layer["weight"], layer["bias"]
            for part, value, part_shape in [("weight", weight, shape), ("bias", bias, shape[:1])]:
                assert type(value) is torch.Tensor and value.dtype == torch.float32 and value.shape == part_shape, \
                    f"{name}: the {part} should be a float32 tensor of shape {part_shape}"
                assert torch.isfinite(value).all(), f"{name}: the {part} is not finite"
            fan_in, fan_out = weight[0].numel(), weight.shape[0] * weight[0, 0].numel()
            std, largest = weight.std().item(), weight.abs().max().item()
            assert torch.count_nonzero(bias) == 0, f"{name}: the bias is not zero"
            assert abs(weight.mean().item()) <= 0.25 * std, f"{name}: the weights are not centred on 0"
            if position < count - 1:
                expected = math.sqrt(2 / fan_in)
                assert 0.85 < std / expected < 1.15, (
                    f"{name}: weight std {std:.4f}, Kaiming for ReLU (fan_in) wants √(2/{fan_in}) = {expected:.4f}")
                assert largest > 2.2 * std, f"{name}: the weights do not look normal (kaiming_normal_)"
            else:
                bound = math.sqrt(6 / (fan_in + fan_out))
                assert largest <= bound * (1 + 1e-6), (
                    f"{name} is the output layer: largest |w| {largest:.4f}, but xavier_uniform_ with gain 1 "
                    f"stays within ±{bound:.4f}")
                assert largest > 0.97 * bound, (
                    f"{name} is the output layer: largest |w| {largest:.4f}, but {weight.numel()} draws of "
                    f"xavier_uniform_ with gain 1 come within 3 % of the bound {bound:.4f}; is the gain 1?")
                assert 0.85 < std / (bound / math.sqrt(3)) < 1.15, (
                    f"{name} is the output layer: weight std {std:.4f}, xavier_uniform_ with gain 1 gives "
                    f"{bound / math.sqrt(3):.4f}")


def relu_net_init_answer():
    set_seed(3)
    fully_convolutional = nn.Sequential(
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Sequential(nn.Conv2d(32, 64, 3), nn.ReLU()), nn.Conv2d(64, 16, 3)
    )
    results = {}
    for model_name, model in [("LeNet2", LeNet2(classes=10, in_channels=3)), ("fully convolutional", fully_convolutional)]:
        returned = relu_net_init_(model)
        if not isinstance(returned, nn.Module):
            results[model_name] = f"relu_net_init_ returned {type(returned).__name__}: return the model you initialised"
            continue
        layers = [m for m in returned.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]  # what it returned
        results[model_name] = [{"weight": layer.weight, "bias": layer.bias} for layer in layers]
    return results


check_exercise("08.2", check_relu_net_init, points=2, answer=relu_net_init_answer)

# %% [markdown]
# **08.3** Use the variance rule, now with ReLU. Write `std_after(k, weight_std, n,
# input_std=1.0, relu=False)`: the std of the output of the `k`-th linear layer of a stack like
# our `DeepMLP` (width `n`, no biases, weights with mean 0 and std `weight_std`), fed an input
# with mean 0 and std `input_std`. With `relu=True` a ReLU follows every layer, as in our ReLU
# stacks; think about which layers' inputs have been through a ReLU. Then set `answer_08_3` to
# the std after 10 ReLU layers of width 256 with `weight_std = 0.1`. The check also measures a
# real network against your rule.

# %%
### BEGIN SOLUTION
def std_after(k: int, weight_std: float, n: int, input_std: float = 1.0, relu: bool = False) -> float:
    first = input_std * math.sqrt(n) * weight_std  # the first layer sees the raw input
    per_layer = math.sqrt(n / 2 if relu else n) * weight_std  # later ones see ReLU outputs: E[x²] halved
    return first * per_layer ** (k - 1)


answer_08_3 = std_after(10, 0.1, 256, relu=True)
### END SOLUTION

# %%
def check_std_after(answer):
    import math

    import torch

    cases = [(1, 1.0, 256, 1.0, False, 16.0), (3, 1.0, 256, 1.0, False, 4096.0), (5, 1 / 16, 256, 2.0, False, 2.0),
             (1, 0.1, 100, 3.0, True, 3.0), (3, 0.1, 200, 1.0, True, 1.4142135623730951),
             (5, math.sqrt(2 / 64), 64, 0.5, True, 0.7071067811865476), (2, 0.05, 64, 1.0, True, 0.11313708498984763)]
    # the calls std_after_answer makes, in order
    assert len(answer["cases"]) == len(cases), "expected one std per case"
    for (k, weight_std, n, input_std, relu, expected), got in zip(cases, answer["cases"]):
        got = float(got)
        assert math.isclose(got, expected, rel_tol=1e-6), (
            f"std_after({k}, {weight_std:.4g}, {n}, {input_std}, relu={relu}) = {got:.5g}, expected {expected:.5g}")
    answer_08_3 = float(answer["answer_08_3"])
    expected = 4.8592007999616795  # worked out beforehand; the rule itself is the exercise
    assert math.isclose(answer_08_3, expected, rel_tol=1e-6), f"answer_08_3 = {answer_08_3:.5g}: use k=10, weight_std=0.1, n=256, relu=True"
    # the rule against a real network: 10 bias-free ReLU layers of width 256 with N(0, 0.1²) weights, in float64
    generator = torch.Generator().manual_seed(5)
    weights = [torch.empty(256, 256).normal_(0.0, 0.1, generator=generator).double() for _ in range(10)]
    signal = torch.randn(256, 256, generator=generator).double()
    for number, weight in enumerate(weights):
        signal = (signal if number == 0 else torch.relu(signal)) @ weight.T
    assert 0.8 < signal.std().item() / answer_08_3 < 1.25, "the rule and the measured network disagree"


def std_after_answer():
    cases = [(1, 1.0, 256, 1.0, False), (3, 1.0, 256, 1.0, False), (5, 1 / 16, 256, 2.0, False), (1, 0.1, 100, 3.0, True),
             (3, 0.1, 200, 1.0, True), (5, math.sqrt(2 / 64), 64, 0.5, True), (2, 0.05, 64, 1.0, True)]
    return {"cases": [std_after(*case) for case in cases], "answer_08_3": answer_08_3}


check_exercise("08.3", check_std_after, points=1, answer=std_after_answer)

# %% [markdown]
# ## Summary
#
# - A linear layer multiplies the std by `√n · std(w)` (the variance rule
#   `Var(z) = n·Var(w)·E[x²]`); over many layers any factor other than 1 explodes or vanishes.
#   N(0, 1) weights with width 256 overflow float32 at layer 32.
# - Choose the weight scale from the layer's fan, with `gain = calculate_gain(...)` for the
#   activation (tanh 5/3, ReLU √2): Xavier `Var(w) = gain²·2/(fan_in+fan_out)` for tanh,
#   Kaiming `Var(w) = gain²/fan_in` for ReLU, which with gain √2 is `2/fan_in`.
# - A gain can be measured as `rms(z)/rms(f(z))` (for a centred activation like tanh that equals
#   `std(z)/std(f(z))`): ReLU's √2 matches exactly, tanh measures 1.59 against 5/3, and the gain
#   sets the level where a tanh stack settles (about 1.1).
# - Sigmoid is not centred: with Xavier the std of a deep sigmoid stack stays near 0.5, yet the
#   network forgets its input within a few dozen layers. A healthy std is necessary, not
#   sufficient.
# - An orthogonal matrix (a rotation and/or reflection) keeps lengths, so an orthogonal linear
#   stack keeps the mean square of the signal constant up to rounding.
# - `nn.Linear`'s default init is `uniform(±1/√fan_in)`, a third of the variance-preserving
#   variance; fine for shallow models, worth replacing in deep ones.
# - The `nn.init` menu: `uniform_`, `normal_`, `trunc_normal_`, `constant_`/`ones_`/`zeros_`,
#   `eye_`, `dirac_`, `xavier_*_`, `kaiming_*_`, `orthogonal_`, `sparse_`; all in place, the random
#   ones take `generator=`, biases get `zeros_`.
# - Initialisation fixes the average; a single deep ReLU network still drifts. Normalisation
#   layers, later in the course, keep it in line during training.
