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
# and `torch.backends.cudnn.version()` describe the PyTorch *build*, not your machine: a CPU-only
# build reports `None` for both, while a CUDA build reports the versions it was compiled against
# even on a machine that has no GPU at all. Whether a GPU can actually be used right now is what
# `torch.cuda.is_available()` says. The numbers depend on your installation, so this cell is not
# compared by the tests.

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
# Read the last line of the traceback first: it names the value that was refused (`'gpu'`) and
# lists the accepted ones. PyTorch itself calls the GPU `cuda`.

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
# returns a tensor on the device (the very same tensor if it is already there); arithmetic on it
# then happens there. To print, bring values back with `.cpu()` (a CUDA tensor's repr would
# otherwise carry `device='cuda:0'`).

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
# **00.1 · A seed is not a secret.** The four numbers in `mystery` below were drawn with
# `torch.randint(0, 1000, (4,), generator=torch.Generator().manual_seed(s))` for some whole number
# `s` from 0 to 999. Find `s` and store it in `found_seed`, as a Python `int`. Then, from a generator seeded with
# `found_seed`, make `next_four`: the four numbers the *same* call gives right after `mystery`.
#
# Hint: a seed fixes the whole stream of draws, so you can try every candidate and compare.
# A generator is a stream: a second call continues where the first one stopped, it does not start over.

# %%
mystery = torch.tensor([567, 228, 936, 537])

### BEGIN SOLUTION
for candidate in range(1000):
    generator = torch.Generator().manual_seed(candidate)
    if torch.equal(torch.randint(0, 1000, (4,), generator=generator), mystery):
        found_seed = candidate
        next_four = torch.randint(0, 1000, (4,), generator=generator)
        break
print("seed", found_seed, "| next draw", next_four)
### END SOLUTION

# %%
from tools import check_exercise


def check_seed_search(answer):
    import torch

    found_seed, next_four = answer
    mystery = torch.tensor([567, 228, 936, 537])
    assert isinstance(found_seed, int) and not isinstance(found_seed, bool), (
        f"found_seed should be a Python int, got {type(found_seed).__name__}")
    assert 0 <= found_seed < 1000, f"the seed is a whole number from 0 to 999, got {found_seed}"
    # eight numbers in one draw: the same stream as two draws of four
    first_eight = torch.randint(0, 1000, (8,), generator=torch.Generator().manual_seed(found_seed))
    assert torch.equal(first_eight[:4], mystery), (
        f"seed {found_seed} does not reproduce mystery: try every seed from 0 to 999")
    expected_next = first_eight[4:]
    assert isinstance(next_four, torch.Tensor), f"next_four should be a tensor, got {type(next_four).__name__}"
    assert not torch.equal(next_four, mystery), "next_four repeats mystery: draw a second time from the same generator"
    assert torch.equal(next_four, expected_next), (
        "next_four is not the second draw of a generator seeded with found_seed")


check_exercise("00.1", check_seed_search, points=1, answer=lambda: (found_seed, next_four))

# %% [markdown]
# **00.2 · Move a batch to a device (advice, no points).** Data often arrives in *batches* kept
# in a dict that holds tensors next to plain values, e.g. `{"images": ..., "labels": ...,
# "name": "train"}`. Write `move_batch(batch, device)` that returns a **new** dict with the same
# keys, where every tensor has been moved to `device` and every other value is passed on
# unchanged. It must work for any keys, not only those of the example below: the cell after it
# adds one more tensor under a name of its own. Calling `.to()` on everything fails (a string has
# no `.to`).
#
# This exercise is **advice and scores no point**: *where* a tensor lives cannot be graded, since
# answers reach the grader as data on the CPU, where a function that hands the batch back
# untouched would look right. The advice cell runs in your own notebook. It calls your function
# with `torch.device("meta")`, a device that exists on every machine and stores only shapes and
# dtypes, no values, so it shows whether the tensors really moved; it also checks the keys, the
# plain values, the tensors' values with `DEVICE`, and that the batch you were given was left as
# it was.

# %%
### BEGIN SOLUTION
def move_batch(batch, device):
    return {key: value.to(device) if torch.is_tensor(value) else value for key, value in batch.items()}
### END SOLUTION


batch = {"images": torch.zeros(2, 1, 4, 4), "labels": torch.tensor([3, 7]), "name": "train", "size": 2}
moved = move_batch(batch, DEVICE)
for key, value in moved.items():
    print(f"{key:<7}", f"tensor, on DEVICE: {value.device.type == DEVICE.type}" if torch.is_tensor(value) else repr(value))

# %%
from tools import advise_exercise


def advise_move_batch(answer):
    import torch

    batch, to_meta, to_chosen, device = answer
    assert isinstance(to_meta, dict) and to_meta is not batch, "move_batch should return a new dict"
    assert sorted(to_meta) == sorted(batch), f"the keys {sorted(batch)} came back as {sorted(to_meta)}"
    for key, value in batch.items():
        if torch.is_tensor(value):
            assert value.device.type == "cpu", f"the batch you were given changed: {key!r} left the CPU"
            assert to_meta[key].device.type == "meta", f"with device meta, {key!r} stayed on {to_meta[key].device.type}"
            assert to_chosen[key].device.type == device.type, f"with DEVICE, {key!r} is not on {device.type}"
            assert to_chosen[key].dtype == value.dtype and torch.equal(to_chosen[key].cpu(), value), (
                f"{key!r} should keep its dtype and values: move tensors with .to(device), nothing else")
        else:
            assert to_meta[key] is value, f"{key!r} is not a tensor: pass it on unchanged"


def move_batch_advice_answer():
    def new_batch():
        return {"images": torch.zeros(2, 1, 4, 4), "labels": torch.tensor([3, 7]), "name": "train", "size": 2,
                "depth_q7": torch.full((2, 4, 4), 0.5, dtype=torch.float16)}

    batch = new_batch()
    return batch, move_batch(batch, torch.device("meta")), move_batch(new_batch(), DEVICE), DEVICE


advise_exercise("00.2", advise_move_batch, answer=move_batch_advice_answer)

# %% [markdown]
# ## Summary
#
# - Versions: `torch.__version__`, `torch.version.cuda`, `torch.backends.cudnn.version()`.
# - `get_device()` honours `COURSE_DEVICE`; print `DEVICE.type`, not the device itself.
# - `set_seed` makes every random draw repeatable; draw on the CPU, then `.to(DEVICE)`.
#   A seed fixes the whole stream of draws, which is why a lost seed can be found again by search.
# - `.to(device)` moves tensors only: move each tensor of a batch, pass other values on.
# - `get_memory_info()` tells you how much room there is.
# - Next: lesson 01 takes tensors apart.
