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
# # 05 · Transforms and data augmentation
#
# **What you will learn**
#
# - what `ToTensor` and `ToPILImage` really do: value range (0..255 ↔ 0..1), memory layout
#   (H×W×C ↔ C×H×W) and dtype (`uint8` ↔ `float32`);
# - what `Normalize` computes, and how `transform_invert` takes a normalized tensor back to a
#   picture you can look at, to within one grey level (1/255);
# - the augmentation toolbox of `torchvision.transforms`: crops (centre, random with padding
#   modes, random-resized, five and ten crops), flips, rotation, padding, colour jitter,
#   greyscale, random affine maps, random erasing, `Lambda`, and the containers `RandomChoice`,
#   `RandomApply` and `RandomOrder`;
# - how to write your own transform (salt-and-pepper noise) and where its randomness should
#   come from;
# - the difference between rigid, affine and projective transformations;
# - why training and validation use *different* pipelines.
#
# **Target:** normalize the cat photo, invert it, and get every pixel back to within 1/255.

# %%
import math
import random

import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision import transforms as T
from torchvision.transforms import functional as TF

from tools import (
    get_device,
    project_root,
    record_metrics,
    set_seed,
    transform_invert,
    use_course_style,
)
from tools.datasets import ClassFolderDataset, ensure_dataset

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## Why transforms?
#
# A model eats tensors of a fixed shape, with values in a sensible range. Photos come as files
# of any size, with 8-bit pixels. **Preprocessing** bridges that gap: resize, crop, turn into a
# tensor, normalize. **Augmentation** goes further during training: every time the model sees a
# picture, it sees a slightly different version of it (shifted, flipped, recoloured). The model
# cannot memorise one exact view, so it has to learn what stays the same, and it generalises
# better to photos it has never seen.
#
# In PyTorch, both live in `torchvision.transforms`. A transform is just a callable: picture in,
# picture out. `T.Compose([...])` chains them, and a `Dataset` applies the chain in
# `__getitem__`, each time an item is read.
#
# ## A real photo to work on
#
# The course ships a few real photos (`ensure_dataset("photos")` builds them on first use).
# We use Chelsea the cat and a cup of coffee, shrunk once so that the shorter side is 224 pixels:
# everything below stays fast. Careful with the order of numbers: PIL's `.size` is
# **(width, height)**, while a tensor's shape will be **(channels, height, width)**.

# %%
photos = ensure_dataset("photos")
cat_full = Image.open(photos / "chelsea.png").convert("RGB")
coffee_full = Image.open(photos / "coffee.png").convert("RGB")
print("photos live in:", photos.relative_to(project_root()))
print("chelsea.png:", cat_full.mode, "size (W, H) =", cat_full.size)

cat = T.Resize(224)(cat_full)
coffee = T.Resize(224)(coffee_full)
print("after Resize(224): cat", cat.size, " coffee", coffee.size)

# %% [markdown]
# Many figures follow, so we write the plotting once. `show_grid` takes PIL images or image
# tensors (`[C, H, W]`, values in 0..1), puts them in a grid with a title each, and writes every
# image's size (W×H) under it: a quick way to see what a transform did to the shape.

# %%
def show_grid(images, titles=None, ncols=4, cell=2.2, suptitle=None, interpolation=None):
    """Plot PIL images or [C, H, W] tensors (floats in 0..1 or uint8) in a grid of `ncols` columns.

    Each column is `cell` inches wide; each row is as tall as its tallest picture needs, so wide
    and square pictures both fit without their titles and size labels running into each other.
    """
    grid = []
    for image in images:
        if isinstance(image, torch.Tensor):
            pixels = image.detach().cpu()
            pixels = pixels.float() / 255 if pixels.dtype == torch.uint8 else pixels.float().clamp(0, 1)
            pixels = pixels.permute(1, 2, 0).numpy()
        else:
            pixels = np.asarray(image, dtype=np.float32) / 255
        grid.append(pixels[..., 0] if pixels.ndim == 3 and pixels.shape[2] == 1 else pixels)
    nrows = math.ceil(len(grid) / ncols)
    heights = [cell * max(p.shape[0] / p.shape[1] for p in grid[r * ncols:(r + 1) * ncols]) for r in range(nrows)]
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell * ncols, sum(heights) + 0.5 * nrows + 0.35 * bool(suptitle)),
                             squeeze=False, gridspec_kw={"height_ratios": heights}, layout="constrained")
    for index, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if index >= len(grid):
            ax.axis("off")
            continue
        pixels = grid[index]
        ax.imshow(pixels, cmap="gray", vmin=0, vmax=1, interpolation=interpolation)
        ax.set_xlabel(f"{pixels.shape[1]}×{pixels.shape[0]}", fontsize=8)
        if titles is not None:
            ax.set_title(titles[index], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    plt.show()


show_grid([cat, coffee], ["Chelsea (chelsea.png)", "coffee (coffee.png)"], ncols=2, cell=3.2,
          suptitle="The two photos of this lesson")

# %% [markdown]
# ## `ToTensor`: range, layout and dtype
#
# `T.ToTensor()` turns a PIL image (or a `uint8` NumPy array) into what a network expects. It
# changes three things at once:
#
# | | before (PIL / NumPy) | after (tensor) |
# |---|---|---|
# | dtype | `uint8` | `float32` |
# | range | 0 … 255 | 0.0 … 1.0 (divided by 255) |
# | layout | H × W × C (channels last) | C × H × W (channels first) |
#
# Below, the same top-left pixel before and after, and the same result built by hand.

# %%
pixels = np.array(cat)  # a writable uint8 copy, H x W x C
x = T.ToTensor()(cat)
print("PIL as NumPy:", pixels.dtype, pixels.shape, "range", pixels.min(), "..", pixels.max())
print("ToTensor    :", x.dtype, tuple(x.shape), f"range {x.min().item():.4f} .. {x.max().item():.4f}")
print("top-left pixel, uint8 :", pixels[0, 0].tolist())
print("top-left pixel, float :", x[:, 0, 0])
print("the same floats ×255  :", (x[:, 0, 0] * 255).round().to(torch.uint8).tolist())

by_hand = torch.from_numpy(pixels).permute(2, 0, 1).float() / 255
print("ToTensor == from_numpy(...).permute(2, 0, 1).float() / 255:", torch.equal(x, by_hand))

# %% [markdown]
# A greyscale picture (PIL mode `"L"`) has one channel, and `ToTensor` keeps that channel
# dimension: the result is `1 × H × W`, not `H × W`. `T.PILToTensor()` changes only the layout
# and keeps `uint8` pixels, for when you want integers.

# %%
grey_cat = cat.convert("L")
print("greyscale ToTensor shape:", tuple(T.ToTensor()(grey_cat).shape))
as_ints = T.PILToTensor()(cat)
print("PILToTensor:", as_ints.dtype, tuple(as_ints.shape), "range", as_ints.min().item(), "..", as_ints.max().item())

# %% [markdown]
# `T.ToPILImage()` goes the other way: `C × H × W` floats in 0..1 become an 8-bit picture again
# (multiplied by 255, channels moved last). For a tensor that came straight from `ToTensor`, the
# round trip is exact.
#
# One trap: `ToTensor` divides by 255 **only for `uint8` input**. A float NumPy array is passed
# through unscaled, so a photo loaded as floats ends up with values up to 255.

# %%
back = T.ToPILImage()(x)
print("ToPILImage:", back.mode, back.size, "| identical pixels:", np.array_equal(np.asarray(back), pixels))

print("ToTensor(uint8 array).max()  :", T.ToTensor()(pixels).max().item())
print("ToTensor(float32 array).max():", T.ToTensor()(pixels.astype(np.float32)).max().item())

# %% [markdown]
# ## `Normalize` and the way back
#
# `T.Normalize(mean, std)` works **per channel** on a float tensor:
# `out[c] = (x[c] - mean[c]) / std[c]`. With the mean and standard deviation of the training
# images, every channel ends up roughly centred on 0 with spread 1, which keeps the first layer's
# inputs in a range where training is well behaved. Models pretrained on ImageNet expect that
# dataset's statistics, so we use them here. (For your own data, compute them from the
# training set only.)

# %%
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
to_model = T.Compose([T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])

x_norm = to_model(cat)
print("channel means before:", x.mean(dim=(1, 2)))
print("channel means after :", x_norm.mean(dim=(1, 2)))
print("channel stds  after :", x_norm.std(dim=(1, 2)))
print(f"range after: {x_norm.min().item():.4f} .. {x_norm.max().item():.4f}")

mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
print("Normalize == (x - mean) / std:", torch.allclose(x_norm, (x - mean) / std, atol=1e-6))

# %% [markdown]
# A normalized tensor is no longer a picture: negative values, values above 1. To *look* at what
# the model sees (after augmentation, say), undo the steps: `x * std + mean`, then back to 8-bit
# pixels. `transform_invert(tensor, compose)` from `tools` does exactly that for any `Compose`
# holding `Normalize` and `ToTensor`.
#
# Floating-point arithmetic is not exact, so `(x - mean) / std * std + mean` can land a hair
# below the original value. Rounding to the nearest pixel level absorbs that; that is why the
# target says *within 1/255*, one grey level.

# %%
restored = transform_invert(x_norm, to_model)
difference = np.abs(np.asarray(restored).astype(np.int64) - pixels.astype(np.int64))
max_diff = int(difference.max())
print("restored:", restored.mode, restored.size)
print("largest pixel difference (levels of 1/255):", max_diff)
print("invert(normalize(x)) == x within 1/255:", max_diff <= 1)
record_metrics("05_transforms", max_invert_error_levels=max_diff);

# %% [markdown]
# Why round rather than just cut the decimals? `ToPILImage` *truncates* (`x * 255` then
# `.byte()`). Fed with the un-normalized floats, a value like 122.99997 becomes 122, not 123:

# %%
unnormalized = x_norm * std + mean
truncated = np.asarray(T.ToPILImage()(unnormalized)).astype(np.int64)
off_by_one = np.abs(truncated - pixels.astype(np.int64))
print("ToPILImage without rounding: largest difference", off_by_one.max(),
      "| share of values off by one:", round(float((off_by_one > 0).mean()), 4))

# %%
show_grid([cat, x_norm, restored], ["original", "normalized (clipped to 0..1)", "transform_invert"],
          ncols=3, cell=3.0, suptitle="Normalize, then invert");

# %% [markdown]
# ## Resize
#
# `T.Resize(n)` with a single number scales the **shorter** side to `n` and keeps the aspect
# ratio. `T.Resize((h, w))` forces an exact size and squashes the picture if the ratio differs.
# Note the order: `(height, width)`, like a tensor, not like PIL's `.size`.

# %%
resized = {
    "Resize(112)": T.Resize(112)(cat),
    "Resize((112, 112))": T.Resize((112, 112))(cat),
    "Resize((112, 224))": T.Resize((112, 224))(cat),
}
for name, image in resized.items():
    print(f"{name:<20} -> size (W, H) = {image.size}")

# %%
show_grid(list(resized.values()), list(resized), ncols=3, cell=2.6, suptitle="Resize keeps or forces the aspect ratio");

# %% [markdown]
# ## Crops
#
# Cropping is the most common augmentation: the object moves around the frame, and part of it
# may be cut off, as happens in real photos.
#
# - `CenterCrop(s)`: the middle `s × s` patch, always the same (a validation transform). If `s`
#   is larger than the picture, the missing border is filled with zeros.
# - `RandomCrop(s)`: an `s × s` patch at a random place.
# - `RandomResizedCrop(s, scale, ratio)`: a random patch whose *area* is a random share of the
#   picture (`scale`, default 8 % to 100 %) and whose *aspect ratio* is random (`ratio`), then
#   resized to `s × s`. It zooms and stretches at the same time; the standard ImageNet
#   training crop.
#
# Before each grid of random draws we call `set_seed`, so the draws (and this notebook's
# pictures) are the same every time.

# %%
set_seed(1)
crops = [T.CenterCrop(160)(cat), T.CenterCrop(280)(cat)]
crops += [T.RandomCrop(160)(cat) for _ in range(2)]
crops += [T.RandomResizedCrop(160)(cat) for _ in range(4)]
titles = ["CenterCrop(160)", "CenterCrop(280)"] + ["RandomCrop(160)"] * 2 + ["RandomResizedCrop(160)"] * 4
print("output sizes:", sorted({image.size for image in crops}))
show_grid(crops, titles, suptitle="Centre, random and random-resized crops");

# %% [markdown]
# `RandomResizedCrop.get_params` shows the boxes it draws, as `(top, left, height, width)` in
# the original picture. Each box's area share lies within `scale`, and every box is resized to
# the same output size afterwards.

# %%
set_seed(2)
for _ in range(4):
    top, left, height, width = T.RandomResizedCrop.get_params(cat, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3))
    share = height * width / (cat.size[0] * cat.size[1])
    print(f"box top={top:3d} left={left:3d} h={height:3d} w={width:3d}  area share {share:.3f}  ratio w/h {width / height:.3f}")

# %% [markdown]
# ### Padding modes
#
# `RandomCrop(s, padding=p)` first pads the picture by `p` pixels on each side and then crops, so
# the object can move partly out of the frame. `T.Pad(p, padding_mode=...)` alone shows what the
# border is filled with:
#
# | mode | the border is |
# |---|---|
# | `constant` | one colour (`fill`, default black) |
# | `edge` | the last row/column repeated |
# | `reflect` | a mirror image, *without* repeating the edge pixel |
# | `symmetric` | a mirror image, *with* the edge pixel repeated |
#
# `padding` can be one number (all sides), two `(left/right, top/bottom)` or four
# `(left, top, right, bottom)`.

# %%
modes = ["constant", "edge", "reflect", "symmetric"]
padded = [T.Pad(56, fill=(255, 140, 0), padding_mode="constant")(cat)]
padded += [T.Pad(56, padding_mode=mode)(cat) for mode in modes[1:]]
print("Pad(56) on", cat.size, "->", padded[0].size)
print("Pad((10, 20)) ->", T.Pad((10, 20))(cat).size, "| Pad((1, 2, 3, 4)) ->", T.Pad((1, 2, 3, 4))(cat).size)

set_seed(3)
shifted = [T.RandomCrop(224, padding=40, padding_mode="reflect")(cat) for _ in range(4)]
show_grid(padded + shifted, [f"Pad: {mode}" for mode in modes] + ["RandomCrop, padding=40"] * 4,
          suptitle="Padding modes, and random crops of a padded picture");

# %% [markdown]
# A 1-D example makes `reflect` and `symmetric` easy to tell apart (`TF` is
# `torchvision.transforms.functional`, the same operations without randomness):

# %%
row = torch.tensor([[[1, 2, 3, 4]]])
for mode in modes:
    print(f"{mode:<10}", TF.pad(row, [2, 0], padding_mode=mode)[0, 0].tolist())

# %% [markdown]
# ### Five and ten crops, and `Lambda`
#
# `FiveCrop(s)` returns a **tuple** of five pictures: the four corners and the centre.
# `TenCrop(s)` adds the five crops of the mirrored picture. They are used at *test* time: the
# model scores every crop and the scores are averaged.
#
# A tuple of pictures is not a tensor, so the next step must deal with all of them. `T.Lambda`
# wraps any function as a transform; here it turns each crop into a tensor and stacks them into
# one `[n_crops, C, H, W]` tensor.

# %%
five = T.FiveCrop(112)(cat)
ten = T.TenCrop(112)(cat)
print("FiveCrop:", type(five).__name__, "of", len(five), "| sizes:", {image.size for image in five})
print("TenCrop :", type(ten).__name__, "of", len(ten))
print("TenCrop starts with the five crops:", all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(ten, five)))
print("crop 5 (top-left of the mirror image) == the top-right crop, mirrored:",
      np.array_equal(np.asarray(ten[5]), np.asarray(TF.hflip(five[1]))))

ten_crop_tensor = T.Compose([
    T.TenCrop(112),
    T.Lambda(lambda crops: torch.stack([T.ToTensor()(crop) for crop in crops])),
])
stacked = ten_crop_tensor(cat)
print("TenCrop + Lambda -> one tensor of shape", tuple(stacked.shape))

# %%
names = ["top-left", "top-right", "bottom-left", "bottom-right", "centre"]
show_grid(list(ten), names + [f"mirrored: {name}" for name in names], ncols=5, cell=1.9,
          suptitle="TenCrop(112): five crops and their mirror images");

# %% [markdown]
# ## Flips and rotation
#
# `RandomHorizontalFlip(p)` mirrors left-right with probability `p` (0.5 by default); a cat
# facing left is still a cat. `RandomVerticalFlip` turns the picture upside down, which suits
# satellite or microscope images but rarely photos of upright things: choose augmentations that
# produce pictures which could really occur.
#
# `RandomRotation(degrees)` rotates by a random angle in `[-degrees, degrees]`. The corners that
# enter the frame are filled with `fill` (black by default). With `expand=True` the canvas grows
# so that nothing is cut off, which changes the size.

# %%
flipped = TF.hflip(cat)
print("first column of the flip == last column of the original:",
      np.array_equal(np.asarray(flipped)[:, 0], pixels[:, -1]))
print("flipping twice gives the original back:", np.array_equal(np.asarray(TF.hflip(flipped)), pixels))

set_seed(4)
turned = [
    T.RandomHorizontalFlip(p=1.0)(cat),
    T.RandomVerticalFlip(p=1.0)(cat),
    T.RandomRotation(30)(cat),
    T.RandomRotation(30, fill=(255, 255, 255))(cat),
    T.RandomRotation((30, 30), expand=True)(cat),
]
titles = ["HorizontalFlip(p=1)", "VerticalFlip(p=1)", "Rotation(30)", "Rotation(30, fill=white)", "Rotation 30°, expand"]
for title, image in zip(titles, turned):
    print(f"{title:<26} size {image.size}")
show_grid(turned, titles, ncols=5, cell=2.2, suptitle="Flips and rotations");

# %% [markdown]
# ## Colour: jitter and greyscale
#
# Lighting changes from photo to photo. `ColorJitter(brightness, contrast, saturation, hue)`
# multiplies brightness, contrast and saturation by random factors drawn from
# `[1 - value, 1 + value]`, and shifts the hue by up to `hue` of a full turn (at most 0.5).
# The four adjustments are applied in a random order.

# %%
set_seed(5)
jitters = {
    "brightness=0.5": T.ColorJitter(brightness=0.5),
    "contrast=0.5": T.ColorJitter(contrast=0.5),
    "saturation=0.9": T.ColorJitter(saturation=0.9),
    "hue=0.2": T.ColorJitter(hue=0.2),
}
jittered, titles = [], []
for name, jitter in jitters.items():
    for _ in range(2):
        image = jitter(cat)
        jittered.append(image)
        titles.append(f"{name}\nmean {np.asarray(image).mean():.1f}")
print(f"mean pixel value of the original: {pixels.mean():.1f}")
show_grid(jittered, titles, suptitle="ColorJitter, two draws per setting");

# %% [markdown]
# `Grayscale(num_output_channels)` removes colour. With `num_output_channels=3` the three channels
# are equal, so a model built for RGB input still accepts the picture. `RandomGrayscale(p)` does
# it only with probability `p`; it keeps the number of channels, so batches stay stackable.

# %%
grey_1 = T.Grayscale(num_output_channels=1)(cat)
grey_3 = T.ToTensor()(T.Grayscale(num_output_channels=3)(cat))
print("Grayscale(1):", grey_1.mode, "->", tuple(T.ToTensor()(grey_1).shape))
print("Grayscale(3):", tuple(grey_3.shape), "| three equal channels:",
      torch.equal(grey_3[0], grey_3[1]) and torch.equal(grey_3[1], grey_3[2]))

set_seed(6)
random_grey = T.RandomGrayscale(p=0.25)
small = T.Resize(32)(cat)
made_grey = sum(np.ptp(np.asarray(random_grey(small)), axis=2).max() == 0 for _ in range(400))
print(f"RandomGrayscale(p=0.25): {made_grey} of 400 draws came out grey (share {made_grey / 400:.3f})")

# %% [markdown]
# ## Random affine maps and random erasing
#
# `RandomAffine(degrees, translate, scale, shear)` draws one random rotation, shift, zoom and
# shear and applies them together. `translate=(0.1, 0.1)` shifts by up to 10 % of the width and
# height; `shear` slants the picture.
#
# `RandomErasing` paints a random rectangle over part of the image (also called *cutout*): the
# model must recognise the cat even when part of it is hidden. Unlike everything above it works
# on **tensors**, so it comes *after* `ToTensor`. `value=0` fills with zeros (black before
# `Normalize`, the average colour after it); `value="random"` fills with noise.

# %%
set_seed(7)
affine = T.RandomAffine(degrees=20, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=15)
angle, translations, scale, shear = T.RandomAffine.get_params(
    affine.degrees, affine.translate, affine.scale, affine.shear, list(cat.size))
print(f"one draw: angle {angle:.2f}°, shift {translations} px, scale {scale:.3f}, shear {[round(s, 2) for s in shear]}°")
affined = [affine(cat) for _ in range(4)]

erase_black = T.RandomErasing(p=1.0, scale=(0.05, 0.2), value=0)
erase_noise = T.RandomErasing(p=1.0, scale=(0.05, 0.2), value="random")
erased = [erase_black(x), erase_black(x), erase_noise(x), erase_noise(x)]
for image in erased:
    print(f"RandomErasing changed {(image != x).any(dim=0).float().mean().item():.3f} of the pixels")
show_grid(affined + erased, ["RandomAffine"] * 4 + ["RandomErasing, value=0"] * 2 + ["RandomErasing, random"] * 2,
          suptitle="RandomAffine and RandomErasing");

# %% [markdown]
# ## Rigid, affine and projective
#
# Geometric transforms come in three families, each containing the one before:
#
# | family | made of | keeps |
# |---|---|---|
# | **rigid** | rotation + translation | lengths, angles, straight lines, parallel lines |
# | **affine** | rigid + scaling, shear (and flips) | straight lines and parallel lines |
# | **projective** | affine + perspective (a 3-D plane seen from another angle) | straight lines only |
#
# All three are a 3 × 3 matrix acting on points `(x, y, 1)`. We map the corners (and one edge
# midpoint) of a unit square with one matrix from each family and test what survives.

# %%
def rigid_matrix(angle_deg, tx, ty):
    a = math.radians(angle_deg)
    return torch.tensor([[math.cos(a), -math.sin(a), tx], [math.sin(a), math.cos(a), ty], [0.0, 0.0, 1.0]])


def apply_matrix(matrix, points):
    """Map (n, 2) points through a 3x3 matrix, dividing by the third coordinate."""
    homogeneous = torch.cat([points, torch.ones(len(points), 1)], dim=1) @ matrix.T
    return homogeneous[:, :2] / homogeneous[:, 2:]


rigid = rigid_matrix(20, 0.5, 0.2)
affine_m = rigid @ torch.tensor([[0.8, 0.3, 0.0], [0.0, 1.2, 0.0], [0.0, 0.0, 1.0]])
projective = affine_m @ torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.3, 0.4, 1.0]])

square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.5, 0.0]])  # 4 corners, bottom-edge midpoint


def cross(u, v):
    return (u[0] * v[1] - u[1] * v[0]).item()


print(f"{'family':<11} {'lengths kept':>12} {'parallels kept':>15} {'lines stay straight':>20}")
for name, matrix in [("rigid", rigid), ("affine", affine_m), ("projective", projective)]:
    p = apply_matrix(matrix, square)
    sides = [p[1] - p[0], p[2] - p[1], p[3] - p[2], p[0] - p[3]]
    lengths_kept = all(abs(side.norm().item() - 1) < 1e-5 for side in sides)
    parallels_kept = abs(cross(sides[0], sides[2])) < 1e-5 and abs(cross(sides[1], sides[3])) < 1e-5
    straight = abs(cross(p[4] - p[0], p[1] - p[0])) < 1e-5
    print(f"{name:<11} {lengths_kept!s:>12} {parallels_kept!s:>15} {straight!s:>20}")

# %% [markdown]
# On pictures, a checkerboard shows the same thing: the rigid map only turns and moves it, the
# affine map turns squares into identical parallelograms, and the projective map makes them
# shrink towards a vanishing point. `TF.affine` and `TF.perspective` apply fixed parameters;
# `RandomAffine` and `RandomPerspective(distortion_scale, p)` draw them at random (bottom row).

# %%
board = Image.fromarray(
    (((np.arange(224)[:, None] // 28 + np.arange(224)[None, :] // 28) % 2) * 200 + 30).astype(np.uint8)
).convert("RGB")
square_cat = T.CenterCrop(224)(cat)
corners = [[0, 0], [223, 0], [223, 223], [0, 223]]
tilted = [[40, 30], [190, 0], [223, 223], [10, 190]]


def three_families(image):
    return [
        image,
        TF.affine(image, angle=20, translate=[20, 10], scale=1.0, shear=[0.0]),
        TF.affine(image, angle=20, translate=[20, 10], scale=0.8, shear=[25.0]),
        TF.perspective(image, startpoints=corners, endpoints=tilted),
    ]


set_seed(8)
perspective_draws = [T.RandomPerspective(distortion_scale=0.5, p=1.0)(board) for _ in range(4)]
family_titles = ["original", "rigid", "affine", "projective"]
show_grid(three_families(board) + three_families(square_cat) + perspective_draws,
          family_titles * 2 + ["RandomPerspective(0.5)"] * 4, suptitle="Rigid ⊂ affine ⊂ projective");

# %% [markdown]
# ## Choosing between transforms: `RandomChoice`, `RandomApply`, `RandomOrder`
#
# - `RandomChoice([t1, t2, ...])` applies **one** transform, picked at random;
# - `RandomApply([t1, t2, ...], p)` applies the whole list with probability `p`, or nothing;
# - `RandomOrder([t1, t2, ...])` applies all of them in a random order.
#
# A transform does not have to act on images at all. Transforms that append a letter to a string
# make the logic visible:

# %%
def tag(letter):
    return T.Lambda(lambda text: text + letter)


set_seed(9)
choice = T.RandomChoice([tag("H"), tag("V"), tag("R")])
order = T.RandomOrder([tag("A"), tag("B"), tag("C")])
maybe = T.RandomApply([tag("X"), tag("Y")], p=0.3)
print("RandomChoice:", [choice("") for _ in range(8)])
print("RandomOrder :", [order("") for _ in range(6)])
print("RandomApply :", [maybe("") for _ in range(8)])
applied = sum(maybe("") == "XY" for _ in range(1000))
print(f"RandomApply(p=0.3) applied in {applied} of 1000 calls")

# %% [markdown]
# A detail that matters for reproducibility: `RandomChoice` and `RandomOrder` draw from
# **Python's** `random` module, while the other random transforms use **torch**'s generator.
# `torch.manual_seed` alone does not pin them down; `set_seed` seeds both.

# %%
def picks_after(torch_seed, python_seed):
    torch.manual_seed(torch_seed)
    random.seed(python_seed)
    return "".join(choice("") for _ in range(10))


print("same torch seed, different Python seeds:", picks_after(0, 1), picks_after(0, 2))
print("picks equal:", picks_after(0, 1) == picks_after(0, 2))

# %% [markdown]
# On the photo: one of three geometric changes, colour jitter half of the time, and flip and
# greyscale in a random order.

# %%
combined = T.Compose([
    T.RandomChoice([T.RandomRotation(25), T.RandomAffine(0, shear=20), T.RandomPerspective(0.4, p=1.0)]),
    T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.5),
    T.RandomOrder([T.RandomHorizontalFlip(), T.RandomGrayscale(p=0.3)]),
])
set_seed(10)
show_grid([combined(coffee) for _ in range(8)], [f"draw {k}" for k in range(8)],
          suptitle="RandomChoice + RandomApply + RandomOrder on the coffee");

# %% [markdown]
# ## Your own transform: salt-and-pepper noise
#
# A custom transform is a class: `__init__` stores the settings, `__call__` takes **one** picture
# and returns the transformed picture. Salt-and-pepper noise sets a random share of pixels to
# black (pepper) or white (salt), like dust on a lens or a faulty sensor. `snr` (signal-to-noise
# ratio) is the share of pixels left alone, and `p` the probability that the transform acts at
# all.
#
# Where the randomness comes from matters. By default the class below draws from torch's global
# generator: `set_seed` makes it repeatable, and a `DataLoader` with workers gives each worker a
# different seed. A private generator would be copied into every worker with the *same* state,
# and all workers would add identical noise. Passing a seeded `torch.Generator` is still handy
# for tests, which is what we do to measure the noise.

# %%
class AddSaltPepperNoise:
    """Turn a random share `1 - snr` of the pixels of a PIL image black or white, with probability `p`."""

    def __init__(self, snr: float = 0.9, p: float = 0.9, generator: torch.Generator | None = None):
        if not 0.0 <= snr <= 1.0 or not 0.0 <= p <= 1.0:
            raise ValueError(f"snr and p must lie in [0, 1], got snr={snr}, p={p}")
        self.snr, self.p, self.generator = snr, p, generator

    def __call__(self, image: Image.Image) -> Image.Image:
        if torch.rand(1, generator=self.generator).item() >= self.p:
            return image
        pixels = np.array(image)  # a copy: H x W (x C), uint8
        draw = torch.rand(pixels.shape[:2], generator=self.generator).numpy()
        noise = 1.0 - self.snr
        pixels[draw < noise / 2] = 0                         # pepper
        pixels[(draw >= noise / 2) & (draw < noise)] = 255   # salt
        return Image.fromarray(pixels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(snr={self.snr}, p={self.p})"


noisy_titles, noisy = [], []
for snr in (0.99, 0.95, 0.9, 0.8):
    noisy_image = AddSaltPepperNoise(snr=snr, p=1.0, generator=torch.Generator().manual_seed(0))(cat)
    as_array = np.asarray(noisy_image)
    hit = ((as_array == 0).all(axis=2) | (as_array == 255).all(axis=2)) & (as_array != pixels).any(axis=2)
    print(f"snr={snr:<5} pixels turned black or white: {hit.mean():.4f} (expected about {1 - snr:.2f})")
    noisy.append(noisy_image)
    noisy_titles.append(f"snr={snr}")
print(AddSaltPepperNoise(0.95, 0.5))
print("input left untouched:", np.array_equal(np.asarray(cat), pixels))

# %% [markdown]
# Single black and white pixels vanish when a 336-pixel-wide photo is drawn a couple of inches
# wide: the screen averages neighbouring pixels together. The bottom row therefore zooms into the
# same 48 × 48 patch around the left eye of each picture and draws every pixel as a block
# (`interpolation="nearest"`), so each dot of salt or pepper stays visible.

# %%
eye_box = (100, 70, 148, 118)  # (left, top, right, bottom) in the 336 x 224 picture
zooms = [image.crop(eye_box) for image in noisy]
show_grid(noisy + zooms, noisy_titles + [f"{title}, zoomed in" for title in noisy_titles],
          interpolation="nearest", suptitle="AddSaltPepperNoise at four signal-to-noise ratios");

# %% [markdown]
# ## Training versus validation pipelines
#
# Augmentation is for **training** only. The validation (and test) pipeline must be
# deterministic, so that the same image always gets the same score and accuracies can be
# compared from epoch to epoch. The two pipelines still have to agree on what the model sees:
# the same output size, the same `ToTensor` and the same `Normalize`. A common recipe:
#
# - train: `RandomResizedCrop` → flips/colour/noise → `ToTensor` → `Normalize` → `RandomErasing`;
# - valid: `Resize` a bit larger → `CenterCrop` → `ToTensor` → `Normalize`.

# %%
train_transform = T.Compose([
    T.RandomResizedCrop(160, scale=(0.4, 1.0)),
    T.RandomHorizontalFlip(),
    T.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.3),
    AddSaltPepperNoise(snr=0.97, p=0.3),
    T.ToTensor(),
    T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    T.RandomErasing(p=0.3, scale=(0.02, 0.15), value=0),
])
valid_transform = T.Compose([
    T.Resize(182),
    T.CenterCrop(160),
    T.ToTensor(),
    T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
])
print(valid_transform)

set_seed(11)
train_views = [train_transform(cat) for _ in range(4)]
valid_views = [valid_transform(cat) for _ in range(4)]
print("shapes:", {tuple(v.shape) for v in train_views + valid_views})
print("valid views all identical:", all(torch.equal(v, valid_views[0]) for v in valid_views))
print("train views all different:", all(not torch.equal(train_views[i], train_views[j])
                                        for i in range(4) for j in range(i + 1, 4)))

# %%
show_grid([transform_invert(v, train_transform) for v in train_views] + [transform_invert(v, valid_transform) for v in valid_views],
          ["train"] * 4 + ["valid"] * 4, suptitle="Four reads of the same photo: train (top) vs valid (bottom)");

# %% [markdown]
# ### Inside a `Dataset`
#
# The transform runs in `__getitem__`, every time an item is read. Over many epochs the model
# therefore sees the same face in many variations, without a single extra file on disk. Here the
# course's small real face crops (25 × 25, greyscale) get a train and a valid pipeline; reading
# the first face twice gives two different train tensors but the same valid tensor. A batch is
# moved to `DEVICE` as usual.

# %%
faces_root = ensure_dataset("faces")
face_train = T.Compose([
    T.RandomHorizontalFlip(),
    T.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1)),
    T.ToTensor(),
    T.Normalize([0.5], [0.5]),
])
face_valid = T.Compose([T.ToTensor(), T.Normalize([0.5], [0.5])])
train_set = ClassFolderDataset(faces_root, transform=face_train)
valid_set = ClassFolderDataset(faces_root, transform=face_valid)
print("classes:", train_set.classes, "| images:", len(train_set))

set_seed(12)
index = train_set.targets.index(train_set.class_to_idx["face"])
first_read, second_read = train_set[index][0], train_set[index][0]
print("item shape:", tuple(first_read.shape), "| label:", train_set[index][1])
print("train: two reads equal:", torch.equal(first_read, second_read))
print("valid: two reads equal:", torch.equal(valid_set[index][0], valid_set[index][0]))

loader = DataLoader(train_set, batch_size=16, shuffle=True, num_workers=0)
images, labels = next(iter(loader))
images = images.to(DEVICE)
print("batch:", tuple(images.shape), images.dtype, f"range {images.min().item():.3f} .. {images.max().item():.3f}")

# %%
set_seed(13)
epochs = [train_set[index][0] for _ in range(7)] + [valid_set[index][0]]
show_grid([transform_invert(view, face_train) for view in epochs], [f"epoch {k}" for k in range(1, 8)] + ["valid"],
          cell=1.8, suptitle="One face, as the model sees it in seven epochs");

# %% [markdown]
# ## Common mistakes
#
# **1. `Normalize` on a PIL image.** `Normalize` does arithmetic on a float tensor; it must come
# *after* `ToTensor` in the `Compose`.

# %% tags=["raises-exception"]
T.Compose([T.Normalize(IMAGENET_MEAN, IMAGENET_STD), T.ToTensor()])(cat)

# %% [markdown]
# **2. `ToTensor` twice.** Often one `ToTensor` sits in the pipeline and another one in the
# `Dataset`'s `__getitem__`. The second one receives a tensor and refuses it.

# %% tags=["raises-exception"]
T.ToTensor()(T.ToTensor()(cat))

# %% [markdown]
# **3. `RandomErasing` on a PIL image.** It works on tensors only. The error is an unhelpful
# `AttributeError`, and with the default `p=0.5` it appears only in half of the calls, so the
# pipeline can run for a while before it crashes. Put it after `ToTensor`.

# %% tags=["raises-exception"]
T.RandomErasing(p=1.0)(cat)

# %% [markdown]
# **4. A mean/std with the wrong number of channels.** ImageNet statistics have three values; a
# greyscale picture (like the camera photo) has one channel. Use one value per channel, e.g.
# `Normalize([0.5], [0.5])`, or convert the picture with `Grayscale(num_output_channels=3)`.

# %% tags=["raises-exception"]
camera = Image.open(photos / "camera.png")
print("camera.png mode:", camera.mode)
to_model(camera)

# %% [markdown]
# ## Exercises
#
# **05.1** Build `grey_pipeline`, a `T.Compose` that turns the colour photo `cat` into a
# **1 × 64 × 64** float tensor with values in **[-1, 1]**: convert to greyscale (one channel),
# resize the shorter side to 64, take the centre 64 × 64 square, make it a tensor, and map
# 0..1 to -1..1 with `Normalize`. Nothing random.

# %%
### BEGIN SOLUTION
grey_pipeline = T.Compose([
    T.Grayscale(num_output_channels=1),
    T.Resize(64),
    T.CenterCrop(64),
    T.ToTensor(),
    T.Normalize([0.5], [0.5]),
])
### END SOLUTION

# %%
from tools import check_exercise


def check_grey_pipeline(answer):
    import torch
    from PIL import Image
    from torchvision import transforms as T
    from torchvision.transforms import functional as TF

    from tools.datasets import ensure_dataset

    assert isinstance(answer, dict), f"expected the answer dict of grey_pipeline_answer, got {type(answer).__name__}"
    out = answer["first"]
    assert isinstance(out, torch.Tensor), "the pipeline did not return a tensor: end it with ToTensor and Normalize"
    assert tuple(out.shape) == (1, 64, 64), f"shape is {tuple(out.shape)}, expected (1, 64, 64)"
    assert out.dtype == torch.float32, f"dtype is {out.dtype}, expected torch.float32"
    assert out.min() >= -1 and out.max() <= 1, f"values span {out.min():.3f}..{out.max():.3f}, not inside [-1, 1]"
    assert out.min() < 0, "no negative values: map 0..1 to -1..1 with Normalize([0.5], [0.5])"
    again = answer["second"]
    assert isinstance(again, torch.Tensor) and torch.equal(out, again), \
        "two calls gave different tensors: remove the random steps"
    cat = T.Resize(224)(Image.open(ensure_dataset("photos") / "chelsea.png").convert("RGB"))  # as at the top
    reference = TF.to_tensor(TF.center_crop(TF.resize(TF.to_grayscale(cat), 64), 64)) * 2 - 1
    gap = (out - reference).abs().mean().item()
    assert gap < 0.02, f"the picture differs from a centred greyscale crop (mean gap {gap:.3f}): check resize and crop"


def grey_pipeline_answer():
    first, second = grey_pipeline(cat), grey_pipeline(cat)
    return {"first": first if torch.is_tensor(first) else None,
            "second": second if torch.is_tensor(second) else None}


check_exercise("05.1", check_grey_pipeline, points=2, answer=grey_pipeline_answer)

# %% [markdown]
# **05.2** Write a transform class `ShiftRight` with `__init__(self, shift)` and
# `__call__(self, image)`: `image` is a `[C, H, W]` tensor; the result has the same shape, its
# content moved `shift` pixels to the right (columns that fall off the right edge are dropped),
# and the `shift` leftmost columns set to 0. The input must not be modified. It should work
# inside a `T.Compose` after `ToTensor`.

# %%
### BEGIN SOLUTION
class ShiftRight:
    def __init__(self, shift: int):
        self.shift = shift

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        out = torch.zeros_like(image)
        if self.shift == 0:
            return image.clone()
        out[..., self.shift:] = image[..., : -self.shift]
        return out
### END SOLUTION

# %%
def check_shift_right(answer):
    import torch
    from PIL import Image
    from torchvision import transforms as T

    from tools.datasets import ensure_dataset

    image = torch.arange(1, 11, dtype=torch.float32).view(1, 2, 5)  # the input shift_right_answer uses
    shifted_2 = answer["ShiftRight(2)"]
    expected = torch.tensor([[[0.0, 0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 6.0, 7.0, 8.0]]])
    assert torch.is_tensor(shifted_2) and shifted_2.shape == image.shape, "the output must be a tensor of the input's shape"
    assert torch.equal(shifted_2, expected), f"ShiftRight(2) gave {shifted_2.tolist()}, expected {expected.tolist()}"
    assert torch.equal(answer["input afterwards"], image), "the input tensor was modified: work on a copy"
    shifted_0 = answer["ShiftRight(0)"]
    assert torch.is_tensor(shifted_0) and torch.equal(shifted_0, image), "ShiftRight(0) should return the image unchanged"
    cat = T.Resize(224)(Image.open(ensure_dataset("photos") / "chelsea.png").convert("RGB"))  # as at the top
    x = T.ToTensor()(cat)
    moved = answer["in Compose"]
    assert torch.is_tensor(moved) and moved.shape == x.shape and torch.equal(moved[:, :, 10:], x[:, :, :-10]) \
        and moved[:, :, :10].abs().sum() == 0, \
        "inside Compose after ToTensor, the cat should move 10 columns right with a black band on the left"


def shift_right_answer():
    image = torch.arange(1, 11, dtype=torch.float32).view(1, 2, 5)
    shifted_2 = ShiftRight(2)(image)
    input_afterwards = image.clone()
    return {"ShiftRight(2)": shifted_2, "input afterwards": input_afterwards, "ShiftRight(0)": ShiftRight(0)(image),
            "in Compose": T.Compose([T.ToTensor(), ShiftRight(10)])(cat)}


check_exercise("05.2", check_shift_right, points=2, answer=shift_right_answer)

# %% [markdown]
# **05.3** Work out by hand, then check by running it, what this pipeline produces for
# `cat_full` (size `(451, 300)`, i.e. W = 451, H = 300):
#
# ```python
# T.Compose([T.Resize(100), T.Pad((4, 10)), T.TenCrop(48),
#            T.Lambda(lambda crops: torch.stack([T.ToTensor()(c) for c in crops]))])
# ```
#
# Set `size_after_resize` and `size_after_pad` to PIL sizes `(W, H)` and `final_shape` to the
# shape of the final tensor as a tuple. (`Resize` rounds the longer side *down*.)

# %%
### BEGIN SOLUTION
size_after_resize = (150, 100)
size_after_pad = (158, 120)
final_shape = (10, 3, 48, 48)
### END SOLUTION

# %%
def check_sizes(answer):
    import torch
    from PIL import Image
    from torchvision import transforms as T

    from tools.datasets import ensure_dataset

    size_after_resize, size_after_pad, final_shape = answer
    cat_full = Image.open(ensure_dataset("photos") / "chelsea.png").convert("RGB")
    resized_image = T.Resize(100)(cat_full)
    padded_image = T.Pad((4, 10))(resized_image)
    stacked_crops = T.Compose([T.TenCrop(48), T.Lambda(lambda crops: torch.stack([T.ToTensor()(c) for c in crops]))])(padded_image)
    assert tuple(size_after_resize) == resized_image.size, \
        f"size_after_resize = {tuple(size_after_resize)} is wrong: the shorter side (H = 300) becomes 100, W scales with it"
    assert tuple(size_after_pad) == padded_image.size, \
        f"size_after_pad = {tuple(size_after_pad)} is wrong: (4, 10) pads 4 left and right, 10 top and bottom"
    assert tuple(final_shape) == tuple(stacked_crops.shape), \
        f"final_shape = {tuple(final_shape)} is wrong: ten crops, each a C x 48 x 48 tensor, stacked"


check_exercise("05.3", check_sizes, points=1, answer=lambda: (size_after_resize, size_after_pad, final_shape))

# %% [markdown]
# ## Summary
#
# - `ToTensor`: `uint8` H×W×C in 0..255 → `float32` C×H×W in 0..1 (only `uint8` input is
#   divided by 255). `ToPILImage` goes back, truncating; `PILToTensor` keeps integers.
# - `Normalize(mean, std)` works per channel on tensors, one value per channel;
#   `transform_invert` undoes it, and the round trip is exact to within 1/255.
# - Crops (`CenterCrop`, `RandomCrop` with padding modes, `RandomResizedCrop`, `FiveCrop`,
#   `TenCrop`), flips, rotation, `Pad`, `ColorJitter`, `Grayscale`/`RandomGrayscale` and
#   `RandomAffine` work on PIL images; `RandomErasing` on tensors, after `ToTensor`.
# - `Lambda` wraps a function; `RandomChoice`, `RandomApply` and `RandomOrder` combine
#   transforms (the first and last use Python's `random`: seed it too).
# - A custom transform is a class with `__call__(image)`; draw its randomness from torch's global
#   generator so that seeds and `DataLoader` workers behave.
# - Rigid ⊂ affine ⊂ projective: lengths, then parallels, then only straight lines survive.
# - Augment the training set only; the validation pipeline is deterministic and ends with the
#   same size, `ToTensor` and `Normalize`.
# - Next: lesson 06 builds models from `nn.Module`.
