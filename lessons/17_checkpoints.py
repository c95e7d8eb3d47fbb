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
# # 17 · Save, load, resume
#
# Training takes hours on real problems, machines get switched off, and a model is only useful
# if it can leave the process that trained it. This lesson is about the files that carry a model
# (or a whole training run) from one process to the next, and about loading them without
# surprises.
#
# **What you will learn**
#
# - the two ways to save a model, `torch.save(model)` and `torch.save(model.state_dict())`, and
#   what each file really holds (tensors, or a reference to your class);
# - why `torch.load` must be called with `weights_only=True`: a pickle can run code while it
#   loads, shown with a harmless stand-in, and the refusal you get instead;
# - a **checkpoint**: model, optimizer, scheduler, epoch and the random-number generators' states,
#   so that an interrupted run resumes **exactly** where it stopped, and what goes wrong when one
#   piece is forgotten;
# - `map_location`, the DataParallel `module.` prefix, loading a pickled model without its
#   class, and `strict=False` partial loads with `missing_keys` / `unexpected_keys`;
# - atomic saves: why a crash while writing must never destroy the last good checkpoint.
#
# **Target:** a run interrupted after 3 of 6 epochs and resumed from its checkpoint ends with
# parameters, buffers and optimizer state **bit for bit** equal (`torch.equal`) to the
# uninterrupted run, on the CPU.

# %%
import os
import pickletools
import zipfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, Subset, TensorDataset
from torchvision import transforms as T

from tools import check_exercise, get_device, record_metrics, runs_dir, set_seed, tqdm, use_course_style
from tools.datasets import CachedDataset, ClassFolderDataset, ensure_dataset, stratified_split

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()
OUT = runs_dir("17_checkpoints")  # every file this lesson writes goes here
for old in OUT.iterdir():  # start from an empty folder, so a re-run shows the same files
    old.unlink()
print("files go to runs/" + OUT.name, "| files there now:", len(list(OUT.iterdir())))

# %% [markdown]
# ## 1 · Two ways to save a model
#
# A model is two things: **code** (the class, its `__init__` and `forward`) and **numbers** (the
# learned tensors). `torch.save` pickles whatever object it is given, so there are two choices:
#
# - `torch.save(model.state_dict(), path)` saves only the numbers: an ordered dict from names
#   (`"fc1.weight"`) to tensors. To use them you build the model from your code and pour the
#   numbers in with `load_state_dict`. This is the recommended way.
# - `torch.save(model, path)` pickles the module object itself. The file does **not** contain
#   your code: pickle stores a *reference* to the class ("`SmallNet` from module `__main__`") and
#   calls it back when loading, so the class must be importable under the same name, and loading
#   means letting the file name functions to call.
#
# Our model for the whole lesson is a small CNN for 32×32 grey digits. It has dropout (so
# training draws random numbers) and a BatchNorm layer, whose running mean and variance are
# **buffers**: saved in the `state_dict`, but not parameters (the optimizer never sees them).

# %%
class SmallNet(nn.Module):
    """A small CNN for 32×32 grey digits: conv-BN-pool, conv-pool, two linear layers with dropout."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=5), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.dropout = nn.Dropout(0.3)
        self.fc1 = nn.Linear(16 * 5 * 5, 64)
        self.fc2 = nn.Linear(64, classes)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the last layer: 64 features per image."""
        x = self.dropout(torch.flatten(self.features(x), 1))
        return self.dropout(F.relu(self.fc1(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.body(x))


model = SmallNet()
state = model.state_dict()
print(type(state).__name__, "with", len(state), "entries:")
for name, tensor in state.items():
    print(f"  {name:<28} {str(tuple(tensor.shape)):<16} {tensor.dtype}")
parameter_names = [name for name, _ in model.named_parameters()]
print("parameters:", len(parameter_names), "| buffers (in the state_dict, not parameters):",
      [name for name in state if name not in parameter_names])

# %% [markdown]
# Now save it both ways and look inside the files. A `torch.save` file is a zip archive: one
# `data.pkl` (the pickled object, with every tensor replaced by a reference to a storage) and
# one file per tensor storage under `data/`. The pickle is a small program for a tiny stack
# machine; its `GLOBAL` instructions name every function or class it will import and call while
# loading. Listing them (with `pickletools`, without loading anything) shows the difference.

# %%
STATE_PATH, WHOLE_PATH = OUT / "smallnet_state.pt", OUT / "smallnet_whole.pt"
torch.save(model.state_dict(), STATE_PATH)
torch.save(model, WHOLE_PATH)


def pickle_globals(path):
    """The names a torch.save file's pickle imports when loaded, read without loading it."""
    with zipfile.ZipFile(path) as archive:
        data = archive.read(next(name for name in archive.namelist() if name.endswith("/data.pkl")))
    return [arg.replace(" ", ".") for op, arg, _ in pickletools.genops(data) if op.name == "GLOBAL"]


with zipfile.ZipFile(STATE_PATH) as archive:
    print("inside the state_dict file:", archive.namelist()[:5], "...")
print("state_dict file imports:", pickle_globals(STATE_PATH))
print("whole-model file imports:", pickle_globals(WHOLE_PATH))
tensor_bytes = sum(t.numel() * t.element_size() for t in state.values())
sizes = {"tensors alone": tensor_bytes, "state_dict file": STATE_PATH.stat().st_size,
         "whole-model file": WHOLE_PATH.stat().st_size}
print("bytes:", sizes)

# %% [markdown]
# The state_dict file names three harmless things: an `OrderedDict`, the function that rebuilds a
# tensor and a storage type. The whole-model file also names `__main__.SmallNet` and every layer
# class. Both files are a few kilobytes larger than the tensors themselves (zip headers, the
# pickle, padding that aligns each storage); what makes them different is not the size but
# *what loading them will call*.

# %% [markdown]
# ## 2 · Loading, and why `weights_only=True` refuses a whole model
#
# Loading a state_dict is three steps: build the model from code, `torch.load` the dict,
# `load_state_dict`. It returns a report of keys that did not match (empty here) and copies the
# values into the model's own tensors.

# %%
fresh = SmallNet()  # new random weights
print("before loading, equal to the saved model:", torch.equal(fresh.fc1.weight, model.fc1.weight))
report = fresh.load_state_dict(torch.load(STATE_PATH, weights_only=True))
print("load_state_dict says:", report)
print("after loading, every entry equal:",
      all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), model.state_dict().values())))

# %% [markdown]
# `weights_only=True` (the default since PyTorch 2.6, but write it: older versions and other
# libraries do not default to it) loads the pickle with a restricted unpickler that only builds
# tensors, numbers, strings and containers. The whole-model file needs `SmallNet`, which is not on
# its list:

# %% tags=["raises-exception"]
torch.load(WHOLE_PATH, weights_only=True)

# %% [markdown]
# How to read it: the last lines say why. `Unsupported global: GLOBAL __main__.SmallNet was not
# an allowed global by default` is the `GLOBAL` instruction we listed above. The message offers
# two ways out, **both only for files you trust**: `weights_only=False`, or allow-listing the
# class with `torch.serialization.safe_globals([SmallNet])`. Saving `state_dict`s in the first
# place avoids the question. Here we made the file ourselves, so loading it fully is fine; it
# works because `SmallNet` exists in this notebook (section 8 shows the error when it does not):

# %%
whole = torch.load(WHOLE_PATH, weights_only=False)  # only because we wrote this file ourselves
print(type(whole).__name__, "| equal weights:", torch.equal(whole.fc1.weight, model.fc1.weight),
      "| unsafe globals listed by torch:", sorted(torch.serialization.get_unsafe_globals_in_checkpoint(WHOLE_PATH)))

# %% [markdown]
# ## 3 · What a malicious pickle can do
#
# Unpickling is running a program: an object can tell pickle "to rebuild me, call this function
# with these arguments" (its `__reduce__` method), and the loader obeys. Nothing limits the
# function to constructors. Here is a **harmless stand-in** for a poisoned checkpoint: a
# dict with real weights, plus one object whose `__reduce__` asks for `exec` of a snippet that
# writes a marker file and prints a line. An attacker's snippet would do something else.

# %%
MARKER = OUT / "marker.txt"


class StandIn:
    """Pickles as 'call exec(code)': what an attacker's object inside a checkpoint looks like."""

    def __reduce__(self):
        code = (f"import pathlib; pathlib.Path({str(MARKER)!r}).write_text('written by a checkpoint'); "
                "print('this ran while loading!')")
        return (exec, (code,))


POISONED = OUT / "poisoned.pt"
torch.save({"model": model.state_dict(), "note": StandIn()}, POISONED)
print("saved; marker file exists:", MARKER.exists())
print("what the pickle will call:", sorted(torch.serialization.get_unsafe_globals_in_checkpoint(POISONED)))

# %% [markdown]
# `get_unsafe_globals_in_checkpoint` reads the pickle without running it, and already shows the
# problem: `builtins.exec`. Loading it the trusting way runs the code:

# %%
loaded = torch.load(POISONED, weights_only=False)  # DON'T do this with a file you did not make
print("marker file exists now:", MARKER.exists(), "| it says:", repr(MARKER.read_text()))
print("and the loaded 'note' is just the function's return value:", loaded["note"])
MARKER.unlink()

# %% [markdown]
# The weights loaded fine and nothing looked wrong; the damage happened on the way. With
# `weights_only=True` the same file is refused before `exec` is ever called:

# %% tags=["raises-exception"]
torch.load(POISONED, weights_only=True)

# %% [markdown]
# How to read it: `Unsupported global: GLOBAL exec` is the restricted unpickler meeting a
# function it will not call (`builtins.exec`, shown by its short name). The advice to allow-list it is generic:
# never allow-list `exec`, `eval`, `os.system` or anything you did not expect in a weight file.
# The refusal is also complete: no marker file, no print.

# %%
print("marker file exists after the refused load:", MARKER.exists())

# %% [markdown]
# ## 4 · A checkpoint: everything training needs to go on
#
# To continue a training run, the weights are not enough. The run's state is:
#
# | piece | why it matters |
# |---|---|
# | `model.state_dict()` | parameters and buffers (BatchNorm statistics) |
# | `optimizer.state_dict()` | momentum buffers (Adam: two running averages per weight), step counts, learning rates |
# | `scheduler.state_dict()` | its counter `last_epoch` and base rates, so the schedule goes on where it stopped |
# | `epoch` | where the loop starts again |
# | `torch.get_rng_state()` | the global generator: dropout masks, random augmentation |
# | the DataLoader's generator state | the order of the next epochs' shuffles |
# | `torch.cuda.get_rng_state_all()` | the GPU generators, when training on a GPU |
#
# First the data: 600 real training digits (60 per class) and 200 for validation, decoded once.

# %%
root = ensure_dataset("digits")
files = ClassFolderDataset(root)
split = stratified_split(files.targets, fractions=(0.12, 0.04, 0.84), seed=0)
to_tensor = T.Compose([T.Grayscale(), T.ToTensor(), T.Normalize((0.13,), (0.31,))])
decoded = ClassFolderDataset(root, transform=to_tensor)
train_set = CachedDataset(Subset(decoded, split["train"]))
valid_set = CachedDataset(Subset(decoded, split["valid"]))
print("train:", len(train_set), "| valid:", len(valid_set), "| one image:", tuple(train_set[0][0].shape))

# %% [markdown]
# `build()` is what a training script does at its start, every time it is launched: seed, make the
# model, the optimizer (SGD with momentum and weight decay), a scheduler (halve the rate every 2
# epochs) and a shuffling loader with its own generator. `train_epoch` is the usual loop; it
# records each batch's loss for the plots. Everything runs on the CPU, on purpose (see the end of
# section 6 for GPUs).

# %%
TRAIN_DEVICE = torch.device("cpu")  # the resume demonstration runs on the CPU on every machine
EPOCHS, INTERRUPT = 6, 3


def build(seed=0):
    """A fresh start of the training script: model, optimizer, scheduler, shuffling loader."""
    torch.manual_seed(seed)
    model = SmallNet().to(TRAIN_DEVICE)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    loader = DataLoader(train_set, batch_size=32, shuffle=True, num_workers=0,
                        generator=torch.Generator().manual_seed(seed))
    return model, optimizer, scheduler, loader


def train_epoch(model, optimizer, loader, losses):
    """One epoch of training; appends every batch's loss to `losses`."""
    model.train()
    for images, labels in loader:
        loss = F.cross_entropy(model(images.to(TRAIN_DEVICE)), labels.to(TRAIN_DEVICE))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())


def make_checkpoint(epoch, model, optimizer, scheduler, loader):
    """Everything needed to continue after `epoch` finished epochs, as plain tensors and containers."""
    return {
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "loader_rng": loader.generator.get_state(),
    }


model, optimizer, scheduler, loader = build()
train_epoch(model, optimizer, loader, [])
scheduler.step()
checkpoint = make_checkpoint(1, model, optimizer, scheduler, loader)
print("keys:", list(checkpoint))
print("optimizer state_dict:", list(checkpoint["optimizer"]), "| state of the first weight:",
      list(checkpoint["optimizer"]["state"][0]))
print("scheduler state_dict:", {k: v for k, v in checkpoint["scheduler"].items() if k in ("last_epoch", "base_lrs", "_last_lr")})
print("RNG states:", {k: f"{v.dtype}, {v.numel()} bytes" for k, v in checkpoint.items() if k.endswith("rng") and k != "cuda_rng"},
      "| cuda_rng: a list with one uint8 tensor per GPU (empty without one)")

# %% [markdown]
# Every value is a tensor, a number, a string or a container of them, random-number states
# included (they are `uint8` tensors). So the whole checkpoint loads with `weights_only=True`, and
# comes back equal:

# %%
CHECKPOINT_DEMO = OUT / "demo_checkpoint.pt"
torch.save(checkpoint, CHECKPOINT_DEMO)
back = torch.load(CHECKPOINT_DEMO, weights_only=True)
print("loads with weights_only=True; unsafe globals:", torch.serialization.get_unsafe_globals_in_checkpoint(CHECKPOINT_DEMO))
print("RNG state round trip equal:", torch.equal(back["torch_rng"], checkpoint["torch_rng"]),
      "| momentum buffer equal:", torch.equal(back["optimizer"]["state"][0]["momentum_buffer"],
                                              checkpoint["optimizer"]["state"][0]["momentum_buffer"]))

# %% [markdown]
# One trap before we use it: `state_dict()` does not copy. Its tensors *are* the model's tensors,
# so a checkpoint dict kept in memory (say, "the best model so far") silently follows the model as
# it keeps training. Saving it to a file at once, as we do, freezes it; to keep one in memory, use
# `copy.deepcopy(model.state_dict())`.

# %%
kept_in_memory = model.state_dict()
before = kept_in_memory["fc2.bias"].clone()
train_epoch(model, optimizer, loader, [])  # one more epoch of training
print("the model changed:", not torch.equal(model.fc2.bias, before),
      "| the dict kept in memory changed with it:", not torch.equal(kept_in_memory["fc2.bias"], before),
      "| the file did not:", torch.equal(back["model"]["fc2.bias"], before))

# %% [markdown]
# The momentum buffers make the checkpoint about twice the size of the weights (one buffer per
# weight); with Adam it is three times. Sizes of the files so far:

# %%
sizes["checkpoint file"] = CHECKPOINT_DEMO.stat().st_size
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.barh(list(sizes), [v / 1024 for v in sizes.values()], color=["0.6", "tab:blue", "tab:orange", "tab:green"])
for y, v in enumerate(sizes.values()):
    ax.text(v / 1024 + 1, y, f"{v / 1024:.1f} KiB", va="center")
ax.set_xlim(0, max(sizes.values()) / 1024 * 1.25)
ax.set_xlabel("size (KiB)")
ax.set_title("What a SmallNet file weighs: the checkpoint adds the momentum buffers")
ax.invert_yaxis();
ratio = sizes["checkpoint file"] / sizes["state_dict file"]
print("checkpoint file about twice the state_dict file (1.9 to 2.3 times):", 1.9 < ratio < 2.3)

# %% [markdown]
# ## 5 · Interrupt, resume, and get exactly the same run
#
# The experiment: train 6 epochs without a break. Then do it again, but stop after epoch 3 and
# save a checkpoint; throw everything away (as if the machine went down); start "a new process"
# that runs `build()` again (with the same seed, so its generators are at the *start* state, not
# where the run was) and scrambles the global generator for good measure; load the checkpoint and
# train the last 3 epochs. If every piece of state is restored, the two runs compute the same
# numbers in the same order, and the results are **equal bit for bit**, not just close.

# %%
def run_epochs(model, optimizer, scheduler, loader, start, stop, losses, desc):
    for _ in tqdm(range(start, stop), desc=desc, unit="epoch"):
        train_epoch(model, optimizer, loader, losses)
        scheduler.step()


straight_losses = []
straight = build()
run_epochs(*straight, 0, EPOCHS, straight_losses, "uninterrupted")

first_losses = []
model, optimizer, scheduler, loader = build()
run_epochs(model, optimizer, scheduler, loader, 0, INTERRUPT, first_losses, "until the interruption")
CHECKPOINT = OUT / "checkpoint_epoch3.pt"
torch.save(make_checkpoint(INTERRUPT, model, optimizer, scheduler, loader), CHECKPOINT)
del model, optimizer, scheduler, loader  # the machine goes down
torch.manual_seed(12345)  # a new process: its global generator is somewhere else entirely
print("checkpoint written:", CHECKPOINT.name, "| training objects deleted")

# %% [markdown]
# The resume: build as at any start, then overwrite every piece of state from the checkpoint.
# The order matters in one place: restore the generators **after** `build()`, because building
# the model draws random initial weights and would move the generator on.

# %%
model, optimizer, scheduler, loader = build()  # the script starts again from the top
checkpoint = torch.load(CHECKPOINT, weights_only=True, map_location="cpu")
model.load_state_dict(checkpoint["model"])
optimizer.load_state_dict(checkpoint["optimizer"])
scheduler.load_state_dict(checkpoint["scheduler"])
torch.set_rng_state(checkpoint["torch_rng"])
loader.generator.set_state(checkpoint["loader_rng"])
if checkpoint["cuda_rng"] and torch.cuda.is_available():
    torch.cuda.set_rng_state_all(checkpoint["cuda_rng"])
start_epoch = checkpoint["epoch"]  # the number of finished epochs = the index of the next one
print("resuming at epoch", start_epoch, "| learning rate", optimizer.param_groups[0]["lr"],
      "| scheduler.last_epoch", scheduler.last_epoch)
resumed_losses = []
run_epochs(model, optimizer, scheduler, loader, start_epoch, EPOCHS, resumed_losses, "resumed")

# %%
def same_state(a, b):
    """Every model entry, every optimizer state tensor and the learning rates are equal, bit for bit."""
    (model_a, optimizer_a, scheduler_a, _), (model_b, optimizer_b, scheduler_b, _) = a, b
    model_equal = all(torch.equal(x, y) for x, y in zip(model_a.state_dict().values(), model_b.state_dict().values()))
    state_a, state_b = optimizer_a.state_dict()["state"], optimizer_b.state_dict()["state"]
    optimizer_equal = state_a.keys() == state_b.keys() and all(
        torch.equal(state_a[k]["momentum_buffer"], state_b[k]["momentum_buffer"]) for k in state_a)
    lr_equal = scheduler_a.get_last_lr() == scheduler_b.get_last_lr()
    return model_equal, optimizer_equal, lr_equal


resumed = (model, optimizer, scheduler, loader)
model_equal, optimizer_equal, lr_equal = same_state(straight, resumed)
print("every parameter and buffer torch.equal:", model_equal)
print("every momentum buffer torch.equal:", optimizer_equal, "| same learning rate:", lr_equal)
print("the batch losses after the break are the same numbers:", resumed_losses == straight_losses[len(first_losses):])
target_met = model_equal and optimizer_equal and lr_equal
print("target met, resumed run bit-identical to the uninterrupted one:", target_met)

# %% [markdown]
# And the model did learn something; the accuracy on the 200 validation digits is the same for
# both runs, of course:

# %%
@torch.no_grad()
def accuracy(model, dataset):
    model.eval()
    return (model(dataset.images.to(TRAIN_DEVICE)).argmax(1).cpu() == torch.tensor(dataset.targets)).float().mean().item()


straight_accuracy, resumed_accuracy = accuracy(straight[0], valid_set), accuracy(model, valid_set)
print("validation accuracy > 0.8:", straight_accuracy > 0.8, "| same for both runs:", straight_accuracy == resumed_accuracy)

# %%
fig, ax = plt.subplots(figsize=(9, 3.5))
per_epoch = len(loader)
ax.plot(straight_losses, color="0.6", lw=4, label="uninterrupted")
ax.plot(first_losses, color="tab:blue", lw=1.2, label="interrupted run, epochs 1-3")
ax.plot(range(len(first_losses), len(first_losses) + len(resumed_losses)), resumed_losses, color="tab:orange",
        lw=1.2, ls="--", label="resumed from the checkpoint, epochs 4-6")
ax.axvline(INTERRUPT * per_epoch, color="k", lw=1, ls=":")
ax.text(INTERRUPT * per_epoch + 1, ax.get_ylim()[1] * 0.55, "checkpoint saved, process killed", ha="left", fontsize=9)
ax.set_xlabel("batch")
ax.set_ylabel("training loss")
ax.set_title("Resumed run lies exactly on the uninterrupted one")
ax.legend(loc="upper right");

# %% [markdown]
# ## 6 · What if one piece is forgotten?
#
# Each variant below resumes from the same checkpoint but skips one piece. Nothing raises, the
# loss curves look plausible, and the results are silently different:
#
# - without the **global RNG** state, dropout draws other masks;
# - without the **loader's generator**, the next epochs see the batches in another order;
# - without the **scheduler**, the fresh one starts its count at 0: the learning rate is taken from
#   the optimizer's state (0.025) but the next halving comes at the wrong epoch;
# - without the **optimizer**, momentum starts from zero and the learning rate from 0.05.

# %%
def resume_without(piece):
    """Resume from CHECKPOINT restoring everything except `piece`; train to the end."""
    run = build()
    model, optimizer, scheduler, loader = run
    checkpoint = torch.load(CHECKPOINT, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    restore = {"optimizer": lambda: optimizer.load_state_dict(checkpoint["optimizer"]),
               "scheduler": lambda: scheduler.load_state_dict(checkpoint["scheduler"]),
               "global RNG": lambda: torch.set_rng_state(checkpoint["torch_rng"]),
               "loader generator": lambda: loader.generator.set_state(checkpoint["loader_rng"])}
    for name, action in restore.items():
        if name != piece:
            action()
    run_epochs(model, optimizer, scheduler, loader, checkpoint["epoch"], EPOCHS, [], f"without {piece}")
    return run


def largest_difference(run_a, run_b):
    return max((a - b).abs().max().item() for a, b in zip(run_a[0].parameters(), run_b[0].parameters()))


forgotten = {}
for piece in ["global RNG", "loader generator", "scheduler", "optimizer"]:
    run = resume_without(piece)
    forgotten[piece] = largest_difference(straight, run)
    print(f"without the {piece:<16}: every parameter equal: {same_state(straight, run)[0]}, "
          f"largest difference > 1e-4: {forgotten[piece] > 1e-4}")

# %%
fig, ax = plt.subplots(figsize=(8, 3))
labels = ["everything restored"] + [f"without {piece}" for piece in forgotten]
values = [largest_difference(straight, resumed)] + list(forgotten.values())
ax.barh(labels, [max(v, 1e-9) for v in values], color=["tab:green"] + ["tab:red"] * len(forgotten))
ax.set_xscale("log")
ax.set_xlim(1e-9, 10)
ax.text(2e-9, 0, "exactly 0: bit-identical", va="center", color="white" if values[0] > 1e-8 else "k", fontsize=9)
ax.set_xlabel("largest |parameter difference| to the uninterrupted run (log scale)")
ax.set_title("Forget one piece of the checkpoint and the run is a different run")
ax.invert_yaxis();
print("everything restored gives a difference of exactly 0:", values[0] == 0.0)

# %% [markdown]
# On a GPU the same recipe needs two more things: the CUDA generators
# (`torch.cuda.get_rng_state_all()`, already in our checkpoint) and deterministic kernels.
# Several GPU kernels (atomic adds in some backward passes, cuDNN's algorithm search) add numbers in
# an order that changes from run to run, so two *uninterrupted* GPU runs can already differ in the
# last bits; `torch.use_deterministic_algorithms(True)` (plus `CUBLAS_WORKSPACE_CONFIG=:4096:8`)
# makes them repeatable at some cost in speed. That is why the target, and this demonstration,
# are on the CPU, where every kernel is deterministic for a fixed thread count. (For the record:
# this section, moved to an H200 GPU with `TRAIN_DEVICE = torch.device("cuda")`, also came out
# bit-identical, with and without the flag; with bigger models and other layers, do not count on
# it without the flag.)

# %% [markdown]
# ## 7 · `map_location`: where the loaded tensors land
#
# A file remembers the device each tensor was saved from, and `torch.load` puts it back there.
# A checkpoint saved on a GPU then fills GPU memory when loaded, and on a machine without CUDA it
# fails with "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is
# False". `map_location` overrides the device: `"cpu"` to inspect or convert a checkpoint
# anywhere, `DEVICE` to load straight to where you compute. (`load_state_dict` copies values into
# the model's tensors wherever they are, so a CPU dict loads fine into a GPU model.)

# %%
on_device = SmallNet().to(DEVICE)
DEVICE_PATH = OUT / "saved_from_device.pt"
torch.save(on_device.state_dict(), DEVICE_PATH)
as_saved = torch.load(DEVICE_PATH, weights_only=True)
to_cpu = torch.load(DEVICE_PATH, weights_only=True, map_location="cpu")
print("without map_location, every tensor is back on DEVICE:", all(t.device.type == DEVICE.type for t in as_saved.values()))
print("with map_location='cpu', devices:", sorted({t.device.type for t in to_cpu.values()}))
cpu_model = SmallNet()
cpu_model.load_state_dict(as_saved)  # copies into the CPU model's own tensors, whatever the dict's device
print("CPU model loaded from it; its parameters are on:", sorted({p.device.type for p in cpu_model.parameters()}),
      "| values equal:", torch.equal(cpu_model.fc1.weight, on_device.fc1.weight.cpu()))

# %% [markdown]
# ## 8 · Two common errors from the notes
#
# **The `module.` prefix.** `nn.DataParallel(model)` (and `DistributedDataParallel`) wraps the
# model as an attribute called `module`, so every key of the wrapper's `state_dict` starts with
# `module.`. (On a machine without GPUs `DataParallel` still wraps, it just runs the model directly.)
# A checkpoint saved from the wrapper does not fit the plain model:

# %%
wrapped = nn.DataParallel(SmallNet())  # wraps a new SmallNet (on a GPU machine it moves it to GPU 0)
wrapped.module.load_state_dict(model.state_dict())
parallel_state = wrapped.state_dict()
print("keys of the wrapper:", list(parallel_state)[:3], "...")

# %% tags=["raises-exception"]
SmallNet().load_state_dict(parallel_state)

# %% [markdown]
# How to read it: the two lists are the same names, once without and once with `module.` in
# front: the clue for a prefix problem. (`num_batches_tracked` is missing from the "missing"
# list because BatchNorm accepts checkpoints from old PyTorch versions that lacked it.) Fixes:
# save `wrapped.module.state_dict()` in the first place; or strip the prefix when loading, with
# `consume_prefix_in_state_dict_if_present` (it changes the dict in place). `torch.compile`
# wrappers do the same with `_orig_mod.`.

# %%
stripped = dict(parallel_state)  # a copy: the helper edits the dict it gets
consume_prefix_in_state_dict_if_present(stripped, "module.")
plain = SmallNet()
print("after stripping:", list(stripped)[:3], "...", "|", plain.load_state_dict(stripped))
print("weights equal to the trained model:", torch.equal(plain.fc2.weight, model.fc2.weight))

# %% [markdown]
# **Loading a whole model without its class.** The notes warn that a model saved whole can only
# be loaded where the model class is defined. A new script, or a notebook that no longer has the
# class (renamed, moved to another module), sees this. We imitate it by taking the name
# `SmallNet` away for a moment:

# %% tags=["raises-exception"]
SmallNetClass = SmallNet  # kept, to put it back below
del SmallNet  # what a script that never defined SmallNet looks like
torch.load(WHOLE_PATH, weights_only=False)

# %% [markdown]
# How to read it: `Can't get attribute 'SmallNet' on <module '__main__'>` is pickle executing the
# file's `GLOBAL __main__ SmallNet` instruction: it looks the name up in the module where the
# class lived when saved (`__main__`, the notebook or script that ran `torch.save`) and finds
# nothing. The fixes: define or import the class there under the same name (brittle: any rename or
# move of the class breaks old files), or, better, save `state_dict`s, which need no class at load
# time.

# %%
SmallNet = SmallNetClass
print("class back; the whole model loads again:", type(torch.load(WHOLE_PATH, weights_only=False)).__name__)

# %% [markdown]
# ## 9 · `strict=False`: loading part of a model
#
# Reusing trained layers in a model for another task (lesson 18 does it with a pretrained network)
# means loading a `state_dict` that does not fit completely. With `strict=False`,
# `load_state_dict` loads every key whose **name** exists in both, and instead of raising it
# returns what did not fit:
#
# - `missing_keys`: entries of the model that the file did not fill (they keep their initial values);
# - `unexpected_keys`: entries of the file that the model has no place for (ignored).
#
# Here a new model for a 2-class task replaces `fc2` by a layer called `head`:

# %%
class SmallNetHead(SmallNet):
    """SmallNet for a new task: the last layer is a new `head` with `classes` outputs."""

    def __init__(self, classes: int = 2) -> None:
        super().__init__()
        del self.fc2
        self.head = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


new_model = SmallNetHead()
head_before = new_model.head.weight.clone()
result = new_model.load_state_dict(model.state_dict(), strict=False)
print("missing_keys:   ", result.missing_keys)
print("unexpected_keys:", result.unexpected_keys)
print("body loaded:", torch.equal(new_model.fc1.weight, model.fc1.weight),
      "| head left as initialised:", torch.equal(new_model.head.weight, head_before))

# %% [markdown]
# Always read the two lists: `strict=False` also "succeeds" when *nothing* matched (for example a
# `module.` prefix on every key), and then the model is simply untrained. The names must match,
# **and the shapes too**: `strict=False` forgives missing and extra names, not a layer with the same
# name and another size. Keeping the name `fc2` for a 2-class layer:

# %% tags=["raises-exception"]
SmallNet(classes=2).load_state_dict(model.state_dict(), strict=False)

# %% [markdown]
# How to read it: `size mismatch for fc2.weight: copying a param with shape torch.Size([10, 64])
# from checkpoint, the shape in current model is torch.Size([2, 64])`: the file's tensor first,
# the model's second. Nothing is loaded when this is raised. Drop the entries whose shape does not
# fit before loading; they then show up as missing keys:

# %%
two_class = SmallNet(classes=2)
target_state = two_class.state_dict()
fitting = {k: v for k, v in model.state_dict().items() if k in target_state and v.shape == target_state[k].shape}
result = two_class.load_state_dict(fitting, strict=False)
print("left out:", [k for k in model.state_dict() if k not in fitting])
print("missing_keys:", result.missing_keys, "| unexpected_keys:", result.unexpected_keys)

# %% [markdown]
# ## 10 · Atomic saves
#
# `torch.save(obj, path)` opens `path` for writing (emptying the old file at once) and writes for
# a while. If the process dies in between (out of memory, a time limit, a full disk, Ctrl-C), the
# file is cut off, and the last good checkpoint is gone with it. A truncated file looks like this
# when loaded:

# %%
data = CHECKPOINT.read_bytes()
TRUNCATED = OUT / "truncated.pt"
TRUNCATED.write_bytes(data[: len(data) // 2])
print("a checkpoint cut in half; its first bytes are intact:", TRUNCATED.read_bytes() == data[: len(data) // 2])

# %% tags=["raises-exception"]
torch.load(TRUNCATED, weights_only=True)

# %% [markdown]
# How to read it: "failed finding central directory" means the zip archive's table of contents,
# which is written **last**, is not there: the file ends early. Any `PytorchStreamReader failed
# ...` error means a damaged file, not a bug in your code.
#
# To see the real danger, simulate a crash in the middle of a save over a good checkpoint.
# `torch.save` opens (and so empties) the file first, then pickles the object, then writes the
# tensors; an object whose pickling raises stops it right after the emptying:

# %%
class CrashWhileSaving:
    """Raises while being pickled: stands in for a process killed in the middle of torch.save."""

    def __reduce__(self):
        raise RuntimeError("simulated crash in the middle of torch.save")


GOOD = OUT / "good.pt"
torch.save(make_checkpoint(INTERRUPT, *resumed), GOOD)
size_before = GOOD.stat().st_size
try:
    torch.save({**make_checkpoint(EPOCHS, *resumed), "crash": CrashWhileSaving()}, GOOD)
except RuntimeError as error:
    print("torch.save failed:", error)
print("the good checkpoint was over 100 KiB:", size_before > 100 * 1024, "| what is left of it is under 1 KiB:",
      GOOD.stat().st_size < 1024)
try:
    torch.load(GOOD, weights_only=True)
except RuntimeError as error:
    print("loading the last good checkpoint now fails:", str(error).split(". ")[0])

# %% [markdown]
# How to read it: `torch.save` still closed the archive properly on its way out, so this time the
# table of contents is there, but it lists no `data.pkl`: the file is a valid, empty zip. Cut off
# or empty, the result is the same: the run's last good state is lost.
# %% [markdown]
# The fix is to never write over the good file: write the new checkpoint to a temporary file
# **in the same folder**, make sure it is on the disk (`flush` + `os.fsync`), then rename it over
# the old one with `os.replace`. A rename within one file system is atomic: anyone opening the
# path gets either the whole old file or the whole new one, never a mix. (A temporary file in
# another folder, such as `/tmp`, may be on another file system, where `os.replace` has to copy
# and is no longer atomic.) If the save fails, the temporary file is removed and the old
# checkpoint is untouched.

# %%
def save_atomically(obj, path):
    """torch.save `obj` to `path` so that `path` always holds a complete file, old or new."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)  # only still there when the save failed


save_atomically(make_checkpoint(INTERRUPT, *resumed), GOOD)
try:
    save_atomically({**make_checkpoint(EPOCHS, *resumed), "crash": CrashWhileSaving()}, GOOD)
except RuntimeError as error:
    print("save_atomically failed:", error)
survivor = torch.load(GOOD, weights_only=True)
print("the old checkpoint still loads:", survivor["epoch"] == INTERRUPT,
      "| no temporary file left:", not GOOD.with_name(GOOD.name + ".tmp").exists())
save_atomically(make_checkpoint(EPOCHS, *resumed), GOOD)
print("a save that works replaces it:", torch.load(GOOD, weights_only=True)["epoch"] == EPOCHS)

# %%
record_metrics("17_checkpoints", resumed_bit_identical=target_met, valid_accuracy=straight_accuracy,
               forgotten_pieces_all_differ=all(v > 1e-4 for v in forgotten.values()),
               checkpoint_to_state_dict_size=round(ratio, 2))
print("recorded:", sorted(["resumed_bit_identical", "valid_accuracy", "forgotten_pieces_all_differ",
                           "checkpoint_to_state_dict_size"]))

# %% [markdown]
# ## Exercises
#
# **17.1** Write `strip_prefix(state_dict, prefix="module.")`, which returns a **new** dict (the
# argument stays unchanged) with the same tensors in the same order, where every key that
# **starts with** `prefix` loses it once, and every other key stays as it is. Careful: keys can
# contain the prefix elsewhere (a submodule called `module`, or `"submodule."`), a model inside a
# wrapper can itself have an attribute `module` (`"module.module.weight"`), and the prefix is not
# always `"module."` (`torch.compile` uses `"_orig_mod."`). Think about what `str.replace`,
# `str.lstrip` and `key[7:]` each get wrong.

# %%
### BEGIN SOLUTION
def strip_prefix(state_dict, prefix="module."):
    return {(key[len(prefix):] if key.startswith(prefix) else key): value for key, value in state_dict.items()}
### END SOLUTION
print("the DataParallel checkpoint of section 8 through strip_prefix:", SmallNet().load_state_dict(strip_prefix(parallel_state)))
print("tricky keys:", list(strip_prefix({"module.module.weight": torch.zeros(1), "submodule.bias": torch.zeros(1)})))

# %%
def check_strip_prefix(answer):
    import torch

    def expected_keys(keys, prefix):
        return [key[len(prefix):] if key.startswith(prefix) else key for key in keys]

    cases = [(["module.conv.weight", "module.conv.bias", "module.fc.weight"], "module."),
             (["encoder.module.weight", "submodule.bias", "module.mlp.weight", "model.0.weight"], "module."),
             (["module.module.weight", "module.head.bias"], "module."),
             (["_orig_mod.features.0.weight", "_orig_mod.fc.bias", "fc.weight"], "_orig_mod."),
             (["conv.weight", "conv.bias"], "module.")]  # as strip_prefix_answer builds them, in order
    results = answer["results"]
    assert isinstance(results, (list, tuple)) and len(results) == len(cases), f"expected {len(cases)} results, one per case"
    for case, ((keys, prefix), result) in enumerate(zip(cases, results)):
        want = expected_keys(keys, prefix)
        assert isinstance(result, dict), f"case {case}: malformed result"
        got = result["keys"]
        call = f"strip_prefix(<keys {keys}>, prefix={prefix!r})"
        assert isinstance(got, list) and all(isinstance(k, str) for k in got), f"{call} should return a dict with str keys"
        if got != want:
            hint = ""
            if got in ([k.replace(prefix, "") for k in keys], [k.replace(prefix, "", 1) for k in keys]):
                hint = ": str.replace also removes the prefix in the middle of a key, and more than once"
            elif got == [k.lstrip(prefix) for k in keys]:
                hint = ": str.lstrip removes any of the prefix's *characters* from the start, not the prefix"
            elif got in ([k[7:] if k.startswith("module.") else k for k in keys],
                         [k[7:] if k.startswith(prefix) else k for k in keys]):
                hint = ": use the prefix argument (and its length), not 'module.'"
            elif sorted(got) == sorted(want):
                hint = ": right keys, wrong order; keep the order of the state_dict"
            raise AssertionError(f"{call} gave keys {got}, expected {want}{hint}")
        values = result["values"]
        assert isinstance(values, list) and len(values) == len(keys), f"{call}: expected {len(keys)} values, one per key"
        for k, (value, number) in enumerate(zip(values, range(len(keys)))):
            base = torch.full((2,), float(10 * case + number))
            assert isinstance(value, torch.Tensor) and value.dtype == base.dtype and torch.equal(value, base), \
                f"{call}: the value of {got[k]!r} changed; keep every tensor as it is"
        assert result["input keys after the call"] == keys, (
            f"{call} changed the dict it was given (its keys are now {result['input keys after the call']}); build "
            "and return a new dict (consume_prefix_in_state_dict_if_present edits in place: copy first)")


def strip_prefix_answer():
    cases = [(["module.conv.weight", "module.conv.bias", "module.fc.weight"], "module."),
             (["encoder.module.weight", "submodule.bias", "module.mlp.weight", "model.0.weight"], "module."),
             (["module.module.weight", "module.head.bias"], "module."),
             (["_orig_mod.features.0.weight", "_orig_mod.fc.bias", "fc.weight"], "_orig_mod."),
             (["conv.weight", "conv.bias"], "module.")]
    results = []
    for case, (keys, prefix) in enumerate(cases):
        given = {key: torch.full((2,), float(10 * case + n)) for n, key in enumerate(keys)}
        out = strip_prefix(given, prefix=prefix)
        results.append({"keys": list(out), "values": list(out.values()), "input keys after the call": list(given)})
    return {"results": results}


check_exercise("17.1", check_strip_prefix, points=1, answer=strip_prefix_answer)

# %% [markdown]
# **17.2** Write `resume_from(path, model, optimizer, scheduler, generator)`. `path` is a file
# saved by `torch.save(make_checkpoint(epoch, model, optimizer, scheduler, loader))` (section 4)
# after `epoch` finished epochs; the other arguments are freshly built objects (`generator` is the
# loader's shuffling generator). Load the file safely, restore every piece of state into them, and
# return the index of the first epoch still to train. The check trains a tiny network with
# dropout, shuffling, momentum and a scheduler for 6 epochs, and again for 3 epochs, saves, builds
# everything anew, calls your function and trains to the end: the two results must be
# **bit-identical**. It also compares each piece of state right after your call (weights,
# momentum buffers, learning rate, scheduler count, both random states) with where the first run
# stood after 3 epochs. Whether you load the file *safely* cannot be seen in that data: exercise
# 17.4 gives advice on it in your notebook, without points.

# %%
### BEGIN SOLUTION
def resume_from(path, model, optimizer, scheduler, generator):
    checkpoint = torch.load(path, weights_only=True, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["torch_rng"])
    generator.set_state(checkpoint["loader_rng"])
    if checkpoint["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(checkpoint["cuda_rng"])
    return checkpoint["epoch"]
### END SOLUTION
fresh_run = build()  # a new start of the training script of section 5, resumed from its checkpoint
next_epoch = resume_from(CHECKPOINT, *fresh_run[:3], fresh_run[3].generator)
print("resume_from(CHECKPOINT, ...) returns", next_epoch, "| learning rate", fresh_run[1].param_groups[0]["lr"],
      "| weights equal to the checkpoint's:",
      torch.equal(fresh_run[0].fc2.weight, torch.load(CHECKPOINT, weights_only=True)["model"]["fc2.weight"]))

# %%
def check_resume_from(answer):
    import torch
    from torch import nn
    from torch.optim import lr_scheduler
    from torch.utils.data import DataLoader, TensorDataset

    # The uninterrupted run, rebuilt here as resume_from_answer trains it; its state after 3 epochs is what
    # the checkpoint holds, so it is what every piece should be right after resume_from.
    x = torch.randn(96, 5, generator=torch.Generator().manual_seed(17))
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    for epoch in range(6):
        if epoch == 3:
            at_3 = {"model": {k: v.clone() for k, v in net.state_dict().items()},
                    "momentum": [optimizer.state[p]["momentum_buffer"].clone() for p in net.parameters()],
                    "lr": optimizer.param_groups[0]["lr"], "last_epoch": scheduler.last_epoch,
                    "torch_rng": torch.get_rng_state(), "loader_rng": loader.generator.get_state()}
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(net(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
    reference = [p.detach() for p in net.parameters()]

    def same(got, want, exact=False):
        return (torch.is_tensor(got) and got.dtype == want.dtype and got.shape == want.shape
                and (torch.equal(got, want) if exact else torch.allclose(got, want, rtol=1e-5, atol=1e-5)))

    start = answer["start"]
    assert type(start) is int, f"resume_from should return the next epoch as an int, got {start!r}"
    assert start == 3, (f"resume_from returned {start}, but after 3 finished epochs the next epoch to train is "
                        "number 3 (epochs are counted from 0, checkpoint['epoch'] holds the finished ones)")
    after = answer["after resume_from"]
    model = after["model weights"]
    assert isinstance(model, dict) and list(model) == list(at_3["model"]) and all(
        same(model[k], v) for k, v in at_3["model"].items()), \
        "after resume_from the model's weights are not those of the checkpoint: load checkpoint['model']"
    momentum, lr = after["momentum buffers"], after["lr"]
    assert isinstance(momentum, list) and len(momentum) == 4 and all(map(same, momentum, at_3["momentum"])) and (
        type(lr) is float and abs(lr - at_3["lr"]) <= 1e-12), (
        "after resume_from the optimizer has no momentum buffers or another learning rate: "
        "load checkpoint['optimizer'] into it")
    assert type(after["scheduler last_epoch"]) is int and after["scheduler last_epoch"] == at_3["last_epoch"], \
        "after resume_from the scheduler's count is not the checkpoint's: load checkpoint['scheduler']"
    assert same(after["torch_rng"], at_3["torch_rng"], exact=True), (
        "after resume_from the global random generator is not where the checkpoint left it "
        "(dropout will draw other masks): torch.set_rng_state(checkpoint['torch_rng'])")
    assert same(after["loader_rng"], at_3["loader_rng"], exact=True), (
        "after resume_from the loader's generator is not where the checkpoint left it (the "
        "next shuffles will differ): generator.set_state(checkpoint['loader_rng'])")
    resumed, straight = answer["resumed"], answer["straight"]
    assert isinstance(resumed, list) and isinstance(straight, list) and len(resumed) == len(reference) == len(straight), \
        "expected the 4 parameter tensors of the network"
    for a, b in zip(straight, reference):
        assert same(a, b), "the uninterrupted run did not train as expected"
    for k, (a, b) in enumerate(zip(resumed, straight)):
        assert same(a, b, exact=True), (f"parameter {k} of the resumed run differs from the uninterrupted run by up to "
                                        f"{(a - b).abs().max().item():.2e}: is every piece restored, and the epoch right?")


def resume_from_answer():
    x = torch.randn(96, 5, generator=torch.Generator().manual_seed(17))
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()

    def start_script():
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
        return net, optimizer, scheduler, loader

    def train(net, optimizer, scheduler, loader, start, stop):
        for _ in range(start, stop):
            for xb, yb in loader:
                loss = F.cross_entropy(net(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            scheduler.step()

    straight = start_script()
    train(*straight, 0, 6)
    first = start_script()
    train(*first, 0, 3)
    path = OUT / "exercise_17_2.pt"
    torch.save(make_checkpoint(3, *first), path)
    torch.manual_seed(999)
    net, optimizer, scheduler, loader = start_script()
    start = resume_from(path, net, optimizer, scheduler, loader.generator)
    state = optimizer.state_dict()
    buffers = [state["state"].get(k, {}).get("momentum_buffer") for k in range(4)]
    after = {  # every piece of state right after resume_from, as it is
        "model weights": {k: v.clone() for k, v in net.state_dict().items()},
        "momentum buffers": [None if b is None else b.clone() for b in buffers],
        "lr": state["param_groups"][0]["lr"],
        "scheduler last_epoch": scheduler.last_epoch,
        "torch_rng": torch.get_rng_state(),
        "loader_rng": loader.generator.get_state(),
    }
    train(net, optimizer, scheduler, loader, start if isinstance(start, int) else 0, 6)
    return {"start": start, "after resume_from": after,
            "resumed": [p.detach() for p in net.parameters()],
            "straight": [p.detach() for p in straight[0].parameters()]}


check_exercise("17.2", check_resume_from, points=2, answer=resume_from_answer)

# %% [markdown]
# **17.3** Before a partial load you want to know what it will do. Write
# `partial_load_plan(state_dict, model)` that returns a dict of three lists of keys, **without
# changing the model**:
#
# - `"fill"`: the model's entries that the state_dict can fill (same name, same shape), in the
#   order of `model.state_dict()`;
# - `"missing"`: the model's entries it cannot fill, in the same order;
# - `"skipped"`: the state_dict's entries that will not be used (no such name in the model, or
#   another shape), in the state_dict's order.
#
# Remember that a model's state is more than its parameters.

# %%
### BEGIN SOLUTION
def partial_load_plan(state_dict, model):
    own = model.state_dict()
    fits = {key for key, value in state_dict.items() if key in own and own[key].shape == value.shape}
    return {"fill": [key for key in own if key in fits],
            "missing": [key for key in own if key not in fits],
            "skipped": [key for key in state_dict if key not in fits]}
### END SOLUTION
plan = partial_load_plan(model.state_dict(), SmallNetHead())
report = SmallNetHead().load_state_dict(model.state_dict(), strict=False)  # what the library does (section 9)
print("SmallNet into SmallNetHead: fill", len(plan["fill"]), "entries | missing", plan["missing"], "| skipped",
      plan["skipped"], "| agrees with load_state_dict(strict=False):",
      plan["missing"] == report.missing_keys and plan["skipped"] == report.unexpected_keys)

# %%
def check_partial_load_plan(answer):
    import copy

    import torch
    from torch import nn

    def net(hidden, classes, head="fc", norm=True):  # with the weights partial_load_plan_answer's nets start with
        torch.manual_seed(hidden + classes)
        layers = {"conv": nn.Conv2d(1, 4, 3)}
        if norm:
            layers["bn"] = nn.BatchNorm2d(4)
        layers["flat"] = nn.Flatten()
        layers["hidden"] = nn.Linear(4 * 6 * 6, hidden)
        layers[head] = nn.Linear(hidden, classes)
        return nn.Sequential(__import__("collections").OrderedDict(layers))

    def plan(state_dict, model):  # by the library: each entry loaded alone into a copy of the model
        used = set()
        for key, value in state_dict.items():
            try:
                report = copy.deepcopy(model).load_state_dict({key: value}, strict=False)
            except RuntimeError:  # a size mismatch
                continue
            used |= {key} - set(report.unexpected_keys)
        own = model.state_dict()
        return {"fill": [k for k in own if k in used], "missing": [k for k in own if k not in used],
                "skipped": [k for k in state_dict if k not in used]}

    cases = [((32, 10, "fc", True), (32, 2, "fc", True)),  # same names, last layer of another size
             ((32, 10, "fc", True), (32, 10, "head", True)),  # last layer renamed
             ((32, 10, "fc", True), (16, 10, "fc", True)),  # hidden size changed: two layers differ
             ((32, 10, "fc", False), (32, 10, "fc", True)),  # the model has a BatchNorm the file lacks
             ((32, 10, "fc", True), (32, 10, "fc", True))]  # as partial_load_plan_answer builds them
    plans = answer["plans"]
    assert len(plans) == len(cases), f"expected {len(cases)} plans"
    for (source, target), got in zip(cases, plans):
        want = plan(net(*source).state_dict(), net(*target))
        where = f"loading a net{source} state_dict into a net{target} (hidden, classes, last layer, BatchNorm)"
        if isinstance(got, str) and got.startswith("raised"):
            raise AssertionError(f"{where}: partial_load_plan {got[:90]} ...: compare names and shapes yourself, "
                                 "without loading (load_state_dict raises on a size mismatch even with strict=False)")
        assert isinstance(got, dict) and set(got) == {"fill", "missing", "skipped"}, \
            f"{where}: return a dict with the keys 'fill', 'missing', 'skipped', got {got!r}"
        for part in ("fill", "missing", "skipped"):
            assert isinstance(got[part], (list, tuple)), f"{where}: {part!r} should be a list of keys, got {got[part]!r}"
            if list(got[part]) != want[part]:
                hint = ""
                if any("running" in k or "num_batches" in k for k in want[part]) and \
                        not any("running" in k or "num_batches" in k for k in got[part]):
                    hint = " (BatchNorm's running_mean, running_var and num_batches_tracked are buffers: in state_dict(), not in parameters())"
                elif sorted(got[part]) == sorted(want[part]):
                    hint = f" (expected the order {want[part]})"
                elif part != "skipped" and set(want["missing"]) - set(got["missing"]):
                    hint = " (a key with the same name but another shape cannot be filled)"
                extra = [k for k in got[part] if k not in want[part]]
                lacking = [k for k in want[part] if k not in got[part]]
                wrong = (f"should not hold {extra}" if extra else "") + (" and " if extra and lacking else "") + \
                    (f"lacks {lacking}" if lacking else "") or "has the right keys in another order"
                raise AssertionError(f"{where}: {part!r} {wrong}{hint}")
    models_after = answer["models after"]
    assert isinstance(models_after, list) and len(models_after) == len(cases), "expected each case's model state"
    for (_, target), after in zip(cases, models_after):
        untouched = net(*target).state_dict()
        assert isinstance(after, dict) and list(after) == list(untouched) and all(
            torch.is_tensor(after[k]) and after[k].dtype == v.dtype and torch.equal(after[k], v)
            for k, v in untouched.items()), ("partial_load_plan changed the model: it must only look, not load "
                                             "(load_state_dict also raises on a size mismatch, even with strict=False)")


def partial_load_plan_answer():
    from collections import OrderedDict

    def net(hidden, classes, head="fc", norm=True):
        torch.manual_seed(hidden + classes)
        layers = OrderedDict(conv=nn.Conv2d(1, 4, 3))
        if norm:
            layers["bn"] = nn.BatchNorm2d(4)
        layers["flat"] = nn.Flatten()
        layers["hidden"] = nn.Linear(4 * 6 * 6, hidden)
        layers[head] = nn.Linear(hidden, classes)
        return nn.Sequential(layers)

    cases = [((32, 10, "fc", True), (32, 2, "fc", True)), ((32, 10, "fc", True), (32, 10, "head", True)),
             ((32, 10, "fc", True), (16, 10, "fc", True)), ((32, 10, "fc", False), (32, 10, "fc", True)),
             ((32, 10, "fc", True), (32, 10, "fc", True))]
    plans, models_after = [], []
    for source, target in cases:
        source_state = net(*source).state_dict()
        for value in source_state.values():
            value.add_(1)  # the file's values differ from the model's
        model = net(*target)
        try:
            plans.append(partial_load_plan(source_state, model))
        except Exception as error:  # noqa: BLE001 - report it as the answer
            plans.append(f"raised {type(error).__name__}: {error}")
        models_after.append({k: v.clone() for k, v in model.state_dict().items()})
    return {"plans": plans, "models after": models_after}


check_exercise("17.3", check_partial_load_plan, points=1, answer=partial_load_plan_answer)

# %% [markdown]
# **17.4 · Advice, no points: a safe load in `resume_from`.** How a file is read leaves no trace
# in the results that reach the grader, so this is checked here, in your notebook only: your
# `resume_from` of 17.2 should read the checkpoint with `torch.load` and never pass
# `weights_only=False` (a checkpoint of tensors and plain containers loads with
# `weights_only=True`, and nothing else should be allowed to run while it loads).

# %%
from tools import advise_exercise


def advise_safe_load(calls):
    assert calls, "resume_from did not call torch.load: read the checkpoint with torch.load(path, weights_only=True)"
    assert False not in calls, ("resume_from loads the file with weights_only=False: a checkpoint of tensors and "
                                "plain containers loads with weights_only=True")


def safe_load_answer():
    weights_only_used, library_load = [], torch.load

    def watched_load(*args, **kwargs):  # notes how resume_from calls torch.load
        weights_only_used.append(kwargs.get("weights_only", "default"))
        return library_load(*args, **kwargs)

    fresh = build()
    torch.load = watched_load
    try:
        resume_from(CHECKPOINT, *fresh[:3], fresh[3].generator)
    finally:
        torch.load = library_load
    return weights_only_used


advise_exercise("17.4", advise_safe_load, answer=safe_load_answer)

# %% [markdown]
# ## Summary
#
# - Save `model.state_dict()` (names → tensors), rebuild the model from code, `load_state_dict`.
#   `torch.save(model)` pickles a *reference* to your class: it breaks when the class is renamed,
#   moved or absent ("Can't get attribute ..."), and loading it means running the file's pickle.
# - Always `torch.load(path, weights_only=True)`: a pickle can call any function while loading
#   (our stand-in called `exec`); the restricted loader builds only tensors and plain containers
#   and refuses the rest ("Unsupported global"). `get_unsafe_globals_in_checkpoint` lists what a
#   file would call without running it.
# - A checkpoint to resume from holds the model, optimizer and scheduler `state_dict`s, the epoch,
#   and the generators' states (global, loader, CUDA). Restore all of them after building the
#   objects, and the resumed run equals the uninterrupted one **bit for bit** on the CPU; leave
#   one out and the run is silently different. `state_dict()` returns live tensors, not a copy.
# - `map_location="cpu"` loads a GPU checkpoint anywhere; `load_state_dict` copies across devices.
# - A `module.` (or `_orig_mod.`) prefix on every key means a wrapper saved the state: strip it
#   (only at the start of keys), or save `wrapped.module.state_dict()`.
# - `strict=False` loads the names that match and returns `missing_keys` / `unexpected_keys`: read
#   them. Different shapes still raise: drop those entries first.
# - Save atomically: a temporary file in the same folder, `fsync`, `os.replace`. A crash then
#   never leaves a truncated checkpoint ("failed finding central directory") in place of a good one.
