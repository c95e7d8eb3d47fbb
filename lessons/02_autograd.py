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
# # 02 · Autograd: how PyTorch computes gradients for you
#
# **What you will learn**
#
# - what the computational graph is, and what `requires_grad`, `is_leaf`, `grad_fn` and
#   `retain_grad()` tell you about it;
# - how `backward()` fills `.grad`, what its `gradient=` and `retain_graph=` arguments are for;
# - how `torch.autograd.grad` returns gradients directly, and how `create_graph=True` gives a
#   second derivative;
# - why gradients *accumulate* and must be zeroed, and why a leaf that requires grad cannot be
#   changed in place outside `torch.no_grad()`;
# - the difference between `detach()`, `torch.no_grad()`, `.data` and `model.eval()`;
# - how to fit a straight line with nothing but tensors and autograd (no optimizer).

# %% [markdown]
# ## Setup
#
# The same first cell as in every lesson: helpers, seeds, device, print precision, figure style.

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn

from tools import get_device, record_metrics, set_seed, tqdm, use_course_style

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## A computational graph you can check by hand
#
# Training a network means nudging its parameters in the direction that lowers a loss, and for
# that we need the derivative of the loss with respect to every parameter. Autograd gets those
# derivatives by **recording** every operation while your code runs: each result remembers which
# operation produced it and from which inputs. That record is the *computational graph*: on
# paper, tensors are its nodes and operations its edges. PyTorch stores the backward version
# of it the other way round: each operation's `grad_fn` is a node, linked to the nodes of its
# inputs through `next_functions`, which is what the printout below walks.
#
# Take a tiny example with two inputs, `x = 2` and `w = 1`:
#
# $$a = x + w, \qquad b = w + 1, \qquad y = a \cdot b .$$
#
# The chain rule says: multiply the local derivatives along each path from `y` back to `w`, then
# add up the paths. `w` reaches `y` through `a` and through `b`, so
#
# $$\frac{\partial y}{\partial w} = \frac{\partial y}{\partial a}\frac{\partial a}{\partial w}
#   + \frac{\partial y}{\partial b}\frac{\partial b}{\partial w} = b \cdot 1 + a \cdot 1 = 2 + 3 = 5,$$
#
# and `x` reaches `y` only through `a`, so $\partial y / \partial x = b = 2$. Here is the graph
# with each edge labelled by its local derivative:

# %%
nodes = {"x": (0, 1), "w": (0, 0), "a = x + w": (1.6, 1), "b = w + 1": (1.6, 0), "y = a · b": (3.2, 0.5)}
edges = [("x", "a = x + w", "∂a/∂x = 1"), ("w", "a = x + w", "∂a/∂w = 1"), ("w", "b = w + 1", "∂b/∂w = 1"),
         ("a = x + w", "y = a · b", "∂y/∂a = b = 2"), ("b = w + 1", "y = a · b", "∂y/∂b = a = 3")]

fig, ax = plt.subplots(figsize=(7, 3))
for start, end, label in edges:
    (x0, y0), (x1, y1) = nodes[start], nodes[end]
    ax.annotate("", xy=(x1 - 0.35, y1 + (y0 - y1) * 0.1), xytext=(x0 + 0.3, y0),
                arrowprops={"arrowstyle": "->", "color": "gray"})
    ax.text((x0 + x1) / 2, (y0 + y1) / 2, label, ha="center", va="center", fontsize=9, color="tab:red",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
for name, (px, py) in nodes.items():
    leaf = name in ("x", "w")
    ax.text(px, py, name, ha="center", va="center", fontsize=11,
            bbox={"boxstyle": "round", "facecolor": "tab:green" if leaf else "tab:blue", "alpha": 0.3})
ax.set_xlim(-0.5, 3.8)
ax.set_ylim(-0.4, 1.4)
ax.axis("off")
ax.set_title("y = (x + w)(w + 1): leaves in green, results of operations in blue")
plt.show()

# %% [markdown]
# Now let autograd do it. `requires_grad=True` asks PyTorch to track `w`; `x` is plain data. We
# create both tensors directly on the device (more on why in "Common mistakes").

# %%
w = torch.tensor(1.0, device=DEVICE, requires_grad=True)
x = torch.tensor(2.0, device=DEVICE)

a = x + w
b = w + 1
y = a * b
print("y =", y.item())

y.backward()
print("dy/dw =", w.grad.item())
print("x.grad =", x.grad, "(x does not require grad, so nothing is computed for it)")

# %% [markdown]
# Autograd found 5, like we did by hand. Every tensor carries the graph information with it:
#
# - `requires_grad`: whether operations on it are recorded. Anything computed from a tensor that
#   requires grad requires grad too.
# - `is_leaf`: a tensor you created yourself (not the result of a tracked operation). Only leaves
#   that require grad get their `.grad` filled by `backward()`; they are where the graph starts.
# - `grad_fn`: the backward function of the operation that produced the tensor, `None` for leaves.
#
# (We print `grad_fn.name()` rather than `grad_fn` itself, whose repr contains a memory address.)

# %%
for name, tensor in [("x", x), ("w", w), ("a", a), ("b", b), ("y", y)]:
    grad_fn = tensor.grad_fn.name() if tensor.grad_fn is not None else None
    print(f"{name}: requires_grad={tensor.requires_grad!s:<5}  is_leaf={tensor.is_leaf!s:<5}  grad_fn={grad_fn}")

# %% [markdown]
# `grad_fn` objects link to the functions of their inputs through `next_functions`, so the whole
# graph can be walked backwards from `y`. `AccumulateGrad` is the node that adds a gradient into a
# leaf's `.grad`. Inputs that need no gradient (`x`, and the constant `1` in `w + 1`) show up as
# `None`: autograd does not even compute anything for them.

# %%
def show_graph(fn, depth=0):
    """Print the backward graph that ends in ``fn``, one node per line."""
    print("    " * depth + (fn.name() if fn is not None else "None (no gradient needed)"))
    if fn is not None:
        for child, _ in fn.next_functions:
            show_graph(child, depth + 1)


show_graph(y.grad_fn)

# %% [markdown]
# ### Keeping the gradient of an intermediate result: `retain_grad()`
#
# To save memory, autograd only keeps `.grad` for leaves. If you want to inspect the gradient
# arriving at an intermediate tensor (for debugging, or to see what a layer receives), call
# `retain_grad()` on it *before* `backward()`. We expect $\partial y/\partial a = b = 2$.

# %%
w = torch.tensor(1.0, device=DEVICE, requires_grad=True)
a = x + w
b = w + 1
a.retain_grad()
y = a * b
y.backward()
print("dy/da =", a.grad.item())
print("a retains its grad:", a.retains_grad, "| b retains its grad:", b.retains_grad)

# %% [markdown]
# The graph is **dynamic** (define-by-run): it is recorded anew every time your Python code runs,
# so an `if` or a loop simply produces a different graph on each call. Above, running the three
# lines again with a fresh `w` recorded a fresh graph around it; the first graph could not have
# been reused anyway, because `backward()` frees it (next section).
#
# ## `backward()` in more detail
#
# ### Non-scalar outputs need `gradient=`
#
# A gradient is defined for a single number (a loss). If `y` holds several values,
# `y.backward(gradient=v)` computes the gradient of the weighted sum $\sum_i v_i\, y_i$, i.e. the
# vector-Jacobian product. With $y_i = x_i^2$ the answer is $2 x_i v_i$:

# %%
xs = torch.tensor([1.0, 2.0, 3.0], device=DEVICE, requires_grad=True)
ys = xs ** 2
ys.backward(gradient=torch.tensor([1.0, 0.1, 0.01], device=DEVICE))
print(xs.grad.cpu())

# %% [markdown]
# Passing `torch.ones_like(ys)` is the same as `ys.sum().backward()`. Forgetting `gradient=` on a
# non-scalar is an error (shown again under "Common mistakes"). The function form
# `torch.autograd.backward(tensors, grad_tensors=...)` does the same thing.
#
# ### The graph is freed after `backward()`: `retain_graph=True`
#
# During the forward pass autograd saves the intermediate values that the backward pass needs
# (here `a` and `b` for the product). `backward()` frees them as soon as it is done, because you
# normally do one backward per forward. If you really need to go backward twice through the same
# graph, ask for `retain_graph=True` on every call except the last:

# %%
w = torch.tensor(1.0, device=DEVICE, requires_grad=True)
y = (x + w) * (w + 1)
y.backward(retain_graph=True)
print("after the first backward: ", w.grad.item())
y.backward()
print("after the second backward:", w.grad.item())

# %% [markdown]
# Notice the 10: the second backward did not replace the gradient, it **added** to it. That is
# the next topic.
#
# ## Gradients accumulate: zero them
#
# `backward()` always adds into `.grad`. This is deliberate (it lets you sum gradients over
# several small batches before one update), but in a normal training loop you must reset the
# gradients before each backward, or every step uses the sum of all past gradients.

# %%
w = torch.tensor(1.0, device=DEVICE, requires_grad=True)
for step in range(3):
    y = (x + w) * (w + 1)
    y.backward()
    print(f"step {step}: w.grad = {w.grad.item()}")

w.grad.zero_()
print("after w.grad.zero_():", w.grad.item())

# %% [markdown]
# Optimizers do the same for all parameters with `optimizer.zero_grad()` (which by default sets
# `.grad` to `None` instead of a tensor of zeros; both mean "start from nothing").
#
# ## `torch.autograd.grad`: gradients as return values
#
# `backward()` writes into `.grad` of every leaf. `torch.autograd.grad(outputs, inputs)` instead
# **returns** the gradients of `outputs` with respect to exactly the `inputs` you name, as a
# tuple, and leaves `.grad` untouched. With `create_graph=True` the returned gradient is itself
# part of a graph, so you can differentiate it again. For $y = x^3$ at $x = 3$:
# $y' = 3x^2 = 27$ and $y'' = 6x = 18$.

# %%
t = torch.tensor(3.0, device=DEVICE, requires_grad=True)
y = t ** 3
(dy_dt,) = torch.autograd.grad(y, t, create_graph=True)
print("first derivative: ", dy_dt.item(), "| still has a graph:", dy_dt.requires_grad)
(d2y_dt2,) = torch.autograd.grad(dy_dt, t)
print("second derivative:", d2y_dt2.item())
print("t.grad was never touched:", t.grad is None)

# %% [markdown]
# Second derivatives show up in practice in gradient penalties (e.g. WGAN-GP) and in some
# optimizers and physics-informed models.
#
# ## Switching tracking off: `detach()`, `torch.no_grad()`, `.data`
#
# All three give you values that autograd does not track, but they differ in scope and safety:
#
# | tool | scope | use it for |
# |---|---|---|
# | `t.detach()` | one tensor: a new tensor sharing the same memory, cut out of the graph | logging, plotting, converting to NumPy, stopping gradients through one branch |
# | `with torch.no_grad():` | every operation inside the block | evaluation, and updating parameters by hand |
# | `t.data` | one tensor, like `detach()` | legacy code only: autograd does not see changes made through it |

# %%
w = torch.tensor(1.0, device=DEVICE, requires_grad=True)

d = w.detach()
print("detach: requires_grad =", d.requires_grad, "| shares memory with w:", d.data_ptr() == w.data_ptr())

with torch.no_grad():
    z = (w + 1) * 3
print("no_grad: result requires_grad =", z.requires_grad, "| grad_fn =", z.grad_fn)

z = (w.detach() + 1) * w
z.backward()
print("gradient flows only through the tracked branch: dz/dw =", w.grad.item(), "(would be 3 without detach)")

# %% [markdown]
# Why is `.data` unsafe? Every tensor carries a *version counter* that each in-place change
# bumps, and autograd notes the version of every tensor it saves for the backward pass. Changing a
# saved value in place through `detach()` bumps the counter (the detached tensor shares it), so a
# later `backward()` notices the mismatch and fails loudly instead of using a wrong value.
# Changing it through `.data` bypasses the counter, and you silently get a **wrong gradient**.
# `sigmoid` saves its output $s$ and uses $s(1-s)$ as its derivative; watch what happens when we
# overwrite $s$.
#
# These two cells use small CPU tensors so that the error message reads the same everywhere
# (on a GPU only the tensor type in the message changes).

# %%
u = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
s = torch.sigmoid(u)
print("correct gradient:", torch.autograd.grad(s.sum(), u, retain_graph=True)[0])
s.data.zero_()           # overwrites the saved output behind autograd's back
s.sum().backward()
print("after .data edit:", u.grad, "<- silently wrong")

# %% tags=["raises-exception"]
u = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)
s = torch.sigmoid(u)
s.detach().zero_()       # the same edit through detach() is noticed...
s.sum().backward()       # ...and backward refuses to use the stale value

# %% [markdown]
# Read the message from the left: *one of the variables needed for gradient computation* is a
# tensor autograd saved; it is `output 0 of Sigmoid` (our `s`), now at version 1 although autograd
# saved it at version 0. The hint at the end suggests `torch.autograd.set_detect_anomaly(True)`:
# with it on, the error also shows where in your code the forward operation of the failing
# backward step ran (here the `torch.sigmoid` line).

# %% [markdown]
# ## `model.eval()` is not `torch.no_grad()`
#
# They are easy to confuse because you usually use both when evaluating a model, but they do
# unrelated things:
#
# - `model.eval()` switches layers whose behaviour differs between training and testing, such as
#   `Dropout` (off in eval) and `BatchNorm` (uses running statistics in eval). It does not touch
#   autograd: a graph is still built.
# - `torch.no_grad()` switches off graph building (less memory, faster). It does not change any
#   layer: dropout still drops.
#
# A small model with dropout shows all four combinations:

# %%
model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(p=0.5)).to(DEVICE)
inputs = torch.randn(2, 4, generator=torch.Generator().manual_seed(1)).to(DEVICE)


def two_passes(title):
    first, second = model(inputs), model(inputs)
    print(f"{title:<22} same output twice: {torch.equal(first, second)!s:<5}  graph built: {first.requires_grad}")


model.train()
two_passes("train()")
with torch.no_grad():
    two_passes("train() + no_grad()")
model.eval()
two_passes("eval()")
with torch.no_grad():
    two_passes("eval() + no_grad()")

# %% [markdown]
# Only `eval()` makes the outputs repeatable, and only `no_grad()` stops the graph. For
# evaluation you want both: `model.eval()` and `with torch.no_grad():` (or the slightly faster
# `torch.inference_mode()`). Remember to call `model.train()` before training again.
#
# ## Linear regression from scratch
#
# Time to use autograd for what it is for. We generate points on the line $y = 2x + 5$ with a
# little noise and try to recover $w = 2$ and $b = 5$. The recipe of every training loop is
# already here:
#
# 1. **model**: $\hat y = w x + b$, with `w` and `b` leaves that require grad;
# 2. **loss**: mean squared error $\frac1n \sum (\hat y - y)^2$;
# 3. **gradients**: `loss.backward()`;
# 4. **update**: $w \leftarrow w - \text{lr}\cdot\partial L/\partial w$ (same for $b$) inside
#    `torch.no_grad()`, then zero the gradients.
#
# The data are drawn on the CPU with a seeded generator and then moved to the device, so a CPU
# and a GPU run see exactly the same points.

# %%
TRUE_W, TRUE_B = 2.0, 5.0
generator = torch.Generator().manual_seed(2)
n_points = 300
x_data = torch.rand(n_points, 1, generator=generator) * 6 - 3          # uniform in [-3, 3]
y_data = TRUE_W * x_data + TRUE_B + 0.3 * torch.randn(n_points, 1, generator=generator)
x_data, y_data = x_data.to(DEVICE), y_data.to(DEVICE)
print("x:", tuple(x_data.shape), "y:", tuple(y_data.shape))
print("first three points:\n", torch.cat([x_data, y_data], dim=1)[:3].cpu())

# %% [markdown]
# Now the loop. Both parameters start at zero. The update has to happen under `torch.no_grad()`
# (it is not part of the model) and in place with `-=` (so `w` stays the same leaf tensor).

# %%
# NBVAL_IGNORE_OUTPUT
w = torch.zeros(1, device=DEVICE, requires_grad=True)
b = torch.zeros(1, device=DEVICE, requires_grad=True)
lr, steps = 0.05, 100
losses = []

for _ in tqdm(range(steps), desc="gradient descent"):
    y_pred = w * x_data + b
    loss = ((y_pred - y_data) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    losses.append(loss.item())

w_fit, b_fit, final_loss = w.item(), b.item(), losses[-1]
print(f"fitted w = {w_fit:.4f}, b = {b_fit:.4f}, final loss = {final_loss:.4f}")

# %% [markdown]
# The exact last digits can differ between a CPU and a GPU, so the printout above is not compared.
# What must hold everywhere is the target of this lesson: both parameters within 0.05 of the truth.

# %%
print("w within 0.05 of 2:", abs(w_fit - TRUE_W) < 0.05)
print("b within 0.05 of 5:", abs(b_fit - TRUE_B) < 0.05)
print("final loss close to the noise variance 0.09:", abs(final_loss - 0.09) < 0.02)
record_metrics("02_autograd", w=w_fit, b=b_fit, final_loss=final_loss)

# %% [markdown]
# The loss should fall quickly and flatten out at the noise level (about $0.3^2 = 0.09$: no line
# can explain the noise), and the fitted line should run through the middle of the cloud.

# %%
fig, (ax_data, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
x_cpu, y_cpu = x_data.cpu().squeeze(1), y_data.cpu().squeeze(1)
grid = torch.linspace(-3, 3, 50)
ax_data.scatter(x_cpu, y_cpu, s=8, alpha=0.5, label="data")
ax_data.plot(grid, TRUE_W * grid + TRUE_B, "k--", label="truth: y = 2x + 5")
ax_data.plot(grid, w_fit * grid + b_fit, "tab:red", label=f"fit: y = {w_fit:.2f}x + {b_fit:.2f}")
ax_data.set(title="Data and fitted line", xlabel="x", ylabel="y")
ax_data.legend()
ax_loss.plot(losses)
ax_loss.set_yscale("log")
ax_loss.set(title="Training loss (MSE)", xlabel="step", ylabel="loss (log scale)")
plt.show()

# %% [markdown]
# ## Common mistakes
#
# **Calling `backward()` twice on the same graph.** The saved values are gone after the first call.

# %% tags=["raises-exception"]
w = torch.tensor(1.0, device=DEVICE, requires_grad=True)
y = (x + w) * (w + 1)
y.backward()
y.backward()

# %% [markdown]
# The message says it: the *saved intermediate values* (here `a` and `b`) were freed by the first
# `backward()`. Recompute the forward pass, or pass `retain_graph=True` to the first call if you
# really need two passes through one graph.
#
# **Changing a leaf in place while autograd is watching.** `w.add_(...)`, `w -= ...` or
# `w[0] = ...` outside `torch.no_grad()` is refused, even with no graph around at all, as in the
# cell below: `w` has just been created and nothing has used it yet. The reason is `w`'s **own**
# history. With grad mode on, autograd records an in-place operation on a tensor that requires
# grad as part of that tensor's history: the tensor gets a new `grad_fn`. On an intermediate
# result that is allowed:

# %%
h = torch.tensor(1.0, device=DEVICE, requires_grad=True) * 2
print("before h.add_(1):", h.grad_fn.name())
h.add_(1)
print("after h.add_(1): ", h.grad_fn.name(), "<- the in-place add is now h's history")

# %% [markdown]
# A leaf, however, is by definition a tensor without history: it is where the backward pass
# stops and adds gradients into `.grad`. Recording `w.sub_(0.1)` would give the leaf a history, so
# PyTorch refuses:

# %% tags=["raises-exception"]
w = torch.tensor(1.0, device=DEVICE, requires_grad=True)
w.sub_(0.1)

# %% [markdown]
# *Leaf Variable* is the old name for a leaf tensor. The refused combination is all three at once:
# a leaf that requires grad, changed in place, while grad mode is on. Take away any one and the
# operation is allowed: inside `with torch.no_grad():` nothing is recorded, so the very same update
# goes through and `w` stays a leaf. That is where parameter updates belong
# (optimizers do exactly this).

# %%
with torch.no_grad():
    w.sub_(0.1)
print(f"w = {w.item():.2f} | still a leaf: {w.is_leaf} | grad_fn: {w.grad_fn}")

# %% [markdown]
# **Updating with `w = w - lr * w.grad`.** It runs, but the name `w` now points to a *new*
# tensor that is the result of an operation: it is no longer a leaf, it has no `.grad`, and
# the next `backward()` will not give you its gradient.

# %%
w = torch.tensor(1.0, device=DEVICE, requires_grad=True)
y = (x + w) * (w + 1)
y.backward()
w = w - 0.1 * w.grad
print("still a leaf:", w.is_leaf, "| grad_fn:", w.grad_fn.name())

# %% [markdown]
# **Calling `backward()` on a non-scalar without `gradient=`.** Reduce to one number first
# (usually a mean loss) or pass the weights explicitly.

# %% tags=["raises-exception"]
xs = torch.tensor([1.0, 2.0, 3.0], device=DEVICE, requires_grad=True)
(xs ** 2).backward()

# %% [markdown]
# *Implicitly created* refers to the `gradient=` argument: for a single number PyTorch can start
# the backward pass from 1.0 by itself; for 3 numbers it needs to be told how to weight them.

# %% [markdown]
# **Moving a tensor after asking for gradients.** `torch.ones(3, requires_grad=True).to("cuda")`
# returns a *copy* made by an operation, so the tensor you keep is not a leaf and its `.grad`
# stays `None` (on the CPU `.to("cpu")` returns the same tensor, which hides the bug until you
# switch to a GPU). Create the tensor on the device directly, as this lesson does with
# `torch.tensor(..., device=DEVICE, requires_grad=True)`, or move it first and then call
# `.requires_grad_()`. For models this is not an issue: `model.to(DEVICE)` moves parameters in place.
#
# **Forgetting to zero the gradients** in a training loop: see exercise 02.3.

# %% [markdown]
# ## Exercises
#
# **02.1 · Second derivative.** Write `second_derivative(f, x0)` that returns $f''(x_0)$ as a
# Python float, using `torch.autograd.grad` twice (the first time with `create_graph=True`).
# `f` takes and returns a tensor, e.g. `torch.sin`; `x0` is a float.

# %%
### BEGIN SOLUTION
def second_derivative(f, x0):
    point = torch.tensor(float(x0), device=DEVICE, requires_grad=True)
    (first,) = torch.autograd.grad(f(point), point, create_graph=True)
    (second,) = torch.autograd.grad(first, point)
    return second.item()
### END SOLUTION

# %%
from tools import check_exercise


def check_second_derivative(answer):
    import math

    cases = [  # (label, expected) in the order second_derivative_answer asks for them
        ("x**3 at 3", 18.0),
        ("sin at 0.7", -math.sin(0.7)),
        ("exp(2x) at 0.5", 4 * math.e),
        ("x**4 - 3x**2 at -1", 6.0),
    ]
    assert isinstance(answer, list) and len(answer) == len(cases), "second_derivative should return one value per call"
    for (label, expected), got in zip(cases, answer):
        assert isinstance(got, float), f"return a Python float (use .item()), got {type(got).__name__}"
        assert abs(got - expected) < 1e-4 * max(1.0, abs(expected)), f"{label}: expected {expected:.4f}, got {got:.4f}"


def second_derivative_answer():
    return [
        second_derivative(lambda v: v ** 3, 3.0),
        second_derivative(torch.sin, 0.7),
        second_derivative(lambda v: torch.exp(2 * v), 0.5),
        second_derivative(lambda v: v ** 4 - 3 * v ** 2, -1.0),
    ]


check_exercise("02.1", check_second_derivative, points=2, answer=second_derivative_answer)

# %% [markdown]
# **02.2 · Autograd against a hand derivative.** For the loss
# $L(w) = \frac1n\sum_i (w x_i - y_i)^2$ on the data below at $w = 0.5$:
#
# - compute `grad_auto`, $\partial L/\partial w$, with `torch.autograd.grad` (not `backward()`),
# - compute `grad_hand` from the formula $\frac2n\sum_i (w x_i - y_i)\,x_i$ without autograd,
#
# both as Python floats. They should agree.

# %%
ex_generator = torch.Generator().manual_seed(3)
x_ex = torch.randn(20, generator=ex_generator).to(DEVICE)
y_ex = (3 * x_ex + 0.1 * torch.randn(20, generator=ex_generator).to(DEVICE))
w_ex = torch.tensor(0.5, device=DEVICE, requires_grad=True)

### BEGIN SOLUTION
loss_ex = ((w_ex * x_ex - y_ex) ** 2).mean()
grad_auto = torch.autograd.grad(loss_ex, w_ex)[0].item()
with torch.no_grad():
    grad_hand = (2 * (w_ex * x_ex - y_ex) * x_ex).mean().item()
### END SOLUTION

# %%
def check_gradients(answer):
    import torch

    ex_generator = torch.Generator().manual_seed(3)  # x_ex and y_ex, drawn as in the cell above
    x_ex = torch.randn(20, generator=ex_generator)
    y_ex = 3 * x_ex + 0.1 * torch.randn(20, generator=ex_generator)
    xd, yd = x_ex.double(), y_ex.double()
    expected = (2 * (0.5 * xd - yd) * xd).mean().item()
    for name in ("grad_auto", "grad_hand"):
        value = answer[name]
        assert isinstance(value, float), f"{name} should be a Python float (use .item()), got {type(value).__name__}"
        assert abs(value - expected) < 1e-4 * abs(expected), f"{name} = {value:.4f}, expected {expected:.4f}"
    assert answer["w_ex.grad"] is None, "w_ex.grad was filled: use torch.autograd.grad, which returns the gradient instead"


check_exercise("02.2", check_gradients, points=1,
               answer=lambda: {"grad_auto": grad_auto, "grad_hand": grad_hand, "w_ex.grad": w_ex.grad})

# %% [markdown]
# **02.3 · Fix the training loop.** This loop never settles: its `w` keeps swinging around
# and away from the truth. Find out why, and write a correct
# `fit_line(x, y, steps=300, lr=0.05)` that returns the fitted `(w, b)` as Python floats. Keep
# the method, plain full-batch gradient descent on the mean squared error, starting from zero:
# besides the fitted line, the check runs your function for only 3 steps and compares with 3 steps
# of that gradient descent worked out by hand, so a formula that jumps straight to the best line
# does not pass. The check sees only the numbers, so any implementation of exactly this descent
# passes, including one with hand-derived gradients; the intended way, and the point of the
# exercise, is to repair the loop below and let autograd compute the gradients.
#
# ```python
# def fit_line(x, y, steps=300, lr=0.05):
#     w = torch.zeros(1, device=x.device, requires_grad=True)
#     b = torch.zeros(1, device=x.device, requires_grad=True)
#     for _ in range(steps):
#         loss = ((w * x + b - y) ** 2).mean()
#         loss.backward()
#         with torch.no_grad():
#             w -= lr * w.grad
#             b -= lr * b.grad
#     return w.item(), b.item()
# ```

# %%
### BEGIN SOLUTION
def fit_line(x, y, steps=300, lr=0.05):
    w = torch.zeros(1, device=x.device, requires_grad=True)
    b = torch.zeros(1, device=x.device, requires_grad=True)
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w.item(), b.item()
### END SOLUTION

# %%
def check_fit_line(answer):
    import torch

    fitted, three_steps = answer
    for pair in (fitted, three_steps):
        assert isinstance(pair, (tuple, list)) and len(pair) == 2, "fit_line should return the pair (w, b)"
        assert all(isinstance(value, float) for value in pair), "return (w, b) as Python floats"
    w, b = fitted
    assert abs(w + 1.5) < 1e-3, f"w = {w:.4f}, expected -1.5: are the gradients reset every step?"
    assert abs(b - 0.5) < 1e-3, f"b = {b:.4f}, expected 0.5: are the gradients reset every step?"
    x = torch.linspace(-2, 2, 50, dtype=torch.float64)  # 3 steps of gradient descent, lr 0.1, from (0, 0)
    y = -1.5 * x + 0.5
    w_ref, b_ref = 0.0, 0.0
    for _ in range(3):
        residual = w_ref * x + b_ref - y
        w_ref, b_ref = w_ref - 0.1 * (2 * residual * x).mean().item(), b_ref - 0.1 * (2 * residual).mean().item()
    w3, b3 = three_steps
    assert abs(w3 - w_ref) < 1e-4 and abs(b3 - b_ref) < 1e-4, (
        f"after 3 steps with lr=0.1 gradient descent is at w = {w_ref:.4f}, b = {b_ref:.4f}; "
        f"fit_line gave w = {w3:.4f}, b = {b3:.4f}: start from zero and take plain gradient steps")


def fit_line_answer():
    x_line = torch.linspace(-2, 2, 50, device=DEVICE)
    y_line = -1.5 * x_line + 0.5
    return fit_line(x_line, y_line), fit_line(x_line, y_line, steps=3, lr=0.1)


check_exercise("02.3", check_fit_line, points=2, answer=fit_line_answer)

# %% [markdown]
# ## Summary
#
# - Autograd records a graph while your code runs. Leaves (`is_leaf`) are the tensors you
#   created; results carry a `grad_fn`. `backward()` fills `.grad` of leaves that require grad;
#   `retain_grad()` keeps it for an intermediate tensor too.
# - `backward(gradient=v)` handles non-scalar outputs; `retain_graph=True` allows a second backward.
# - `torch.autograd.grad` returns gradients instead of storing them; `create_graph=True` makes
#   higher derivatives possible.
# - Gradients accumulate: zero them every step. Update leaves in place inside `torch.no_grad()`.
# - `detach()` cuts one tensor out of the graph, `no_grad()` stops recording in a block, `.data`
#   is the unsafe legacy version; `model.eval()` changes layer behaviour, not autograd.
# - A hand-written training loop (model, loss, backward, update, zero) recovered $w \approx 2$,
#   $b \approx 5$. Next: lesson 03 turns this recipe into logistic regression with `nn` and an optimizer.
