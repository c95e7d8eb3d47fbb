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
# # 03 · Logistic regression: the five-step recipe
#
# **What you will learn**
#
# - the five steps every PyTorch training script follows: **data, model, loss, optimizer, loop**;
# - what the sigmoid does, and why it turns a score into a probability;
# - binary cross-entropy (BCE) three ways: by hand, with `nn.BCELoss`, and with
#   `nn.BCEWithLogitsLoss`, and why the fused version is the one to use;
# - how to read a **decision boundary** straight off the learned weights and draw it;
# - that the same recipe fits a curve: **polynomial regression** is a linear model on the features
#   `x, x², x³`.
#
# The task: two clouds of 2-D points, one per class. A logistic regression has to tell them
# apart with at least **95 % accuracy** on points it has never seen.

# %%
import math

import matplotlib.pyplot as plt
import torch
from torch import nn

from tools import check_exercise, get_device, record_metrics, set_seed, tqdm, use_course_style

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## The recipe
#
# Whatever the model (a line, a CNN, a GAN), training in PyTorch is built from the same five parts:
#
# | step | question it answers | in this lesson |
# |---|---|---|
# | 1. data | what goes in, what should come out? | two Gaussian clouds, labels 0 and 1 |
# | 2. model | how is the output computed from the input? | `nn.Linear(2, 1)`: one score (logit) per point |
# | 3. loss | how wrong is the output? | binary cross-entropy on the logits (`nn.BCEWithLogitsLoss`) |
# | 4. optimizer | how are the weights changed to be less wrong? | SGD with momentum |
# | 5. loop | repeat: forward, loss, backward, step | 200 full-batch iterations |
#
# Later lessons swap each part for a bigger one; the loop hardly changes.

# %% [markdown]
# ## Step 1 · Data: two Gaussian clouds
#
# Class 1 is a cloud of standard-normal points centred at (2.7, 2.7), class 0 one centred at
# (−0.7, −0.7). The clouds overlap a little, so no straight line separates them perfectly, but
# one gets close. We draw a **training set** to learn from and a separate **test set** to measure
# accuracy honestly (a model can memorise points it has seen).
#
# The points are drawn on the CPU from a seeded generator and only then moved to `DEVICE`: that
# way the CPU and the GPU see exactly the same numbers.

# %%
CENTER_0 = torch.tensor([-0.7, -0.7])
CENTER_1 = torch.tensor([2.7, 2.7])


def make_clouds(n_per_class: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """`n_per_class` points around each centre; features (2n, 2) and float labels (2n, 1)."""
    x0 = torch.randn(n_per_class, 2, generator=generator) + CENTER_0
    x1 = torch.randn(n_per_class, 2, generator=generator) + CENTER_1
    features = torch.cat([x0, x1])
    labels = torch.cat([torch.zeros(n_per_class), torch.ones(n_per_class)]).unsqueeze(1)
    return features, labels


generator = torch.Generator().manual_seed(3)
x_train_cpu, y_train_cpu = make_clouds(100, generator)
x_test_cpu, y_test_cpu = make_clouds(100, generator)
x_train, y_train = x_train_cpu.to(DEVICE), y_train_cpu.to(DEVICE)
x_test, y_test = x_test_cpu.to(DEVICE), y_test_cpu.to(DEVICE)

print("train:", tuple(x_train.shape), tuple(y_train.shape), y_train.dtype)
print("test: ", tuple(x_test.shape), tuple(y_test.shape))
print("first two points:\n", x_train_cpu[:2])
print("class counts in train:", int((y_train_cpu == 0).sum()), int((y_train_cpu == 1).sum()))

# %% [markdown]
# Note the shapes: the labels are a column `(200, 1)` of **floats**, the same shape and dtype as
# the model's output will be. BCE needs both; the common-mistakes section shows what happens
# otherwise.

# %%
fig, ax = plt.subplots(figsize=(5, 5))
ax.scatter(*x_train_cpu[:100].T, s=15, c="tab:blue", label="class 0")
ax.scatter(*x_train_cpu[100:].T, s=15, c="tab:red", label="class 1")
ax.set(title="Training data: two Gaussian clouds", xlabel="$x_1$", ylabel="$x_2$",
       xlim=(-4, 6), ylim=(-4, 6), aspect="equal")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## The sigmoid: from a score to a probability
#
# A linear layer computes a score `z = w₁x₁ + w₂x₂ + b`, any real number (this raw score is called
# a **logit**). To read it as "probability of class 1", squash it into (0, 1) with the sigmoid
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}}.$$
#
# Properties worth knowing: σ(0) = 0.5, so the decision "class 1 when p > 0.5" is the same as
# "class 1 when z > 0"; σ(−z) = 1 − σ(z); and the slope σ(z)(1 − σ(z)) is at most 0.25 and
# vanishes for large |z|: a saturated sigmoid passes almost no gradient back.
#
# Note the tolerance in the symmetry check below: mathematically σ(−6) = 1 − σ(6), but in float32
# the two may differ in the last digits (`allclose` with its default relative tolerance says they
# differ). Computing `1 − p` for a `p` close to 1 throws away precision; keep that in mind for the
# loss section, where it becomes a real problem.

# %%
z = torch.tensor([-6.0, -2.0, 0.0, 2.0, 6.0])
p = torch.sigmoid(z)
print("z           ", z)
print("sigmoid(z)  ", p)
print("by formula  ", 1 / (1 + torch.exp(-z)))
print("sigmoid(-z) == 1 - sigmoid(z) (to 1e-6):", torch.allclose(torch.sigmoid(-z), 1 - p, atol=1e-6))
print("slope p(1-p)", p * (1 - p))

# %%
zs = torch.linspace(-8, 8, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(zs, torch.sigmoid(zs), label=r"$\sigma(z)$")
ax.plot(zs, torch.sigmoid(zs) * (1 - torch.sigmoid(zs)), label=r"$\sigma'(z) = \sigma(1-\sigma)$")
ax.axhline(0.5, color="gray", lw=0.8, ls="--")
ax.set(title="The sigmoid and its slope", xlabel="logit z", ylabel="value")
ax.legend()
plt.show()

# %% [markdown]
# ## Step 2 · Model: a linear layer that returns logits
#
# A model is an `nn.Module`: create the layers in `__init__`, say how they are used in `forward`.
# `nn.Linear(2, 1)` holds a weight of shape `(1, 2)` and a bias of shape `(1,)`, and computes
# `x @ weight.T + bias`.
#
# Our `forward` stops at the **logit**; it does not apply the sigmoid. The sigmoid is applied
# inside the loss (step 3 shows why that is the safe place for it), and by us, with
# `torch.sigmoid(model(x))`, whenever we want to look at probabilities. This is how PyTorch
# classifiers are normally written: the model returns logits.

# %%
class LogisticRegression(nn.Module):
    def __init__(self, n_features: int = 2):
        super().__init__()
        self.linear = nn.Linear(n_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)  # a logit per row; torch.sigmoid of it is P(class 1)


set_seed(0)
model = LogisticRegression()
print(model)
for name, param in model.named_parameters():
    print(f"{name:14} shape {tuple(param.shape)}  values {param.detach()}")

# %% [markdown]
# `nn.Linear` starts from small random weights. On data this easy a random start can already be
# a decent classifier, which would hide what training does: with seed 0 the random weights and
# bias printed above already put most training points on the right side of their line, before a
# single update.

# %%
with torch.no_grad():  # on the CPU, before the model moves, so the digits match on every device
    random_start_accuracy = ((model(x_train_cpu) > 0).float() == y_train_cpu).float().mean().item()
print(f"training accuracy of the random start: {random_start_accuracy:.2f}")

# %% [markdown]
# So, for this lesson only, we overwrite the starting weights by hand with a deliberately bad
# boundary: `w = (1, −1)`, `b = 0`. Its boundary `x₁ − x₂ = 0` is the diagonal `x₂ = x₁`, which
# cuts straight through the middle of both clouds, so it starts no better than a coin toss. The
# writes happen under `torch.no_grad()`, because changing a parameter in place is not something
# autograd should record. (In your own models leave the random initialisation alone; lesson 08
# is about choosing it.)

# %%
with torch.no_grad():
    model.linear.weight.copy_(torch.tensor([[1.0, -1.0]]))
    model.linear.bias.zero_()
    start_logits = model(x_train_cpu)
start_accuracy = ((start_logits > 0).float() == y_train_cpu).float().mean().item()
print("starting weight", model.linear.weight.detach(), " bias", model.linear.bias.detach())
print("logits of the first 3 points:       ", start_logits[:3, 0])
print("probabilities of the first 3 points:", torch.sigmoid(start_logits[:3, 0]))
print(f"training accuracy of this start: {start_accuracy:.3f}")
model.to(DEVICE);

# %% [markdown]
# ## Step 3 · Loss: binary cross-entropy, three ways
#
# For a probability `p` of class 1 and a label `y ∈ {0, 1}`, BCE is
#
# $$\ell(p, y) = -\big[\,y\log p + (1-y)\log(1-p)\,\big],$$
#
# averaged over the examples. It is small when `p` is close to `y` and grows without bound as a
# confident prediction turns out wrong. PyTorch offers it twice:
#
# - `nn.BCELoss()` takes **probabilities** (after the sigmoid);
# - `nn.BCEWithLogitsLoss()` takes **logits** and applies the sigmoid inside.
#
# On ordinary numbers all three agree:

# %%
logits = torch.tensor([-2.0, -0.5, 0.0, 1.5, 3.0])
targets = torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0])
probs = torch.sigmoid(logits)

per_example = -(targets * torch.log(probs) + (1 - targets) * torch.log(1 - probs))
by_hand = per_example.mean()
with_bce = nn.BCELoss()(probs, targets)
with_logits = nn.BCEWithLogitsLoss()(logits, targets)

print("per example  ", per_example)
print("by hand      ", by_hand)
print("BCELoss      ", with_bce)
print("BCEWithLogits", with_logits)
print("all equal:", torch.allclose(by_hand, with_bce) and torch.allclose(by_hand, with_logits))

# %% [markdown]
# ### Why the fused loss is stable
#
# Now make the model confidently **wrong**: a logit of −200 for a class-1 example, +200 for a
# class-0 example. In float32, `sigmoid(200)` rounds to exactly 1.0 (and `sigmoid(-200)` to 0.0),
# so `log(1 - p)` is `log(0) = -inf`. A logit of 20 is already enough on the class-0 side:
# `sigmoid(20)` is 1 − 2·10⁻⁹, closer to 1 than float32 can resolve (just below 1 its numbers are
# 6·10⁻⁸ apart), so it too rounds to exactly 1.0. PyTorch's float32 sigmoid returns exactly 1.0
# from about z = 17 on; the first line below checks that.
#
# - The hand formula returns `inf`.
# - `nn.BCELoss` clamps each log at −100, so it returns a finite but **wrong** 100 instead of 200.
# - `nn.BCEWithLogitsLoss` never forms `p`. It computes the loss straight from `z`, in a form
#   equal to `max(z, 0) − z·y + log(1 + e^{−|z|})`, whose exponential never overflows, and
#   returns the exact answer.

# %%
big_logits = torch.tensor([-200.0, -20.0, 20.0, 200.0])
big_targets = torch.tensor([1.0, 1.0, 0.0, 0.0])
big_probs = torch.sigmoid(big_logits)

print("float32 sigmoid(z) == 1.0 for z = 16, 17, 20:",
      [torch.sigmoid(torch.tensor(v)).item() == 1.0 for v in (16.0, 17.0, 20.0)])
print("sigmoid(z)        ", big_probs)
print("1 - sigmoid(z)    ", 1 - big_probs)
print("by hand           ", -(big_targets * torch.log(big_probs) + (1 - big_targets) * torch.log(1 - big_probs)))
print("BCELoss           ", nn.BCELoss(reduction="none")(big_probs, big_targets))
print("BCEWithLogitsLoss ", nn.BCEWithLogitsLoss(reduction="none")(big_logits, big_targets))

stable = big_logits.clamp(min=0) - big_logits * big_targets + torch.log1p(torch.exp(-big_logits.abs()))
print("stable formula    ", stable)

# %% [markdown]
# The loss value is only half the story; what training uses is the **gradient** with respect to
# the logit. For BCE with logits it is simply `sigmoid(z) − y` (divided by the batch size for
# the mean): large when the model is confidently wrong, exactly when it should learn most.
# Sigmoid-then-`BCELoss` multiplies by the saturated sigmoid's slope, which is 0, so the worst
# mistakes produce **no gradient at all**, and the hand formula produces `nan`.

# %%
def gradient_wrt_logits(loss_fn) -> torch.Tensor:
    """d(loss)/d(logits) for `big_logits`; `+ 0.0` turns a -0.0 into 0.0 so every device prints the same."""
    z = big_logits.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_fn(z), z)
    return grad + 0.0


print("sigmoid + hand BCE:", gradient_wrt_logits(
    lambda z: -(big_targets * torch.log(torch.sigmoid(z))
                + (1 - big_targets) * torch.log(1 - torch.sigmoid(z))).mean()))
print("sigmoid + BCELoss: ", gradient_wrt_logits(lambda z: nn.BCELoss()(torch.sigmoid(z), big_targets)))
print("BCEWithLogitsLoss: ", gradient_wrt_logits(lambda z: nn.BCEWithLogitsLoss()(z, big_targets)))
print("(sigmoid(z) - y)/4:", (torch.sigmoid(big_logits) - big_targets) / 4)

# %% [markdown]
# **Rule of thumb:** let the model return logits and train with `nn.BCEWithLogitsLoss`; apply
# `torch.sigmoid` only when you want probabilities to look at (a plot, a prediction). That is
# exactly what our `LogisticRegression` does, so its loss is the fused one:

# %%
loss_fn = nn.BCEWithLogitsLoss()

# %% [markdown]
# ## Step 4 · Optimizer
#
# The optimizer owns a reference to the parameters and knows how to update them from their
# `.grad`. Plain SGD moves each weight by `-lr * grad`; **momentum** keeps a decaying sum of past
# gradients (`v = μ·v + grad`, then the step is `-lr * v`), which speeds it up along directions
# the gradient keeps pointing to. Lesson 11 looks at optimizers in depth.
#
# The settings live in `optimizer.param_groups`, a list of dicts (one per group of parameters
# with its own settings; here there is one). We print the two this lesson chose rather than the
# whole optimizer, whose printout lists every option and changes between PyTorch versions.

# %%
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
group = optimizer.param_groups[0]
print(type(optimizer).__name__, "with", len(optimizer.param_groups), "parameter group")
print("lr:", group["lr"], " momentum:", group["momentum"])
print("it holds the model's own weight and bias:",
      len(group["params"]) == 2 and all(p is q for p, q in zip(group["params"], model.parameters())))

# %% [markdown]
# ## Step 5 · The training loop
#
# Each iteration does the same four things, always in this order:
#
# 1. **forward**: `logits = model(x)`;
# 2. **loss**: `loss = loss_fn(logits, y)`;
# 3. **backward**: `optimizer.zero_grad()` (gradients *accumulate* otherwise, see lesson 02),
#    then `loss.backward()`;
# 4. **step**: `optimizer.step()` updates the weights.
#
# With 200 points the whole training set fits in one batch, so one iteration sees all of it.
# A point counts as class 1 when its probability is above 0.5, which is the same as its logit
# being above 0, so the accuracy needs no sigmoid. We record the loss and the training accuracy
# at every iteration for the curves, and keep copies of the weights at a few iterations to watch
# the boundary move. The exact digits of a long training run can differ in the last places
# between CPU and GPU, so this cell's printout is not compared; the checked statements after it
# are.

# %%
# NBVAL_IGNORE_OUTPUT
N_ITERATIONS = 200
SNAPSHOTS = (0, 5, 20, N_ITERATIONS)  # weights *before* these updates; 200 = after the last one


def current_weights() -> tuple[torch.Tensor, torch.Tensor]:
    return model.linear.weight.detach().cpu().clone(), model.linear.bias.detach().cpu().clone()


history = {"loss": [], "accuracy": []}
weights_at = {}

model.train()
for iteration in tqdm(range(N_ITERATIONS), desc="training"):
    if iteration in SNAPSHOTS:
        weights_at[iteration] = current_weights()

    logits = model(x_train)                  # 1. forward
    loss = loss_fn(logits, y_train)          # 2. loss
    optimizer.zero_grad()                    # 3. backward (after clearing old gradients)
    loss.backward()
    optimizer.step()                         # 4. step

    with torch.no_grad():
        accuracy = ((logits > 0).float() == y_train).float().mean()
    history["loss"].append(loss.item())
    history["accuracy"].append(accuracy.item())

weights_at[N_ITERATIONS] = current_weights()
with torch.no_grad():  # the accuracy of the final weights (history holds the one before each step)
    train_accuracy = ((model(x_train) > 0).float() == y_train).float().mean().item()
print(f"first loss {history['loss'][0]:.4f}, last loss {history['loss'][-1]:.4f}, "
      f"final train accuracy {train_accuracy:.3f}")

# %%
print("started no better than a coin toss (accuracy <= 0.55):", history["accuracy"][0] <= 0.55)
print("loss went down by more than half:", history["loss"][-1] < 0.5 * history["loss"][0])
print("final training loss below 0.1:", history["loss"][-1] < 0.1)
print("final training accuracy >= 0.95:", train_accuracy >= 0.95)

# %% [markdown]
# Every training run deserves a look at its curves: the loss should fall fast, then flatten.
# The accuracy starts near 0.5 (the hand-set diagonal) and climbs within a few dozen
# iterations; the decision-boundary section below shows what happened to the line meanwhile.

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_loss.plot(history["loss"])
ax_loss.set(title="Training loss (BCE)", xlabel="iteration", ylabel="loss")
ax_acc.plot(history["accuracy"], color="tab:green")
ax_acc.set(title="Training accuracy", xlabel="iteration", ylabel="accuracy", ylim=(0.4, 1.01))
plt.show()

# %% [markdown]
# ## Evaluating on the test set
#
# For evaluation, switch to `model.eval()` and wrap the forward pass in `torch.no_grad()`: no graph
# is built, which saves memory and time. (This model has no dropout or batch norm, so `eval()`
# changes nothing here, but it is a habit worth having from day one.) The model returns logits;
# the sigmoid turns them into probabilities, and a point is predicted as class 1 when its
# probability is above 0.5 (equivalently, when its logit is above 0).

# %%
# NBVAL_IGNORE_OUTPUT
model.eval()
with torch.no_grad():
    test_logits = model(x_test)
    test_loss = loss_fn(test_logits, y_test).item()
    test_probs = torch.sigmoid(test_logits)
    test_predictions = (test_probs > 0.5).float()
    n_correct = int((test_predictions == y_test).sum())
test_accuracy = n_correct / len(y_test)
print(f"test accuracy {test_accuracy:.3f} ({n_correct}/{len(y_test)}), test loss {test_loss:.4f}")
print("first 3 test probabilities:", test_probs[:3, 0].cpu())

# %% [markdown]
# The lesson's target, stated so that it reads the same on every device:

# %%
record_metrics("03_logistic_regression", accuracy=test_accuracy, train_accuracy=train_accuracy,
               final_loss=history["loss"][-1], test_loss=test_loss)
print("test accuracy >= 0.95:", test_accuracy >= 0.95)
print("test loss below 0.1:", test_loss < 0.1)

# %% [markdown]
# ## The decision boundary, read off the weights
#
# The model says "class 1" exactly when the logit is positive, so the border between the classes
# is where it is zero:
#
# $$w_1 x_1 + w_2 x_2 + b = 0 \quad\Longleftrightarrow\quad x_2 = -\frac{w_1}{w_2}\,x_1 - \frac{b}{w_2}.$$
#
# A straight line, whose slope and intercept come straight from the two weights and the bias.
# The weight vector `(w₁, w₂)` is perpendicular to that line and points towards class 1.

# %%
# NBVAL_IGNORE_OUTPUT
w1, w2 = model.linear.weight[0].tolist()
b = model.linear.bias.item()
slope, intercept = -w1 / w2, -b / w2
print(f"w1 = {w1:.3f}, w2 = {w2:.3f}, b = {b:.3f}")
print(f"boundary: x2 = {slope:.3f} * x1 + {intercept:.3f}")

# %% [markdown]
# The clouds are mirror images around the diagonal, so the boundary should run roughly
# perpendicular to it (slope near −1) and pass near the midpoint (1, 1) of the two centres:

# %%
midpoint = ((CENTER_0 + CENTER_1) / 2).tolist()
print("slope within 0.3 of -1:", abs(slope + 1) < 0.3)
print("boundary passes within 0.3 of the midpoint (1, 1):", abs(slope * midpoint[0] + intercept - midpoint[1]) < 0.3)
with torch.no_grad():
    on_line = torch.tensor([[0.0, intercept], [2.0, 2 * slope + intercept]]).to(DEVICE)
    print("logit on the line is 0:", torch.allclose(model(on_line).cpu(), torch.zeros(2, 1), atol=1e-4))

# %% [markdown]
# The same formula applied to the weights we saved during training shows what the loop did.
# It started on the diagonal through both clouds (accuracy about 0.5). After 5 updates it had
# turned much steeper (still a positive slope), by 20 it had turned past vertical, and then it
# settled across the gap between the clouds. The arrow
# is the weight vector `w`: always perpendicular to the line, pointing to the side the model
# calls class 1. Each panel's title gives the training accuracy of those weights.

# %%
def boundary_x2(weight: torch.Tensor, bias: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
    """x2 on the line weight[0, 0]*x1 + weight[0, 1]*x2 + bias = 0."""
    (a, c), bb = weight[0], bias[0]
    return -(a * x1 + bb) / c


def accuracy_of(weight: torch.Tensor, bias: torch.Tensor) -> float:
    """Training accuracy of the boundary given by (weight, bias), computed on the CPU."""
    return (((x_train_cpu @ weight.T + bias) > 0).float() == y_train_cpu).float().mean().item()


x1_line = torch.linspace(-4, 6, 2)
midpoint_t = (CENTER_0 + CENTER_1) / 2
fig, axes = plt.subplots(1, len(SNAPSHOTS), figsize=(12, 3.4), sharey=True)
for ax, it in zip(axes, SNAPSHOTS):
    weight, bias = weights_at[it]
    ax.scatter(*x_train_cpu[:100].T, s=8, c="tab:blue")
    ax.scatter(*x_train_cpu[100:].T, s=8, c="tab:red")
    ax.plot(x1_line, boundary_x2(weight, bias, x1_line), color="black", lw=2)
    # the weight vector, drawn from the point of the line nearest to the midpoint (1, 1)
    w = weight[0]
    foot = midpoint_t - (w @ midpoint_t + bias[0]) / (w @ w) * w
    tip = foot + 1.8 * w / w.norm()
    ax.annotate("", xy=tuple(tip.tolist()), xytext=tuple(foot.tolist()),
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})
    ax.text(*(tip + 0.3 * w / w.norm()).tolist(), "w", ha="center", va="center", fontweight="bold",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.8})
    stage = "start" if it == 0 else f"after {it} updates"
    ax.set(title=f"{stage}\naccuracy {accuracy_of(weight, bias):.3f}", xlabel="$x_1$",
           xlim=(-4, 6), ylim=(-4, 6), aspect="equal")
axes[0].set_ylabel("$x_2$")
fig.suptitle("The decision boundary during training (blue: class 0, red: class 1)")
plt.show()

# %% [markdown]
# The final model in full: the shading is its probability of class 1, `torch.sigmoid(model(x))`
# over a grid of points, and the black line its decision boundary, where that probability is
# 0.5. Filled dots are training points, crosses are test points.

# %%
grid_1, grid_2 = torch.meshgrid(torch.linspace(-4, 6, 101), torch.linspace(-4, 6, 101), indexing="xy")
grid_points = torch.stack([grid_1.flatten(), grid_2.flatten()], dim=1)
with torch.no_grad():
    grid_probs = torch.sigmoid(model(grid_points.to(DEVICE))).cpu().reshape(grid_1.shape)

fig, ax = plt.subplots(figsize=(6, 5.5))
shading = ax.contourf(grid_1, grid_2, grid_probs, levels=20, cmap="coolwarm", alpha=0.35)
fig.colorbar(shading, ax=ax, label="P(class 1)")
ax.scatter(*x_train_cpu[:100].T, s=14, c="tab:blue", label="train, class 0")
ax.scatter(*x_train_cpu[100:].T, s=14, c="tab:red", label="train, class 1")
ax.scatter(*x_test_cpu[:100].T, s=18, c="tab:blue", marker="x", alpha=0.6, label="test, class 0")
ax.scatter(*x_test_cpu[100:].T, s=18, c="tab:red", marker="x", alpha=0.6, label="test, class 1")
ax.plot(x1_line, boundary_x2(*weights_at[N_ITERATIONS], x1_line), color="black", lw=2, label="final boundary")
ax.set(title="Logistic regression: decision boundary from the weights", xlabel="$x_1$", ylabel="$x_2$",
       xlim=(-4, 6), ylim=(-4, 6))
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# ## Polynomial regression: the same recipe fits a curve
#
# "Linear" in linear regression means linear in the **weights**, not in `x`. Give a linear layer
# the features `[x, x², x³]` and it fits a cubic
#
# $$\hat y = w_1 x + w_2 x^2 + w_3 x^3 + b.$$
#
# Only steps 1–3 change: the data become a curve with noise, the model `nn.Linear(3, 1)`, the loss
# the mean squared error (this is regression, not classification). The optimizer and the loop
# are the same.

# %%
TRUE_B, TRUE_W = 0.9, torch.tensor([0.5, 3.0, 2.4])

poly_generator = torch.Generator().manual_seed(4)
x_curve = torch.linspace(-2, 2, 80)
y_curve = TRUE_B + TRUE_W[0] * x_curve + TRUE_W[1] * x_curve**2 + TRUE_W[2] * x_curve**3
y_curve = y_curve + 0.5 * torch.randn(80, generator=poly_generator)


def polynomial_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """Columns x, x², ..., x^degree for a 1-D tensor x: shape (len(x), degree)."""
    return torch.stack([x**k for k in range(1, degree + 1)], dim=1)


features_cubic = polynomial_features(x_curve, 3)
print("feature matrix", tuple(features_cubic.shape))
print(features_cubic[:3])

# %% [markdown]
# The loop is the five-step recipe again, now inside a function so we can reuse it for a
# straight-line fit (degree 1) to compare with.

# %%
def fit_linear_model(features: torch.Tensor, targets: torch.Tensor, n_steps: int = 300,
                     lr: float = 0.01) -> tuple[nn.Linear, list[float]]:
    """Fit nn.Linear(features.shape[1], 1) to `targets` with MSE and SGD+momentum; returns model and losses."""
    set_seed(0)
    layer = nn.Linear(features.shape[1], 1).to(DEVICE)
    features, targets = features.to(DEVICE), targets.to(DEVICE).unsqueeze(1)
    mse = nn.MSELoss()
    opt = torch.optim.SGD(layer.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in tqdm(range(n_steps), desc=f"degree {features.shape[1]}"):
        loss = mse(layer(features), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return layer, losses


cubic, cubic_losses = fit_linear_model(features_cubic, y_curve)
line, line_losses = fit_linear_model(polynomial_features(x_curve, 1), y_curve)

# %% [markdown]
# Because the model is linear in its weights, the best possible fit also has a closed form
# (least squares, `torch.linalg.lstsq`). Gradient descent should land on it:

# %%
# NBVAL_IGNORE_OUTPUT
design = torch.cat([features_cubic, torch.ones(80, 1)], dim=1)
best = torch.linalg.lstsq(design, y_curve.unsqueeze(1)).solution.squeeze(1)
learned = torch.cat([cubic.weight.detach().cpu()[0], cubic.bias.detach().cpu()])
print("true         w1, w2, w3, b:", [*(round(v, 3) for v in TRUE_W.tolist()), TRUE_B])
print("least squares             :", [round(v, 3) for v in best.tolist()])
print("gradient descent          :", [round(v, 3) for v in learned.tolist()])
print(f"final MSE: cubic {cubic_losses[-1]:.4f}, straight line {line_losses[-1]:.4f}")

# %%
record_metrics("03_logistic_regression", poly_mse=cubic_losses[-1])
print("gradient descent within 0.02 of least squares:", torch.allclose(learned, best, atol=0.02))
print("coefficients within 0.2 of the truth:", torch.allclose(learned, torch.cat([TRUE_W, torch.tensor([TRUE_B])]), atol=0.2))
print("cubic MSE near the noise variance 0.25:", abs(cubic_losses[-1] - 0.25) < 0.05)
print("straight line is much worse:", line_losses[-1] > 5 * cubic_losses[-1])

# %%
with torch.no_grad():
    cubic_fit = cubic(features_cubic.to(DEVICE)).cpu().squeeze(1)
    line_fit = line(polynomial_features(x_curve, 1).to(DEVICE)).cpu().squeeze(1)
true_curve = TRUE_B + TRUE_W[0] * x_curve + TRUE_W[1] * x_curve**2 + TRUE_W[2] * x_curve**3

fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.8))
ax_fit.scatter(x_curve, y_curve, s=10, color="gray", label="noisy data")
ax_fit.plot(x_curve, true_curve, "k--", lw=1, label="true cubic")
ax_fit.plot(x_curve, cubic_fit, color="tab:red", lw=2, label="fit on [x, x², x³]")
ax_fit.plot(x_curve, line_fit, color="tab:blue", lw=2, label="fit on [x] only")
ax_fit.set(title="Polynomial regression", xlabel="x", ylabel="y")
ax_fit.legend(fontsize=8)
ax_loss.semilogy(cubic_losses, color="tab:red", label="cubic")
ax_loss.semilogy(line_losses, color="tab:blue", label="straight line")
ax_loss.set(title="Training loss (MSE, log scale)", xlabel="iteration", ylabel="MSE")
ax_loss.legend()
plt.show()

# %% [markdown]
# The zig-zag at the start of the cubic's loss is momentum overshooting and coming back. The cubic
# features have very different scales (`x³` reaches 8 while `x` stays within 2), which is why a
# small learning rate is needed; with `x` over a wider range, standardising the features
# first would let a larger one work.

# %% [markdown]
# ## Common mistakes
#
# **1. Labels of the wrong shape.** The model outputs a column `(N, 1)`; labels built as a flat
# `(N,)` vector do not match. `BCELoss` refuses instead of silently broadcasting to an `(N, N)`
# matrix (which is what `MSELoss` would do, with only a warning):

# %% tags=["raises-exception"]
outputs = torch.tensor([[0.8], [0.3], [0.6]])
flat_labels = torch.tensor([1.0, 0.0, 1.0])
nn.BCELoss()(outputs, flat_labels)

# %% [markdown]
# Fix: `flat_labels.unsqueeze(1)` (or `outputs.squeeze(1)`), so both have the same shape.
#
# **2. Integer labels.** Class labels often come as `torch.long`, but BCE wants float targets
# (they may be probabilities, e.g. 0.9 with label smoothing):

# %% tags=["raises-exception"]
long_labels = torch.tensor([[1], [0], [1]])
nn.BCEWithLogitsLoss()(outputs, long_labels)

# %% [markdown]
# Fix: `long_labels.float()`.
#
# **3. Logits into `BCELoss`.** `BCELoss` expects probabilities; a raw score outside [0, 1] is an
# error (on a GPU it surfaces as a less readable "device-side assert"):

# %% tags=["raises-exception"]
raw_scores = torch.tensor([[2.3], [-1.1], [0.4]])
nn.BCELoss()(raw_scores, flat_labels.unsqueeze(1))

# %% [markdown]
# Fix: either `nn.BCELoss()(torch.sigmoid(raw_scores), ...)` or, better,
# `nn.BCEWithLogitsLoss()(raw_scores, ...)`.
#
# **4. The silent one: a sigmoid too many.** Passing probabilities to `BCEWithLogitsLoss` raises
# nothing, because probabilities are valid logits too. But the sigmoid is applied twice, every
# "probability" is squeezed into (0.5, 0.73), and the loss can never get close to 0:

# %%
labels_col = flat_labels.unsqueeze(1)
print("right: BCEWithLogitsLoss(logits)         ", nn.BCEWithLogitsLoss()(raw_scores, labels_col))
print("wrong: BCEWithLogitsLoss(sigmoid(logits))", nn.BCEWithLogitsLoss()(torch.sigmoid(raw_scores), labels_col))
perfect = torch.tensor([[1.0], [0.0], [1.0]])
print("even perfect probabilities give          ", nn.BCEWithLogitsLoss()(perfect, labels_col))

# %% [markdown]
# ## Exercises
#
# **03.1** Write `binary_cross_entropy(probs, targets)` that returns the **mean** binary
# cross-entropy of probabilities `probs` against targets `targets` (same shape, any shape, any
# float dtype; targets may be soft, between 0 and 1) as a 0-dim tensor. It must meet two demands
# that neither `nn.BCELoss` nor the hand formula of the loss section meets:
#
# - **no clamp.** `nn.BCELoss` clamps each log at −100, so for `p = 1e-60`, `y = 1` (in float64,
#   where 1e-60 is representable) it returns 100 instead of the true `−log(1e-60) ≈ 138.155`.
#   Yours must return the true value, and `inf` for `p = 0`, `y = 1` (certain, and wrong);
# - **a perfect prediction costs nothing.** `p = 1` with `y = 1` (or `p = 0` with `y = 0`) must
#   give exactly 0. The hand formula gives `nan` there: the term it should drop is `0 · log 0`,
#   which in floating point is `0 · (−inf) = nan`.
#
# So a term `y · log p` has to count as 0 whenever `y = 0`, whatever `p` is. `torch.where` can
# do that; PyTorch also has a function for exactly this product (its name starts with `x`). No
# `nn` or `F` losses.

# %%
### BEGIN SOLUTION
def binary_cross_entropy(probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    # xlogy(y, p) = y * log(p), but 0 wherever y == 0 (even where log p is -inf)
    return -(torch.xlogy(targets, probs) + torch.xlogy(1 - targets, 1 - probs)).mean()
### END SOLUTION

# %%
def check_binary_cross_entropy(answer):
    import math

    import torch

    def reference(p, y):  # the formula, term by term, with 0 * log(0) = 0
        terms = [(yi * math.log(pi) if yi > 0 else 0.0) + ((1 - yi) * math.log(1 - pi) if yi < 1 else 0.0)
                 for pi, yi in zip(p.flatten().tolist(), y.flatten().tolist())]
        return -sum(terms) / len(terms)

    def value_of(name):
        value = answer[name]
        assert torch.is_tensor(value) and value.dim() == 0, f"{name}: return a 0-dim tensor (the mean), got {value!r}"
        return value.item()

    got = value_of("half")
    assert math.isclose(got, math.log(2), rel_tol=1e-5), f"BCE(0.5, 1) should be log 2 = 0.6931, got {got:.4f}"
    gen = torch.Generator().manual_seed(11)  # the same inputs binary_cross_entropy_answer draws
    for shape, name in zip([(7,), (4, 1), (3, 5)], ["random (7,)", "random (4, 1)", "random (3, 5)"]):
        p = torch.rand(shape, generator=gen) * 0.98 + 0.01
        y = torch.randint(0, 2, shape, generator=gen).float()
        got, want = value_of(name), reference(p, y)
        assert math.isclose(got, want, rel_tol=1e-5), f"{name}: got {got:.4f}, the mean BCE is {want:.4f}"
    got, want = value_of("soft"), reference(torch.tensor([0.3, 0.8]), torch.tensor([0.2, 0.9]))
    assert math.isclose(got, want, rel_tol=1e-5), \
        f"soft targets [0.2, 0.9] for p = [0.3, 0.8]: got {got:.4f}, expected {want:.4f}; use both terms, not an if on y"
    got, want = value_of("tiny"), -math.log(1e-60)
    assert answer["tiny"].dtype == torch.float64, "a float64 input should give a float64 result (no conversion to float32)"
    hint = ": that is nn.BCELoss's clamp at -100" if math.isclose(got, 100.0) else ""
    assert math.isclose(got, want, rel_tol=1e-9), f"p = 1e-60, y = 1 (float64): got {got:.3f}, expected {want:.3f}{hint}"
    got = value_of("perfect")
    assert got == 0.0, (f"p = [1, 0, 1] for y = [1, 0, 1] should cost exactly 0, got {got}"
                        + ("; 0 * log(0) gives nan in floating point, so that term must be skipped" if math.isnan(got) else ""))
    got = value_of("certain and wrong")
    assert got == math.inf, f"p = 0 for y = 1 should cost inf (log 0), got {got}; do not clamp"


def binary_cross_entropy_answer():
    gen = torch.Generator().manual_seed(11)
    answers = {"half": binary_cross_entropy(torch.tensor([0.5]), torch.tensor([1.0]))}
    for shape, name in zip([(7,), (4, 1), (3, 5)], ["random (7,)", "random (4, 1)", "random (3, 5)"]):
        p = torch.rand(shape, generator=gen) * 0.98 + 0.01
        y = torch.randint(0, 2, shape, generator=gen).float()
        answers[name] = binary_cross_entropy(p, y)
    answers["soft"] = binary_cross_entropy(torch.tensor([0.3, 0.8]), torch.tensor([0.2, 0.9]))
    f64 = torch.float64
    answers["tiny"] = binary_cross_entropy(torch.tensor([1e-60], dtype=f64), torch.tensor([1.0], dtype=f64))
    answers["perfect"] = binary_cross_entropy(torch.tensor([1.0, 0.0, 1.0], dtype=f64), torch.tensor([1.0, 0.0, 1.0], dtype=f64))
    answers["certain and wrong"] = binary_cross_entropy(torch.tensor([0.0], dtype=f64), torch.tensor([1.0], dtype=f64))
    return answers


check_exercise("03.1", check_binary_cross_entropy, points=1, answer=binary_cross_entropy_answer)

# %% [markdown]
# **03.2** The decision boundary is the line where the model's probability of class 1 is 0.5.
# Other probabilities have their lines too, parallel to it: the line where the model becomes 90 %
# sure of class 1, for instance. Write `probability_line(w1, w2, b, p)` that returns the
# `(slope, intercept)` of the line `x2 = slope * x1 + intercept` on which a model with weights
# `(w1, w2)` and bias `b` gives `P(class 1) = p` exactly (plain floats; `0 < p < 1`, `w2 != 0`).
# Start from the question: which logit has sigmoid `p`?

# %%
### BEGIN SOLUTION
def probability_line(w1: float, w2: float, b: float, p: float) -> tuple[float, float]:
    logit = math.log(p / (1 - p))  # sigmoid(logit) = p; 0 for p = 0.5
    return -w1 / w2, (logit - b) / w2
### END SOLUTION

# %%
def check_probability_line(answer):
    import math

    cases = [(2.0, -4.0, 1.0, 0.9), (1.0, 1.0, -2.0, 0.5), (0.0, 2.0, 3.0, 0.2),  # the calls of the answer
             (-1.5, 0.5, 0.25, 0.99), (0.75, -1.25, -0.5, 0.05)]
    assert isinstance(answer, list) and len(answer) == len(cases), (
        f"expected one result for each of the {len(cases)} calls probability_line_answer makes")
    for (w1, w2, b, p), got in zip(cases, answer):
        assert isinstance(got, (tuple, list)) and len(got) == 2, "return two numbers: (slope, intercept)"
        assert all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in got), (
            f"slope and intercept should be plain floats, got {tuple(type(g).__name__ for g in got)}")
        # two points of the line pin it down: the model must give P(class 1) = p at both
        probabilities = [1 / (1 + math.exp(-(w1 * x1 + w2 * (got[0] * x1 + got[1]) + b))) for x1 in (-1.0, 3.0)]
        hint = ""
        if p != 0.5 and math.isclose(got[1], -b / w2, abs_tol=1e-9):
            hint = f" (that is the decision boundary, where P = 0.5; which logit gives P = {p}?)"
        assert all(abs(q - p) <= 1e-9 for q in probabilities), (
            f"probability_line({w1}, {w2}, {b}, p={p}) returned {tuple(got)}, but on that line the model gives "
            f"P(class 1) = {probabilities[0]:.4f} at x1 = -1 and {probabilities[1]:.4f} at x1 = 3, not {p}{hint}")


def probability_line_answer():
    return [probability_line(2.0, -4.0, 1.0, 0.9), probability_line(1.0, 1.0, -2.0, 0.5),
            probability_line(0.0, 2.0, 3.0, 0.2), probability_line(-1.5, 0.5, 0.25, 0.99),
            probability_line(0.75, -1.25, -0.5, 0.05)]


check_exercise("03.2", check_probability_line, points=1, answer=probability_line_answer)

# %% [markdown]
# **03.3** A classifier does not have to answer every time: when it is unsure, "I don't know" can
# be the better answer (a doctor asks for a second test, a bank sends the form to a person).
# Write `confident_classes(model, points, confidence)` that returns, for each row of `points`:
#
# - `1` when the model's probability of class 1 is **above** `confidence`,
# - `0` when that probability is **below** `1 - confidence`,
# - `-1` ("unsure") otherwise.
#
# `model` is a model like ours (remember what its output is), `points` an `(N, 2)` tensor on the
# model's device, and `confidence` a float between 0.5 and 1. Return a CPU tensor of shape
# `(N,)` and dtype `torch.long`. Any correct way is accepted: through probabilities, or by
# turning `confidence` into a threshold on the logit. The check grades the classes, shape and
# dtype on models of its own; that the result is on the CPU cannot be graded (answers always reach
# the grader on the CPU), so **03.4** below is advice without points: on a machine with a GPU it
# tells you whether your result came back to the CPU.

# %%
### BEGIN SOLUTION
def confident_classes(model: nn.Module, points: torch.Tensor, confidence: float) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        probs = torch.sigmoid(model(points)).squeeze(1).cpu()
    classes = torch.full(probs.shape, -1, dtype=torch.long)
    classes[probs > confidence] = 1
    classes[probs < 1 - confidence] = 0
    return classes
### END SOLUTION

# %%
def check_confident_classes(answer):
    import math

    import torch

    probe_points = torch.tensor([[-4.0, 0.0], [-2.0, 1.0], [-1.0, -3.0], [-0.5, 2.0], [0.3, 0.0],
                                 [0.8, 5.0], [1.5, -1.0], [2.5, 0.0], [6.0, 1.0]])
    diagonal = [t / 4 for t in range(-4, 13)]  # points (t, t) from -1 to 3
    cases = [("probe model (logit = x1), confidence 0.9", probe_points[:, 0].tolist(), 0.9),
             ("probe model (logit = x1), confidence 0.75", probe_points[:, 0].tolist(), 0.75),
             ("model with logit = 2 x1 + 1.5 x2 - 3, points on the diagonal, confidence 0.95",
              [2.0 * t + 1.5 * t - 3.0 for t in diagonal], 0.95)]
    assert isinstance(answer, list) and len(answer) == len(cases), (
        f"expected one result for each of the {len(cases)} calls confident_classes_answer makes")
    for (name, logits, confidence), got in zip(cases, answer):
        assert torch.is_tensor(got), f"{name}: return a tensor, got {type(got).__name__}"
        assert got.dtype == torch.long, f"{name}: dtype should be torch.long, got {got.dtype}"
        assert tuple(got.shape) == (len(logits),), \
            f"{name}: shape should be ({len(logits)},), one class per point; got {tuple(got.shape)}"
        for k, (z, g) in enumerate(zip(logits, got.tolist())):
            p = 1 / (1 + math.exp(-z))  # the exercise's rule, applied to the probability itself
            if min(abs(p - confidence), abs(p - (1 - confidence))) < 1e-4:
                continue  # too close to a threshold to judge: float rounding decides
            want = 1 if p > confidence else 0 if p < 1 - confidence else -1
            hint = ""
            if want == -1 and g != -1:
                hint = (f": that is neither above {confidence} nor below {1 - confidence:.2g}, so unsure;"
                        " is the model's output a probability, or a logit?")
            elif g == -1:
                hint = ": this point is confident enough for a class"
            assert g == want, (f"{name}: point {k} has logit {z:.3f}, so P(class 1) = {1 / (1 + math.exp(-z)):.3f}; "
                               f"the answer is {want}, got {g}{hint}")


def confident_classes_answer():
    probe = LogisticRegression().to(DEVICE)  # a probe model whose logit is simply x1
    with torch.no_grad():
        probe.linear.weight.copy_(torch.tensor([[1.0, 0.0]]))
        probe.linear.bias.zero_()
    probe_points = torch.tensor([[-4.0, 0.0], [-2.0, 1.0], [-1.0, -3.0], [-0.5, 2.0], [0.3, 0.0],
                                 [0.8, 5.0], [1.5, -1.0], [2.5, 0.0], [6.0, 1.0]]).to(DEVICE)
    tilted = LogisticRegression().to(DEVICE)  # another one, with both weights and a bias
    with torch.no_grad():
        tilted.linear.weight.copy_(torch.tensor([[2.0, 1.5]]))
        tilted.linear.bias.fill_(-3.0)
    diagonal = torch.linspace(-1.0, 3.0, 17).unsqueeze(1).repeat(1, 2).to(DEVICE)  # across the boundary
    return [confident_classes(probe, probe_points, 0.9), confident_classes(probe, probe_points, 0.75),
            confident_classes(tilted, diagonal, 0.95)]


check_exercise("03.3", check_confident_classes, points=2, answer=confident_classes_answer)

# %%
from tools import advise_exercise


def advise_on_cpu(answer):
    assert torch.is_tensor(answer), f"confident_classes should return a tensor, got {type(answer).__name__}"
    assert answer.device.type == "cpu", f"the result is on {answer.device.type}: return it on the CPU (.cpu())"


advise_exercise("03.4", advise_on_cpu, answer=lambda: confident_classes(model, torch.zeros(3, 2).to(DEVICE), 0.9))

# %% [markdown]
# ## Summary
#
# - Training = **data → model → loss → optimizer → loop**; the loop is forward, loss,
#   `zero_grad`, `backward`, `step`.
# - The sigmoid maps a logit to a probability; p > 0.5 exactly when the logit is > 0.
# - BCE by hand, `nn.BCELoss` and `nn.BCEWithLogitsLoss` agree on ordinary numbers; for large
#   logits only the fused `BCEWithLogitsLoss` stays exact and keeps a useful gradient. So the
#   model returns logits, trains with `BCEWithLogitsLoss`, and `torch.sigmoid` is applied only
#   to look at probabilities.
# - The decision boundary of logistic regression is the line `w₁x₁ + w₂x₂ + b = 0`, read straight
#   off the weights. Started on a deliberately wrong line, training rotated it across the gap
#   and our model reached the ≥ 0.95 test-accuracy target on the two clouds.
# - A linear model on `[x, x², x³]` is polynomial regression; gradient descent lands on the
#   least-squares solution.
# - Labels for BCE are float and the same shape as the output.
# - Next: lesson 04 feeds real images through `Dataset` and `DataLoader`.
