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
# # 07 · Layers: convolution, pooling, linear, activations
#
# **What you will learn**
#
# - what `nn.Conv2d` computes, why its weight has the shape `[out, in, kh, kw]`, and why a
#   kernel is a *feature detector* (edges, blur) — shown on a real photo;
# - the output-size formula with padding, stride and dilation, and how to check it;
# - what a 1×1 convolution is (a per-pixel linear mix of channels) and what `groups` does to the
#   parameter count;
# - `nn.ConvTranspose2d`: its size formula and the checkerboard pattern it can leave behind;
# - max and average pooling, `MaxUnpool2d`, and adaptive pooling to a fixed size;
# - `nn.Linear` as `y = x Wᵀ + b`, and `nn.Flatten` as the bridge from feature maps to it;
# - the common activation functions, their curves and the range of their derivatives.
#
# **Target:** every output shape we predict with a formula matches what PyTorch actually
# produces.

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torchvision import transforms as T

from tools import get_device, project_root, record_metrics, set_seed, show_images, use_course_style
from tools.datasets import ensure_dataset

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## Two photos, as batches
#
# Layers in `torch.nn` work on **batches**: a 2-D convolution expects a tensor of shape
# `[N, C, H, W]` (batch, channels, height, width). We load two of the course photos, shrink them
# so everything stays fast, turn them into tensors with `ToTensor` (values 0..1) and add the batch
# dimension with `unsqueeze(0)`.
#
# - `camera.png` is a greyscale photo: one channel.
# - `chelsea.png` is a colour photo of a cat: three channels.

# %%
photos = ensure_dataset("photos")
print("photos live in:", photos.relative_to(project_root()))

camera_pil = Image.open(photos / "camera.png").convert("L").resize((128, 128), Image.BILINEAR)
cat_pil = T.Resize(128)(Image.open(photos / "chelsea.png").convert("RGB"))

camera = T.ToTensor()(camera_pil).unsqueeze(0).to(DEVICE)
cat = T.ToTensor()(cat_pil).unsqueeze(0).to(DEVICE)
print("camera batch:", tuple(camera.shape), camera.dtype)
print("cat batch   :", tuple(cat.shape), cat.dtype)

# %% [markdown]
# ## What a convolution computes
#
# `nn.Conv2d(in_channels, out_channels, kernel_size)` holds `out_channels` kernels. Each kernel
# is a small block of weights with one `kh × kw` slice **per input channel**. To produce one
# output value, the kernel is laid on the input at one position, every weight is multiplied
# with the pixel under it, across all input channels, and everything is summed, plus the bias.
# Sliding the kernel over all positions gives one output channel (a *feature map*). So:
#
# - `weight` has shape `[out_channels, in_channels, kh, kw]`: height before width;
# - `bias` has shape `[out_channels]`: one number per kernel;
# - a 3-channel input with 6 kernels of 5×5 has `6·3·5·5 + 6 = 456` parameters.
#
# (Strictly speaking PyTorch computes a *cross-correlation*: the kernel is not flipped. For
# learned kernels the difference does not matter.) Layers are created on the CPU, where the
# seeded generator draws their initial weights, and then moved to the device.

# %%
set_seed(0)
conv = nn.Conv2d(in_channels=3, out_channels=6, kernel_size=5).to(DEVICE)
print("weight shape:", tuple(conv.weight.shape), "  [out, in, kh, kw]")
print("bias shape  :", tuple(conv.bias.shape))
print("parameters  :", sum(p.numel() for p in conv.parameters()), "= 6*3*5*5 + 6 =", 6 * 3 * 5 * 5 + 6)
print("first kernel, red-channel slice:")
print(conv.weight[0, 0].detach().cpu())

# %% [markdown]
# A rectangular kernel proves the order of the last two numbers: `kernel_size=(2, 5)` is 2 rows
# high and 5 columns wide, so the output loses 1 row and 4 columns.

# %%
tall_or_wide = nn.Conv2d(1, 1, kernel_size=(2, 5)).to(DEVICE)
print("weight shape:", tuple(tall_or_wide.weight.shape))
print("input", tuple(camera.shape), "-> output", tuple(tall_or_wide(camera).shape))

# %% [markdown]
# Let us check one output value by hand: at row `i`, column `j`, output channel `c` is the sum of
# `weight[c] * input[:, :, i:i+5, j:j+5]` plus `bias[c]`.
#
# On a GPU, PyTorch by default even allows convolutions in **TensorFloat-32**, which keeps only
# about three significant decimal digits of each input to the multiplications (`set_seed` turns
# that off for this course). But even in full float32, GPU algorithms add up the products in a
# different order than the CPU, so the last digits can differ. That is why we compare floats from
# a convolution with a tolerance of 0.01, not for exact equality.

# %%
def close(a, b, tol=1e-2):
    """True when two tensors agree to within `tol` everywhere (compared on the CPU)."""
    return (a.detach().cpu() - b.detach().cpu()).abs().max().item() < tol


out = conv(cat)
c, i, j = 2, 40, 70
by_hand = (conv.weight[c] * cat[0, :, i:i + 5, j:j + 5]).sum() + conv.bias[c]
print("output shape:", tuple(out.shape))
print("by hand matches the layer:", close(out[0, c, i, j], by_hand))

# %% [markdown]
# ## A kernel is a feature detector
#
# Hand-set kernels make the idea concrete. The **Sobel** kernels respond to a change of
# brightness from left to right (`sobel_x`) or from top to bottom (`sobel_y`); a **box blur**
# averages a 3×3 neighbourhood; the **Laplacian** reacts to fine detail in any direction. We put
# all four into one `Conv2d(1, 4, 3)` by writing its weight (inside `torch.no_grad()`, because we
# are editing a parameter, not computing something to differentiate).
#
# First on a tiny picture whose left half is black and right half white: a vertical edge. Whole
# numbers in, whole numbers out: on the CPU the sums are exact. A GPU may pick a convolution
# algorithm (such as Winograd or FFT) that rounds in between and prints `3.9999` instead of `4.`,
# so we run this tiny demonstration on the CPU, with a CPU copy of the layer's weight.

# %%
sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
sobel_y = sobel_x.T
box_blur = torch.full((3, 3), 1 / 9)
laplacian = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])

detectors = nn.Conv2d(1, 4, kernel_size=3, padding=1, bias=False)
with torch.no_grad():
    detectors.weight.copy_(torch.stack([sobel_x, sobel_y, box_blur, laplacian]).unsqueeze(1))
detectors = detectors.to(DEVICE)
print("weight shape:", tuple(detectors.weight.shape))

step = torch.zeros(1, 1, 6, 6)
step[..., 3:] = 1.0
edge_maps = F.conv2d(step, detectors.weight[:2].detach().cpu())  # on the CPU; no padding: only the inside
print("input (one vertical edge):")
print(step[0, 0])
print("sobel_x response:")
print(edge_maps[0, 0])
print("sobel_y response is zero everywhere:", bool((edge_maps[0, 1] == 0).all()))

# %% [markdown]
# Now on the camera photo. `padding=1` keeps the size at 128×128. The Sobel maps light up along
# the edges of the coat and the tripod; the gradient magnitude `sqrt(gx² + gy²)` combines both
# directions; the blur loses the fine detail that the Laplacian picks out. (Feature maps have
# negative values too; each panel is scaled to its own range, dark = low, light = high.)

# %%
features = detectors(camera)
gradient = torch.sqrt(features[:, 0] ** 2 + features[:, 1] ** 2).unsqueeze(1)
print("feature maps:", tuple(features.shape))
panels = [camera[0], features[0, 0:1], features[0, 1:2], gradient[0], features[0, 2:3], features[0, 3:4]]
show_images(panels, ["camera (input)", "sobel_x", "sobel_y", "|gradient|", "box blur", "Laplacian"],
            ncols=3, size=3.2);

# %% [markdown]
# A freshly initialised layer has random kernels. Applied to the cat they already produce
# recognisable, differently filtered versions of it; training would then shape the kernels into
# detectors that are useful for the task. `Conv2d(3, 6, 5)` from above gives six maps, each
# 4 pixels shorter and 4 pixels narrower than the input (a 5×5 kernel without padding fits
# `n − 4` times along a side of `n`). The input is on the left, the six maps on the right, each
# scaled to its own range.

# %%
random_maps = conv(cat)
print("cat", tuple(cat.shape), "-> six feature maps", tuple(random_maps.shape))
fig, axes = plt.subplot_mosaic([["cat", "0", "1", "2"], ["cat", "3", "4", "5"]], figsize=(12, 4.2),
                               width_ratios=[1.6, 1, 1, 1], layout="constrained")
axes["cat"].imshow(cat[0].permute(1, 2, 0).cpu().numpy())
axes["cat"].set_title(f"cat (input), {cat.shape[2]}×{cat.shape[3]}")
for k in range(6):
    axes[str(k)].imshow(random_maps[0, k].detach().cpu().numpy(), cmap="gray")
    axes[str(k)].set_title(f"random kernel {k}: {random_maps.shape[2]}×{random_maps.shape[3]}", fontsize=9)
for axis in axes.values():
    axis.axis("off")
fig.suptitle("One Conv2d(3, 6, 5) with random weights: six differently filtered cats")
plt.show()

# %% [markdown]
# ## The output-size formula
#
# Along each spatial dimension of size `n`, a kernel of size `k` with padding `p`, stride `s` and
# dilation `d` gives
#
# $$ n_\text{out} = \left\lfloor \frac{n + 2p - d\,(k - 1) - 1}{s} \right\rfloor + 1 . $$
#
# Read it in pieces: padding adds `2p` pixels; a dilated kernel spans `d(k−1) + 1` pixels (its
# taps are `d` apart, with holes between them); the number of positions where it fits is
# `n + 2p − d(k−1)`; with stride `s` only every `s`-th position is used, hence the floor. Two
# rules of thumb follow: `k=3, p=1, s=1` keeps the size; `k=3, p=1, s=2` halves an even size.
#
# We check the formula against real layers on the cat, which is not square (128 × 192), so both
# height and width are tested. Every comparison goes into a list `shape_checks`, which we count
# at the end.

# %%
def conv_output_size(n, k, s=1, p=0, d=1):
    """Output length of a convolution (or pooling) along one dimension of length n."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


shape_checks = []
settings = [  # (kernel, stride, padding, dilation)
    (3, 1, 0, 1), (3, 1, 1, 1), (5, 1, 2, 1), (3, 2, 1, 1), (4, 2, 1, 1),
    (7, 2, 3, 1), (3, 3, 0, 1), (3, 1, 2, 2), (3, 1, 0, 4), (5, 3, 1, 2),
]
_, _, height, width = cat.shape
print(f"input H×W = {height}×{width}")
print(" k  s  p  d | formula H×W | Conv2d H×W | match")
for k, s, p, d in settings:
    layer = nn.Conv2d(3, 2, kernel_size=k, stride=s, padding=p, dilation=d).to(DEVICE)
    actual = tuple(layer(cat).shape[2:])
    predicted = (conv_output_size(height, k, s, p, d), conv_output_size(width, k, s, p, d))
    shape_checks.append(actual == predicted)
    print(f"{k:2d} {s:2d} {p:2d} {d:2d} | {predicted[0]:4d}×{predicted[1]:<5d}  | {actual[0]:4d}×{actual[1]:<5d} | {actual == predicted}")

# %% [markdown]
# Two more facts about convolutions and shapes:
#
# - `padding="same"` asks PyTorch to pad so that the output has the input's size (stride 1 only);
# - a 3-D input `[C, H, W]` is accepted as a single *unbatched* image, and the output is 3-D too.

# %%
same = nn.Conv2d(3, 2, kernel_size=5, padding="same", dilation=2).to(DEVICE)
print("padding='same':", tuple(cat.shape), "->", tuple(same(cat).shape))
print("unbatched     :", tuple(cat[0].shape), "->", tuple(conv(cat[0]).shape))

# %% [markdown]
# ## 1×1 convolutions: mixing channels per pixel
#
# With `kernel_size=1` a convolution never looks at neighbouring pixels. At every pixel it takes
# the vector of `C_in` channel values and multiplies it by a `C_out × C_in` matrix: the same
# linear layer applied at each position. That makes it the cheap way to change the number of
# channels (e.g. squeeze 64 channels to 16 before an expensive 3×3 convolution), and with an
# activation after it, it adds non-linearity without touching the spatial size.
#
# The check below writes the same computation with `torch.einsum`: for every batch item `n`,
# output channel `o` and pixel `(h, w)`, sum over input channels `i`.

# %%
set_seed(0)
mix = nn.Conv2d(8, 3, kernel_size=1).to(DEVICE)
features_8 = torch.randn(2, 8, 5, 7, generator=torch.Generator().manual_seed(1)).to(DEVICE)

weight_matrix = mix.weight[:, :, 0, 0]  # [out, in]
by_einsum = torch.einsum("oi,nihw->nohw", weight_matrix, features_8) + mix.bias.view(1, -1, 1, 1)
print("weight shape:", tuple(mix.weight.shape), "-> as a matrix", tuple(weight_matrix.shape))
print("output shape:", tuple(mix(features_8).shape))
print("1x1 conv == per-pixel matrix product (einsum):", close(mix(features_8), by_einsum))

squeeze = nn.Conv2d(64, 16, kernel_size=1)
print("64 -> 16 channels with a 1x1 conv costs", sum(p.numel() for p in squeeze.parameters()), "parameters")

# %% [markdown]
# ## Groups
#
# `groups=g` splits the input channels into `g` groups and the kernels too; each group of kernels
# sees only its own group of input channels. Both `in_channels` and `out_channels` must be
# divisible by `g`. The weight becomes `[out, in/g, kh, kw]`, so the number of weights shrinks by
# the factor `g`. With `groups = in_channels` every channel is filtered on its own: a *depthwise*
# convolution, which, followed by a 1×1 convolution, is the cheap building block of mobile
# networks.

# %%
print("groups | weight shape      | weights | 3*3*8*16 / groups")
for g in (1, 2, 4, 8):
    grouped = nn.Conv2d(8, 16, kernel_size=3, groups=g, bias=False)
    print(f"{g:6d} | {str(tuple(grouped.weight.shape)):17s} | {grouped.weight.numel():7d} | {3 * 3 * 8 * 16 // g}")

# %% [markdown]
# A grouped convolution is exactly several ordinary convolutions side by side. With `groups=2`,
# the first half of the kernels only sees the first half of the channels:

# %%
set_seed(0)
two_groups = nn.Conv2d(8, 4, kernel_size=3, groups=2).to(DEVICE)
w, b = two_groups.weight, two_groups.bias
first_half = F.conv2d(features_8[:, :4], w[:2], b[:2])
second_half = F.conv2d(features_8[:, 4:], w[2:], b[2:])
print("groups=2 == two separate convs, concatenated:",
      close(two_groups(features_8), torch.cat([first_half, second_half], dim=1)))

# %% [markdown]
# ## Transposed convolution: going up
#
# `nn.ConvTranspose2d` runs a convolution "backwards": each *input* pixel stamps a copy of the
# kernel, scaled by its value, onto the output, and overlapping stamps add up. With `stride=s`,
# the stamps are placed `s` pixels apart, so the output is about `s` times larger: it is used for
# upsampling in decoders, segmentation networks and GAN generators. Its size formula is the
# convolution formula solved for the input size:
#
# $$ n_\text{out} = (n - 1)\,s - 2p + d\,(k - 1) + \text{output\_padding} + 1 . $$
#
# `output_padding` (smaller than the stride or the dilation) adds rows/columns at one side. It
# exists because a strided convolution maps several input sizes to the same output size (7 and 8
# both become 4 with `k=3, s=2, p=1`); going back up, it says which of them to produce. Note that
# the weight of a transposed convolution is stored as `[in, out, kh, kw]`: in and out swapped.

# %%
def conv_transpose_output_size(n, k, s=1, p=0, d=1, output_padding=0):
    """Output length of a transposed convolution along one dimension of length n."""
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


up = nn.ConvTranspose2d(in_channels=8, out_channels=3, kernel_size=4)
print("ConvTranspose2d(8, 3, 4) weight shape:", tuple(up.weight.shape), "  [in, out, kh, kw]")

small = features_8[:, :, :5, :5]  # a 5x5 input, 8 channels
print(" k  s  p  d  op | formula | ConvTranspose2d | match")
for k, s, p, d, op in [(3, 1, 0, 1, 0), (2, 2, 0, 1, 0), (3, 2, 0, 1, 0), (3, 2, 1, 1, 1),
                       (4, 2, 1, 1, 0), (5, 3, 2, 1, 2), (3, 2, 1, 2, 1)]:
    layer = nn.ConvTranspose2d(8, 3, kernel_size=k, stride=s, padding=p, dilation=d,
                               output_padding=op).to(DEVICE)
    actual = tuple(layer(small).shape[2:])
    predicted = (conv_transpose_output_size(5, k, s, p, d, op),) * 2
    shape_checks.append(actual == predicted)
    print(f"{k:2d} {s:2d} {p:2d} {d:2d} {op:3d} | {predicted[0]:3d}×{predicted[1]:<3d} | {actual[0]:7d}×{actual[1]:<7d} | {actual == predicted}")

# %% [markdown]
# ### The checkerboard artifact
#
# When the kernel size is not a multiple of the stride, the stamps overlap **unevenly**. Take a
# constant image of ones, a 3×3 kernel of ones and stride 2: some output pixels are covered by one
# stamp, some by two, some by four. The result is a grid pattern although the input has no
# structure at all. This is the checkerboard artifact seen in images made by generators. A kernel
# of 4 with stride 2 (4 is divisible by 2) covers the inside evenly; so does upsampling first
# (`nn.Upsample`) and then applying an ordinary convolution. The counts are whole numbers, so, as
# with the edge detector, we compute them on the CPU, where they come out exact.

# %%
def all_ones_transpose(k, s, p=0):
    """A ConvTranspose2d(1, 1) with a kernel of ones, kept on the CPU."""
    layer = nn.ConvTranspose2d(1, 1, kernel_size=k, stride=s, padding=p, bias=False)
    nn.init.ones_(layer.weight)
    return layer


flat = torch.ones(1, 1, 4, 4)
uneven = all_ones_transpose(3, 2)(flat).detach()
even = all_ones_transpose(4, 2, p=1)(flat).detach()
print("k=3, s=2 on a 4x4 image of ones ->", tuple(uneven.shape[2:]))
print(uneven[0, 0])
print("k=4, s=2, p=1 ->", tuple(even.shape[2:]), "(only the border differs)")
print(even[0, 0])

# %%
big_flat = torch.ones(1, 1, 8, 8)
fig, axes = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
for axis, (k, s, p) in zip(axes, [(3, 2, 0), (4, 2, 1)]):
    image = all_ones_transpose(k, s, p)(big_flat)[0, 0].detach().cpu()
    shown = axis.imshow(image, cmap="magma", vmin=0, vmax=4)
    axis.set(title=f"kernel {k}, stride {s}, padding {p}", xlabel="column", ylabel="row",
             xticks=range(0, image.shape[1], 4), yticks=range(0, image.shape[0], 4))
    axis.grid(False)
fig.colorbar(shown, ax=axes, shrink=0.8, ticks=range(5), label="number of overlapping stamps")
fig.suptitle("Transposed convolution of a constant image")
plt.show()

# %% [markdown]
# ## Pooling: summarise a neighbourhood
#
# Pooling slides a window like a convolution but has no weights: `MaxPool2d` keeps the largest
# value in each window, `AvgPool2d` the mean. It shrinks feature maps (fewer computations later)
# and makes the result a little insensitive to small shifts. The stride defaults to the kernel
# size, so `MaxPool2d(2)` halves height and width. On a small tensor of whole numbers the values
# are easy to follow:

# %%
grid_4x4 = torch.tensor([[1.0, 3.0, 2.0, 0.0],
                         [5.0, 4.0, 1.0, 6.0],
                         [0.0, 2.0, 3.0, 9.0],
                         [8.0, 1.0, 7.0, 2.0]]).view(1, 1, 4, 4).to(DEVICE)
print("input:")
print(grid_4x4[0, 0].cpu())
print("MaxPool2d(2):")
print(nn.MaxPool2d(2)(grid_4x4)[0, 0].cpu())
print("AvgPool2d(2):")
print(nn.AvgPool2d(2)(grid_4x4)[0, 0].cpu())
print("MaxPool2d(3, stride=1) (overlapping windows):")
print(nn.MaxPool2d(3, stride=1)(grid_4x4)[0, 0].cpu())

# %% [markdown]
# Pooling uses the same size formula as a convolution (with `s = k` by default). With
# `ceil_mode=True` it rounds up instead of down, so a last, partial window at the right or bottom
# edge is kept, with one exception: a window that would *start* in the right-hand padding (it
# would see no real pixel) is dropped again. `pool_output_size` writes both rules down, and we
# check it against real pooling layers on the cat. The row `(3, 3, 1, ceil_mode=True)` is the
# exception at work: rounding up gives 44 rows, but the 44th window would start at row
# 43·3 = 129 of the padded picture, in the padding (rows 1 to 128 are the image), so PyTorch keeps 43.

# %%
def pool_output_size(n, k, s=None, p=0, ceil_mode=False):
    """Output length of MaxPool2d / AvgPool2d along one dimension (stride defaults to the kernel size)."""
    s = k if s is None else s
    if not ceil_mode:
        return conv_output_size(n, k, s, p)
    out = math.ceil((n + 2 * p - k) / s) + 1
    if (out - 1) * s >= n + p:   # the last window would start in the right-hand padding
        out -= 1
    return out


print("layer                               | formula H×W | actual H×W | match")
for k, s, p, ceil in [(2, 2, 0, False), (3, 2, 1, False), (3, 3, 0, False), (3, 3, 0, True), (5, 2, 2, True),
                      (3, 3, 1, True)]:
    for name, layer in [("MaxPool2d", nn.MaxPool2d(k, s, p, ceil_mode=ceil)),
                        ("AvgPool2d", nn.AvgPool2d(k, s, p, ceil_mode=ceil))]:
        actual = tuple(layer(cat).shape[2:])
        predicted = (pool_output_size(height, k, s, p, ceil), pool_output_size(width, k, s, p, ceil))
        shape_checks.append(actual == predicted)
        label = f"{name}({k}, {s}, {p}, ceil_mode={ceil})"
        print(f"{label:35s} | {predicted[0]:4d}×{predicted[1]:<5d}  | {actual[0]:4d}×{actual[1]:<5d} | {actual == predicted}")

# %% [markdown]
# On the photo, both shrink 128×128 to 32×32. The max pool keeps the brightest pixel of each
# 4×4 block, so bright things spread: the thin, light tripod legs stay clearly visible (even a
# little thicker), while thin dark details between bright ones disappear. The average pool mixes
# each leg with the darker grass around it, so the legs fade, and everything is evenly blurred.

# %%
pooled = [camera[0], nn.MaxPool2d(4)(camera)[0], nn.AvgPool2d(4)(camera)[0]]
print([tuple(image.shape) for image in pooled])
show_images(pooled, ["input 128×128", "MaxPool2d(4): 32×32", "AvgPool2d(4): 32×32"], ncols=3, size=2.6);

# %% [markdown]
# ### MaxUnpool: putting the maxima back
#
# With `return_indices=True`, max pooling also says *where* each maximum came from (as a flat
# index into each `H × W` plane). `nn.MaxUnpool2d` uses these indices to put every maximum back at
# its place and fills the rest with zeros: a rough inverse that decoders (e.g. SegNet) use for
# upsampling.

# %%
pool_with_indices = nn.MaxPool2d(2, return_indices=True)
maxima, indices = pool_with_indices(grid_4x4)
restored = nn.MaxUnpool2d(2)(maxima, indices)
print("maxima:")
print(maxima[0, 0].cpu())
print("indices (row * 4 + column):")
print(indices[0, 0].cpu())
print("unpooled:")
print(restored[0, 0].cpu())

# %% [markdown]
# ### Adaptive pooling: a fixed output size
#
# `AdaptiveAvgPool2d(output_size)` and `AdaptiveMaxPool2d` take the *output* size and choose the
# windows themselves, so any input size comes out the same. That is how modern classifiers accept
# photos of any size: `AdaptiveAvgPool2d(1)` turns each feature map into one number (global
# average pooling) just before the linear layer. Window `i` of `m` along a side of `n` runs from
# row `⌊i·n/m⌋` up to (not including) `⌈(i+1)·n/m⌉`. When `n` is a multiple of `m`, that is
# plain pooling with kernel = stride = `n/m`; otherwise the windows differ in size or overlap:
# for 5 → 2, rows 0–2 and 2–4 (row 2 is in both).

# %%
adaptive = nn.AdaptiveAvgPool2d((2, 2))
print("AdaptiveAvgPool2d((2, 2)) on the 4x4 grid equals AvgPool2d(2):",
      torch.equal(adaptive(grid_4x4), nn.AvgPool2d(2)(grid_4x4)))
grid_5x5 = torch.arange(25.0).view(1, 1, 5, 5).to(DEVICE)
print("a 5x5 grid:")
print(grid_5x5[0, 0].cpu())
print("AdaptiveAvgPool2d((2, 2)):")
print(adaptive(grid_5x5)[0, 0].cpu())
for size in [(128, 128), (128, 192), (97, 61)]:
    image = torch.zeros(1, 3, *size).to(DEVICE)
    result = tuple(nn.AdaptiveAvgPool2d((4, 4))(image).shape)
    shape_checks.append(result == (1, 3, 4, 4))
    print(f"input {size} -> AdaptiveAvgPool2d((4, 4)) -> {result}")

# %% [markdown]
# ## Linear layers: `y = x Wᵀ + b`
#
# `nn.Linear(in_features, out_features)` stores `weight` with shape `[out_features, in_features]`
# and `bias` with shape `[out_features]`, and computes `y = x Wᵀ + b` for each row `x` of the
# batch. Every output is connected to every input, hence "fully connected". It works on the
# **last** dimension only, so extra leading dimensions are simply carried along. The printed
# values are computed on the CPU (a GPU's matrix product may round the last digit differently);
# the check then runs the same layer on the device.

# %%
set_seed(0)
linear = nn.Linear(4, 3)
x = torch.randn(2, 4, generator=torch.Generator().manual_seed(2))
print("weight", tuple(linear.weight.shape), " bias", tuple(linear.bias.shape))
print("y = layer(x), on the CPU:")
print(linear(x).detach())
y_cpu = linear(x)
linear, x = linear.to(DEVICE), x.to(DEVICE)
print("y == x @ W.T + b:", close(linear(x), x @ linear.weight.T + linear.bias, tol=1e-5))
print("the device gives the same y (to 1e-5):", close(linear(x), y_cpu, tol=1e-5))
print("leading dimensions are kept:", tuple(torch.zeros(2, 5, 4).to(DEVICE).shape), "->",
      tuple(linear(torch.zeros(2, 5, 4).to(DEVICE)).shape))

# %% [markdown]
# ## Flatten: from feature maps to a vector
#
# Between the last convolution/pooling block and the first linear layer, each image's
# `[C, H, W]` feature maps must become one vector of `C·H·W` numbers. `nn.Flatten()` does that and
# keeps the batch dimension (it flattens from `start_dim=1`). Careful: the function
# `torch.flatten(x)` starts at dimension 0 and would merge the whole batch into one vector.

# %%
maps = torch.zeros(8, 16, 5, 5)
print("nn.Flatten()        :", tuple(maps.shape), "->", tuple(nn.Flatten()(maps).shape))
print("torch.flatten(x)    :", tuple(maps.shape), "->", tuple(torch.flatten(maps).shape))
print("torch.flatten(x, 1) :", tuple(maps.shape), "->", tuple(torch.flatten(maps, 1).shape))
print("nn.Unflatten(1, (16, 5, 5)) undoes it:", tuple(nn.Unflatten(1, (16, 5, 5))(nn.Flatten()(maps)).shape))

# %% [markdown]
# The formula tells us `in_features` of the first linear layer *before* running anything. For a
# LeNet-style network on 32×32 colour images: 32 → conv 5 → 28 → pool 2 → 14 → conv 5 → 10 →
# pool 2 → 5, with 16 channels, so `16·5·5 = 400` inputs. We compute this with
# `conv_output_size`, build the network with it, and print each layer's output shape.

# %%
side = 32
for k, s in [(5, 1), (2, 2), (5, 1), (2, 2)]:
    side = conv_output_size(side, k, s)
in_features = 16 * side * side
print("predicted side after the feature extractor:", side, "-> in_features =", in_features)

set_seed(0)
lenet = nn.Sequential(
    nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(in_features, 120), nn.ReLU(), nn.Linear(120, 10),
).to(DEVICE)

activation = torch.zeros(4, 3, 32, 32).to(DEVICE)
for layer in lenet:
    activation = layer(activation)
    print(f"{layer.__class__.__name__:10s} -> {tuple(activation.shape)}")
shape_checks.append(tuple(activation.shape) == (4, 10))

# %% [markdown]
# ## Activation functions
#
# Stacking linear layers and convolutions without anything in between gives again just one linear
# map. A non-linear **activation** after each layer is what lets a network represent curved
# decision boundaries. The choice also decides how gradients flow backwards: during
# backpropagation every layer multiplies the gradient by the activation's derivative, so a
# derivative that is small over a wide range shrinks the gradient layer after layer (*vanishing
# gradients*).
#
# | activation | formula (for x ≥ 0 / x < 0 where it differs) | notes |
# |---|---|---|
# | `Sigmoid` | 1 / (1 + e^(−x)) | output in (0, 1); derivative at most 0.25 |
# | `Tanh` | (e^x − e^(−x)) / (e^x + e^(−x)) | output in (−1, 1), zero-centred; derivative at most 1 |
# | `ReLU` | x / 0 | cheap, no saturation for x > 0; "dead" for x < 0 |
# | `LeakyReLU(a)` | x / a·x | small slope `a` (default 0.01) keeps a gradient for x < 0 |
# | `PReLU` | x / a·x | like LeakyReLU but `a` is a learned parameter (starts at 0.25) |
# | `RReLU(l, u)` | x / a·x | `a` drawn from U(l, u) in training; (l + u)/2 in evaluation |
# | `ELU(α)` | x / α(e^x − 1) | smooth, negative outputs push the mean towards 0 |
# | `SELU` | λx / λα(e^x − 1) | fixed λ ≈ 1.0507, α ≈ 1.6733: self-normalising |
# | `GELU`, `SiLU` | x·Φ(x), x·σ(x) | smooth ReLU-like curves used in transformers |
# | `Softplus` | log(1 + e^x) | a smooth version of ReLU |
#
# We evaluate all of them on `x` from −6 to 6 in steps of 0.01 (on the CPU), and get their
# derivatives from autograd: since each output depends only on its own input, the gradient of
# `y.sum()` with respect to `x` is exactly `f'(x)` at every point.

# %%
activations = {
    "Sigmoid": nn.Sigmoid(),
    "Tanh": nn.Tanh(),
    "ReLU": nn.ReLU(),
    "LeakyReLU(0.1)": nn.LeakyReLU(0.1),
    "PReLU (a=0.25)": nn.PReLU(),
    "RReLU (eval)": nn.RReLU().eval(),
    "ELU": nn.ELU(),
    "SELU": nn.SELU(),
    "GELU": nn.GELU(),
    "SiLU": nn.SiLU(),
    "Softplus": nn.Softplus(),
}
xs = torch.arange(-600, 601) / 100  # -6.00 ... 6.00, exactly 0 in the middle
curves, slopes = {}, {}
for name, function in activations.items():
    x_grad = xs.clone().requires_grad_(True)
    y = function(x_grad)
    (dy_dx,) = torch.autograd.grad(y.sum(), x_grad)
    curves[name], slopes[name] = y.detach(), dy_dx

print(f"{'activation':15s} | {'f min':>8s} {'f max':>8s} | {'f′ min':>7s} {'f′ max':>7s} | f′(0)")
for name in activations:
    y, dy = curves[name], slopes[name]
    print(f"{name:15s} | {y.min():8.4f} {y.max():8.4f} | {dy.min():7.4f} {dy.max():7.4f} | {dy[600]:.4f}")

# %% [markdown]
# Read the table: the sigmoid's slope is never above **0.25** (at 0) and tanh's never above
# **1**, and both fall towards 0 for large |x|: ten sigmoid layers can shrink a gradient by
# `0.25¹⁰ ≈ 1e−6`. ReLU's slope is exactly 0 or 1 (PyTorch uses 0 at x = 0); the leaky variants
# keep a small slope on the left; SELU's slope is λ ≈ 1.0507 on the right and up to λα ≈ 1.7581
# just left of 0; GELU and SiLU dip slightly below zero. The curves and their derivatives:

# %%
def plot_grid(values, title, ylabel):
    fig, axes = plt.subplots(3, 4, figsize=(12, 7.5))
    for axis, name in zip(axes.flat, activations):
        axis.plot(xs, values[name], color="tab:blue")
        axis.axhline(0, color="black", linewidth=0.6)
        axis.axvline(0, color="black", linewidth=0.6)
        axis.set(title=name, xlabel="x", ylabel=ylabel)
    axes.flat[-1].axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()


plot_grid(curves, "Activation functions f(x)", "f(x)")

# %%
plot_grid(slopes, "Their derivatives f′(x), computed with autograd", "f′(x)")

# %% [markdown]
# `RReLU` is random only in training mode: each element gets its own slope drawn uniformly from
# `[lower, upper] = [1/8, 1/3]`. `PReLU`'s slope is a parameter, so it shows up in
# `parameters()` and the optimizer changes it.

# %%
set_seed(0)
rrelu = nn.RReLU()  # training mode by default
negative = -torch.ones(10000)
train_slopes = rrelu(negative) / negative
print("RReLU training slopes lie in [1/8, 1/3]:",
      bool(((train_slopes >= 1 / 8) & (train_slopes <= 1 / 3)).all()))
print("and they vary:", train_slopes.std().item() > 0.05)
print("RReLU evaluation slope (1/8 + 1/3) / 2 =", round(rrelu.eval()(negative[:1]).item() / -1, 4))
print("PReLU parameters:", [tuple(p.shape) for p in nn.PReLU().parameters()],
      "| one per channel:", [tuple(p.shape) for p in nn.PReLU(num_parameters=6).parameters()])

# %% [markdown]
# ## Target: shapes match the formulas
#
# Every formula-versus-layer comparison of this lesson (convolutions, transposed convolutions,
# pooling with and without `ceil_mode`, adaptive pooling, and the LeNet pipeline) is in
# `shape_checks`.

# %%
passed = sum(shape_checks)
print(f"shape checks passed: {passed} of {len(shape_checks)}")
print("target met (all output shapes match the formulas):", passed == len(shape_checks))
record_metrics("07_layers", shape_checks=passed);

# %% [markdown]
# ## Common mistakes
#
# **The input has a different number of channels than the layer expects.** A layer built for
# colour images (3 channels) gets the greyscale camera photo (1 channel). The message names the
# weight shape and the input shape: compare the second number of the weight with the channel
# count of the input.

# %% tags=["raises-exception"]
colour_conv = nn.Conv2d(3, 8, kernel_size=3).to(DEVICE)
colour_conv(camera)

# %% [markdown]
# **The kernel is larger than the (padded) input.** After a few poolings, feature maps get small;
# a 5×5 kernel does not fit into a 2×2 map, even with `padding=1` (4×4).

# %% tags=["raises-exception"]
tiny = nn.AdaptiveAvgPool2d(2)(camera)  # [1, 1, 2, 2]
nn.Conv2d(1, 1, kernel_size=5, padding=1).to(DEVICE)(tiny)

# %% [markdown]
# **The linear layer's `in_features` do not match the flattened size.** Here someone assumed the
# feature maps are 4×4 instead of 5×5. The message shows the two matrix shapes: `(batch × 400)`
# from the flattened input and `(256 × 120)` for `Wᵀ`. The fix is to compute `in_features` with the
# output-size formula (or to run one dummy batch and read the shape).

# %% tags=["raises-exception"]
head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 120)).to(DEVICE)
head(torch.zeros(2, 16, 5, 5).to(DEVICE))

# %% [markdown]
# ## Exercises
#
# **07.1** A ResNet-style network starts with `Conv2d(3, 64, 7, stride=2, padding=3)`, then
# `MaxPool2d(3, stride=2, padding=1)`, then `Conv2d(64, 64, 3, padding=1)`, then
# `Conv2d(64, 128, 3, stride=2, padding=1)`. For a 224×224 input, put the side length after each
# of the four layers into the list `resnet_sides` (four integers). Work them out with the formula
# (by hand or with `conv_output_size`) before running anything; the check accepts any way of
# getting the numbers, so running the four layers on a zero tensor is fine to confirm them.

# %%
### BEGIN SOLUTION
resnet_sides = []
n = 224
for k, s, p in [(7, 2, 3), (3, 2, 1), (3, 1, 1), (3, 2, 1)]:
    n = conv_output_size(n, k, s, p)
    resnet_sides.append(n)
print(resnet_sides)
### END SOLUTION

# %%
from tools import check_exercise


def check_resnet_sides(answer):
    import torch
    from torch import nn

    resnet_sides = answer
    stem = [nn.Conv2d(3, 64, 7, stride=2, padding=3), nn.MaxPool2d(3, stride=2, padding=1),
            nn.Conv2d(64, 64, 3, padding=1), nn.Conv2d(64, 128, 3, stride=2, padding=1)]
    assert isinstance(resnet_sides, (list, tuple)) and all(type(side) is int for side in resnet_sides), (
        f"resnet_sides should be a list of four Python ints, got {resnet_sides!r}")
    assert len(resnet_sides) == 4, f"expected 4 side lengths, got {len(resnet_sides)}"
    activation = torch.zeros(1, 3, 224, 224)
    with torch.no_grad():
        for number, (layer, side) in enumerate(zip(stem, resnet_sides), start=1):
            activation = layer(activation)
            assert side == activation.shape[-1], (
                f"after layer {number} the side is {activation.shape[-1]}, not {side}")


check_exercise("07.1", check_resnet_sides, points=1, answer=lambda: resnet_sides)

# %% [markdown]
# **07.2** Design a convolution `halver` from 3 to 8 channels that halves the height and width of
# any input with even sides (128×192 → 64×96, 32×32 → 16×16, ...). Choose `kernel_size`, `stride`
# and `padding`; use a kernel of at least 5×5, so the rule of thumb for 3×3 above does not apply
# as it stands: work out the padding from the output-size formula. The answer loads weights of its
# own choosing into a copy of `halver` and runs it on random inputs; the check recomputes the
# convolution from the layer's settings and tries more sizes with them.

# %%
### BEGIN SOLUTION
halver = nn.Conv2d(3, 8, kernel_size=5, stride=2, padding=2).to(DEVICE)  # (n + 4 - 5) // 2 + 1 = n / 2 for even n
### END SOLUTION

# %%
def check_halver(answer):
    import torch
    import torch.nn.functional as F

    keys = {"weight", "bias", "stride", "padding", "dilation", "padding_mode", "outputs"}
    assert isinstance(answer, dict) and set(answer) == keys, f"halver failed: {answer}"
    weight, bias = answer["weight"], answer["bias"]
    assert type(weight) is torch.Tensor and weight.dtype == torch.float32 and weight.dim() == 4, "halver.weight should be a float32 [out, in, kh, kw] tensor"
    assert weight.shape[:2] == (8, 3), f"weight shape {tuple(weight.shape)}: use 3 input and 8 output channels"
    kernel_size = tuple(weight.shape[2:])
    assert min(kernel_size) >= 5, f"kernel {kernel_size} is smaller than 5x5"
    g = torch.Generator().manual_seed(72)                     # the weights and inputs halver_answer chose
    assert torch.equal(weight, torch.randn(8, 3, *kernel_size, generator=g) / 5), "halver.weight is not what halver_answer loaded"
    expected_bias = torch.randn(8, generator=g)
    assert bias is None or (type(bias) is torch.Tensor and bias.shape == (8,) and torch.equal(bias, expected_bias)), \
        "halver.bias is not what halver_answer loaded"
    settings = {}
    for name, smallest in [("stride", 1), ("padding", 0), ("dilation", 1)]:
        value = answer[name]
        assert isinstance(value, tuple) and len(value) == 2 and all(type(v) is int and v >= smallest for v in value), \
            f"halver.{name} should be a pair of ints >= {smallest}, got {value!r}"
        settings[name] = value
    mode = answer["padding_mode"]
    assert mode in ("zeros", "reflect", "replicate", "circular"), f"unknown padding_mode {mode!r}"

    def conv(x):                                               # Conv2d's computation, written with functions
        (ph, pw) = settings["padding"]
        if mode != "zeros":
            x, settings_here = F.pad(x, (pw, pw, ph, ph), mode=mode), {**settings, "padding": (0, 0)}
        else:
            settings_here = settings
        return F.conv2d(x, weight, bias, **settings_here)

    sizes = [(128, 192), (32, 32), (6, 10), (224, 224)]      # the inputs halver_answer feeds, in this order
    outputs = answer["outputs"]
    assert isinstance(outputs, list) and len(outputs) == len(sizes), "expected one output per input size"
    for (h, w), got in zip(sizes, outputs, strict=True):
        x = torch.randn(1, 3, h, w, generator=g)
        assert type(got) is torch.Tensor and got.dtype == torch.float32, f"the output for {h}x{w} is not a float32 tensor"
        assert got.shape == (1, 8, h // 2, w // 2), f"{h}x{w} gave {tuple(got.shape[2:])}, not {h // 2}x{w // 2}"
        want = conv(x)
        assert want.shape == got.shape, f"a Conv2d with {settings} does not give {tuple(got.shape)} for {h}x{w}"
        err = (got - want).abs().max().item()
        assert err <= 1e-4, f"the output for {h}x{w} is not halver's convolution (off by {err:.3g})"
    for h, w in [(16, 24), (8, 14), (50, 36)]:                # more even sides, run by the check itself
        shape = tuple(conv(torch.zeros(1, 3, h, w)).shape[2:])
        assert shape == (h // 2, w // 2), f"with {settings}, {h}x{w} gives {shape}, not {h // 2}x{w // 2}"


def halver_answer():
    import copy

    g = torch.Generator().manual_seed(72)
    layer = copy.deepcopy(halver).cpu()
    with torch.no_grad():                                      # weights of the answer's choosing
        layer.weight.copy_(torch.randn(layer.weight.shape, generator=g) / 5)
        bias = torch.randn(8, generator=g)
        if layer.bias is not None:
            layer.bias.copy_(bias)
    facts = {"weight": layer.weight, "bias": layer.bias}
    facts |= {name: getattr(layer, name) for name in ("stride", "padding", "dilation", "padding_mode")}
    facts["outputs"] = [layer(torch.randn(1, 3, h, w, generator=g)) for h, w in [(128, 192), (32, 32), (6, 10), (224, 224)]]
    return facts


check_exercise("07.2", check_halver, points=1, answer=halver_answer)

# %% [markdown]
# **07.3** Adaptive pooling chooses its windows from the output size; a plain `nn.MaxPool2d`
# needs you to spell them out. Write `plain_pool(in_size, out_size)` that returns an
# `nn.MaxPool2d` (not an adaptive layer) giving exactly what `nn.AdaptiveMaxPool2d(out_size)`
# gives on maps of size `in_size`. Both sizes are `(H, W)` tuples. Along each side, the input
# length `n` is either a multiple of the output length `m` (`n = s·m`) or one more than a multiple
# (`n = s·m + 1`), and the two sides may need different windows. Use the window rule of the
# adaptive-pooling section (window `i` runs from `⌊i·n/m⌋` up to `⌈(i+1)·n/m⌉`) to find the
# kernel size and stride in both cases. The check rebuilds a `MaxPool2d` from your layer's
# settings, compares it with adaptive pooling on random maps of several sizes, and compares your
# layer's own outputs (on those maps and on larger ones) with the rebuilt layer's.

# %%
### BEGIN SOLUTION
def plain_pool(in_size, out_size):
    kernel, stride = [], []
    for n, m in zip(in_size, out_size):
        s = n // m
        stride.append(s)
        kernel.append(s if n % m == 0 else s + 1)  # n = s·m + 1: each window is one longer than the stride
    return nn.MaxPool2d(tuple(kernel), tuple(stride))
### END SOLUTION

# %%
def check_plain_pool(answer):
    import torch
    from torch import nn

    cases = [((128, 192), (4, 6)), ((5, 5), (2, 2)), ((9, 12), (4, 4)), ((13, 6), (4, 3)), ((7, 8), (3, 8))]  # as plain_pool_answer
    assert isinstance(answer, list) and len(answer) == len(cases), "expected one result per case"
    generator = torch.Generator().manual_seed(3)
    for (in_size, out_size), facts in zip(cases, answer, strict=True):
        label = f"plain_pool({in_size}, {out_size})"
        x = torch.randn(2, 3, *in_size, generator=generator)
        x_larger = torch.randn(2, 3, in_size[0] + 5, in_size[1] + 7, generator=generator)
        keys = {"kernel_size", "stride", "padding", "dilation", "ceil_mode", "output", "output on a larger map"}
        assert isinstance(facts, dict) and set(facts) == keys, f"{label} failed: {facts}"
        settings = {}
        for name, smallest in [("kernel_size", 1), ("stride", 1), ("padding", 0), ("dilation", 1)]:
            value = facts[name]
            value = (value, value) if type(value) is int else tuple(value) if isinstance(value, list) else value
            assert isinstance(value, tuple) and len(value) == 2 and all(type(v) is int and v >= smallest for v in value), \
                f"{label}: {name} should be an int or a pair of ints >= {smallest} (is it an nn.MaxPool2d?), got {facts[name]!r}"
            settings[name] = value
        assert type(facts["ceil_mode"]) is bool, f"{label}: ceil_mode should be a bool, got {facts['ceil_mode']!r}"
        settings["ceil_mode"] = facts["ceil_mode"]
        want = nn.AdaptiveMaxPool2d(out_size)(x)
        try:
            rebuilt = nn.MaxPool2d(**settings)
            got, got_larger = rebuilt(x), rebuilt(x_larger)
        except (RuntimeError, TypeError, ValueError) as error:
            raise AssertionError(f"{label}: MaxPool2d with {settings} fails on a {in_size} input: {error}") from None
        assert tuple(got.shape) == tuple(want.shape), \
            f"{label}: MaxPool2d with {settings} gives {tuple(got.shape[2:])}, not {out_size}"
        assert torch.equal(got, want), \
            f"{label}: MaxPool2d with {settings} has the right output size but other windows than adaptive pooling"
        for key, expected in [("output", got), ("output on a larger map", got_larger)]:
            value = facts[key]
            assert type(value) is torch.Tensor and value.dtype == torch.float32 and value.shape == expected.shape \
                and torch.equal(value, expected), f"{label}: the layer's {key} is not what a MaxPool2d with {settings} gives"


def plain_pool_answer():
    results = []
    generator = torch.Generator().manual_seed(3)
    for in_size, out_size in [((128, 192), (4, 6)), ((5, 5), (2, 2)), ((9, 12), (4, 4)), ((13, 6), (4, 3)), ((7, 8), (3, 8))]:
        x = torch.randn(2, 3, *in_size, generator=generator)
        x_larger = torch.randn(2, 3, in_size[0] + 5, in_size[1] + 7, generator=generator)  # shows stride and ceil_mode
        try:
            pool = plain_pool(in_size, out_size)
            facts = {name: getattr(pool, name, None) for name in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
            facts["output"], facts["output on a larger map"] = pool(x), pool(x_larger)
        except Exception as error:  # noqa: BLE001 - reported by the check
            facts = f"{type(error).__name__}: {error}"
        results.append(facts)
    return results


check_exercise("07.3", check_plain_pool, points=2, answer=plain_pool_answer)

# %% [markdown]
# ## Summary
#
# - `Conv2d(in, out, k)`: weight `[out, in, kh, kw]`, bias `[out]`; each kernel sums over all input
#   channels, and learned kernels become feature detectors such as the edge filters above.
# - Output size: `⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1`; `k=3, p=1` keeps the size, adding `s=2` halves it.
# - 1×1 convolutions mix channels per pixel; `groups=g` divides the weights by `g` (depthwise when
#   `g = in_channels`).
# - `ConvTranspose2d` upsamples: `(n − 1)s − 2p + d(k − 1) + output_padding + 1`; a kernel not
#   divisible by the stride leaves a checkerboard.
# - Pooling (max/avg) shrinks with the same formula (`ceil_mode=True` rounds up, but drops a window
#   that would start in the padding); `MaxUnpool2d` puts maxima back; adaptive pooling fixes the
#   output size and picks the windows itself.
# - `Linear`: `y = x Wᵀ + b` with `W` of shape `[out, in]`; `nn.Flatten()` keeps the batch dimension.
# - Activations add non-linearity; their derivatives (sigmoid ≤ 0.25, tanh ≤ 1, ReLU 0 or 1) decide
#   how well gradients flow.
# - Next: lesson 08 shows how the initial weights of these layers decide whether signals explode or vanish.
