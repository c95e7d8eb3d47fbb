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
# # 00 · Setup: your machine, your device, your first tensor
#
# **What you will learn**
#
# - which versions of PyTorch, torchvision, CUDA and cuDNN you have, and how to read them;
# - how the course picks a device (`COURSE_DEVICE` = `cpu`, `cuda` or `auto`);
# - why every lesson starts with `set_seed`, and what it does;
# - how much memory you have to play with;
# - how to create a first tensor and move it to the device;
# - how to open the course in JupyterLab and TensorBoard.

# %% [markdown]
# ## The first cell of every lesson
#
# Every lesson begins the same way: import the course helpers from `tools`, seed every random
# number generator, pick the device, and fix how numbers are printed. Fixing all of this up front
# is what lets the stored outputs you see in the notebook match what you get when you run it.

# %%
import platform

import torch
import torchvision

from tools import get_device, get_memory_info, set_seed, use_course_style

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## Versions
#
# The version numbers below are the first thing to include in a bug report. `torch.version.cuda`
# is the CUDA version PyTorch was *built* with (it is set even on a machine without a GPU);
# `torch.cuda.is_available()` says whether a GPU can actually be used right now. The numbers
# depend on your installation, so this cell is not compared by the tests.

# %%
# NBVAL_IGNORE_OUTPUT
print(f"python      {platform.python_version()}")
print(f"torch       {torch.__version__}")
print(f"torchvision {torchvision.__version__}")
print(f"built for CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
print(f"CUDA available: {torch.cuda.is_available()}, GPUs: {torch.cuda.device_count()}")
if torch.cuda.is_available():
    print(f"GPU 0: {torch.cuda.get_device_name(0)}")

# %% [markdown]
# What must hold on every machine that runs this course, GPU or not, is checked here instead:

# %%
major, minor = (int(part) for part in torch.__version__.split(".")[:2])
print("torch is 2.x or newer:", major >= 2)
print("torchvision imports alongside torch:", torchvision.__version__ != "")
print("a GPU is visible exactly when CUDA is available:",
      (torch.cuda.device_count() > 0) == torch.cuda.is_available())

# %% [markdown]
# ## Picking the device
#
# `get_device()` reads the environment variable `COURSE_DEVICE`:
#
# | value | meaning |
# |---|---|
# | `auto` (default) | the GPU when CUDA is available, otherwise the CPU |
# | `cpu` | always the CPU |
# | `cuda` | the GPU, and a clear error if there is none |
#
# Set it before starting Jupyter, e.g. `COURSE_DEVICE=cpu jupyter lab`. Lessons print
# `DEVICE.type` only in cells that are not compared, because it differs between machines.

# %%
# NBVAL_IGNORE_OUTPUT
print("this notebook computes on:", DEVICE.type)

# %%
print("DEVICE is a torch.device:", isinstance(DEVICE, torch.device))
print("DEVICE is cpu or cuda:", DEVICE.type in ("cpu", "cuda"))

# %% [markdown]
# Asking for a device by a name that does not exist is an error that says what to do:

# %% tags=["raises-exception"]
get_device("gpu")

# %% [markdown]
# ## Seeds make random numbers repeatable
#
# Weights are initialised randomly, data is shuffled randomly, dropout drops at random.
# `set_seed(s)` seeds Python's `random`, NumPy and PyTorch (the CPU generator and every GPU's),
# and asks cuDNN for deterministic algorithms. Seeding twice with the same number gives the same
# draws; that is why the numbers below are the same for you as in the stored output.

# %%
set_seed(42)
first = torch.rand(3)
set_seed(42)
second = torch.rand(3)
print(first)
print("same draws after re-seeding:", torch.equal(first, second))

# %% [markdown]
# A good habit from now on: draw random data on the **CPU** with a seeded generator and then
# move it to the device. The CPU and CUDA generators produce different streams, so drawing on the
# CPU is what makes a lesson print the same numbers on both.

# %%
generator = torch.Generator().manual_seed(0)
x = torch.randn(2, 3, generator=generator).to(DEVICE)
print(x.cpu())

# %% [markdown]
# ## Memory
#
# `get_memory_info()` reports RAM and, when a GPU is present, its memory, in GiB. Figures vary
# from machine to machine, so the printout is not compared; the sanity check after it is.

# %%
# NBVAL_IGNORE_OUTPUT
memory = get_memory_info()
for name, gib in memory.items():
    print(f"{name:<20} {gib:8.2f} GiB")

# %%
print("RAM reported:", memory["ram_total_gib"] > 0)
print("available RAM does not exceed total:", memory["ram_available_gib"] <= memory["ram_total_gib"])
print("GPU figures present exactly when CUDA is available:",
      ("gpu_total_gib" in memory) == torch.cuda.is_available())

# %% [markdown]
# ## Your first tensor
#
# A tensor is an n-dimensional array that knows its `dtype`, `shape` and `device`. `.to(DEVICE)`
# returns a tensor on the device (the same tensor if it is already there); arithmetic then happens there. To print, bring values back with
# `.cpu()` (a CUDA tensor's repr would otherwise carry `device='cuda:0'`).

# %%
t = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(t.dtype, tuple(t.shape))
on_device = t.to(DEVICE)
print("on the chosen device:", on_device.device.type == DEVICE.type)
print((on_device * 2 + 1).cpu())

# %% [markdown]
# ## Opening the course
#
# From the project folder (after `make course` or `make test` created `.venv`):
#
# ```bash
# .venv/bin/jupyter lab lessons/       # open NN_topic.ipynb; jupytext keeps the .py in sync
# .venv/bin/course tensorboard         # TensorBoard on http://127.0.0.1:6006, reading runs/
# ```
#
# TensorBoard binds to `127.0.0.1`, so only your own machine can see it. Lessons write their
# logs, checkpoints and results under `runs/`.

# %% [markdown]
# ## Exercises
#
# **00.1** Make two tensors `a` and `b` of shape `(2, 2)` with `torch.rand`, seeded so that they
# are *equal*: seed 7 before each draw.

# %%
### BEGIN SOLUTION
set_seed(7)
a = torch.rand(2, 2)
set_seed(7)
b = torch.rand(2, 2)
### END SOLUTION

# %%
from tools import check_exercise


def check_same_draws(answer):
    import torch

    a, b = answer
    assert isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor), "a and b must be tensors made with torch.rand"
    assert a.shape == (2, 2) and b.shape == (2, 2), f"expected two (2, 2) tensors, got {tuple(a.shape)} and {tuple(b.shape)}"
    first_draw = torch.rand(2, 2, generator=torch.Generator().manual_seed(7))  # what set_seed(7) then rand gives
    assert torch.equal(a, first_draw), "a is not the first draw after set_seed(7)"
    assert torch.equal(a, b), "a and b differ: seed again before drawing b"


check_exercise("00.1", check_same_draws, points=1, answer=lambda: (a, b))

# %% [markdown]
# **00.2** Put a tensor `ones_on_device` of shape `(3,)` full of ones, dtype `float32`, on `DEVICE`.

# %%
### BEGIN SOLUTION
ones_on_device = torch.ones(3).to(DEVICE)
### END SOLUTION

# %%
def check_ones_on_device(answer):
    import torch

    assert isinstance(answer["values"], torch.Tensor), f"ones_on_device must be a tensor, got {answer['type']}"
    assert answer["device"] == answer["chosen"], f"it lives on {answer['device']}, not the chosen device"
    values = answer["values"]
    assert values.dtype == torch.float32, f"dtype is {values.dtype}, expected torch.float32"
    assert values.shape == (3,) and torch.equal(values, torch.ones(3)), "values are not three ones"


def ones_on_device_answer():
    device = ones_on_device.device.type if torch.is_tensor(ones_on_device) else None
    return {"values": ones_on_device, "device": device, "chosen": DEVICE.type, "type": type(ones_on_device).__name__}


check_exercise("00.2", check_ones_on_device, points=1, answer=ones_on_device_answer)

# %% [markdown]
# ## Summary
#
# - Versions: `torch.__version__`, `torch.version.cuda`, `torch.backends.cudnn.version()`.
# - `get_device()` honours `COURSE_DEVICE`; print `DEVICE.type`, not the device itself.
# - `set_seed` makes every random draw repeatable; draw on the CPU, then `.to(DEVICE)`.
# - `get_memory_info()` tells you how much room there is.
# - Next: lesson 01 takes tensors apart.
