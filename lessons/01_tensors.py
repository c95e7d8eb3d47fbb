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
# # 01 · Tensors: creating, selecting, reshaping and computing
#
# Everything in PyTorch — images, labels, weights, gradients — is a tensor. This lesson is a
# tour of the operations you will use in every later lesson, each shown on numbers small enough
# to check by hand.
#
# **What you will learn**
#
# 1. how to create tensors from data, NumPy arrays, fill values, ranges and random draws;
# 2. which dtypes exist, what they cost, and how values change when you convert between them;
# 3. how to select elements: indexing, `masked_select`, `index_select`, `where`, `clamp`, `nonzero`;
# 4. how to join and split tensors: `cat` versus `stack`, `chunk` and `split`;
# 5. how to change a tensor's shape, and which operations share memory (`view`, `transpose`,
#    `expand`) and which copy (`contiguous`, `repeat`);
# 6. element-wise math, `mm` versus `matmul`, and sorting (`sort`, `topk`, `max` along a dim);
# 7. `gather` and `scatter_` — picking one value per row and building one-hot matrices;
# 8. the broadcasting rules;
# 9. memory: `clone` versus `detach` versus `copy_`, and in-place `_` operations.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from tools import get_device, record_metrics, set_seed, use_course_style

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## 1 · Creating tensors
#
# ### From data: `torch.tensor` copies, `torch.from_numpy` shares
#
# `torch.tensor(data)` always **copies** the data it is given and infers a dtype: Python ints
# become `int64`, Python floats become `float32`. `torch.from_numpy(array)` instead wraps the
# NumPy array's memory without copying and keeps NumPy's dtype (`float64` by default). Sharing is
# fast, but it means a change on one side shows up on the other.

# %%
a = torch.tensor([[1, 2, 3], [4, 5, 6]])
b = torch.tensor([0.5, 1.5])
print(a, a.dtype, tuple(a.shape))
print(b, b.dtype)

# %%
array = np.array([1.0, 2.0, 3.0])
shared = torch.from_numpy(array)
copied = torch.tensor(array)
array[0] = 100.0  # change the NumPy array after the tensors were made
print("from_numpy:", shared)
print("tensor:    ", copied)

# %% [markdown]
# The way back works the same: `tensor.numpy()` on a CPU tensor returns an array that shares
# the tensor's memory. (For a tensor on the GPU, bring it back first: `tensor.cpu().numpy()`.)

# %%
t = torch.zeros(3)
as_array = t.numpy()
t[1] = 7.0
print(as_array)

# %% [markdown]
# ### Filled tensors: `zeros`, `ones`, `full` and their `_like` twins
#
# The `_like` versions take an existing tensor and copy its **shape, dtype and device** — not
# its values. They are the easiest way to make a buffer that matches something you already have.

# %%
print(torch.zeros(2, 3))
print(torch.ones(2, dtype=torch.int64))
print(torch.full((2, 2), 3.5))

# %%
template = torch.tensor([[1, 2, 3], [4, 5, 6]])  # int64, shape (2, 3)
print(torch.zeros_like(template))
print(torch.full_like(template, 9))
print(torch.ones_like(template, dtype=torch.float32))

# %% [markdown]
# ### Ranges and the identity matrix
#
# | function | what you give | end included? |
# |---|---|---|
# | `arange(start, end, step)` | a step size | no (like Python's `range`) |
# | `linspace(start, end, steps)` | how many points | yes |
# | `logspace(start, end, steps, base=10)` | exponents, evenly spaced | yes |
# | `eye(n, m)` | the size | — (ones on the diagonal) |

# %%
print(torch.arange(0, 10, 3))
print(torch.arange(1.0, 2.0, 0.25))
print(torch.linspace(0, 1, 5))
print(torch.logspace(0, 3, 4))
print(torch.eye(2, 3))

# %% [markdown]
# ### Random tensors
#
# Every random function accepts a `generator=`. As in lesson 00, we draw from a seeded CPU
# generator so the numbers below are the same on every machine; move the result to the device
# afterwards if you need it there.
#
# `torch.normal` comes in **four forms**, depending on whether the mean and the standard deviation
# are tensors or plain numbers:
#
# | mean | std | result shape |
# |---|---|---|
# | tensor | tensor | their common shape: one draw per (mean, std) pair |
# | tensor | number | the shape of `mean` |
# | number | tensor | the shape of `std` |
# | number | number | you must pass `size=` |

# %%
g = torch.Generator().manual_seed(0)
means = torch.tensor([0.0, 10.0, 100.0])
stds = torch.tensor([0.1, 1.0, 10.0])
print(torch.normal(means, stds, generator=g))
print(torch.normal(means, 1.0, generator=g))
print(torch.normal(5.0, stds, generator=g))
print(torch.normal(0.0, 1.0, size=(2, 3), generator=g))

# %% [markdown]
# The other samplers, all with the same seeded generator:
#
# - `randn` — standard normal (mean 0, std 1);
# - `rand` — uniform on [0, 1);
# - `randint(low, high, size)` — integers from `low` to `high - 1`;
# - `randperm(n)` — a random order of `0 … n-1` (how a data loader shuffles);
# - `bernoulli(p)` — 1 with probability `p`, else 0, one draw per entry of `p`.

# %%
g = torch.Generator().manual_seed(0)
print(torch.randn(2, 3, generator=g))
print(torch.rand(2, 3, generator=g))
print(torch.randint(0, 10, (2, 5), generator=g))
print(torch.randperm(8, generator=g))
print(torch.bernoulli(torch.tensor([0.0, 0.5, 0.5, 0.5, 1.0]), generator=g))

# %% [markdown]
# `randn_like`, `rand_like` and `randint_like` exist too. With many draws the sample statistics
# approach the distribution's: a picture makes the difference between `rand` and `randn` obvious.

# %%
g = torch.Generator().manual_seed(1)
uniform = torch.rand(10_000, generator=g)
gaussian = torch.randn(10_000, generator=g)

fig, axes = plt.subplots(1, 2, figsize=(9, 3))
axes[0].hist(uniform.numpy(), bins=40, color="tab:blue")
axes[0].set(title="torch.rand: uniform on [0, 1)", xlabel="value", ylabel="count")
axes[1].hist(gaussian.numpy(), bins=40, color="tab:orange")
axes[1].set(title="torch.randn: normal(0, 1)", xlabel="value", ylabel="count")
plt.show()

# %%
print(f"rand  mean {uniform.mean().item():.2f} (expected 0.50), std {uniform.std().item():.2f} (expected 0.29)")
print(f"randn mean {gaussian.mean().item():.2f} (expected 0.00), std {gaussian.std().item():.2f} (expected 1.00)")

# %% [markdown]
# ## 2 · Dtypes and conversions
#
# A dtype fixes how many bytes each element takes and which values it can hold. Models train in
# `float32` (the default float); labels and indices are `int64` (`torch.long`); masks are `bool`;
# images on disk are `uint8`. Half precision (`float16`, `bfloat16`) saves memory on GPUs.

# %%
dtypes = [torch.float64, torch.float32, torch.float16, torch.bfloat16,
          torch.int64, torch.int32, torch.uint8, torch.bool]
print(f"{'dtype':<16}{'bytes':>6}  {'float?':<7} range / precision")
for dtype in dtypes:
    size = torch.empty(0, dtype=dtype).element_size()
    if dtype.is_floating_point:
        info = torch.finfo(dtype)
        detail = f"max {info.max:.3g}, eps {info.eps:.3g}"
    elif dtype == torch.bool:
        detail = "False / True"
    else:
        info = torch.iinfo(dtype)
        detail = f"{info.min} … {info.max}"
    print(f"{str(dtype):<16}{size:>6}  {str(dtype.is_floating_point):<7} {detail}")

# %% [markdown]
# Converting: `.to(dtype)` or the short forms `.float()`, `.double()`, `.long()`, `.int()`,
# `.bool()`. Watch what happens to values:
#
# - float → int **truncates toward zero** (it does not round);
# - anything → bool is `True` for every non-zero value;
# - `uint8` arithmetic **wraps around** at 256.

# %%
values = torch.tensor([-1.7, -0.5, 0.0, 0.5, 1.7])
print(values.long())
print(values.round().long())
print(values.bool())
print(torch.tensor([250], dtype=torch.uint8) + 10)

# %% [markdown]
# When two dtypes meet in one operation, PyTorch promotes to the "larger" kind: integer with float
# gives float, `float32` with `float64` gives `float64`. Dividing two integer tensors with `/`
# gives a float (true division); use `//` for integer division.

# %%
ints = torch.tensor([1, 2, 3])
print((ints + torch.tensor([0.5, 0.5, 0.5])).dtype)
print((torch.ones(1, dtype=torch.float32) + torch.ones(1, dtype=torch.float64)).dtype)
print(ints / 2, ints // 2)

# %% [markdown]
# To leave PyTorch: `.item()` for a single number, `.tolist()` for nested Python lists,
# `.numpy()` for an array.

# %%
scalar = torch.tensor(3.25)
print(scalar.item(), type(scalar.item()).__name__)
print(torch.tensor([[1, 2], [3, 4]]).tolist())

# %% [markdown]
# ## 3 · Selecting elements
#
# ### Indexing and slicing
#
# Indexing works like NumPy. Slices (`a:b:step`) return **views** that share memory with the
# original; indexing with a list or tensor of positions (advanced indexing) returns a **copy**.

# %%
t = torch.arange(12).reshape(3, 4)
print(t)
print(t[1], t[:, 2], t[-1, -1])
print(t[1:, ::2])
print(t[[0, 2]])

# %%
view_of_row = t[0]           # basic indexing: a view
copy_of_rows = t[[0]]        # advanced indexing: a copy
view_of_row[0] = -1
copy_of_rows[0, 1] = -2
print(t[0])

# %% [markdown]
# ### Masks, `masked_select`, `index_select`
#
# Comparisons (`>`, `t.ge(5)`, `t.lt(3)`, …) give `bool` tensors. Indexing with a mask, or
# `torch.masked_select`, returns the selected values as a **1-D** tensor, because the kept
# elements no longer form a rectangle. `index_select(dim, index)` keeps whole rows or columns.

# %%
t = torch.arange(12).reshape(3, 4)
mask = t % 3 == 0
print(mask)
print(torch.masked_select(t, mask))
print(t[mask])

# %%
print(torch.index_select(t, dim=1, index=torch.tensor([0, 3])))
print(t.index_select(0, torch.tensor([2, 0])))

# %% [markdown]
# ### `where`, `clamp`, `nonzero`
#
# - `torch.where(cond, a, b)` takes `a` where `cond` is true, else `b` — an element-wise if/else;
# - `clamp(min, max)` cuts values into a range (`clamp(min=0)` is ReLU);
# - `nonzero()` lists the coordinates of the non-zero (or `True`) entries, one row per entry.

# %%
x = torch.tensor([[-2.0, 0.5], [3.0, -0.1]])
print(torch.where(x > 0, x, torch.zeros_like(x)))
print(x.clamp(min=-1.0, max=1.0))
print(x.clamp(min=0))

# %%
print((x > 0).nonzero())
print(torch.nonzero(x > 0, as_tuple=True))

# %% [markdown]
# ## 4 · Joining and splitting
#
# `torch.cat` glues tensors along an **existing** dimension (all other sizes must match).
# `torch.stack` first adds a **new** dimension, then glues along it (all shapes must match).
# Stacking 32 images of shape `(3, H, W)` gives a batch `(32, 3, H, W)`.

# %%
a = torch.zeros(2, 3)
b = torch.ones(2, 3)
print(torch.cat([a, b], dim=0).shape, torch.cat([a, b], dim=1).shape)
print(torch.stack([a, b], dim=0).shape, torch.stack([a, b], dim=2).shape)
print(torch.cat([a, b], dim=1))

# %% [markdown]
# The reverse: `chunk(n)` cuts into `n` pieces (the last one may be smaller); `split(size)` cuts
# into pieces of a given size, or into sizes you list. Both return views.

# %%
v = torch.arange(10)
print(v.chunk(3))
print(v.split(4))
print(v.split([2, 3, 5]))

# %% [markdown]
# ## 5 · Changing shape
#
# ### `reshape` and `view`
#
# A tensor is a block of memory plus a **shape** and **strides** (how many elements to skip to
# move one step along each dimension). `view` only changes shape and strides, so it shares memory
# and never copies. One size may be `-1`: PyTorch works it out.

# %%
x = torch.arange(6)
y = x.view(2, 3)
print(y, y.stride())
print(x.reshape(-1, 2))
y[0, 0] = 100
print(x)

# %% [markdown]
# ### `transpose`, `permute` and `contiguous`
#
# `transpose(d0, d1)` swaps two dimensions, `permute(dims)` reorders all of them (e.g. an image
# stored as `(H, W, C)` becomes `(C, H, W)` for PyTorch). Both only swap strides: the result is a
# view whose elements are no longer in row-major order, i.e. **not contiguous**. `view` refuses
# such tensors (see *Common mistakes*); `.contiguous()` makes a row-major copy, and `reshape`
# copies only when it has to.

# %%
m = torch.arange(6).reshape(2, 3)
mt = m.transpose(0, 1)
print(mt)
print("strides", m.stride(), mt.stride(), "contiguous:", m.is_contiguous(), mt.is_contiguous())
print(mt.contiguous().is_contiguous(), mt.reshape(6))

# %%
image_hwc = torch.zeros(28, 32, 3)
print(image_hwc.permute(2, 0, 1).shape)
print(torch.zeros(2, 3, 5).permute(2, 0, 1).shape)

# %% [markdown]
# ### `squeeze`, `unsqueeze`, `narrow`
#
# `unsqueeze(d)` inserts a dimension of size 1 (e.g. to turn one sample into a batch of one);
# `squeeze(d)` removes size-1 dimensions (all of them when no `d` is given).
# `narrow(dim, start, length)` is a slice written as a function call.

# %%
sample = torch.zeros(28, 28)
batch = sample.unsqueeze(0).unsqueeze(0)
print(batch.shape, batch.squeeze(0).shape, batch.squeeze().shape)
print(torch.zeros(3, 1, 2).unsqueeze(-1).shape)

# %%
m = torch.tensor([[1, 2, 3], [4, 5, 6]])
print(m.narrow(1, 1, 2))

# %% [markdown]
# ### `expand`, `repeat`, `repeat_interleave`
#
# `expand` makes a size-1 dimension look bigger **without copying** (its stride becomes 0);
# `repeat` really copies the data. `repeat_interleave` repeats each element in place, which is
# different from repeating the whole tensor.

# %%
col = torch.tensor([[1], [2]])                 # shape (2, 1)
expanded = col.expand(2, 3)
repeated = col.repeat(1, 3)
print(expanded)
print("strides:", expanded.stride(), repeated.stride(), "equal:", torch.equal(expanded, repeated))

# %%
r = torch.tensor([1, 2, 3])
print(r.repeat(2))
print(r.repeat_interleave(2))
print(r.repeat_interleave(torch.tensor([1, 0, 3])))
print(torch.tensor([[1, 2], [3, 4]]).repeat_interleave(2, dim=1))

# %% [markdown]
# ## 6 · Math
#
# Element-wise operations (`+ - * /`, `pow`, `exp`, `log`, …) work on tensors of the same shape,
# or shapes that broadcast (section 8). The computations in this section run on `DEVICE`; we
# bring results back with `.cpu()` to print them.
#
# A few functions fuse a scale into the operation — optimizers use them for their updates:
#
# - `torch.add(a, b, alpha=s)` computes `a + s * b`;
# - `torch.addcmul(x, t1, t2, value=s)` computes `x + s * t1 * t2`;
# - `torch.addcdiv(x, t1, t2, value=s)` computes `x + s * t1 / t2`.

# %%
a = torch.tensor([1.0, 2.0, 3.0]).to(DEVICE)
b = torch.tensor([10.0, 20.0, 30.0]).to(DEVICE)
print(torch.add(a, b, alpha=0.5).cpu())
print(torch.addcmul(a, a, b, value=0.5).cpu())
print(torch.addcdiv(a, b, a, value=0.5).cpu())

# %% [markdown]
# `pow`, `exp` and `log` (natural logarithm; `log2` and `log10` exist too) are element-wise.
# Functions like `exp` and `log` are computed by different code on a CPU and on a GPU and may
# differ in the last binary digit, so we round them to 4 decimals before printing.

# %%
x = torch.tensor([0.0, 1.0, 2.0]).to(DEVICE)
y = torch.tensor([1.0, 10.0, 100.0]).to(DEVICE)
print(x.pow(2).cpu(), x.pow(0.5).cpu().round(decimals=4))
print(torch.exp(x).cpu().round(decimals=4))
print(torch.log(y).cpu().round(decimals=4), torch.log10(y).cpu().round(decimals=4))

# %% [markdown]
# ### `mm` versus `matmul`
#
# `*` multiplies element by element; `@` (`torch.matmul`) is the matrix product.
#
# - `torch.mm` accepts **only two 2-D matrices** `(n, k) @ (k, m)`;
# - `torch.matmul` also handles vectors and **broadcasts batch dimensions**: `(b, n, k) @ (k, m)`
#   multiplies each of the `b` matrices by the same right-hand matrix.

# %%
A = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).to(DEVICE)
B = torch.tensor([[5.0, 6.0], [7.0, 8.0]]).to(DEVICE)
print((A * B).cpu())
print(torch.mm(A, B).cpu())
print(torch.equal(torch.mm(A, B), A @ B))

# %%
batch = torch.arange(24.0).reshape(4, 2, 3).to(DEVICE)
W = torch.ones(3, 5).to(DEVICE)
vec = torch.tensor([1.0, -1.0]).to(DEVICE)
print((batch @ W).shape)
print((vec @ A).cpu(), (A @ vec).cpu())

# %% [markdown]
# ## 7 · Sorting and reductions along a dimension
#
# Reductions like `max`, `sum` or `mean` take a `dim`: the dimension that **disappears**.
# For a `(rows, cols)` tensor, `dim=1` gives one result per row. `max(dim=...)`, `sort` and `topk`
# return two tensors: the values and their indices. `keepdim=True` keeps the reduced dimension
# with size 1, which is handy for broadcasting afterwards.

# %%
scores = torch.tensor([[3.0, 9.0, 1.0, 7.0],
                       [8.0, 2.0, 6.0, 4.0]]).to(DEVICE)
values, indices = scores.sort(dim=1, descending=True)
print(values.cpu(), indices.cpu(), sep="\n")

# %%
top = scores.topk(2, dim=1)
print(top.values.cpu(), top.indices.cpu(), sep="\n")
best = scores.max(dim=1)
print(best.values.cpu(), best.indices.cpu())
print(scores.max().item(), scores.argmax(dim=0).cpu())
print(scores.sum(dim=0).shape, scores.sum(dim=0, keepdim=True).shape)

# %% [markdown]
# ## 8 · `gather` and `scatter_`
#
# `gather(dim, index)` picks values along `dim` at the given positions. For `dim=1`:
# `out[i][j] = input[i][index[i][j]]`, so `index` has the output's shape. The classic use: pick each
# sample's predicted probability of its **true class** — the heart of the cross-entropy loss.

# %%
probs = torch.tensor([[0.1, 0.7, 0.2],
                      [0.6, 0.3, 0.1],
                      [0.2, 0.2, 0.6],
                      [0.3, 0.4, 0.3]]).to(DEVICE)
target = torch.tensor([1, 0, 2, 1]).to(DEVICE)
picked = probs.gather(1, target.unsqueeze(1))
print(picked.cpu())
print("mean negative log-probability:", round(-picked.log().mean().item(), 3))

# %% [markdown]
# `scatter_(dim, index, value)` is the reverse: it **writes** `value` at the given positions
# (for `dim=1`: `out[i][index[i][j]] = value`). Writing a 1 at each label's column of a zero matrix
# builds a **one-hot** matrix, the same as `F.one_hot`.

# %%
labels = torch.tensor([2, 0, 3, 1, 3, 4, 0, 2])
one_hot = torch.zeros(len(labels), 5).to(DEVICE)
one_hot.scatter_(1, labels.unsqueeze(1).to(DEVICE), 1.0)
print(one_hot.cpu())
print(torch.equal(one_hot.cpu(), F.one_hot(labels, num_classes=5).float()))

# %%
fig, ax = plt.subplots(figsize=(4, 4))
ax.imshow(one_hot.cpu().numpy(), cmap="Blues")
ax.set_xticks(range(5))
ax.set_yticks(range(len(labels)), [f"sample {i}: label {k}" for i, k in enumerate(labels.tolist())])
ax.set(title="one-hot matrix built with scatter_", xlabel="class")
ax.grid(False)
plt.show()

# %% [markdown]
# ## 9 · Broadcasting
#
# Two tensors of different shapes can be combined element-wise when their shapes are
# **compatible**. PyTorch compares the shapes **from the right**:
#
# 1. if one tensor has fewer dimensions, size-1 dimensions are added on its left;
# 2. in each position the two sizes must be equal, or one of them must be 1;
# 3. a size-1 dimension is stretched to the other size (virtually, without copying — like `expand`).
#
# | shape of a | shape of b | result |
# |---|---|---|
# | `(3, 1)` | `(1, 4)` | `(3, 4)` |
# | `(2, 3)` | `(3,)` | `(2, 3)` |
# | `(8, 1, 5)` | `(7, 1)` | `(8, 7, 5)` |
# | `(2, 3)` | `(2,)` | error: 3 vs 2 |

# %%
print(torch.broadcast_shapes((3, 1), (1, 4)))
print(torch.broadcast_shapes((2, 3), (3,)))
print(torch.broadcast_shapes((8, 1, 5), (7, 1)))

# %%
column = torch.tensor([[0.0], [10.0], [20.0]])      # (3, 1)
row = torch.tensor([[1.0, 2.0, 3.0, 4.0]])          # (1, 4)
table = column + row
print(table)

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3), gridspec_kw={"width_ratios": [1, 4, 4]})
panels = [(column, "column (3, 1)"), (row, "row (1, 4)"), (table, "column + row (3, 4)")]
for ax, (data, title) in zip(axes, panels):
    ax.imshow(data.numpy(), cmap="viridis", vmin=0, vmax=24, aspect="equal")
    for (i, j), value in np.ndenumerate(data.numpy()):
        ax.text(j, i, f"{value:g}", ha="center", va="center", color="white")
    ax.set(title=title, xticks=[], yticks=[], xlabel="dim 1", ylabel="dim 0")
    ax.grid(False)
fig.suptitle("broadcasting stretches size-1 dimensions")
plt.show()

# %% [markdown]
# A typical use: centring the columns of a data matrix. The mean has shape `(3,)` and lines up
# with the last dimension of `(4, 3)`.

# %%
data = torch.tensor([[1.0, 10.0, 100.0],
                     [2.0, 20.0, 200.0],
                     [3.0, 30.0, 300.0],
                     [4.0, 40.0, 400.0]])
print(data - data.mean(dim=0))

# %% [markdown]
# ## 10 · Memory: views, copies and in-place operations
#
# Three ways to get "another" tensor from `x`, and what they share (lesson 02 explains the
# computation graph in depth):
#
# | operation | new memory? | gradient flows back to `x`? | result `requires_grad` |
# |---|---|---|---|
# | `y = x` | no — the same object | — | — |
# | `x.view(...)`, slicing | no — shares `x`'s memory | yes | like `x` |
# | `x.clone()` | yes | yes (`CloneBackward0`) | like `x` |
# | `x.detach()` | no — shares `x`'s memory | no | `False` |
# | `x.detach().clone()` | yes | no | `False` |
# | `y.copy_(x)` | no — overwrites `y`'s existing memory (casting dtype/device if needed) | yes (`CopyBackwards`) | `True` if `x` requires grad |
#
# `x.data` is an older, unsafe form of `detach()`: prefer `detach()`.

# %%
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
cloned = x.clone()
detached = x.detach()
buffer = torch.zeros(3, dtype=torch.float64)
buffer.copy_(x)
for name, y in [("clone", cloned), ("detach", detached), ("copy_", buffer)]:
    grad_fn = type(y.grad_fn).__name__ if y.grad_fn is not None else None
    shares = y.data_ptr() == x.data_ptr()
    print(f"{name:<7} shares memory: {shares!s:<5} requires_grad: {y.requires_grad!s:<5} grad_fn: {grad_fn}")

# %% [markdown]
# Because `detach()` shares memory, writing into the detached tensor changes `x` itself;
# the clone and the buffer keep their own values:

# %%
detached[0] = 100.0
print(x)
print(cloned)
print(buffer)

# %% [markdown]
# ### In-place operations end with `_`
#
# `add_`, `mul_`, `clamp_`, `zero_`, `fill_`, `copy_`, `scatter_` … modify the tensor they are
# called on instead of returning a new one: no extra memory, but the old values are gone, and every
# view of that memory sees the change. `x += 1` is in place too; `x = x + 1` makes a new tensor and
# re-binds the name.

# %%
x = torch.tensor([1.0, -2.0, 3.0])
view = x[:2]
address = x.data_ptr()
x.mul_(10).clamp_(min=0)
x += 1
print(x, view, "same memory:", x.data_ptr() == address)
x = x + 1
print(x, view, "same memory:", x.data_ptr() == address)

# %% [markdown]
# ## Checkpoint: exact values
#
# The target of this lesson is that every operation gives exactly the value you can work out by
# hand. Each line below computes something with PyTorch and compares it with the hand-computed
# answer using `torch.equal` (same shape, same dtype, same values).

# %%
checks = {
    "arange(0, 10, 3)": torch.equal(torch.arange(0, 10, 3), torch.tensor([0, 3, 6, 9])),
    "linspace(0, 1, 5)": torch.equal(torch.linspace(0, 1, 5), torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0])),
    "logspace(0, 2, 3)": torch.equal(torch.logspace(0, 2, 3), torch.tensor([1.0, 10.0, 100.0])),
    "float -> long truncates": torch.equal(torch.tensor([-1.7, 1.7]).long(), torch.tensor([-1, 1])),
    "masked_select": torch.equal(torch.masked_select(torch.arange(6), torch.arange(6) > 3), torch.tensor([4, 5])),
    "where": torch.equal(torch.where(torch.tensor([-1, 2]) > 0, 1, 0), torch.tensor([0, 1])),
    "cat / stack shapes": torch.cat([torch.ones(2, 3)] * 2).shape == (4, 3)
    and torch.stack([torch.ones(2, 3)] * 2).shape == (2, 2, 3),
    "chunk sizes": [len(c) for c in torch.arange(10).chunk(3)] == [4, 4, 2],
    "transpose": torch.equal(torch.arange(6).reshape(2, 3).t(), torch.tensor([[0, 3], [1, 4], [2, 5]])),
    "repeat_interleave": torch.equal(torch.tensor([1, 2]).repeat_interleave(2), torch.tensor([1, 1, 2, 2])),
    "add with alpha": torch.equal(torch.add(torch.tensor([1, 2]), torch.tensor([3, 4]), alpha=2), torch.tensor([7, 10])),
    "addcmul": torch.equal(torch.addcmul(torch.ones(2), torch.tensor([2.0, 3.0]), torch.tensor([4.0, 5.0]), value=0.5),
                           torch.tensor([5.0, 8.5])),
    "matmul 2x2": torch.equal(A.cpu() @ B.cpu(), torch.tensor([[19.0, 22.0], [43.0, 50.0]])),
    "topk": torch.equal(torch.tensor([3, 9, 1, 7]).topk(2).values, torch.tensor([9, 7])),
    "max along dim 1": torch.equal(scores.max(dim=1).indices.cpu(), torch.tensor([1, 0])),
    "gather": torch.equal(picked.squeeze(1).cpu(), torch.tensor([0.7, 0.6, 0.6, 0.4])),
    "scatter_ one-hot": torch.equal(torch.zeros(2, 3).scatter_(1, torch.tensor([[2], [0]]), 1.0),
                                    torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])),
    "broadcast (3,1)+(1,4)": torch.equal(table[2], torch.tensor([21.0, 22.0, 23.0, 24.0])),
}
for name, ok in checks.items():
    print(f"{name:<25} {ok}")
checks_passed = sum(checks.values())
print(f"target met (all {len(checks)} exact values match): {checks_passed == len(checks)}")
record_metrics("01_tensors", checks_passed=checks_passed, checks_total=len(checks))

# %% [markdown]
# ## Common mistakes
#
# The errors below are real; read the messages, they usually say exactly what is wrong. They are
# run on CPU tensors (the same mistakes fail the same way on a GPU).
#
# **1. `view` on a non-contiguous tensor.** After `transpose` or `permute` the elements are no
# longer in row-major order, and `view` cannot reinterpret them without copying.

# %% tags=["raises-exception"]
transposed = torch.arange(6).reshape(2, 3).t()
transposed.view(6)

# %% [markdown]
# The fix: `transposed.contiguous().view(6)`, or simply `reshape`, which copies when needed.

# %%
print(transposed.contiguous().view(6), transposed.reshape(6))

# %% [markdown]
# **2. `cat` with mismatched shapes.** Every dimension except the one you concatenate along
# must have the same size.

# %% tags=["raises-exception"]
torch.cat([torch.zeros(2, 3), torch.zeros(2, 4)], dim=0)

# %% [markdown]
# Here the tensors agree in dimension 0, so `dim=1` works: the result has shape `(2, 7)`.

# %%
print(torch.cat([torch.zeros(2, 3), torch.zeros(2, 4)], dim=1).shape)

# %% [markdown]
# **3. `mm` with incompatible shapes.** The inner sizes must agree: `(n, k) @ (k, m)`.
# `(2, 3) @ (2, 3)` does not; you probably meant to transpose one of them.

# %% tags=["raises-exception"]
torch.mm(torch.ones(2, 3), torch.ones(2, 3))

# %% [markdown]
# **4. `mm` does not broadcast.** A batch of matrices needs `matmul` (or `@`).

# %% tags=["raises-exception"]
torch.mm(torch.ones(4, 2, 3), torch.ones(3, 5))

# %% [markdown]
# **5. Mixing an integer tensor with a float tensor in a matrix product.** `arange` of integers
# gives `int64`; matrix multiplication does not promote dtypes the way `+` does.

# %% tags=["raises-exception"]
torch.arange(6).reshape(2, 3) @ torch.ones(3, 2)

# %% [markdown]
# Convert one side first: `.float()`.

# %%
print(torch.arange(6).reshape(2, 3).float() @ torch.ones(3, 2))

# %% [markdown]
# **6. Shapes that do not broadcast.** `(2, 3) + (2,)` lines up `3` with `2` (shapes are compared
# from the right). To add one value per **row**, make the second tensor a column `(2, 1)`.

# %% tags=["raises-exception"]
torch.ones(2, 3) + torch.tensor([10.0, 20.0])

# %%
print(torch.ones(2, 3) + torch.tensor([10.0, 20.0]).unsqueeze(1))

# %% [markdown]
# **7. `expand` on a dimension that is not of size 1.** Only size-1 dimensions can be
# stretched; to copy real data use `repeat`.

# %% tags=["raises-exception"]
torch.ones(2, 3).expand(4, 3)

# %% [markdown]
# ## Exercises
#
# **01.1 One-hot with `scatter_`.** Build `one_hot_labels`, a `float32` tensor of shape `(6, 4)`
# whose row `i` is all zeros except for a 1 in column `class_ids[i]`. Use `torch.zeros` and
# `scatter_` (not `F.one_hot`).

# %%
class_ids = torch.tensor([3, 1, 0, 3, 2, 1])

### BEGIN SOLUTION
one_hot_labels = torch.zeros(len(class_ids), 4).scatter_(1, class_ids.unsqueeze(1), 1.0)
### END SOLUTION

# %%
from tools import check_exercise


def check_one_hot(one_hot_labels):
    import torch
    import torch.nn.functional as F

    class_ids = torch.tensor([3, 1, 0, 3, 2, 1])
    assert isinstance(one_hot_labels, torch.Tensor), "one_hot_labels must be a tensor"
    assert one_hot_labels.shape == (6, 4), f"expected shape (6, 4), got {tuple(one_hot_labels.shape)}"
    assert one_hot_labels.dtype == torch.float32, f"expected float32, got {one_hot_labels.dtype}"
    assert torch.equal(one_hot_labels.sum(dim=1), torch.ones(6)), "every row must contain exactly one 1"
    assert torch.equal(one_hot_labels.argmax(dim=1), class_ids), "the 1 of row i must sit in column class_ids[i]"
    assert torch.equal(one_hot_labels, F.one_hot(class_ids, 4).float()), "values other than 0 and 1 found"


check_exercise("01.1", check_one_hot, points=1, answer=lambda: one_hot_labels)

# %% [markdown]
# **01.2 One value per row with `gather`.** `logits` holds scores for 5 samples and 6 classes.
# Using `gather`, make `true_class_scores`, a 1-D tensor of length 5 with `logits[i, truth[i]]`.

# %%
g = torch.Generator().manual_seed(12)
logits = torch.randn(5, 6, generator=g).to(DEVICE)
truth = torch.tensor([5, 0, 2, 2, 4]).to(DEVICE)

### BEGIN SOLUTION
true_class_scores = logits.gather(1, truth.unsqueeze(1)).squeeze(1)
print(true_class_scores.cpu())
### END SOLUTION

# %%
def check_gather(true_class_scores):
    import torch

    g = torch.Generator().manual_seed(12)
    logits = torch.randn(5, 6, generator=g)
    truth = torch.tensor([5, 0, 2, 2, 4])
    assert isinstance(true_class_scores, torch.Tensor), "true_class_scores must be a tensor"
    assert true_class_scores.shape == (5,), f"expected shape (5,), got {tuple(true_class_scores.shape)}: squeeze the gathered column"
    expected = torch.stack([logits[i, truth[i]] for i in range(5)])
    assert torch.equal(true_class_scores, expected), "values differ from logits[i, truth[i]]"


check_exercise("01.2", check_gather, points=1, answer=lambda: true_class_scores)

# %% [markdown]
# **01.3 A pairwise-distance matrix by broadcasting.** `points_a` has 5 points and `points_b`
# 3 points in the plane. Without a Python loop, compute `distances` of shape `(5, 3)` with
# `distances[i, j]` = Euclidean distance between `points_a[i]` and `points_b[j]`.
# Hint: give the two tensors shapes `(5, 1, 2)` and `(1, 3, 2)`, subtract, then reduce the last
# dimension.

# %%
points_a = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0], [-2.0, 0.0], [6.0, 8.0]]).to(DEVICE)
points_b = torch.tensor([[0.0, 0.0], [3.0, 0.0], [-3.0, -4.0]]).to(DEVICE)

### BEGIN SOLUTION
differences = points_a.unsqueeze(1) - points_b.unsqueeze(0)
distances = differences.pow(2).sum(dim=-1).sqrt()
print(distances.cpu())
### END SOLUTION

# %%
def check_distances(answer):
    import torch

    distances = answer["distances"]
    assert isinstance(distances, torch.Tensor), "distances must be a tensor"
    assert distances.shape == (5, 3), f"expected shape (5, 3), got {tuple(distances.shape)}"
    assert answer["device"] == answer["chosen"], "keep the computation on DEVICE"
    points_a = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0], [-2.0, 0.0], [6.0, 8.0]])
    points_b = torch.tensor([[0.0, 0.0], [3.0, 0.0], [-3.0, -4.0]])
    by_hand = torch.tensor([5.0, 4.0, 10.0])  # distances from (3, 4) to the three points of b
    assert torch.allclose(distances[1], by_hand), f"row 1 should be {by_hand.tolist()}, got {distances[1].tolist()}"
    reference = torch.cdist(points_a, points_b)
    assert torch.allclose(distances, reference, atol=1e-5), "some distances differ from torch.cdist"


def distances_answer():
    device = distances.device.type if torch.is_tensor(distances) else None
    return {"distances": distances, "device": device, "chosen": DEVICE.type}


check_exercise("01.3", check_distances, points=2, answer=distances_answer)

# %% [markdown]
# ## Summary
#
# - **Create** with `tensor` (copies) or `from_numpy` (shares memory); `zeros/ones/full` and
#   their `_like` twins; `arange` (end excluded), `linspace`/`logspace` (end included), `eye`;
#   random tensors from a seeded `torch.Generator`, `normal` in its four mean/std forms.
# - **Dtypes**: `float32` for data and weights, `int64` for labels and indices, `bool` for masks;
#   float → int truncates; mixed operations promote.
# - **Select** with slices (views), index lists (copies), masks and `masked_select` (1-D),
#   `index_select`, `where`, `clamp`, `nonzero`.
# - **Join** with `cat` (existing dim) or `stack` (new dim); **split** with `chunk` or `split`.
# - **Reshape** with `view` (contiguous only) or `reshape`; `transpose/permute` make
#   non-contiguous views; `expand` is free, `repeat` copies; `repeat_interleave` repeats elements.
# - **Math**: `add(alpha=)`, `addcmul`, `addcdiv`; `mm` is strictly 2-D, `matmul` broadcasts.
#   `sort`, `topk` and `max(dim=)` return values *and* indices.
# - **`gather`** reads one value per row, **`scatter_`** writes them (one-hot).
# - **Broadcasting** aligns shapes from the right; sizes must match or be 1.
# - **Memory**: `clone` copies and stays in the graph, `detach` shares memory and leaves it,
#   `copy_` writes into existing memory; a trailing `_` means in place.
# - Next: lesson 02 follows gradients through these operations with autograd.
