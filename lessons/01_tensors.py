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
# 5. how to change a tensor's shape, which operations share memory (`view`, `transpose`,
#    `expand`) and which copy (`repeat`, and `contiguous` when it has to), and when `view` works;
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
# The reverse:
#
# - `chunk(n)` makes every piece `ceil(length / n)` long, the last one shorter if needed. It
#   returns **at most** `n` pieces, and can return fewer: 6 elements in 4 chunks means pieces of
#   2, and three of those already use up all 6 elements.
# - `tensor_split(n)` always returns exactly `n` pieces, whose sizes differ by at most 1.
# - `split(size)` cuts into pieces of a given size, or into the sizes you list.
#
# All of them return views, not copies.

# %%
v = torch.arange(10)
print(v.chunk(3))
pieces = torch.arange(6).chunk(4)
print(pieces, "->", len(pieces), "pieces, not 4")
print(torch.arange(6).tensor_split(4))
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
# view whose elements are no longer in row-major order, i.e. **not contiguous**. `.contiguous()`
# makes a row-major copy of such a tensor (and returns the tensor itself when it already is
# contiguous); `reshape` copies only when it has to.

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
# ### When does `view` work?
#
# `view` never copies, so it must describe the new shape with new strides over the **same**
# memory. Being contiguous is not required. Read the old dimensions from left to right: when a
# dimension's stride equals the size × stride of the next one, the two follow each other in
# memory, and together they form one contiguous *run* that a single stride can walk. A view may
# regroup the dimensions inside each run however it likes: split one, merge several, or both at
# once. It fails only when a new dimension would have to span the boundary between two runs.
#
# A contiguous tensor is one single run, so every view of it works. `(2, 3, 4)` → `(4, 6)` is
# neither a split of one old dimension nor a merge of whole ones (each new row of 6 takes one and
# a half old rows of 4), and it is still a view.
#
# Keeping the first 4 columns of a `(4, 6)` matrix gives a non-contiguous `(4, 4)` view with
# strides `(6, 1)`. Since 6 ≠ 4 × 1, rows and columns are two runs: inside a row the 4 numbers are
# neighbours in memory, but between two rows there is a gap of 2 numbers that belong to the
# dropped columns. Cutting every row into `2 × 2` stays inside the column run, so `view(4, 2, 2)`
# works and shares memory (so would `view(2, 2, 4)`, which groups the rows in pairs). Flattening
# all 16 numbers needs one dimension that crosses from one row to the next, over a gap; no single
# stride can express that: `view(16)` fails, and `reshape` copies.

# %%
cube = torch.arange(24).reshape(2, 3, 4)  # contiguous: one run of 24 numbers
regrouped = cube.view(4, 6)
print("(2, 3, 4) -> view(4, 6), strides:", regrouped.stride(), "| row 1:", regrouped[1].tolist())

wide = torch.arange(24).reshape(4, 6)
left = wide[:, :4]                       # (4, 4), strides (6, 1): not contiguous
print("contiguous:", left.is_contiguous(), "| strides:", left.stride())
blocks = left.view(4, 2, 2)              # splits each row: a view of the same memory
print("view(4, 2, 2) works, strides:", blocks.stride(), "| shares memory:", blocks.data_ptr() == left.data_ptr())
flat = left.reshape(16)                  # view(16) would fail (see Common mistakes); reshape copies
print("reshape(16) shares memory:", flat.data_ptr() == left.data_ptr())

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
# **1. `view` to a shape the strides cannot express.** A transposed `(3, 2)` matrix has strides
# `(1, 3)`: reading it row by row jumps back and forth in memory, so no single stride can walk
# all 6 elements in that order, and `view(6)` fails. (`left.view(16)` from section 5 fails with the
# same message.) The message's *contiguous subspaces* are the runs of memory that one stride can
# step through; the dimension you asked for would span two of them.

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
# `mat1` and `mat2` are the two arguments in order, and their shapes are written `rows x columns`.
# The product needs mat1's last size (3) to equal mat2's first size (2). `torch.ones(2, 3) @
# torch.ones(2, 3).T`, of shape `(2, 3) @ (3, 2)`, would work.

# %% [markdown]
# **4. `mm` does not broadcast.** A batch of matrices needs `matmul` (or `@`).

# %% tags=["raises-exception"]
torch.mm(torch.ones(4, 2, 3), torch.ones(3, 5))

# %% [markdown]
# `self` is the first argument: it has 3 dimensions, and `mm` takes 2-D matrices only.
# `torch.ones(4, 2, 3) @ torch.ones(3, 5)` broadcasts and gives `(4, 2, 5)`.

# %% [markdown]
# **5. Mixing an integer tensor with a float tensor in a matrix product.** `arange` of integers
# gives `int64`; matrix multiplication does not promote dtypes the way `+` does.

# %% tags=["raises-exception"]
torch.arange(6).reshape(2, 3) @ torch.ones(3, 2)

# %% [markdown]
# `m1` and `m2` are the two operands; `long int` is `int64` and `float` is `float32`. Convert one
# side first: `.float()`.

# %%
print(torch.arange(6).reshape(2, 3).float() @ torch.ones(3, 2))

# %% [markdown]
# **6. Shapes that do not broadcast.** `(2, 3) + (2,)` lines up `3` with `2` (shapes are compared
# from the right). To add one value per **row**, make the second tensor a column `(2, 1)`.

# %% tags=["raises-exception"]
torch.ones(2, 3) + torch.tensor([10.0, 20.0])

# %% [markdown]
# Tensor `a` is the left operand and `b` the right one. After `b` is padded to shape `(1, 2)`,
# dimension 1 is where they disagree: 3 against 2, and neither is 1 (a *singleton*). Making `b` a
# column fixes it:

# %%
print(torch.ones(2, 3) + torch.tensor([10.0, 20.0]).unsqueeze(1))

# %% [markdown]
# **7. `expand` on a dimension that is not of size 1.** Only size-1 dimensions can be
# stretched; to copy real data use `repeat`.

# %% tags=["raises-exception"]
torch.ones(2, 3).expand(4, 3)

# %% [markdown]
# Dimension 0 has size 2, not 1 ("non-singleton"), so it cannot be stretched to 4. To get 4 rows,
# copy with `repeat(2, 1)`, or start from a single row `torch.ones(1, 3).expand(4, 3)`.

# %% [markdown]
# ## Exercises
#
# **01.1 · Weighted votes with `scatter_add_`.** Several annotators labelled each sample:
# `votes[i, j]` is the class annotator `j` chose for sample `i`, and `weights[i, j]` how much we
# trust that annotator. Write `vote_scores(votes, weights, num_classes)` that returns a tensor of
# shape `(n_samples, num_classes)`, with the dtype and device of `weights`, whose entry `[i, c]`
# is the sum of `weights[i, j]` over the annotators `j` who voted `c` (0 where nobody did).
# The check grades the numbers, shape and dtype; the device is advice (01.4, below the exercises).
#
# `scatter_add_(dim, index, src)` works like `scatter_` but **adds** `src[i][j]` into
# `out[i][index[i][j]]` instead of overwriting it. Think about what `scatter_` would do when two
# annotators pick the same class, and about a class that nobody picked. (Any approach that gives
# the right numbers is accepted; `scatter_add_` does it in one call.)

# %%
votes = torch.tensor([[0, 2, 2, 1, 2],
                      [3, 3, 3, 3, 3],
                      [1, 0, 1, 0, 2],
                      [2, 1, 0, 1, 1]]).to(DEVICE)
weights = torch.tensor([[1.0, 0.5, 0.25, 1.0, 0.5],
                        [0.5, 0.5, 0.5, 0.5, 0.5],
                        [1.0, 0.25, 0.75, 0.5, 1.0],
                        [0.25, 1.0, 0.5, 0.5, 0.75]]).to(DEVICE)

### BEGIN SOLUTION
def vote_scores(votes, weights, num_classes):
    scores = torch.zeros(votes.shape[0], num_classes, dtype=weights.dtype, device=weights.device)
    return scores.scatter_add_(1, votes, weights)
### END SOLUTION


print(vote_scores(votes, weights, 4).cpu())

# %%
from tools import check_exercise


def check_vote_scores(answer):
    import torch

    cases = [  # (votes, weights, num_classes, dtype) in the order vote_scores_answer uses them
        ([[0, 2, 2, 1, 2], [3, 3, 3, 3, 3], [1, 0, 1, 0, 2], [2, 1, 0, 1, 1]],
         [[1.0, 0.5, 0.25, 1.0, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5], [1.0, 0.25, 0.75, 0.5, 1.0], [0.25, 1.0, 0.5, 0.5, 0.75]],
         4, torch.float32),
        ([[0, 0, 4, 1], [2, 2, 2, 0], [1, 4, 4, 4]],
         [[0.5, 0.25, 1.0, 2.0], [1.0, 1.0, 0.5, 0.25], [0.75, 0.5, 0.5, 0.125]],
         5, torch.float64),
        ([[1, 0, 3], [2, 2, 0], [3, 1, 1]],  # classes 4 and 5 get no vote at all
         [[1.0, 0.5, 0.25], [0.75, 0.5, 2.0], [1.5, 0.25, 1.0]],
         6, torch.float32),
    ]
    assert isinstance(answer, list) and len(answer) == len(cases), (
        f"expected one result for each of the {len(cases)} calls vote_scores_answer makes")
    for (votes, weights, num_classes, dtype), got in zip(cases, answer):
        expected = torch.zeros(len(votes), num_classes, dtype=dtype)
        for i, row in enumerate(votes):
            for j, c in enumerate(row):
                expected[i, c] += weights[i][j]
        assert isinstance(got, torch.Tensor), f"vote_scores should return a tensor, got {type(got).__name__}"
        assert tuple(got.shape) == tuple(expected.shape), (
            f"expected shape {tuple(expected.shape)} for {num_classes} classes, got {tuple(got.shape)} "
            "(the classes nobody voted for still get a column)")
        assert got.dtype == dtype, f"the result should have the dtype of weights ({dtype}), got {got.dtype}"
        assert torch.equal(got, expected), (
            f"wrong sums for votes {votes}: expected {expected.tolist()}, got {got.tolist()} "
            "(several annotators may pick the same class: their weights add up)")


def vote_scores_answer():
    probe_votes = torch.tensor([[0, 0, 4, 1], [2, 2, 2, 0], [1, 4, 4, 4]]).to(DEVICE)
    probe_weights = torch.tensor([[0.5, 0.25, 1.0, 2.0], [1.0, 1.0, 0.5, 0.25], [0.75, 0.5, 0.5, 0.125]],
                                 dtype=torch.float64).to(DEVICE)
    unused_votes = torch.tensor([[1, 0, 3], [2, 2, 0], [3, 1, 1]]).to(DEVICE)
    unused_weights = torch.tensor([[1.0, 0.5, 0.25], [0.75, 0.5, 2.0], [1.5, 0.25, 1.0]]).to(DEVICE)
    return [vote_scores(votes, weights, 4), vote_scores(probe_votes, probe_weights, 5),
            vote_scores(unused_votes, unused_weights, 6)]


check_exercise("01.1", check_vote_scores, points=1, answer=vote_scores_answer)

# %% [markdown]
# **01.2 · Rank every row with `argsort` and `gather`.** Each row of `scores` holds a model's scores
# for the 5 products in the same row of `items` (product ids). Write `rank_rows(scores, items)` that
# returns a tensor shaped like `items` whose row `i` lists `items[i]` from the highest score to the
# lowest. Every row needs its own order, which is exactly the index pattern `gather` reads; plain
# indexing can do it too, but only with a second index tensor for the rows. (Any approach that gives
# the right tensor is accepted; the check also tries other shapes.)

# %%
g = torch.Generator().manual_seed(21)
scores = torch.rand(4, 5, generator=g).to(DEVICE)
items = (torch.randperm(20, generator=g).reshape(4, 5) + 100).to(DEVICE)
print(scores.cpu())
print(items.cpu())

### BEGIN SOLUTION
def rank_rows(scores, items):
    order = scores.argsort(dim=1, descending=True)
    return items.gather(1, order)
### END SOLUTION


print(rank_rows(scores, items).cpu())

# %%
def check_rank_rows(answer):
    import torch

    assert isinstance(answer, list) and len(answer) == 2, "expected one result for each of the 2 calls rank_rows_answer makes"
    for seed, shape, got in zip((21, 22), ((4, 5), (3, 6)), answer):
        g = torch.Generator().manual_seed(seed)  # the scores and items rank_rows_answer builds
        scores = torch.rand(*shape, generator=g)
        items = torch.randperm(shape[0] * shape[1], generator=g).reshape(shape) + 100
        expected = torch.tensor([[item for _, item in sorted(zip(s.tolist(), row.tolist()), reverse=True)]
                                 for s, row in zip(scores, items)])
        assert isinstance(got, torch.Tensor), f"rank_rows should return a tensor, got {type(got).__name__}"
        assert tuple(got.shape) == shape, f"expected shape {shape}, got {tuple(got.shape)}"
        assert got.dtype == torch.int64, f"the result holds the items (int64), got dtype {got.dtype}"
        if not torch.equal(got, expected):
            row = next(i for i in range(shape[0]) if not torch.equal(got[i], expected[i]))
            raise AssertionError(
                f"for a {shape} input row {row} should be {expected[row].tolist()}, got {got[row].tolist()}: "
                "order the items by their scores, highest first")


def rank_rows_answer():
    ranked = []
    for seed, shape in ((21, (4, 5)), (22, (3, 6))):
        g = torch.Generator().manual_seed(seed)
        probe_scores = torch.rand(*shape, generator=g).to(DEVICE)
        probe_items = (torch.randperm(shape[0] * shape[1], generator=g).reshape(shape) + 100).to(DEVICE)
        ranked.append(rank_rows(probe_scores, probe_items))
    return ranked


check_exercise("01.2", check_rank_rows, points=1, answer=rank_rows_answer)

# %% [markdown]
# **01.3 · Offsets between two point sets by broadcasting.** `points_a` holds `n` points and
# `points_b` holds `m` points, both in `d` dimensions. Write `offsets_and_nearest(points_a, points_b)`
# that returns two tensors:
#
# - `offsets` of shape `(n, m, d)`, with `offsets[i, j] = points_b[j] - points_a[i]`, the vector
#   that leads from `a[i]` to `b[j]`;
# - `nearest` of shape `(n, d)`: for every `a[i]`, the offset to the point of `b` closest to it in
#   Euclidean distance.
#
# Compute both with broadcasting and no Python loop: that is the point of the exercise, even
# though the check only sees the result and cannot tell how you got it. Hint: give the two tensors
# shapes `(n, 1, d)` and `(1, m, d)`. `torch.cdist` gives distances but not offsets; the check
# tries 2-D and 3-D points.

# %%
points_a = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0], [-2.0, 0.0], [6.0, 8.0]]).to(DEVICE)
points_b = torch.tensor([[0.0, 0.0], [3.0, 0.0], [-3.0, -4.0]]).to(DEVICE)

### BEGIN SOLUTION
def offsets_and_nearest(points_a, points_b):
    offsets = points_b.unsqueeze(0) - points_a.unsqueeze(1)           # (n, m, d)
    closest = offsets.pow(2).sum(dim=-1).argmin(dim=1)                 # (n,): index into b
    nearest = offsets[torch.arange(len(points_a), device=points_a.device), closest]
    return offsets, nearest
### END SOLUTION


offsets, nearest = offsets_and_nearest(points_a, points_b)
print(tuple(offsets.shape))
print(nearest.cpu())

# %%
def check_offsets(answer):
    import torch

    cases = [  # the point sets offsets_and_nearest_answer passes, in the same order
        ([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0], [-2.0, 0.0], [6.0, 8.0]], [[0.0, 0.0], [3.0, 0.0], [-3.0, -4.0]]),
        ([[4.0, 5.0, -5.0], [-2.0, 3.0, 3.0], [-5.0, -1.0, -4.0], [-5.0, 2.0, 4.0]],
         [[-2.0, 2.0, 4.0], [2.0, -2.0, 5.0], [5.0, -1.0, -1.0], [2.0, 4.0, 3.0], [-1.0, -1.0, 1.0], [0.0, 0.0, 3.0]]),
    ]
    assert isinstance(answer, list) and len(answer) == len(cases), (
        f"expected one result for each of the {len(cases)} calls offsets_and_nearest_answer makes")
    for (a, b), pair in zip(cases, answer):
        n, m, d = len(a), len(b), len(a[0])
        assert isinstance(pair, (tuple, list)) and len(pair) == 2, "return two tensors: offsets, nearest"
        offsets, nearest = pair
        assert isinstance(offsets, torch.Tensor) and isinstance(nearest, torch.Tensor), "return two tensors"
        assert offsets.dtype == torch.float32 and nearest.dtype == torch.float32, (
            f"the points are float32, so are their offsets: got {offsets.dtype} and {nearest.dtype}")
        assert tuple(offsets.shape) == (n, m, d), f"offsets: expected shape {(n, m, d)}, got {tuple(offsets.shape)}"
        for i in range(n):
            for j in range(m):
                vector = [b[j][k] - a[i][k] for k in range(d)]
                assert offsets[i, j].tolist() == vector, (
                    f"offsets[{i}, {j}] should be b[{j}] - a[{i}] = {vector}, got {offsets[i, j].tolist()}")
        assert tuple(nearest.shape) == (n, d), f"nearest: expected shape {(n, d)}, got {tuple(nearest.shape)}"
        for i in range(n):
            best = min(range(m), key=lambda j: sum((b[j][k] - a[i][k]) ** 2 for k in range(d)))
            vector = [b[best][k] - a[i][k] for k in range(d)]
            assert nearest[i].tolist() == vector, f"nearest[{i}] should be {vector}, got {nearest[i].tolist()}"


def offsets_and_nearest_answer():
    probe_a = torch.tensor([[4.0, 5.0, -5.0], [-2.0, 3.0, 3.0], [-5.0, -1.0, -4.0], [-5.0, 2.0, 4.0]]).to(DEVICE)
    probe_b = torch.tensor([[-2.0, 2.0, 4.0], [2.0, -2.0, 5.0], [5.0, -1.0, -1.0], [2.0, 4.0, 3.0],
                            [-1.0, -1.0, 1.0], [0.0, 0.0, 3.0]]).to(DEVICE)
    return [offsets_and_nearest(points_a, points_b), offsets_and_nearest(probe_a, probe_b)]


check_exercise("01.3", check_offsets, points=2, answer=offsets_and_nearest_answer)

# %% [markdown]
# **01.4 · Advice, no points: do your results stay on the inputs' device?** Where a tensor lives
# cannot be graded: answers reach the grader as data on the CPU. This cell runs in your own
# notebook and calls your three functions on tensors on the `meta` device (lesson 00): it tells you
# whether every result stays there, as it would stay on the GPU. A function that reads values out
# with `.item()` or `.tolist()` cannot run on `meta` and gets "not yet" here.

# %%
from tools import advise_exercise


def advise_devices(answer):
    for name, result in answer.items():
        results = result if isinstance(result, tuple) else (result,)
        devices = [getattr(tensor, "device", None) for tensor in results]
        assert all(getattr(device, "type", None) == "meta" for device in devices), (
            f"{name} on meta inputs returned results on {devices}: build new tensors on the inputs' device")


def devices_answer():
    meta = torch.device("meta")
    answer = {}
    calls = {
        "vote_scores": lambda: vote_scores(torch.tensor([[0, 2, 2], [1, 1, 0]], device=meta),
                                           torch.ones(2, 3, dtype=torch.float64, device=meta), 4),
        "rank_rows": lambda: rank_rows(torch.rand(3, 4, device=meta), torch.arange(12, device=meta).reshape(3, 4)),
        "offsets_and_nearest": lambda: offsets_and_nearest(torch.rand(5, 2, device=meta), torch.rand(3, 2, device=meta)),
    }
    for name, call in calls.items():
        try:
            answer[name] = call()
        except Exception as error:  # noqa: BLE001 - reported as advice
            raise AssertionError(f"{name} failed on meta tensors ({type(error).__name__}: {error})") from None
    return answer


advise_exercise("01.4", advise_devices, answer=devices_answer)

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
# - **Join** with `cat` (existing dim) or `stack` (new dim); **split** with `chunk` (at most `n`
#   pieces), `tensor_split` (exactly `n`) or `split` (by size).
# - **Reshape** with `view` (never copies; fails when the new shape cannot be expressed with strides
#   over the same memory) or `reshape` (copies only then); `transpose/permute` make non-contiguous
#   views; `expand` is free, `repeat` copies; `repeat_interleave` repeats elements.
# - **Math**: `add(alpha=)`, `addcmul`, `addcdiv`; `mm` is strictly 2-D, `matmul` broadcasts.
#   `sort`, `topk` and `max(dim=)` return values *and* indices.
# - **`gather`** reads values per row at positions you give, **`scatter_`** writes them (one-hot),
#   **`scatter_add_`** adds them up where positions repeat.
# - **Broadcasting** aligns shapes from the right; sizes must match or be 1.
# - **Memory**: `clone` copies and stays in the graph, `detach` shares memory and leaves it,
#   `copy_` writes into existing memory; a trailing `_` means in place.
# - Next: lesson 02 follows gradients through these operations with autograd.
