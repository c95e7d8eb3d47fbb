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
# # 13 · TensorBoard: logging a training run, and proving what was logged
#
# A training run produces far more numbers than a printout can hold: a loss per batch, accuracies
# per epoch, thousands of weights and gradients per layer, pictures of what the filters learned.
# **TensorBoard** is a web page that draws them. PyTorch writes them into **event files** with
# `torch.utils.tensorboard.SummaryWriter`; TensorBoard reads those files, live, while training
# runs.
#
# **What you will learn**
#
# - what an event file and a *run* are, and why a writer must be closed before anyone reads it;
# - the writer's methods: `add_scalar`, `add_scalars` (and the extra run folders it makes),
#   `add_histogram`, `add_image` with `torchvision.utils.make_grid`, `add_graph`, `add_hparams`;
# - how to log a **real training run** of LeNet on the digit images: the loss of every batch,
#   train and validation accuracy per epoch, a histogram of every weight and its gradient per
#   epoch, the first layer's kernels and the feature maps of a digit as images;
# - a model summary with `torchinfo`, and what each of its columns means;
# - how to read the event files back with TensorBoard's own reader, and why its defaults keep
#   only **1 histogram and 4 images per tag**;
# - how to start TensorBoard (`course tensorboard`) and which tab shows what.
#
# **Target:** the event files hold every logged scalar: every tag, every step, every value,
# read back with TensorBoard's reader and compared exactly with what the training loop logged.

# %%
import dataclasses
import shutil
import warnings
from io import BytesIO

import matplotlib.pyplot as plt
import numpy as np
import torch
import torchinfo
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.tensorboard import SummaryWriter
from torchvision import transforms as T
from torchvision.utils import make_grid

from tools import check_exercise, get_device, record_metrics, runs_dir, set_seed, tqdm, use_course_style
from tools.datasets import CachedDataset, ClassFolderDataset, ensure_dataset, stratified_split
from tools.models import LeNet
from tools.tensorboard_logs import find_runs, load_run, read_all_scalars, read_scalars
from tools.train import evaluate

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## 1 · A first event file
#
# A `SummaryWriter(log_dir)` creates the folder `log_dir` and one **event file** in it, named
# `events.out.tfevents.<time>.<computer>.<process id>.<counter>`. Every `add_*` call appends one
# record to that file: a **tag** (the name of the curve, say `loss/train`), a **step** (the
# x-axis: an iteration or an epoch number, you choose), the value, and the wall-clock time.
# A folder with event files is a **run**; TensorBoard lists the runs it finds below the folder it
# is given, and draws the same tag of different runs in one chart, so runs are how you compare
# experiments.
#
# Everything this lesson writes goes under `runs_dir("13_tensorboard")`. That folder is emptied
# first: a second run of the lesson would otherwise add a second event file to every run, and
# TensorBoard (and our reader) would then see every value twice.

# %%
LOGDIR = runs_dir("13_tensorboard")
shutil.rmtree(LOGDIR)  # the previous run's event files
LOGDIR = runs_dir("13_tensorboard")  # created again, empty
print("log folder:", LOGDIR.name, "| empty:", not any(LOGDIR.iterdir()))

# %% [markdown]
# A first run, `demo`, with three kinds of data logged at steps 0 to 9:
#
# - a scalar, `1 / (step + 1)`;
# - a histogram of 1,000 random numbers whose spread grows with the step;
# - a small grey image that gets brighter with the step.
#
# The writer does its file work in a background thread and flushes to disk now and then (every
# 120 s by default), so a file read while the writer is still open may miss the latest records.
# `writer.close()` (or leaving a `with SummaryWriter(...) as writer:` block) writes everything
# and closes the file; `writer.flush()` writes everything and keeps it open.

# %%
generator = torch.Generator().manual_seed(0)
with SummaryWriter(LOGDIR / "demo") as writer:
    for step in range(10):
        writer.add_scalar("demo/reciprocal", 1 / (step + 1), step)
        writer.add_histogram("demo/spread", torch.randn(1000, generator=generator) * (1 + step / 3), step)
        writer.add_image("demo/brightness", torch.full((1, 16, 48), step / 9), step)  # [C, H, W]
demo_files = sorted(path.name for path in (LOGDIR / "demo").iterdir())
print("files in demo/:", len(demo_files), "| name starts with:", ".".join(demo_files[0].split(".")[:3]))

# %% [markdown]
# ### Reading it back with TensorBoard's reader
#
# TensorBoard itself reads event files with an `EventAccumulator`: point it at a run folder,
# call `.Reload()` to read the files, then ask `.Tags()` for what is there and `.Scalars(tag)`,
# `.Histograms(tag)` or `.Images(tag)` for the records, each with its `step` and `wall_time`.
#
# One argument matters: `size_guidance`, how many records per tag to **keep**. Its defaults
# (`event_accumulator.DEFAULT_SIZE_GUIDANCE`) are made for big, long runs: beyond the limit the
# reader keeps a random sample that always includes the newest record (the same sample every
# time: the reader seeds its random choice). `STORE_EVERYTHING_SIZE_GUIDANCE`
# sets every limit to 0, which means "keep all".

# %%
print("defaults:    ", event_accumulator.DEFAULT_SIZE_GUIDANCE)
print("store all:   ", event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE)

sampled = event_accumulator.EventAccumulator(str(LOGDIR / "demo")).Reload()
complete = event_accumulator.EventAccumulator(
    str(LOGDIR / "demo"), size_guidance=event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE
).Reload()
print("tags:", {kind: tags for kind, tags in complete.Tags().items() if kind in ("scalars", "histograms", "images")})
for kind, tag in (("Scalars", "demo/reciprocal"), ("Histograms", "demo/spread"), ("Images", "demo/brightness")):
    kept = [event.step for event in getattr(sampled, kind)(tag)]
    everything = [event.step for event in getattr(complete, kind)(tag)]
    print(f"{kind:10}  default keeps {len(kept):2} of {len(everything)}, steps {kept}")

# %% [markdown]
# A real surprise: with its defaults the reader keeps **one** histogram per tag (the newest) and
# **four** images (the newest and three random others). Scalars are kept up to 10,000 per tag,
# so a long run loses scalars too. The TensorBoard web page has its own, larger defaults (1,000
# scalars, 10 images, 500 histograms per tag, changed with its `--samples_per_plugin` option),
# and also thins out what it shows. A check that reads logs must therefore ask for everything.
#
# Each scalar record is a `ScalarEvent` with the fields `wall_time`, `step` and `value`. The
# value comes back as 0.3333333432674408, not the 1/3 we logged: event files store scalars as
# **float32**. So the right comparison is with the logged value rounded to float32, and then it
# is exact:

# %%
events = complete.Scalars("demo/reciprocal")
print("a record:", type(events[0]).__name__, [field.name for field in dataclasses.fields(events[0])])
print("step 2: logged", 1 / 3, "| read back", events[2].value)
print("read back == logged value rounded to float32, at every step:",
      all(event.value == float(np.float32(1 / (event.step + 1))) for event in events))

# %% [markdown]
# A histogram record keeps the summary of the values (`num`, `min`, `max`, `sum`,
# `sum_squares`) and bucket edges and counts (TensorBoard's own exponentially spaced buckets, so
# they fit any range). The image records keep a PNG file each. Both are checked in detail in
# section 5, on the training run.

# %%
spread = complete.Histograms("demo/spread")[-1]
value = spread.histogram_value
print(f"step {spread.step}: num {value.num:.0f}, {len(value.bucket)} buckets, "
      f"counts add up to num: {sum(value.bucket) == value.num}")
picture = complete.Images("demo/brightness")[-1]
is_png = picture.encoded_image_string.startswith(b"\x89PNG")
print(f"image at step {picture.step}: {picture.width}x{picture.height} px, stored as PNG: {is_png}")

# %% [markdown]
# ## 2 · The data and the model, with a `torchinfo` summary
#
# The digit images of lesson 09: 5,000 real handwritten digits as 32×32 grey PNG files, split
# 80/10/10 per class. As in lesson 09 they are decoded **once** (`CachedDataset`), normalised with
# the training set's mean and standard deviation, and kept as tensors. No augmentation this
# time: two short epochs are enough to give TensorBoard something real to show. The test part
# of the split stays unused; this lesson measures nothing on it.

# %%
root = ensure_dataset("digits")
decoded = CachedDataset(ClassFolderDataset(root, transform=T.Compose([T.Grayscale(), T.ToTensor()])))
split = stratified_split(decoded.targets, fractions=(0.8, 0.1, 0.1), seed=0)
labels = torch.tensor(decoded.targets)
mean = decoded.images[split["train"]].mean().item()
std = decoded.images[split["train"]].std().item()
train_set = TensorDataset((decoded.images[split["train"]] - mean) / std, labels[split["train"]])
valid_set = TensorDataset((decoded.images[split["valid"]] - mean) / std, labels[split["valid"]])
BATCH = 100
train_loader = DataLoader(train_set, batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(0))
valid_loader = DataLoader(valid_set, batch_size=500)
print("train:", tuple(train_set.tensors[0].shape), "| valid:", tuple(valid_set.tensors[0].shape))
print("batches per epoch:", len(train_loader))

# %% [markdown]
# `print(model)` lists the layers; a **summary** also runs a batch through the model and reports,
# for every layer, the shapes that go in and come out and the parameters it holds. The notes
# use `torchsummary`, which is no longer maintained; `torchinfo` is its successor:
# `torchinfo.summary(model, input_size=(batch, channels, height, width), col_names=...)`.
#
# | column | meaning |
# |---|---|
# | Layer (type:depth-idx) | the module, its depth in the model and its position (`1-3`: depth 1, third layer) |
# | Input Shape / Output Shape | the tensor shapes through the layer for the given `input_size` |
# | Param # | numbers the layer learns (weight and bias) |
# | Kernel Shape | the convolution window (`--` where there is none) |
# | Mult-Adds | multiply-add operations for the whole batch: the layer's compute cost |
#
# Below the table: the parameter totals, the mult-adds in millions (torchinfo 1.8 prints that
# unit as `Units.MEGABYTES`, a known slip: read it as "M"), and a memory estimate for the input,
# for the outputs kept for the backward pass (hence the name "Forward/backward pass size") and for
# the parameters. `F.relu` and `F.max_pool2d` are functions, not modules, so they have no rows;
# they still run. Careful: `summary` moves the model to its `device` argument, so pass the one
# the model should stay on.

# %%
set_seed(0)
model = LeNet(classes=10, in_channels=1).initialize_weights().to(DEVICE)
stats = torchinfo.summary(model, input_size=(BATCH, 1, 32, 32), device=DEVICE, verbose=0, col_width=18,
                          col_names=("input_size", "output_size", "num_params", "kernel_size", "mult_adds"))
print(stats)

# %% [markdown]
# The totals are checked against a count of our own, and one layer by hand: `conv1` has six
# 1×5×5 kernels and six biases, `6·1·5·5 + 6 = 156`. Its mult-adds: every output number (100
# images × 6 maps × 28·28 pixels) costs 25 multiply-adds for the kernel, and torchinfo counts the
# bias as one more, `100 · 6 · 28·28 · (25 + 1)`.

# %%
total = sum(p.numel() for p in model.parameters())
print("torchinfo total:", stats.total_params, "| sum(p.numel()):", total, "| equal:", stats.total_params == total)
print("conv1 parameters by hand:", 6 * 1 * 5 * 5 + 6, "| in the model:",
      sum(p.numel() for p in model.conv1.parameters()))
conv1_macs = BATCH * 6 * 28 * 28 * (25 + 1)
print("conv1 mult-adds by hand:", conv1_macs, "| torchinfo:", stats.summary_list[1].macs,
      "| equal:", conv1_macs == stats.summary_list[1].macs)
print("model still on the chosen device:", next(model.parameters()).device.type == DEVICE.type)

# %% [markdown]
# ## 3 · Images: `make_grid`, and what `add_image` stores
#
# `add_image(tag, image, step)` logs **one** image, a tensor `[C, H, W]` (1 or 3 channels).
# To log many at once, `torchvision.utils.make_grid` tiles a batch `[N, C, H, W]` into a single
# image: `nrow` images per row, `padding` pixels between them (and around the border), filled
# with `pad_value`. Two things it does on the way: a one-channel batch comes out with **three**
# identical channels (an RGB image), and with `normalize=True` it rescales the values to [0, 1],
# from the range `value_range=(low, high)` or, without it, from the batch's own minimum and
# maximum (`scale_each=True`: each image from its own).
#
# Three grids for this run:
#
# - 32 training digits, as decoded (values 0..1, before `Normalize`);
# - the six 5×5 kernels of `conv1`, enlarged 8 times (each weight becomes an 8×8 block, with
#   `F.interpolate(..., mode="nearest")`) so they are visible, and mapped to grey with a range
#   symmetric around 0: mid-grey is a weight of 0, white positive, black negative;
# - later, the feature maps of one digit.

# %%
def kernel_grid(conv: nn.Conv2d) -> torch.Tensor:
    """The kernels of a 1-input-channel convolution as one image: grey = 0, white > 0, black < 0."""
    weight = conv.weight.detach()  # [out_channels, 1, k, k]
    limit = weight.abs().max().item()
    enlarged = F.interpolate(weight, scale_factor=8, mode="nearest")
    return make_grid(enlarged, nrow=weight.shape[0], padding=4, normalize=True,
                     value_range=(-limit, limit), pad_value=1.0)


input_grid = make_grid(decoded.images[split["train"][::125]], nrow=8, padding=2)  # 32 digits, 3 or 4 per class
kernels_at_start = kernel_grid(model.conv1)
print("32 digits [1, 32, 32] -> grid", tuple(input_grid.shape), "| range", input_grid.min().item(), "to",
      input_grid.max().item())
print("6 kernels [1, 40, 40] -> grid", tuple(kernels_at_start.shape))

# %% [markdown]
# This is what TensorBoard's Images tab will show for these two tags (the notebook draws the
# very tensors that are logged):

# %%
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.2), gridspec_kw={"width_ratios": [1.2, 1]})
left.imshow(input_grid.permute(1, 2, 0));
left.set_title("inputs: 32 training digits (make_grid, nrow=8)")
right.imshow(kernels_at_start.permute(1, 2, 0).cpu());
right.set_title("kernels/conv1 at the start (grey = 0)")
for axis in (left, right):
    axis.set(xticks=[], yticks=[])
    axis.grid(False)
figure.tight_layout()
plt.show()

# %% [markdown]
# `add_image` stores every image as an 8-bit PNG. It converts a **float** tensor with
# `(x * 255).clip(0, 255).astype(uint8)` (see `image()` in `torch/utils/tensorboard/summary.py`)
# and leaves a `uint8` tensor as it is. The cast **truncates**, it does not round: 0.999 becomes
# 254, and 0.5 becomes 127, not 128. Values outside [0, 1] are clipped, which is why grids of
# weights or feature maps need `normalize=True`. The same rule, reproduced:

# %%
def as_stored(image: torch.Tensor) -> np.ndarray:
    """What add_image puts in the PNG for a float [C, H, W] image: [H, W, C] uint8 (1 channel -> 3)."""
    pixels = image.detach().cpu().numpy().transpose(1, 2, 0).astype(np.float32)
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return (pixels * 255).clip(0, 255).astype(np.uint8)


print(as_stored(torch.tensor([-0.2, 0.0, 0.5, 0.999, 1.0, 1.3]).reshape(1, 1, 6))[0, :, 0])

# %% [markdown]
# ## 4 · Logging a real training run
#
# The run `lenet` gets, from one writer:
#
# | what | method | tag | steps |
# |---|---|---|---|
# | loss of every batch | `add_scalar` | `loss/train` | iteration 0, 1, 2, … |
# | validation loss | `add_scalar` | `loss/valid` | epoch 1, 2 |
# | train and validation accuracy in one chart | `add_scalars` | `accuracy` | epoch 1, 2 |
# | every weight and every gradient | `add_histogram` | `weights/<name>`, `gradients/<name>` | weights 0–2, gradients 1–2 |
# | input digits | `add_image` | `inputs` | 0 |
# | conv1 kernels | `add_image` | `kernels/conv1` | 0–2 |
# | feature maps of one digit, after training | `add_image` | `feature_maps/conv1`, `feature_maps/conv2` | 2 |
# | the model's graph | `add_graph` | — | — |
# | settings and final results | `add_hparams` | `hparam/...` | — |
#
# The part before the `/` of a tag groups the charts into sections on the page. Training accuracy
# is the share of correct answers over an epoch (while the model was still changing),
# validation accuracy is measured after it. The weights are also logged at step 0, before any
# training; gradients exist only after a backward pass, and the one logged for an epoch is that
# of its last batch.
#
# `add_scalars(main_tag, {"train": a, "valid": b}, step)` draws several curves in one chart. It
# does that by writing **one extra run per curve**, in subfolders named
# `<main_tag>_<key>` (here `lenet/accuracy_train` and `lenet/accuracy_valid`), each holding the tag
# `accuracy`. Section 5 lists them.
#
# `add_graph(model, example_input)` records the model's computation by tracing one forward pass
# (`torch.jit.trace`) on the model's own device. Tracing warns twice, and we silence both warnings
# here: a `FutureWarning` that `torch.jit.trace` is deprecated (TensorBoard has no other way to
# get the graph yet), and a `TracerWarning` about the input-shape check at the start of
# `LeNet.forward`: a trace records tensor operations only, so that Python `if` is not part of the
# graph, which is harmless here.
#
# The loop also keeps a copy of everything it logs (`logged_scalars`, `logged_tensors`,
# `logged_images`), only so that section 5 can compare the files with it.

# %%
EPOCHS, LR = 2, 4e-3
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
loss_fn = nn.CrossEntropyLoss()
logged_scalars = {"lenet": {"loss/train": [], "loss/valid": []}, "lenet/accuracy_train": {"accuracy": []},
                  "lenet/accuracy_valid": {"accuracy": []}}
logged_tensors, logged_images = {}, {}  # (tag, step) -> a CPU copy of what was logged


def log_histograms(writer, step, gradients=True):
    for name, parameter in model.named_parameters():
        pairs = [(f"weights/{name}", parameter)] + ([(f"gradients/{name}", parameter.grad)] if gradients else [])
        for tag, values in pairs:
            writer.add_histogram(tag, values, step)
            logged_tensors[tag, step] = values.detach().cpu().clone()


def log_image(writer, tag, image, step):
    writer.add_image(tag, image, step)
    logged_images[tag, step] = image.detach().cpu().clone()


example = train_set.tensors[0][:8].to(DEVICE)
writer = SummaryWriter(LOGDIR / "lenet")
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=FutureWarning, message=r".*torch\.jit\.trace")
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    writer.add_graph(model, example)
log_image(writer, "inputs", input_grid, 0)
log_image(writer, "kernels/conv1", kernels_at_start, 0)
log_histograms(writer, 0, gradients=False)
print("graph, 1 input grid, 1 kernel grid and", len(logged_tensors), "weight histograms logged at step 0")

# %% [markdown]
# Now the training loop: the five steps of lesson 03, plus one `add_scalar` per batch and the
# per-epoch logging after validation. The loss and accuracy digits depend on the machine (a
# different order of float sums changes the last bits, and training amplifies them), so this
# printout is not compared; the checks after it are.

# %%
# NBVAL_IGNORE_OUTPUT
step = 0
with tqdm(total=EPOCHS * len(train_loader), desc="training") as progress:
    for epoch in range(1, EPOCHS + 1):
        model.train()
        correct = 0
        for inputs, targets in train_loader:
            inputs, targets = inputs.to(DEVICE), targets.to(DEVICE)
            outputs = model(inputs)
            loss = loss_fn(outputs, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            writer.add_scalar("loss/train", loss.item(), step)
            logged_scalars["lenet"]["loss/train"].append((step, loss.item()))
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            step += 1
            progress.update()
        train_accuracy = correct / len(train_set)
        valid_loss, valid_accuracy = evaluate(model, valid_loader, loss_fn, DEVICE)  # lesson 09's validation, from tools
        writer.add_scalar("loss/valid", valid_loss, epoch)
        writer.add_scalars("accuracy", {"train": train_accuracy, "valid": valid_accuracy}, epoch)
        log_histograms(writer, epoch)
        log_image(writer, "kernels/conv1", kernel_grid(model.conv1), epoch)
        logged_scalars["lenet"]["loss/valid"].append((epoch, valid_loss))
        logged_scalars["lenet/accuracy_train"]["accuracy"].append((epoch, train_accuracy))
        logged_scalars["lenet/accuracy_valid"]["accuracy"].append((epoch, valid_accuracy))
        print(f"epoch {epoch}: last batch loss {loss.item():.4f}, train accuracy {train_accuracy:.3f}, "
              f"valid loss {valid_loss:.4f}, valid accuracy {valid_accuracy:.3f}")

# %%
train_losses = [value for _, value in logged_scalars["lenet"]["loss/train"]]
print("iterations logged:", step, "=", EPOCHS, "epochs x", len(train_loader), "batches:",
      step == EPOCHS * len(train_loader))
print("check valid accuracy >= 0.9:", valid_accuracy >= 0.9)
print("check mean loss of the last 20 batches < 1/4 of the first 20:",
      np.mean(train_losses[-20:]) < np.mean(train_losses[:20]) / 4)
print("histograms logged:", len(logged_tensors), "(10 weights at step 0, then 10 weights + 10 gradients per epoch)")

# %% [markdown]
# ### Feature maps, and the hyperparameters
#
# A **feature map** is one output channel of a convolution: where in the image that kernel found
# its pattern. For one validation digit we log the six maps of `conv1` (28×28 each, after the
# ReLU) and the sixteen maps of `conv2` (10×10), enlarged, each map scaled to its own range
# (`scale_each=True`). LeNet's layers are attributes (`model.conv1`), so we can run the first
# part of its `forward` by hand; lesson 14 shows hooks, which catch any layer's output without
# rewriting the forward pass.
#
# `add_hparams(hparam_dict, metric_dict, run_name=...)` records the settings of a run together with
# its results; the HParams tab shows one row per run, so you can sort runs by their result. Two
# details. It writes into a **sub-run** named `run_name`; without `run_name` PyTorch names that
# folder after the current time (`time.time()`), a new name on every run, so always pass one.
# And the metric names must not be tags you also log with `add_scalar`: the metrics are written as
# scalars too, and the HParams tab would pick up the other curve. Hence the prefix `hparam/`.

# %%
def feature_grid(maps: torch.Tensor, nrow: int, scale: int) -> torch.Tensor:
    """Feature maps [channels, H, W] of one image as one grid, each map scaled to its own range."""
    enlarged = F.interpolate(maps.unsqueeze(1), scale_factor=scale, mode="nearest")
    return make_grid(enlarged, nrow=nrow, padding=4, normalize=True, scale_each=True, pad_value=1.0)


digit = valid_set.tensors[0][:1].to(DEVICE)  # the first validation digit, [1, 1, 32, 32]
model.eval()
with torch.no_grad():
    maps1 = F.relu(model.conv1(digit))
    maps2 = F.relu(model.conv2(F.max_pool2d(maps1, 2)))
log_image(writer, "feature_maps/conv1", feature_grid(maps1[0], nrow=3, scale=2), EPOCHS)
log_image(writer, "feature_maps/conv2", feature_grid(maps2[0], nrow=4, scale=5), EPOCHS)

hparams = {"lr": LR, "batch_size": BATCH, "epochs": EPOCHS, "optimizer": "Adam"}
metrics = {"hparam/valid_accuracy": valid_accuracy, "hparam/last_train_loss": train_losses[-1]}
writer.add_hparams(hparams, metrics, run_name="hparams")
logged_scalars["lenet/hparams"] = {tag: [(0, value)] for tag, value in metrics.items()}  # step 0: no step given
writer.close()
print("conv1 maps", tuple(maps1.shape), "| conv2 maps", tuple(maps2.shape), "| writer closed")

# %% [markdown]
# The kernels before and after two epochs, and the feature maps of the digit, drawn from the
# logged tensors as the Images tab shows them (its step slider moves through the kernel grids of
# steps 0 to 2). Look closely: the kernels have changed, but after 80 small Adam steps the random
# pattern they started from still dominates; a longer run moves them further, and the Images tab
# is where you would watch that. Even so, each conv1 map already responds to a different part of
# the strokes (some to the whole stroke, some to one of its sides), and conv2 combines them.

# %%
panels = [("the validation digit", decoded.images[split["valid"][0]].repeat(3, 1, 1)),
          (f"kernels/conv1: step 0 (top), step {EPOCHS} (bottom)",
           torch.cat([logged_images["kernels/conv1", 0], logged_images["kernels/conv1", EPOCHS]], dim=1)),
          ("feature_maps/conv1 (6 maps)", logged_images["feature_maps/conv1", EPOCHS]),
          ("feature_maps/conv2 (16 maps)", logged_images["feature_maps/conv2", EPOCHS])]
figure, axes = plt.subplots(1, 4, figsize=(13, 3.6), gridspec_kw={"width_ratios": [0.7, 2.6, 1.5, 1.2]})
for axis, (title, image) in zip(axes, panels):
    axis.imshow(image.permute(1, 2, 0));
    axis.set_title(title, fontsize=9)
    axis.set(xticks=[], yticks=[])
    axis.grid(False)
figure.tight_layout()
plt.show()

# %% [markdown]
# ## 5 · Proving what was written
#
# The writer is closed, so the files are complete. First the runs: `find_runs(logdir)` from
# `tools.tensorboard_logs` lists every folder with event files, by its name relative to the log
# folder, the way TensorBoard names runs. Besides `demo` and `lenet`: the two sub-runs
# `add_scalars` made for the accuracy curves and the one `add_hparams` made.

# %%
for run in find_runs(LOGDIR):
    print(f"{run:22} {len(list((LOGDIR / run).glob('events.out.tfevents.*')))} event file")

# %% [markdown]
# The course helpers wrap the reader of section 1 with "keep everything" already set:
#
# - `load_run(run_dir)`: the `EventAccumulator` of one run, loaded;
# - `read_scalars(run_dir)`: `{tag: [(step, value), ...]}` for one run;
# - `read_all_scalars(logdir)`: `{run: {tag: [(step, value), ...]}}` for every run below.
#
# **The target.** Every scalar the lesson logged, in every run, must come back under its tag, at
# its step, with its value rounded to float32, exactly, and nothing else may be there.

# %%
def float32(value: float) -> float:
    return float(np.float32(value))


logged_scalars["demo"] = {"demo/reciprocal": [(step, 1 / (step + 1)) for step in range(10)]}
expected = {run: {tag: [(step, float32(value)) for step, value in pairs] for tag, pairs in tags.items()}
            for run, tags in logged_scalars.items()}
read_back = read_all_scalars(LOGDIR)
for run, tags in sorted(read_back.items()):
    for tag, pairs in tags.items():
        steps = [step for step, _ in pairs]
        print(f"{run:22} {tag:24} {len(pairs):3} value{'s' if len(pairs) > 1 else ' '}, steps {steps[0]}..{steps[-1]}")
scalars_match = read_back == expected
print("TARGET: the event files hold every logged scalar (tag, step, value):", scalars_match)

# %% [markdown]
# The histograms, by tag and step: 50 records, and for each, the count, minimum, maximum and sum
# of the logged tensor. `add_histogram` computes them in float64 from the tensor's values, so the
# count, minimum and maximum match exactly; the sum matches to rounding (a float64 sum in another
# order).

# %%
lenet = load_run(LOGDIR / "lenet")
histogram_tags = lenet.Tags()["histograms"]
histograms_match = []
for tag in histogram_tags:
    for event in lenet.Histograms(tag):
        values = logged_tensors[tag, event.step].double()  # what was logged at this tag and step
        stored = event.histogram_value
        histograms_match.append(
            stored.num == values.numel() and stored.min == values.min().item() and stored.max == values.max().item()
            and abs(stored.sum - values.sum().item()) <= 1e-9 * max(1.0, values.abs().sum().item()))
checked = len(histograms_match)
print(len(histogram_tags), "histogram tags, e.g.", histogram_tags[:2])
print("histogram records:", checked, "| one per logged tensor:", checked == len(logged_tensors))
print("num, min, max and sum equal those of the logged tensor at every tag and step:", all(histograms_match))

# %% [markdown]
# The images: each record's PNG, decoded with PIL, must hold exactly the pixels of `as_stored`
# (section 3) applied to the grid the loop logged.

# %%
image_events = [(tag, event) for tag in lenet.Tags()["images"] for event in lenet.Images(tag)]
same_pixels = []
for tag, event in image_events:
    decoded_png = np.asarray(Image.open(BytesIO(event.encoded_image_string)))
    same_pixels.append(np.array_equal(decoded_png, as_stored(logged_images[tag, event.step])))
print("image records:", [(tag, event.step) for tag, event in image_events])
print("one per logged grid:", len(image_events) == len(logged_images),
      "| every PNG decodes to exactly the logged grid's uint8 pixels:", all(same_pixels))

# %% [markdown]
# The graph is a `GraphDef` of named nodes; counting the operator nodes recovers the network:
# two convolutions, four ReLUs, two poolings, a flatten and three linear layers.

# %%
graph = lenet.Graph()
operators = {}
for node in graph.node:
    if node.op.startswith("aten::"):
        operators[node.op] = operators.get(node.op, 0) + 1
print("graph stored:", lenet.Tags()["graph"], "| operators:", dict(sorted(operators.items())))

# %% [markdown]
# Last, the Scalars and Histograms tabs in miniature, drawn from the values read back (not from
# the loop's lists). Left, the loss of every batch (TensorBoard would add a smoothed line,
# exercise 13.1) with the validation loss of each epoch placed at that epoch's last iteration;
# middle, the two accuracy runs; right, the histograms of `conv1`'s weights at steps 0 to 2: they
# widen as training goes on. The stored buckets are narrow near 0 and wide far from it
# (TensorBoard's bucket edges grow by 10 % each), so, like TensorBoard's own display, we spread
# each bucket's count evenly over its width and regroup the counts into equal bins.

# %%
train_curve = read_back["lenet"]["loss/train"]
valid_curve = read_back["lenet"]["loss/valid"]
figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
axes[0].plot([s for s, _ in train_curve], [v for _, v in train_curve], lw=0.8, label="loss/train (per batch)")
axes[0].plot([e * len(train_loader) - 1 for e, _ in valid_curve], [v for _, v in valid_curve], "o-",
             label="loss/valid (per epoch)")
axes[0].set(title="loss", xlabel="iteration", yscale="log")
axes[0].legend()
for run in ("lenet/accuracy_train", "lenet/accuracy_valid"):
    pairs = read_back[run]["accuracy"]
    axes[1].plot([s for s, _ in pairs], [v for _, v in pairs], "o-", label=run)
axes[1].set(title="accuracy (add_scalars: one run per curve)", xlabel="epoch", xticks=range(1, EPOCHS + 1))
axes[1].legend()
edges = np.linspace(-0.4, 0.4, 17)
for event in lenet.Histograms("weights/conv1.weight"):
    stored = event.histogram_value
    # bucket i holds the values up to bucket_limit[i] (bucket 0 is an empty one TensorBoard adds):
    # the count below an edge grows linearly inside each bucket
    below = np.interp(edges, stored.bucket_limit, np.cumsum(stored.bucket), left=0.0, right=stored.num)
    axes[2].stairs(np.diff(below), edges, label=f"step {event.step}")
axes[2].set(title="weights/conv1.weight (buckets regrouped)", xlabel="weight", ylabel="count")
axes[2].legend()
figure.tight_layout()
plt.show()

# %%
record_metrics("13_tensorboard", valid_accuracy=valid_accuracy, runs=len(read_back),
               scalar_values=sum(len(pairs) for tags in read_back.values() for pairs in tags.values()),
               histogram_records=checked, image_records=len(image_events), scalars_match=scalars_match)
print("recorded: runs", len(read_back), "| scalar values",
      sum(len(pairs) for tags in read_back.values() for pairs in tags.values()),
      "| histogram records", checked, "| image records", len(image_events))

# %% [markdown]
# ## 6 · Looking at it in TensorBoard
#
# The lesson never starts a server: it is a program that keeps running. Start it yourself in a
# terminal, in the course folder:
#
# ```bash
# .venv/bin/course tensorboard            # or `course tensorboard` with the environment activated
# .venv/bin/course tensorboard --port 0   # if port 6006 is taken: a free port, printed at start
# ```
#
# It serves the whole `runs/` folder (every lesson's logs) on **127.0.0.1** only, so nobody else
# on the network can reach it. Open **http://127.0.0.1:6006** in a browser (or the port it
# printed); `Ctrl+C` in the terminal stops it. Runs show up by folder name:
# `13_tensorboard/lenet`, `13_tensorboard/lenet/accuracy_train`, … Re-running the lesson while
# it runs is fine: TensorBoard reloads the files every few seconds.
#
# | tab | shows | from |
# |---|---|---|
# | **Scalars** (or Time Series) | one chart per tag; one line per run; the smoothing slider | `add_scalar`, `add_scalars` |
# | **Images** | the image of each tag, with a slider over the steps | `add_image` |
# | **Graphs** | the traced model; double-click a box to open it | `add_graph` |
# | **Distributions** | the percentiles of each histogram over the steps, as shaded bands | `add_histogram` |
# | **Histograms** | the histograms of the steps, stacked front to back | `add_histogram` |
# | **HParams** | one row per run: its settings and results, sortable and filterable | `add_hparams` |
#
# What to look for here: in Histograms, the biases start as a spike at 0 and spread out, and the
# `conv1` weights widen most; the gradient histograms are of one (the last) batch each, a noisy
# sample rather than a trend. In Images, step through `kernels/conv1`. Without the
# course command: `tensorboard --logdir runs --host 127.0.0.1`. And to see every image and
# histogram rather than a sample, add `--samples_per_plugin images=0,histograms=0`.

# %% [markdown]
# ## Common mistakes
#
# **A batch given to `add_image`.** `add_image` wants one image `[C, H, W]`. A batch `[N, C, H, W]`
# fails its shape check:

# %%
mistakes = SummaryWriter(LOGDIR / "mistakes")  # a scratch run, removed at the end of this section
batch = decoded.images[:16]
print("batch shape:", tuple(batch.shape))

# %% tags=["raises-exception"]
mistakes.add_image("digits", batch)

# %% [markdown]
# How to read it: `input_format: CHW` is the layout `add_image` expects (its `dataformats`
# argument, default `"CHW"`), and `tensor shape: (16, 1, 32, 32)` has one dimension too many.
# Tile the batch into one image with `make_grid(batch)`, or log it with
# `add_images(tag, batch)`, which takes `[N, C, H, W]` and shows the images side by side.
# For an `[H, W, C]` image (a NumPy picture) pass `dataformats="HWC"`.
#
# **A tensor with more than one number given to `add_scalar`.** A per-sample loss
# (`reduction="none"`) or an accuracy vector is not a scalar:

# %% tags=["raises-exception"]
per_sample = nn.CrossEntropyLoss(reduction="none")(torch.zeros(4, 10), torch.tensor([0, 1, 2, 3]))
mistakes.add_scalar("loss", per_sample, 0)

# %% [markdown]
# How to read it: "should contain one element (0 dimensions)" and "Was given size: 4" mean four
# numbers arrived where one was expected. Reduce first (`.mean()`), or pass `.item()`, which also
# fails loudly for more than one element. A one-element tensor is accepted, also on the GPU
# (the writer copies it to the CPU); `loss.item()` is the clearest.

# %%
mistakes.add_scalar("loss", per_sample.mean(), 0)
mistakes.close()
shutil.rmtree(LOGDIR / "mistakes")
print("per_sample.mean() logged:", round(per_sample.mean().item(), 4), "| scratch run removed:",
      find_runs(LOGDIR) == sorted(read_back))

# %% [markdown]
# Four mistakes that raise nothing, and were avoided above:
#
# - **Reading (or expecting TensorBoard to show) a run before `flush()`/`close()`.** The writer
#   writes in a background thread and flushes every 120 s; an unclosed file can miss the newest
#   records. Close writers, or use `with SummaryWriter(...) as writer:`.
# - **Re-running into the same folder.** Each writer adds a new event file and the old ones stay:
#   the reader returns every step twice, once per file, and the chart's line jumps back to step 0
#   and runs again. Delete old logs (as this lesson does first) or give each experiment its own
#   run folder.
# - **`add_hparams` without `run_name`.** The sub-run is named after the current time, so every
#   run of the same script makes a new one.
# - **Reading logs with the default `size_guidance`.** All but one histogram and four images per
#   tag are silently dropped (section 1).

# %% [markdown]
# ## Exercises
#
# **13.1** TensorBoard's **smoothing** slider (0.6 by default) draws, over a noisy curve, a
# debiased exponential moving average. For the values `x₁, …, xₙ` of one tag and a weight
# `0 ≤ w < 1`:
#
# $$m_0 = 0, \qquad m_k = w\,m_{k-1} + (1 - w)\,x_k, \qquad s_k = \frac{m_k}{1 - w^k} \quad (k = 1, \dots, n).$$
#
# Without the division, the curve would start near 0 (from `m₀ = 0`) and climb up to the data;
# dividing by `1 − wᵏ` (the total weight the average has given to real values so far) removes that
# bias. Write `smooth(values, weight)` that returns the list `[s₁, …, sₙ]` as Python floats for a
# list of floats `values` (an empty list gives an empty list). Before you run the check, convince
# yourself: what must a constant series give, and what must `weight = 0` give? Any correct way of
# computing it is accepted.

# %%
### BEGIN SOLUTION
def smooth(values: list[float], weight: float) -> list[float]:
    smoothed, average = [], 0.0
    for k, value in enumerate(values, start=1):
        average = weight * average + (1 - weight) * value
        smoothed.append(average / (1 - weight**k))
    return smoothed
### END SOLUTION

# %%
def check_smooth(answer):
    import math

    import torch

    def reference(values, weight):
        out, average = [], 0.0
        for k, value in enumerate(values, start=1):
            average = weight * average + (1 - weight) * value
            out.append(average / (1 - weight**k))
        return out

    generator = torch.Generator().manual_seed(13)
    cases = [("empty", [], 0.6), ("weight 0", [3.0, -1.0, 2.5, 7.0], 0.0), ("constant", [5.0] * 8, 0.9),
             ("two points", [1.0, 0.0], 0.5)]
    for k, weight in enumerate([0.3, 0.6, 0.9, 0.99]):
        noisy = (torch.linspace(2.0, 0.2, 30) + 0.3 * torch.randn(30, generator=generator)).tolist()
        cases.append((f"noisy series {k + 1} (weight {weight})", noisy, weight))
    losses = answer["loss values"]
    assert isinstance(losses, list) and len(losses) >= 50, "run the lesson first: the loss of every batch is needed"
    cases.append(("the lesson's loss/train, weight 0.6", [float(v) for v in losses], 0.6))
    results = answer["results"]
    assert isinstance(results, list) and len(results) == len(cases), "expected one result per case"
    for (name, values, weight), got in zip(cases, results):
        want = reference(values, weight)
        assert isinstance(got, (list, tuple)), f"{name}: return a list, got {type(got).__name__}"
        assert len(got) == len(values), f"{name}: expected {len(values)} smoothed values, got {len(got)}"
        assert all(isinstance(g, (int, float)) for g in got), f"{name}: return Python floats (use .item() or float())"
        for k, (g, w) in enumerate(zip(got, want)):
            if math.isclose(g, w, rel_tol=1e-6, abs_tol=1e-9):
                continue
            hint = ""
            if math.isclose(g, w, rel_tol=1e-4):
                hint = " (close: compute with Python floats, float32 tensors round too early)"
            elif name == "constant":
                hint = " (a constant series must stay constant: did you divide by 1 - weight**k?)"
            elif name == "weight 0":
                hint = " (weight 0 means no smoothing at all: s_k = x_k)"
            elif k == 0:
                hint = " (the first smoothed value must be the first value itself)"
            raise AssertionError(f"{name}: s_{k + 1} should be {w:.6f}, got {g:.6f}{hint}")


def smooth_answer():
    generator = torch.Generator().manual_seed(13)
    inputs = [([], 0.6), ([3.0, -1.0, 2.5, 7.0], 0.0), ([5.0] * 8, 0.9), ([1.0, 0.0], 0.5)]
    for weight in [0.3, 0.6, 0.9, 0.99]:
        inputs.append(((torch.linspace(2.0, 0.2, 30) + 0.3 * torch.randn(30, generator=generator)).tolist(), weight))
    losses = [value for _, value in read_scalars(LOGDIR / "lenet")["loss/train"]]
    inputs.append((losses, 0.6))
    return {"results": [smooth(values, weight) for values, weight in inputs], "loss values": losses}


check_exercise("13.1", check_smooth, points=2, answer=smooth_answer)

# %% [markdown]
# **13.2** Before logging a grid it helps to know how big it will be. Write
# `grid_size(n, nrow, padding, height, width)` that returns the `(H, W)` (two ints) of
# `make_grid(images, nrow=nrow, padding=padding)` for a batch of `n` images of `height × width`
# pixels, **without building any images**: the check asks, among others, for a grid of 100,000
# images of 2,000 × 2,000 pixels (that would be 1.6 TB of zeros). Work the rule out from the
# grids of section 3, then test your formula against `make_grid` on small zero tensors: try an `n`
# that does not fill the last row, an `n` smaller than `nrow`, and `n = 1`.

# %%
### BEGIN SOLUTION
def grid_size(n: int, nrow: int, padding: int, height: int, width: int) -> tuple[int, int]:
    if n == 1:
        return height, width  # make_grid returns a single image as it is, without padding
    columns = min(nrow, n)
    rows = -(-n // columns)  # ceil(n / columns)
    return rows * (height + padding) + padding, columns * (width + padding) + padding
### END SOLUTION

# %%
def check_grid_size(answer):
    import torch
    from torchvision.utils import make_grid

    cases = [(32, 8, 2, 32, 32), (10, 4, 2, 28, 28), (3, 8, 2, 32, 32), (7, 3, 0, 5, 9), (6, 6, 4, 40, 40),
             (1, 8, 2, 32, 32), (12, 5, 3, 4, 6), (2, 1, 1, 3, 7)]
    results = answer["small"]
    assert len(results) == len(cases), "expected one answer per case"
    for (n, nrow, padding, height, width), got in zip(cases, results):
        shape = tuple(make_grid(torch.zeros(n, 1, height, width), nrow=nrow, padding=padding).shape[-2:])
        assert isinstance(got, (tuple, list)) and len(got) == 2 and all(type(v) is int for v in got), \
            f"grid_size{(n, nrow, padding, height, width)} should return two ints (H, W), got {got!r}"
        hint = ""
        if n == 1:
            hint = " (n = 1: look at what make_grid does with a single image)"
        elif n < nrow:
            hint = " (fewer images than nrow: how many columns does the grid have?)"
        elif n % nrow:
            hint = " (the last row is not full, but it still takes a whole row)"
        assert tuple(got) == shape, \
            f"grid_size{(n, nrow, padding, height, width)} should be {shape}, got {tuple(got)}{hint}"
    rows, columns = 100_000 // 100, 100
    huge = (rows * (2000 + 2) + 2, columns * (2000 + 2) + 2)
    assert tuple(answer["huge"]) == huge, \
        f"grid_size(100000, 100, 2, 2000, 2000) should be {huge}, got {answer['huge']!r}"


def grid_size_answer():
    cases = [(32, 8, 2, 32, 32), (10, 4, 2, 28, 28), (3, 8, 2, 32, 32), (7, 3, 0, 5, 9), (6, 6, 4, 40, 40),
             (1, 8, 2, 32, 32), (12, 5, 3, 4, 6), (2, 1, 1, 3, 7)]
    return {"small": [grid_size(*case) for case in cases], "huge": grid_size(100_000, 100, 2, 2000, 2000)}


check_exercise("13.2", check_grid_size, points=1, answer=grid_size_answer)

# %% [markdown]
# **13.3** After a run you want the **best epoch**: the epoch with the highest validation
# accuracy, and the training loss at that same epoch. Write `best_epoch(scalars)` for a dict like
# `read_scalars` returns, `{tag: [(step, value), ...]}`, with the tags `"accuracy/valid"` and
# `"loss/train"`, both with the epoch as step. Return `(epoch, train_loss)`. Real logs are
# untidy, and so are the check's:
#
# - validation may run only every few epochs, so the two lists have different lengths;
# - the pairs may come in any order (event files of a resumed run, say);
# - when several epochs share the best accuracy, return the **earliest** of them (the model got
#   that good first there).

# %%
### BEGIN SOLUTION
def best_epoch(scalars: dict[str, list[tuple[int, float]]]) -> tuple[int, float]:
    accuracy = scalars["accuracy/valid"]
    best = max(value for _, value in accuracy)
    epoch = min(step for step, value in accuracy if value == best)
    train_loss = dict(scalars["loss/train"])[epoch]
    return epoch, train_loss
### END SOLUTION

# %%
def check_best_epoch(answer):
    import random

    def make_logs(seed):
        rng = random.Random(seed)
        epochs = rng.randint(4, 12)
        every = rng.choice([1, 2, 3])
        loss = [(e, round(2.0 / e + rng.random() * 0.3, 4)) for e in range(1, epochs + 1)]
        accuracy = [(e, rng.choice([0.90, 0.92, 0.94, 0.95, 0.96])) for e in range(every, epochs + 1, every)]
        rng.shuffle(loss)
        rng.shuffle(accuracy)
        return {"accuracy/valid": accuracy, "loss/train": loss}

    cases = [("a tie", {"accuracy/valid": [(1, 0.8), (2, 0.9), (3, 0.9), (4, 0.85)],
                        "loss/train": [(1, 1.5), (2, 0.7), (3, 0.5), (4, 0.4)]})]
    cases.append(("validation every 2 epochs, out of order",
                  {"accuracy/valid": [(6, 0.93), (2, 0.88), (4, 0.95)],
                   "loss/train": [(3, 0.6), (1, 1.9), (6, 0.3), (2, 0.9), (5, 0.35), (4, 0.45)]}))
    cases += [(f"generated logs {seed}", make_logs(seed)) for seed in range(20)]
    results = answer
    assert isinstance(results, list) and len(results) == len(cases), "expected one answer per case"
    for (name, logs), got in zip(cases, results):
        accuracy = logs["accuracy/valid"]
        best = max(value for _, value in accuracy)
        epoch = min(step for step, value in accuracy if value == best)
        want = (epoch, dict(logs["loss/train"])[epoch])
        assert isinstance(got, (tuple, list)) and len(got) == 2, f"{name}: return (epoch, train_loss), got {got!r}"
        hint = ""
        if got[0] != epoch and got[0] in [s for s, v in accuracy if v == best]:
            hint = " (several epochs share the best accuracy: take the earliest)"
        elif got[0] != epoch:
            hint = " (the epoch is the step of the best accuracy, not its position in the list)"
        elif got[1] != want[1]:
            hint = " (look the loss up by step: the lists differ in length and order)"
        assert tuple(got) == want, f"{name}: expected {want}, got {tuple(got)}{hint}; the logs were {logs}"


def best_epoch_answer():
    import random

    def make_logs(seed):  # the same generated logs as the check
        rng = random.Random(seed)
        epochs = rng.randint(4, 12)
        every = rng.choice([1, 2, 3])
        loss = [(e, round(2.0 / e + rng.random() * 0.3, 4)) for e in range(1, epochs + 1)]
        accuracy = [(e, rng.choice([0.90, 0.92, 0.94, 0.95, 0.96])) for e in range(every, epochs + 1, every)]
        rng.shuffle(loss)
        rng.shuffle(accuracy)
        return {"accuracy/valid": accuracy, "loss/train": loss}

    logs = [{"accuracy/valid": [(1, 0.8), (2, 0.9), (3, 0.9), (4, 0.85)],
             "loss/train": [(1, 1.5), (2, 0.7), (3, 0.5), (4, 0.4)]},
            {"accuracy/valid": [(6, 0.93), (2, 0.88), (4, 0.95)],
             "loss/train": [(3, 0.6), (1, 1.9), (6, 0.3), (2, 0.9), (5, 0.35), (4, 0.45)]}]
    logs += [make_logs(seed) for seed in range(20)]
    return [best_epoch(log) for log in logs]


check_exercise("13.3", check_best_epoch, points=1, answer=best_epoch_answer)

# %% [markdown]
# ## Summary
#
# - `SummaryWriter(log_dir)` writes event files; a folder with event files is a **run**. Close
#   the writer (or use `with`) before reading, and clear old logs before writing again.
# - `add_scalar(tag, value, step)` for curves; `add_scalars` puts several curves in one chart by
#   writing **one sub-run per curve**; `add_histogram` for weights and gradients; `add_image` for
#   one `[C, H, W]` image, with `make_grid` to tile a batch (floats are stored as
#   `uint8(clip(x · 255))`, truncated); `add_graph` traces the model; `add_hparams` records
#   settings and results, always with `run_name`.
# - `torchinfo.summary(model, input_size=...)` lists shapes, parameters, kernel sizes and
#   mult-adds per layer; its total matched `sum(p.numel())`.
# - TensorBoard's `EventAccumulator` reads the files back; by default it keeps **1 histogram and
#   4 images per tag**, so ask for `STORE_EVERYTHING_SIZE_GUIDANCE` (the course helpers
#   `load_run`, `read_scalars`, `read_all_scalars` do). Scalars come back as float32.
# - Target met: every logged scalar came back under its tag and step with its float32 value; the
#   histograms and images matched too.
# - `course tensorboard` serves `runs/` on http://127.0.0.1:6006.
# - Next: lesson 14 uses hooks to look inside any layer, and class activation maps.
