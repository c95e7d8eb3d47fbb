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
# # 06 · `nn.Module` and containers: how models are built
#
# **What you will learn**
#
# - what an `nn.Module` keeps inside: the dictionaries of parameters, buffers, sub-modules and
#   hooks, and how a plain attribute assignment (`self.fc = nn.Linear(...)`) fills them;
# - what an `nn.Parameter` is, and why a plain tensor attribute is *not* learned;
# - how to walk a model: `parameters`, `named_parameters`, `buffers`, `children`, `modules`;
# - the course's LeNet: its layers, the shape of the data after each one, its weight
#   initialisation, and how to count its parameters by hand (`conv1` holds exactly 456);
# - the three containers: `nn.Sequential` (in order, optionally with names), `nn.ModuleList`
#   (many layers built in a loop), `nn.ModuleDict` (pick a layer by name at run time);
# - AlexNet as torchvision defines it, traced layer by layer on a 224×224 image, and a small
#   model summary written with forward hooks.
#
# **Target:** parameter counts exact: LeNet's `conv1` = 456, the whole LeNet = 61,326, AlexNet
# = 61,100,840, each equal to what the formulas predict.

# %%
from collections import OrderedDict

import matplotlib.pyplot as plt
import torch
import torchvision
from torch import nn
from torch.nn import functional as F

from tools import get_device, record_metrics, set_seed, use_course_style
from tools.models import LeNet, LeNet2, count_parameters

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## Two steps: build the layers, then wire them
#
# Every model in PyTorch is a subclass of `nn.Module` with two methods:
#
# 1. `__init__` **builds** the layers (convolutions, linear layers, ...) and stores them as
#    attributes. It must start with `super().__init__()`, which creates the module's internal
#    bookkeeping.
# 2. `forward(x)` **wires** them: it says how the input flows through the layers to the output.
#    You never call `forward` directly; you call the model, `model(x)`. Its `__call__` runs the
#    *forward pre-hooks* (if any are registered), then `forward`, then the *forward hooks*, so
#    `model.forward(x)` would silently skip the hooks.
#
# The toolbox around it lives in `torch.nn`: `nn.Parameter` (a learnable tensor), `nn.Module`
# (the base class of every layer and model), `nn.functional` (the same operations as plain
# functions without state: `F.relu`, `F.max_pool2d`, ...) and `nn.init` (weight
# initialisation).
#
# ## A module by hand: what does it keep inside?
#
# To see the bookkeeping, here is a tiny module with one of everything: a learnable `scale`
# (a parameter), a call counter that is saved with the model but not learned (a **buffer**), a
# sub-module, and a plain tensor attribute.

# %%
class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))                    # learned
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))  # saved, not learned
        self.linear = nn.Linear(3, 2)                               # a sub-module
        self.offset = torch.full((3,), 0.5)                         # a plain tensor: not registered

    def forward(self, x):
        self.calls += 1
        return self.linear(x * self.scale + self.offset)


set_seed(0)
tiny = Tiny()
print("_parameters:", list(tiny._parameters))
print("_buffers:   ", list(tiny._buffers))
print("_modules:   ", list(tiny._modules))
print("'offset' is an ordinary attribute:", "offset" in tiny.__dict__)
print("'scale' is NOT in __dict__, it lives in _parameters:", "scale" not in tiny.__dict__)

# %% [markdown]
# `nn.Module.__setattr__` is what sorts them. When you write `self.scale = nn.Parameter(...)`,
# it notices the value is a `Parameter` and files it under `_parameters`; a `Module` goes to
# `_modules`; `register_buffer` puts a tensor into `_buffers`. Anything else, including a plain
# tensor, becomes a normal Python attribute, and the module does not know about it:
#
# | dictionary | filled by | moved by `.to(DEVICE)` | in `state_dict` | given to the optimizer |
# |---|---|---|---|---|
# | `_parameters` | assigning an `nn.Parameter` | yes | yes | yes (via `parameters()`) |
# | `_buffers` | `register_buffer(name, tensor)` | yes | yes | no |
# | `_modules` | assigning an `nn.Module` | yes (recursively) | yes (prefixed) | yes (recursively) |
# | plain attribute | anything else | **no** | **no** | **no** |
#
# The `state_dict` (what gets saved to disk) shows it: `offset` is missing.

# %%
print(list(tiny.state_dict()))
print("learned:", [name for name, _ in tiny.named_parameters()])
out = tiny(torch.ones(4, 3))
out = tiny(torch.ones(4, 3))
print("output shape:", tuple(out.shape), "| calls counted by the buffer:", tiny.calls.item())

# %% [markdown]
# Assigning works after `__init__` too: a layer attached later is registered like any other.

# %%
tiny.head = nn.Linear(2, 1)
print("_modules now:", list(tiny._modules))
print("parameters:", sum(p.numel() for p in tiny.parameters()), "= 3 + (3·2 + 2) + (2·1 + 1)")

# %% [markdown]
# The remaining dictionaries hold **hooks**: functions the module calls around `forward` (and
# during backward, saving and loading). `register_forward_pre_hook` adds one to
# `_forward_pre_hooks`: it runs *before* `forward` and sees the inputs.
# `register_forward_hook` adds one to `_forward_hooks`: it runs *after* `forward` and sees the
# inputs and the output. Each call returns a handle; `handle.remove()` takes the hook out again.
# Lesson 14 uses hooks to look inside a network; below we use them to write a model summary.
#
# To see the order, we put both kinds on `tiny` and on its sub-module `tiny.linear`. The
# sub-module is called from inside `tiny.forward`, so its two hooks fire between the outer ones:

# %%
def announce_input(module, inputs):
    print(f"forward pre-hook of {type(module).__name__:<6}: input  {tuple(inputs[0].shape)}")


def report_shape(module, inputs, output):
    print(f"forward hook of     {type(module).__name__:<6}: output {tuple(output.shape)}")


handles = [tiny.register_forward_pre_hook(announce_input), tiny.register_forward_hook(report_shape),
           tiny.linear.register_forward_pre_hook(announce_input), tiny.linear.register_forward_hook(report_shape)]
print("hooks on tiny: pre", len(tiny._forward_pre_hooks), "| post", len(tiny._forward_hooks))
_ = tiny(torch.ones(4, 3))
for handle in handles:
    handle.remove()
print("after remove(): pre", len(tiny._forward_pre_hooks), "| post", len(tiny._forward_hooks))
_ = tiny(torch.ones(4, 3))  # silent now

# %% [markdown]
# The full set of dictionaries differs a little between PyTorch versions (newer versions added
# hooks with keyword arguments, state-dict hooks, ...), so this listing is not compared:

# %%
# NBVAL_IGNORE_OUTPUT
print(sorted(name for name, value in vars(nn.Linear(1, 1)).items() if isinstance(value, dict)))

# %%
core = ["_parameters", "_buffers", "_modules", "_forward_hooks", "_forward_pre_hooks", "_backward_hooks"]
print("the core dictionaries exist in this version:", all(isinstance(getattr(tiny, n), dict) for n in core))

# %% [markdown]
# ## `nn.Parameter`: a tensor that says "learn me"
#
# A `Parameter` is a `Tensor` subclass. It behaves like any tensor in arithmetic; the only
# differences are that `requires_grad` defaults to `True` and that modules register it
# automatically. Every weight and bias inside `nn.Linear`, `nn.Conv2d`, ... is a `Parameter`.

# %%
p = nn.Parameter(torch.zeros(2))
print(p)
print("is a Tensor:", isinstance(p, torch.Tensor), "| requires_grad:", p.requires_grad)
print("Linear's weight is a Parameter:", isinstance(nn.Linear(2, 2).weight, nn.Parameter))

# %% [markdown]
# ## Walking a model: `parameters`, `children`, `modules`
#
# A model is a tree of modules. Several methods walk it; the difference is how deep they go:
#
# - `children()` / `named_children()`: the **direct** sub-modules only;
# - `modules()` / `named_modules()`: **every** module in the tree, recursively, starting with
#   the model itself (its name is `""`);
# - `parameters()` / `named_parameters()`: every parameter in the tree, with dotted names like
#   `block.0.weight`; `buffers()` / `named_buffers()` the same for buffers.

# %%
nested = nn.Module()
nested.block = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
nested.out = nn.Linear(3, 1)

print("children:", [name for name, _ in nested.named_children()])
print("modules: ", [name for name, _ in nested.named_modules()])
print("parameters:", [name for name, _ in nested.named_parameters()])
print("buffers:   ", [name for name, _ in nested.named_buffers()])

# %% [markdown]
# `BatchNorm1d` shows why buffers exist: its running mean and variance are updated during
# training and saved with the model, but no optimizer should change them.
#
# ## LeNet, the course's first real network
#
# `tools.models.LeNet` is LeNet-5 for 32×32 images, written the way the course notes write it:
# two convolutions and three linear layers are registered in `__init__`, while ReLU, max pooling
# and flattening are applied in `forward` with stateless functions from `nn.functional`.
# The notes use it to tell 1-yuan from 100-yuan banknotes: colour photos (3 channels) and two
# classes, so we build it the same way.

# %%
set_seed(0)
lenet = LeNet(classes=2, in_channels=3)
print(lenet)

# %% [markdown]
# The repr lists only the registered sub-modules: the functional ReLU and pooling live in
# `forward`, so they do not show up. `LeNet.forward` (open `tools/models.py` to read it) runs:
#
# ```python
# x = F.max_pool2d(F.relu(self.conv1(x)), 2)
# x = F.max_pool2d(F.relu(self.conv2(x)), 2)
# x = torch.flatten(x, 1)
# x = F.relu(self.fc1(x))
# x = F.relu(self.fc2(x))
# return self.fc3(x)
# ```
#
# ### The shape of the data, layer by layer
#
# A 5×5 convolution without padding shrinks each side by 4 (32 → 28); a 2×2 max pool halves it
# (28 → 14). After the second pair we have 16 maps of 5×5 = 400 numbers, which is why `fc1`
# takes 400 inputs. Running the steps of `forward` one at a time shows the shapes:

# %%
generator = torch.Generator().manual_seed(0)
images = torch.randn(4, 3, 32, 32, generator=generator).to(DEVICE)
model = lenet.to(DEVICE)

x = images
print(f"{'input':<22}{tuple(x.shape)}")
x = model.conv1(x);                      print(f"{'conv1 (5×5)':<22}{tuple(x.shape)}")
x = F.max_pool2d(F.relu(x), 2);          print(f"{'relu + max_pool 2':<22}{tuple(x.shape)}")
x = model.conv2(x);                      print(f"{'conv2 (5×5)':<22}{tuple(x.shape)}")
x = F.max_pool2d(F.relu(x), 2);          print(f"{'relu + max_pool 2':<22}{tuple(x.shape)}")
x = torch.flatten(x, 1);                 print(f"{'flatten':<22}{tuple(x.shape)}")
x = F.relu(model.fc1(x));                print(f"{'fc1 + relu':<22}{tuple(x.shape)}")
x = F.relu(model.fc2(x));                print(f"{'fc2 + relu':<22}{tuple(x.shape)}")
x = model.fc3(x);                        print(f"{'fc3 (logits)':<22}{tuple(x.shape)}")
print("same as calling the model:", torch.allclose(x, model(images)))

# %% [markdown]
# ### Counting parameters by hand
#
# - A `Conv2d(c_in, c_out, k)` has one k×k filter per (input channel, output channel) pair plus
#   one bias per output channel: **c_in · c_out · k · k + c_out**.
# - A `Linear(n_in, n_out)` has a weight matrix and one bias per output:
#   **n_in · n_out + n_out**.
#
# So `conv1 = Conv2d(3, 6, 5)` holds 3·6·5·5 + 6 = 456 numbers. `numel()` counts the entries
# of each parameter tensor; summing them must agree with the formula for every layer.

# %%
def formula_count(layer):
    """Parameters of a Conv2d or Linear layer from its hyper-parameters alone."""
    if isinstance(layer, nn.Conv2d):
        kh, kw = layer.kernel_size
        return layer.in_channels * layer.out_channels * kh * kw + layer.out_channels
    if isinstance(layer, nn.Linear):
        return layer.in_features * layer.out_features + layer.out_features
    raise TypeError(f"no formula for {type(layer).__name__}")


lenet_by_formula = 0
for name, layer in lenet.named_children():
    counted = sum(p.numel() for p in layer.parameters())
    shapes = " + ".join(str(tuple(p.shape)) for p in layer.parameters())
    lenet_by_formula += formula_count(layer)
    print(f"{name:<6}{counted:>7,}  formula {formula_count(layer):>7,}  tensors {shapes}")
print(f"total {count_parameters(lenet):>7,}  formula {lenet_by_formula:>7,}")

# %% [markdown]
# More than three quarters of LeNet's parameters sit in `fc1` (48,120 of 61,326): linear layers
# connect everything to everything, convolutions share a small filter across the whole image.
# `count_parameters(model)` from `tools.models` is the one-line version of this sum.
#
# ### Weight initialisation
#
# A freshly built layer is already initialised: PyTorch's default draws weights uniformly in
# ±1/√fan_in (with fan_in = c_in·k·k for a convolution, n_in for a linear layer), which gives a
# standard deviation of 1/√(3·fan_in). The notes' LeNet replaces this with its own scheme,
# `initialize_weights()`: Xavier-normal convolutions (std √(2 / (fan_in + fan_out))), linear
# weights drawn from N(0, 0.1²), all biases zero.
#
# We do this on a fresh CPU model right after seeding, so the numbers are the same on every
# machine.

# %%
def expected_std(layer, scheme):
    fan_in = layer.weight[0].numel()                    # c_in·k·k or n_in
    fan_out = layer.weight.shape[0] * layer.weight[0, 0].numel()  # c_out·k·k or n_out
    if scheme == "default":
        return 1 / (3 * fan_in) ** 0.5
    if isinstance(layer, nn.Conv2d):
        return (2 / (fan_in + fan_out)) ** 0.5
    return 0.1


set_seed(1)
fresh = LeNet(classes=2, in_channels=3)
before = {name: layer.weight.detach().clone() for name, layer in fresh.named_children()}
fresh.initialize_weights()
print(f"{'layer':<6}{'default std':>12}{'theory':>9}{'after init':>12}{'theory':>9}   bias after")
for name, layer in fresh.named_children():
    print(f"{name:<6}{before[name].std().item():>12.4f}{expected_std(layer, 'default'):>9.4f}"
          f"{layer.weight.std().item():>12.4f}{expected_std(layer, 'init'):>9.4f}"
          f"   all zero: {bool((layer.bias == 0).all())}")

# %% [markdown]
# The measured spreads agree with the theory, and the more weights a layer has, the closer:
# `fc1` (48,000 weights) matches to the fourth decimal, while `conv1` (450) and `fc3` (168) are
# off by a few percent, because a few hundred random draws wobble. For `fc1` the picture tells the story: the default is
# *uniform* in ±1/√400 = ±0.05, the course's scheme a much wider *bell curve*.

# %%
bins = torch.linspace(-0.45, 0.45, 91).tolist()      # the same 0.01-wide bins for both panels
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
axes[0].hist(before["fc1"].flatten().numpy(), bins=bins, color="tab:blue")
axes[0].set_title("fc1 weights: PyTorch default (uniform ±0.05)")
axes[1].hist(fresh.fc1.weight.detach().flatten().numpy(), bins=bins, color="tab:orange")
axes[1].set_title("fc1 weights after initialize_weights() (N(0, 0.1²))")
for ax in axes:
    ax.set_xlabel("weight value")
    ax.set_xlim(-0.45, 0.45)
axes[0].set_ylabel("count")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## `nn.Sequential`: layers that run in order
#
# When data simply flows from one layer to the next, `nn.Sequential` writes `forward` for you: it
# calls its layers in the order they were given. `tools.models.LeNet2` is the same network as two
# blocks, `features` (convolutions) and `classifier` (linear layers). Because ReLU, pooling and
# flattening are now *modules* (`nn.ReLU`, `nn.MaxPool2d`, `nn.Flatten`), they appear in the repr.

# %%
lenet2 = LeNet2(classes=2, in_channels=3)
print(lenet2)

# %% [markdown]
# Same layers, same count, different names: inside a `Sequential` the layers are called
# `0`, `1`, `2`, ... so `conv1.weight` becomes `features.0.weight`. Copying LeNet's weights over
# in order makes the two networks compute the same function.

# %%
print("same number of parameters:", count_parameters(lenet2) == count_parameters(lenet))
print("LeNet names: ", [name for name, _ in lenet.named_parameters()][:4], "...")
print("LeNet2 names:", [name for name, _ in lenet2.named_parameters()][:4], "...")

with torch.no_grad():
    for target, source in zip(lenet2.parameters(), lenet.parameters()):
        target.copy_(source)
lenet2 = lenet2.to(DEVICE)
print("identical outputs after copying:", torch.allclose(lenet2(images), lenet(images), atol=1e-5))

# %% [markdown]
# ### Names instead of numbers: `Sequential(OrderedDict(...))`
#
# `features.0` says little in an error message or a log. Passing an `OrderedDict` of
# `name → layer` gives each layer a name, reachable as an attribute, while still running in
# order. It must really be an `OrderedDict`: a plain `dict` is refused, as the cell after the
# example shows.

# %%
named_features = nn.Sequential(OrderedDict([
    ("conv1", nn.Conv2d(3, 6, kernel_size=5)),
    ("relu1", nn.ReLU(inplace=True)),
    ("pool1", nn.MaxPool2d(kernel_size=2, stride=2)),
    ("conv2", nn.Conv2d(6, 16, kernel_size=5)),
    ("relu2", nn.ReLU(inplace=True)),
    ("pool2", nn.MaxPool2d(kernel_size=2, stride=2)),
]))
print(named_features)
print("by name:", named_features.conv2, "| by position:", named_features[3] is named_features.conv2)
print("output:", tuple(named_features.to(DEVICE)(images).shape))

# %% [markdown]
# A plain `dict` keeps its order too (since Python 3.7), so why not use one? Because
# `nn.Sequential(*args)` looks for names only when its single argument is an `OrderedDict`.
# Anything else is taken as a list of *layers*: the dict itself becomes layer `"0"`, and a dict
# is not a module.

# %% tags=["raises-exception"]
nn.Sequential({"conv1": nn.Conv2d(3, 6, kernel_size=5), "relu1": nn.ReLU()})

# %% [markdown]
# Read the traceback from the bottom up: `TypeError: dict is not a Module subclass` is raised in
# `add_module`, which `Sequential.__init__` called as `self.add_module(str(idx), module)` with
# `idx = 0` and `module` = your dict. The fix is to wrap the pairs: `nn.Sequential(OrderedDict([...]))`
# (or to start from an empty `nn.Sequential()` and call `add_module(name, layer)` once per layer).

# %% [markdown]
# ## `nn.ModuleList`: many layers, your own loop
#
# A `ModuleList` is a Python list that registers its members. It has **no `forward`**: you write
# the loop yourself, which is exactly what you want when the wiring is not a straight line
# (skip connections, weight sharing, a depth chosen by an argument). Building twenty identical
# layers is a one-line comprehension.
#
# Why not a plain Python list? Because `__setattr__` only registers `Parameter`s and `Module`s;
# a list is neither, so its layers would be invisible to `parameters()`, to the optimizer, to
# `state_dict` and to `.to(DEVICE)`.

# %%
class DeepLinear(nn.Module):
    def __init__(self, depth=5, width=10):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


class ForgetfulDeepLinear(nn.Module):
    def __init__(self, depth=5, width=10):
        super().__init__()
        self.layers = [nn.Linear(width, width) for _ in range(depth)]  # plain list: not registered

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


deep = DeepLinear()
print("ModuleList model: layers", len(deep.layers), "| parameters", count_parameters(deep), "= 5 · (10·10 + 10)")
print("plain-list model: layers", len(ForgetfulDeepLinear().layers),
      "| parameters", count_parameters(ForgetfulDeepLinear()), "(an optimizer would get nothing)")
x10 = torch.randn(3, 10, generator=torch.Generator().manual_seed(0)).to(DEVICE)
print("output:", tuple(deep.to(DEVICE)(x10).shape))

# %% [markdown]
# ## `nn.ModuleDict`: choose a layer by name at run time
#
# A `ModuleDict` registers modules under string keys. Index it in `forward` with an argument,
# and the caller decides which branch runs. Every choice is registered (and saved), even the
# ones a given call does not use.

# %%
class ChoiceBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.choices = nn.ModuleDict({
            "conv": nn.Conv2d(10, 10, kernel_size=3),
            "pool": nn.MaxPool2d(3),
        })
        self.activations = nn.ModuleDict({
            "relu": nn.ReLU(),
            "prelu": nn.PReLU(),   # a ReLU with a learnable slope for negative inputs: 1 parameter
        })

    def forward(self, x, choice, activation):
        return self.activations[activation](self.choices[choice](x))


block = ChoiceBlock().to(DEVICE)
maps = torch.randn(4, 10, 32, 32, generator=torch.Generator().manual_seed(0)).to(DEVICE)
for choice, activation in [("conv", "relu"), ("conv", "prelu"), ("pool", "relu")]:
    print(f"{choice:>4} + {activation:<5} -> {tuple(block(maps, choice, activation).shape)}")
print("registered:", [name for name, _ in block.named_parameters()])
print("parameters:", count_parameters(block), "= (10·10·3·3 + 10) + 1")

# %% [markdown]
# | container | order | has `forward` | typical use |
# |---|---|---|---|
# | `nn.Sequential` | fixed, runs in order | yes | a block where data flows straight through |
# | `nn.ModuleList` | a list you index or loop over | no | many repeated layers, custom wiring |
# | `nn.ModuleDict` | looked up by key | no | optional branches chosen at run time |
#
# ## AlexNet, as torchvision defines it
#
# AlexNet (2012) won ImageNet with ReLU activations, dropout in the classifier, heavy data
# augmentation and, for its time, a big network: 5 convolutions, 3 max pools and 3 linear
# layers. torchvision's version is the slightly simplified "one weird trick" variant: 64 filters
# in the first layer instead of the paper's 96, no Local Response Normalization, and an
# `AdaptiveAvgPool2d((6, 6))` that makes the classifier work for any input of at least 63×63
# (smaller ones shrink to nothing in the convolutions and pools). It is built from two `Sequential` blocks, exactly like `LeNet2`.
#
# `weights=None` builds it with random weights and downloads nothing.

# %%
set_seed(0)
alexnet = torchvision.models.alexnet(weights=None).eval()
print(alexnet)

# %% [markdown]
# ### A model summary with forward hooks
#
# Tracing shapes by hand does not scale. Instead, register a forward hook on every **leaf**
# module (one without children), run one example input, and let each hook record its layer's
# name, type, output shape and own parameter count. The `finally` clause removes the hooks
# again, even if the forward pass fails. Only modules are seen: functional calls such as
# `torch.flatten` in AlexNet's `forward` leave no row.

# %%
def model_summary(model, example_input):
    """Run ``example_input`` through ``model``; return (name, type, output shape, own params) rows."""
    rows, handles = [], []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue                                        # containers: their leaves report
        def hook(module, inputs, output, name=name):
            own = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append((name, type(module).__name__, tuple(output.shape), own))
        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(example_input)
    finally:
        for handle in handles:
            handle.remove()
    return rows


def print_summary(rows, model):
    print(f"{'layer':<14}{'type':<19}{'output shape':<20}{'params':>12}")
    print("-" * 65)
    for name, kind, shape, params in rows:
        print(f"{name:<14}{kind:<19}{str(shape):<20}{params:>12,}")
    print("-" * 65)
    print(f"{'total':<53}{count_parameters(model):>12,}")


image = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0)).to(DEVICE)
alexnet = alexnet.to(DEVICE)
alexnet_rows = model_summary(alexnet, image)
print_summary(alexnet_rows, alexnet)

# %% [markdown]
# Check the first row with the output-size formula
# **out = ⌊(in + 2·padding − kernel) / stride⌋ + 1**: (224 + 2·2 − 11) / 4 + 1 = 55.25 → 55.
# The pool after it gives ⌊(55 − 3) / 2⌋ + 1 = 27. (The notes trace the paper's version with 96
# filters and no padding, which gives 54 and 26 instead.)
#
# The summary works for any model. On `LeNet` it shows only the five registered layers
# (functional ReLU and pooling are invisible to hooks), on `LeNet2` every step:

# %%
print_summary(model_summary(lenet, images), lenet)
print()
print_summary(model_summary(lenet2, images), lenet2)

# %% [markdown]
# ### Where AlexNet's 61 million parameters live
#
# The convolutions are cheap; the first linear layer, 9216 × 4096, holds more than half of the
# whole network on its own. That is why later architectures replaced big fully connected heads
# with global average pooling.

# %%
weighted = [(name, params) for name, _, _, params in alexnet_rows if params > 0]
names = [name for name, _ in weighted]
millions = [params / 1e6 for _, params in weighted]
total = count_parameters(alexnet)

fig, ax = plt.subplots(figsize=(9, 3.6))
bars = ax.bar(names, millions, color=["tab:blue"] * 5 + ["tab:orange"] * 3)
for bar, (_, params) in zip(bars, weighted):
    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.4, f"{100 * params / total:.2f}%",
            ha="center", fontsize=9)
ax.set_title("AlexNet: parameters per layer (blue: convolutions, orange: linear)")
ax.set_xlabel("layer")
ax.set_ylabel("parameters (millions)")
ax.set_ylim(0, 42)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Target: exact parameter counts
#
# Each count from the model must equal the count from the formulas, layer by layer and in total.

# %%
conv1_count = sum(p.numel() for p in lenet.conv1.parameters())
lenet_count = count_parameters(lenet)
alexnet_count = count_parameters(alexnet)
alexnet_by_formula = sum(formula_count(m) for m in alexnet.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))

print(f"LeNet conv1:  {conv1_count:>10,}  (3·6·5·5 + 6 = {3 * 6 * 5 * 5 + 6})")
print(f"LeNet total:  {lenet_count:>10,}  (formula {lenet_by_formula:,})")
print(f"AlexNet total:{alexnet_count:>11,}  (formula {alexnet_by_formula:,})")
target_met = (conv1_count == 456 and lenet_count == lenet_by_formula == 61_326
              and alexnet_count == alexnet_by_formula == 61_100_840)
print("target met (conv1 = 456, LeNet = 61,326, AlexNet = 61,100,840):", target_met)
record_metrics("06_module_containers", lenet_conv1_parameters=conv1_count,
               lenet_parameters=lenet_count, alexnet_parameters=alexnet_count);

# %% [markdown]
# ## Common mistakes
#
# **Forgetting `super().__init__()`.** The dictionaries of the first section are created by
# `nn.Module.__init__`. Without that call, the very first layer you assign has nowhere to go:

# %% tags=["raises-exception"]
class Broken(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(2, 2)          # super().__init__() is missing


Broken()

# %% [markdown]
# **Feeding a grey image to a colour network.** `conv1` of our LeNet expects 3 input channels;
# a 1-channel 32×32 digit does not fit. Build the model with `in_channels=1`, or repeat the grey
# channel three times (`x.expand(-1, 3, -1, -1)`).

# %% tags=["raises-exception"]
grey = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0)).to(DEVICE)
lenet(grey)

# %% [markdown]
# **Calling a `ModuleList` like a `Sequential`.** A `ModuleList` only stores layers; it has no
# `forward`, so calling it fails. Loop over it (as `DeepLinear.forward` does), or use
# `nn.Sequential(*layers)` when the layers really run in a straight line.

# %% tags=["raises-exception"]
deep.layers(x10)

# %% [markdown]
# **Overwriting a parameter with a plain tensor.** Once a name is registered as a parameter, the
# module refuses anything but an `nn.Parameter` (or `None`) under that name. To change the
# values, copy into the existing parameter inside `torch.no_grad()` (`layer.weight.copy_(...)`).

# %% tags=["raises-exception"]
layer = nn.Linear(2, 2)
layer.weight = torch.zeros(2, 2)

# %% [markdown]
# ## Exercises
#
# **06.1** Set `conv_params` to the number of parameters of
# `nn.Conv2d(64, 128, kernel_size=3, bias=False)` and `fc_params` to that of AlexNet's first
# linear layer, `nn.Linear(9216, 4096)`, both as plain Python `int`s. The check accepts any
# correct count, however you get it; the point is to predict it first with the formulas above
# (write them as arithmetic), and only then build the layers and count to verify.

# %%
### BEGIN SOLUTION
conv_params = 64 * 128 * 3 * 3          # no bias
fc_params = 9216 * 4096 + 4096
### END SOLUTION

# %%
from tools import check_exercise


def check_counts(answer):
    from torch import nn

    conv_params, fc_params = answer
    assert isinstance(conv_params, int) and isinstance(fc_params, int), "give plain Python ints"
    true_conv = sum(p.numel() for p in nn.Conv2d(64, 128, kernel_size=3, bias=False).parameters())
    assert conv_params == true_conv, \
        f"conv_params = {conv_params:,} is wrong: c_in · c_out · k · k, and bias=False means no + c_out"
    assert fc_params == sum(p.numel() for p in nn.Linear(9216, 4096, device="meta").parameters()), \
        f"fc_params = {fc_params:,} is wrong: n_in · n_out weights plus one bias per output"


check_exercise("06.1", check_counts, points=1, answer=lambda: (conv_params, fc_params))

# %% [markdown]
# **06.2** Build a `Sequential` called `stem` whose layers are *named*, in this order:
# `conv` = `Conv2d(3, 8, kernel_size=3, padding=1)`, `bn` = `BatchNorm2d(8)`, `relu` = `ReLU()`,
# `pool` = `MaxPool2d(2)`. For a `(2, 3, 32, 32)` input it must return `(2, 8, 16, 16)`.
# The check only sees what `stem` computes: the answer loads weights of its own choosing into a
# copy of `stem` *by these names* (`conv.weight`, `bn.bias`, ...), then runs the first one, two,
# three and four layers (`stem[:k]`, a slice of a `Sequential`) and the whole `stem` on random
# inputs; the check recomputes each result with `torch.nn.functional`.

# %%
### BEGIN SOLUTION
stem = nn.Sequential(OrderedDict([
    ("conv", nn.Conv2d(3, 8, kernel_size=3, padding=1)),
    ("bn", nn.BatchNorm2d(8)),
    ("relu", nn.ReLU()),
    ("pool", nn.MaxPool2d(2)),
]))
### END SOLUTION

# %%
def check_stem(answer):
    import torch
    import torch.nn.functional as F

    assert isinstance(answer, dict) and set(answer) == {"prefixes", "whole"}, "the answer is a dict of stem's outputs"
    for key in ("prefixes", "whole"):
        assert not isinstance(answer[key], str), f"running stem failed: {answer[key]}"
    g = torch.Generator().manual_seed(62)                    # the weights and inputs stem_answer chose
    w, b = torch.randn(8, 3, 3, 3, generator=g) / 4, torch.randn(8, generator=g)
    gamma, beta = torch.rand(8, generator=g) + 0.5, torch.randn(8, generator=g)
    x1, x2 = torch.randn(2, 3, 32, 32, generator=g), torch.randn(3, 3, 10, 14, generator=g)

    def layers(x):                                           # the output after each layer, in order
        conv = F.conv2d(x, w, b, padding=1)
        bn = F.batch_norm(conv, None, None, gamma, beta, training=True)   # a model in training mode
        relu = bn.clamp(min=0)
        return [conv, bn, relu, F.max_pool2d(relu, 2)]

    def same(got, want, what):
        assert type(got) is torch.Tensor and got.dtype == torch.float32, f"{what} is not a float32 tensor"
        assert got.shape == want.shape, f"{what} has shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        err = (got - want).abs().max().item()
        assert err <= 1e-4, f"{what} differs from conv -> bn -> relu -> pool by up to {err:.3g}"

    prefixes = answer["prefixes"]
    assert isinstance(prefixes, list) and len(prefixes) == 4, "expected the outputs of stem[:1] ... stem[:4]"
    for k, (got, want) in enumerate(zip(prefixes, layers(x1), strict=True), start=1):
        same(got, want, f"stem[:{k}](x)")
    same(answer["whole"], layers(x2)[-1], "stem(x) for a (3, 3, 10, 14) input")


def stem_answer():
    import copy

    g = torch.Generator().manual_seed(62)
    w, b = torch.randn(8, 3, 3, 3, generator=g) / 4, torch.randn(8, generator=g)
    gamma, beta = torch.rand(8, generator=g) + 0.5, torch.randn(8, generator=g)
    x1, x2 = torch.randn(2, 3, 32, 32, generator=g), torch.randn(3, 3, 10, 14, generator=g)
    model = copy.deepcopy(stem).cpu().train()
    weights = {"conv.weight": w, "conv.bias": b, "bn.weight": gamma, "bn.bias": beta,
               "bn.running_mean": torch.zeros(8), "bn.running_var": torch.ones(8), "bn.num_batches_tracked": torch.tensor(0)}
    try:
        model.load_state_dict(weights)
    except Exception as error:  # noqa: BLE001 - reported by the check
        message = f"loading weights named {sorted(weights)} failed (name the layers with an OrderedDict): {error}"
        return {"prefixes": message, "whole": message}
    outputs = {}
    for key, run in [("prefixes", lambda: [model[:k](x1) for k in range(1, 5)]), ("whole", lambda: model(x2))]:
        try:
            outputs[key] = run()
        except Exception as error:  # noqa: BLE001 - reported by the check
            outputs[key] = f"{type(error).__name__}: {error}"
    return outputs


check_exercise("06.2", check_stem, points=1, answer=stem_answer)

# %% [markdown]
# **06.3** `LeakyNet` below was written in a hurry. It is meant to standardise its input with
# fixed statistics `mean` and `std` (saved and moved with the model, never changed by an
# optimizer), run it through `depth` linear layers with ReLU, and finish with one of two heads
# chosen by name at call time (`"classify"`: 3 outputs, `"regress"`: 1 output), divided by a
# learned `temperature` that starts at 1. It runs and returns the right shapes, but look at what
# the module knows about:

# %%
class LeakyNet(nn.Module):
    def __init__(self, mean, std, width=4, depth=2):
        super().__init__()
        self.mean = mean                      # fixed input statistics: saved and moved, never learned
        self.std = std
        self.body = [nn.Linear(width, width) for _ in range(depth)]
        self.heads = {"classify": nn.Linear(width, 3), "regress": nn.Linear(width, 1)}
        self.temperature = torch.ones(())     # meant to be learned

    def forward(self, x, head):
        x = (x - self.mean) / self.std
        for layer in self.body:
            x = torch.relu(layer(x))
        return self.heads[head](x) / self.temperature


leaky = LeakyNet(torch.zeros(4), torch.ones(4))
print("output shapes:", tuple(leaky(torch.ones(5, 4), "classify").shape), tuple(leaky(torch.ones(5, 4), "regress").shape))
print("parameters:", count_parameters(leaky), "| state_dict keys:", list(leaky.state_dict()))

# %% [markdown]
# Write `FixedNet`: the same constructor arguments, the same attribute names (`mean`, `std`,
# `body`, `heads`, `temperature`) and the same computation, but with every attribute stored so
# that the module registers it as what it is (learned or not, saved, moved by `.to()`). Decide
# for each attribute which of this lesson's tools fits. The check builds
# `FixedNet(mean, std, depth=3)` and looks at its `named_parameters()`, `named_buffers()`,
# `state_dict()` and outputs.

# %%
### BEGIN SOLUTION
class FixedNet(nn.Module):
    def __init__(self, mean, std, width=4, depth=2):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.body = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.heads = nn.ModuleDict({"classify": nn.Linear(width, 3), "regress": nn.Linear(width, 1)})
        self.temperature = nn.Parameter(torch.ones(()))

    def forward(self, x, head):
        x = (x - self.mean) / self.std
        for layer in self.body:
            x = torch.relu(layer(x))
        return self.heads[head](x) / self.temperature
### END SOLUTION

# %%
def check_fixed_net(answer):
    import torch
    import torch.nn.functional as F

    layers = [f"body.{i}" for i in range(3)] + ["heads.classify", "heads.regress"]
    learned = {"temperature"} | {f"{layer}.{kind}" for layer in layers for kind in ("weight", "bias")}
    assert isinstance(answer, dict) and set(answer) == {"parameters", "buffers", "temperature at start", "state", "outputs"}, \
        "the answer is a dict of what FixedNet registers and computes"
    assert isinstance(answer["parameters"], dict) and isinstance(answer["buffers"], dict), "parameters and buffers: name -> tensor"
    parameters, buffers = set(answer["parameters"]), set(answer["buffers"])
    assert not {"mean", "std"} & parameters, \
        ("mean and std are registered as parameters (even with requires_grad=False they are listed by "
         "parameters()); fixed statistics that must still be saved and moved belong in a buffer: register_buffer")
    assert {"mean", "std"} <= buffers, \
        f"buffers are {sorted(buffers)}: mean and std must be saved and moved with the model, but not learned"
    for prefix, container in [("body.", "list"), ("heads.", "dict")]:
        assert any(name.startswith(prefix) for name in parameters), \
            f"no parameter starts with {prefix!r}: the layers in a plain Python {container} are invisible to the module"
    assert "temperature" in parameters, "temperature is not a parameter, so no optimizer would ever change it"
    assert parameters == learned, f"parameters are {sorted(parameters)}, expected {sorted(learned)}"
    assert buffers == {"mean", "std"}, f"buffers are {sorted(buffers)}, expected only mean and std"
    assert answer["temperature at start"] == 1.0, f"temperature should start at 1, not {answer['temperature at start']}"
    state = answer["state"]
    assert isinstance(state, dict) and set(state) == learned | {"mean", "std"}, f"state_dict keys are {sorted(state)}"
    shapes = {"mean": (4,), "std": (4,), "temperature": ()} | {f"{layer}.weight": (n, 4) for layer, n in
                                                            [*[(f"body.{i}", 4) for i in range(3)], ("heads.classify", 3), ("heads.regress", 1)]}
    shapes |= {name.replace("weight", "bias"): shape[:1] for name, shape in shapes.items() if name.endswith("weight")}
    for name, shape in shapes.items():
        value = state[name]
        assert type(value) is torch.Tensor and value.dtype == torch.float32 and value.shape == shape, \
            f"state_dict[{name!r}] should be a float32 tensor of shape {shape}"
        assert torch.isfinite(value).all(), f"state_dict[{name!r}] is not finite"
        listed = answer["parameters"] if name in learned else answer["buffers"]
        assert type(listed[name]) is torch.Tensor and torch.equal(listed[name], value), \
            f"named_parameters()/named_buffers() and state_dict() disagree on {name!r}"
    assert state["temperature"].item() == 2.0, "fixed_net_answer sets temperature to 2 before reading the state"
    assert torch.equal(state["mean"], torch.tensor([0.5, -1.0, 2.0, 0.0])) and \
        torch.equal(state["std"], torch.tensor([2.0, 0.5, 1.0, 4.0])), "mean and std must hold the values passed in"
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))  # the input fixed_net_answer uses
    h = (x - state["mean"]) / state["std"]
    for i in range(3):
        h = F.relu(F.linear(h, state[f"body.{i}.weight"], state[f"body.{i}.bias"]))
    outputs = answer["outputs"]
    assert isinstance(outputs, dict) and set(outputs) == {"classify", "regress"}, f"calling the model failed: {outputs}"
    for head in ("classify", "regress"):
        want = F.linear(h, state[f"heads.{head}.weight"], state[f"heads.{head}.bias"]) / state["temperature"]
        got = outputs[head]
        assert type(got) is torch.Tensor and got.dtype == torch.float32 and got.shape == (5, 3 if head == "classify" else 1) \
            and got.shape == want.shape and (got - want).abs().max().item() <= 1e-5, \
            f"net(x, {head!r}) does not compute standardise -> body with ReLU -> head / temperature"


def fixed_net_answer():
    set_seed(6)
    net = FixedNet(torch.tensor([0.5, -1.0, 2.0, 0.0]), torch.tensor([2.0, 0.5, 1.0, 4.0]), depth=3)
    temperature = getattr(net, "temperature", None)
    facts = {"temperature at start": float(temperature.detach()) if torch.is_tensor(temperature) and temperature.numel() == 1 else None}
    if isinstance(temperature, nn.Parameter):
        with torch.no_grad():
            temperature.fill_(2.0)                  # so that the division shows in the outputs
    facts["parameters"] = {name: value.detach().cpu().clone() for name, value in net.named_parameters()}
    facts["buffers"] = {name: value.detach().cpu().clone() for name, value in net.named_buffers()}
    facts["state"] = {name: value.detach().cpu().clone() for name, value in net.state_dict().items()}
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    try:
        facts["outputs"] = {head: net(x, head) for head in ("classify", "regress")}
    except Exception as error:  # noqa: BLE001 - reported by the check, after the structure checks above
        facts["outputs"] = f"{type(error).__name__}: {error}"
    return facts


check_exercise("06.3", check_fixed_net, points=2, answer=fixed_net_answer)

# %% [markdown]
# ## Summary
#
# - A model is an `nn.Module`: `__init__` builds layers (after `super().__init__()`), `forward`
#   wires them; call `model(x)`, not `model.forward(x)`.
# - Assigning an `nn.Parameter` or an `nn.Module` as an attribute registers it in `_parameters`
#   or `_modules`; `register_buffer` fills `_buffers`; plain tensors and Python lists are not
#   registered (not learned, not saved, not moved). Hooks live in their own dictionaries.
# - `children()` is one level deep, `modules()` the whole tree including the model itself;
#   `named_parameters()` gives the dotted names that also appear in the `state_dict`.
# - Parameters: Conv2d c_in·c_out·k·k + c_out, Linear n_in·n_out + n_out. LeNet's `conv1` has 456,
#   LeNet 61,326, AlexNet 61,100,840, more than half of it in one linear layer.
# - `Sequential` runs in order (name layers with an `OrderedDict`), `ModuleList` holds layers for
#   your own loop, `ModuleDict` picks a layer by name at run time.
# - Forward hooks on leaf modules give a model summary: name, output shape and parameters per
#   layer.
# - Next: lesson 07 looks closely at the layers themselves: convolution, pooling, linear and
#   activation layers.
