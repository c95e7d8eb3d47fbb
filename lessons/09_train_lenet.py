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
# # 09 · Training LeNet on real handwritten digits
#
# Everything from the last lessons comes together here: the digit folders and the `Dataset`
# pipeline of lesson 04, the transforms of lesson 05, the LeNet of lesson 06. We train it, watch
# it learn, keep the best model, measure it on images it has never seen, and use it to read
# single image files.
#
# **What you will learn**
#
# - the training loop: `model.train()`, forward, loss, `zero_grad`, `backward`, `step`;
# - the validation loop: `model.eval()` and `torch.no_grad()`, and why both;
# - how to save the best model while training and load it back safely;
# - how to judge a classifier: test accuracy, a confusion matrix, the mistakes it makes;
# - how to predict a single image file through *the same* transforms as the test images;
# - how to read the most common shape error, the channel mismatch.
#
# **Target:** test accuracy ≥ 0.97 on 500 digits the model never saw while training.

# %%
import copy
import time

import matplotlib.pyplot as plt
import torch
from PIL import Image, ImageOps
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms as T

from tools import (
    get_device,
    plot_confusion_matrix,
    plot_history,
    project_root,
    record_metrics,
    runs_dir,
    set_seed,
    show_images,
    tqdm,
    use_course_style,
)
from tools.datasets import CachedDataset, ClassFolderDataset, TransformedSubset, ensure_dataset, stratified_split
from tools.models import LeNet, count_parameters
from tools.train import History, confusion_matrix, predict

set_seed(0)
DEVICE = get_device()
torch.set_printoptions(precision=4, sci_mode=False)
use_course_style()

# %% [markdown]
# ## 1 · Data: the digit folders, split 80/10/10
#
# The 5,000 real MNIST digits live as 32×32 grey PNG files in `data/digits/<0-9>/` (built on
# first use, lesson 04). `ClassFolderDataset` lists them as `(path, label)` pairs and, without a
# transform, returns each image as PIL opened it. We split each class 80/10/10 into train,
# validation and test, and never let a test image near training.

# %%
root = ensure_dataset("digits")
files = ClassFolderDataset(root)
split = stratified_split(files.targets, fractions=(0.8, 0.1, 0.1), seed=0)
print(len(files), "files, classes:", files.classes)
print({part: len(indices) for part, indices in split.items()})
image, label = files[0]
print("one item:", type(image).__name__, image.mode, image.size, "| label", label)

# %% [markdown]
# ### One evaluation pipeline, from file to model input
#
# Every image we *evaluate* (validation, test, and later a single file from disk) takes the
# same road, so we build it once and name it `eval_transform`:
#
# 1. `Grayscale()`: one channel. The digit files already are grey (then it changes nothing);
#    a colour file gets converted instead of breaking the model (section 6 shows the error);
# 2. `ToTensor()`: a `[1, 32, 32]` float tensor with values 0..1;
# 3. `Normalize` with the **training** images' mean and standard deviation: pixels around 0 with
#    unit spread, which suits the initial weights.
#
# Reading and decoding the PNG files again every epoch would make each epoch about 1.6 times as
# long (measured here: decoding takes some 0.6× the time of the training steps), so the
# deterministic first two steps (`decode`) run **once**: `CachedDataset` (from `tools.datasets`)
# reads every item of the dataset it wraps, stacks the images into one tensor `.images` and keeps
# the labels in `.targets`; indexing it returns `(images[i], targets[i])`. The notes' loop reads
# and decodes every file again in `__getitem__`, every epoch; this reads each file once. Only
# deterministic steps belong in a cache: a random shift cached once is the same shift forever.

# %%
decode = T.Compose([T.Grayscale(), T.ToTensor()])
decoded = CachedDataset(ClassFolderDataset(root, transform=decode))
print("decoded images:", tuple(decoded.images.shape), decoded.images.dtype,
      "| pixel range", decoded.images.min().item(), "to", decoded.images.max().item())

train_pixels = decoded.images[split["train"]]
mean, std = train_pixels.mean().item(), train_pixels.std().item()
print(f"training-set mean {mean:.4f}, std {std:.4f}")
normalize = T.Normalize((mean,), (std,))
eval_transform = T.Compose([decode, normalize])
print(eval_transform)

# %% [markdown]
# ### Augmentation, for training only
#
# Handwriting is never centred, upright and sized exactly alike. The training images get a small
# random **affine** change every time they are drawn (`RandomAffine`): a rotation of up to 10°,
# a shift of up to 8% of the side (whole pixels, at most 3) and a scale between 0.9 and 1.1.
# Seeing slightly moved, tilted and resized digits makes the network care about shapes, not
# positions. `RandomAffine` works on tensors too, but on a tiny grey image PIL does the same
# change about 1.5 times faster, so the training pipeline turns the cached tensor back into a PIL
# image (`ToPILImage` is exact for values that came from 8-bit pixels), changes it, and ends like
# `eval_transform`.
#
# Validation and test images are never augmented: we want to measure the model, not the luck of a
# random draw. `TransformedSubset(dataset, indices, transform)` (from `tools.datasets`) is
# `torch.utils.data.Subset` plus a transform: its item `k` is `transform(image)` of
# `dataset[indices[k]]`, computed anew at every access, so the augmentation draws fresh numbers
# every epoch. The notes copy the photos into three folders with one dataset each; one folder and
# three index lists do the same without copying files. The validation and test parts run
# `eval_transform` straight from the files, once, and are cached as well.

# %%
train_transform = T.Compose([
    T.ToPILImage(),
    T.RandomAffine(degrees=10, translate=(0.08, 0.08), scale=(0.9, 1.1)),
    T.ToTensor(),
    normalize,
])
train_set = TransformedSubset(decoded, split["train"], train_transform)
valid_set = CachedDataset(TransformedSubset(files, split["valid"], eval_transform))
test_set = CachedDataset(TransformedSubset(files, split["test"], eval_transform))

loader_generator = torch.Generator().manual_seed(0)
train_loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=loader_generator)
valid_loader = DataLoader(valid_set, batch_size=500)
test_loader = DataLoader(test_set, batch_size=500)
print("batches per epoch:", len(train_loader), "| valid batches:", len(valid_loader))
print("a test item is eval_transform of its file:",
      torch.equal(test_set[0][0], eval_transform(files[split["test"][0]][0])))

# %% [markdown]
# Always look at what the network will see. Top row: training images as stored; middle row: the
# same images as one epoch draws them (undoing `Normalize` for display); bottom row: the
# difference, red where the change added ink and blue where it took ink away. A change of two
# pixels is hard to spot by eye, the difference shows it.

# %%
torch.manual_seed(1)
shown = range(0, len(train_set), 400)  # the training indices are sorted by class: one of each digit
originals = [decoded[split["train"][k]][0][0] for k in shown]
augmented = [train_set[k][0][0] * std + mean for k in shown]
figure, axes = plt.subplots(3, len(originals), figsize=(12, 4.2))
for column, (before, after) in enumerate(zip(originals, augmented)):
    axes[0, column].imshow(before, cmap="gray", vmin=0, vmax=1)
    axes[1, column].imshow(after, cmap="gray", vmin=0, vmax=1)
    axes[2, column].imshow(after - before, cmap="RdBu_r", vmin=-1, vmax=1)
for axis in axes.flat:
    axis.set(xticks=[], yticks=[])
for row, name in enumerate(("stored", "augmented", "difference")):
    axes[row, 0].set_ylabel(name)
figure.suptitle("RandomAffine: rotate ≤ 10°, shift ≤ 3 px, scale 0.9–1.1 (red: ink added, blue: ink removed)")
figure.tight_layout();

# %% [markdown]
# ## 2 · The model, the loss, the optimizer
#
# LeNet from `tools.models`, built for one input channel (grey digits) and ten classes, with the
# course's weight initialisation. `CrossEntropyLoss` takes the raw scores (logits) and the class
# indices.
#
# The optimizer is **Adam** with a **one-cycle** learning-rate schedule (`OneCycleLR`), the
# recipe that reached the target most reliably in this time budget. Lessons 11 and 12 take
# optimizers and schedules apart; two things about this pair matter already, because the code
# does not show them:
#
# - `OneCycleLR` sets the learning rate itself and overrides the `lr` given to Adam: it starts
#   at `max_lr / 25`, climbs to `max_lr` over the first 30% of the steps, then glides down to
#   `max_lr / 250,000`, practically zero. It counts *batches*: it must be stepped after every
#   batch, `total_steps` times in all.
# - It also cycles Adam's momentum term β₁ (the first of Adam's `betas`) between 0.95 and 0.85,
#   low while the learning rate is high (`cycle_momentum=True` is its default).
#
# The notes train with plain SGD with momentum and a step schedule. We measured that recipe on
# the same data: even with 24 epochs its test accuracy ended about a point lower (0.97–0.98),
# while this one reached 0.978–0.988 in 12 epochs (five seeds, in both test lanes' float
# settings), a safer margin over the target.

# %%
EPOCHS = 12
set_seed(0)
model = LeNet(classes=10, in_channels=1).initialize_weights().to(DEVICE)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=5e-3, total_steps=EPOCHS * len(train_loader))
print(model)
print("parameters:", count_parameters(model))

# %% [markdown]
# ## 3 · The training loop
#
# One epoch of training is the five steps of lesson 03, once per batch:
#
# 1. move the batch to the device;
# 2. forward: `outputs = model(inputs)`;
# 3. loss: `loss = loss_fn(outputs, targets)`;
# 4. `optimizer.zero_grad()` then `loss.backward()`: fresh gradients (they accumulate otherwise);
# 5. `optimizer.step()`: update the weights (and `scheduler.step()`: move the learning rate on).
#
# Validation runs the same forward pass with two switches:
#
# - `model.eval()` changes how some layers behave (dropout stops dropping, batch norm uses its
#   running statistics; LeNet has neither, but the habit matters), and `model.train()` turns
#   it back;
# - `torch.no_grad()` stops autograd from recording the graph: less memory, faster, and no
#   chance of a gradient leaking into the next step. Neither switch implies the other.

# %%
def train_one_epoch(model, loader):
    model.train()
    total_loss, correct = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(DEVICE), targets.to(DEVICE)
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        total_loss += loss.item() * len(targets)
        correct += (outputs.argmax(dim=1) == targets).sum().item()
    return total_loss / len(loader.dataset), correct / len(loader.dataset)


@torch.no_grad()
def validate(model, loader):
    model.eval()
    total_loss, correct = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(DEVICE), targets.to(DEVICE)
        outputs = model(inputs)
        total_loss += loss_fn(outputs, targets).item() * len(targets)
        correct += (outputs.argmax(dim=1) == targets).sum().item()
    return total_loss / len(loader.dataset), correct / len(loader.dataset)

# %% [markdown]
# ### Train, and keep the best model
#
# After every epoch we validate and note the four numbers in a `History` (from `tools.train`):
# a small dataclass with one list per curve (`train_loss`, `train_acc`, `valid_loss`,
# `valid_acc`, one value per epoch) and the best epoch so far, which `plot_history` draws. The
# notes keep the same numbers in plain lists; a named record is easier to pass around.
#
# Whenever validation accuracy reaches the best so far, the model's `state_dict` (its weights,
# lesson 17) is saved under `runs/09_train_lenet/`. The last epoch is not always the best one;
# the checkpoint is. A tie goes to the later epoch (`>=`): with 500 validation images, ties are
# common, and as the learning rate falls the later model is usually the more settled one.
#
# The numbers below differ between machines: a CPU and a GPU (or two CPUs) run their
# floating-point sums in different orders, and over 756 steps (12 epochs of 63 batches) those
# last-bit differences grow into a different training run that ends a few test images better or
# worse.
# So the log is not compared by the tests; the outcome is checked after it.

# %%
# NBVAL_IGNORE_OUTPUT
checkpoint = runs_dir("09_train_lenet") / "best_lenet.pt"
history = History(checkpoint=checkpoint)
start = time.perf_counter()
for epoch in tqdm(range(EPOCHS), desc="epochs"):
    train_loss, train_acc = train_one_epoch(model, train_loader)
    valid_loss, valid_acc = validate(model, valid_loader)
    for name, value in zip(("train_loss", "train_acc", "valid_loss", "valid_acc"),
                           (train_loss, train_acc, valid_loss, valid_acc)):
        getattr(history, name).append(value)
    if valid_acc >= history.best_valid_acc:
        history.best_epoch, history.best_valid_acc = epoch, valid_acc
        torch.save(model.state_dict(), checkpoint)
    print(f"epoch {epoch + 1:2d}  train loss {train_loss:.4f} acc {train_acc:.3f}  "
          f"valid loss {valid_loss:.4f} acc {valid_acc:.3f}")
train_seconds = time.perf_counter() - start
print(f"best epoch {history.best_epoch + 1}, valid accuracy {history.best_valid_acc:.3f}, "
      f"{train_seconds:.1f} s")

# %%
print("validation accuracy of the best epoch >= 0.97:", history.best_valid_acc >= 0.97)
print("training loss fell over the run:", history.train_loss[-1] < history.train_loss[0] / 5)
print("checkpoint written:", checkpoint.exists())

# %% [markdown]
# The curves tell the story: training and validation loss fall together and level off side by
# side, so the network is learning digits rather than memorising these 4,000 images. (The
# validation accuracy sits *above* the training accuracy for most of the run: training images
# are augmented, so they are harder than the plain validation images, and the training numbers
# are averaged over an epoch in which the model was still improving.)

# %%
plot_history(history, title="LeNet on 4,000 digits");

# %% [markdown]
# ## 4 · Test accuracy from the best checkpoint
#
# Load the saved weights into a fresh LeNet. `weights_only=True` makes `torch.load` refuse
# anything but tensors and plain containers: a checkpoint is a pickle, and unpickling a file
# from an untrusted source can run arbitrary code.
#
# `predict(model, loader, device)` (from `tools.train`) is `validate` without the counting: in
# eval mode and under `no_grad`, it returns every predicted class (the argmax of the scores) and
# every true label, on the CPU, in the loader's order.

# %%
best_model = LeNet(classes=10, in_channels=1).to(DEVICE)
best_model.load_state_dict(torch.load(checkpoint, map_location=DEVICE, weights_only=True))
predictions, truth = predict(best_model, test_loader, DEVICE)
test_accuracy = (predictions == truth).sum().item() / len(truth)

# %%
# NBVAL_IGNORE_OUTPUT
print(f"test accuracy: {test_accuracy:.3f} ({(predictions == truth).sum().item()} of {len(truth)})")

# %%
print("target met, test accuracy >= 0.97:", test_accuracy >= 0.97)
record_metrics("09_train_lenet", test_accuracy=test_accuracy, best_valid_accuracy=history.best_valid_acc,
               best_epoch=history.best_epoch + 1, train_seconds=round(train_seconds, 1));

# %% [markdown]
# The loop we wrote is also packaged as `tools.train.fit` (with `evaluate` and `predict`), which
# later lessons call in one line. `fit` steps a scheduler once per *epoch*, which suits most
# schedules (lesson 12); a per-batch schedule such as `OneCycleLR` needs a loop like ours.

# %% [markdown]
# ### Where does it go wrong?
#
# A confusion matrix counts, for every true class (row), what the model predicted (column).
# The diagonal holds the hits; every other cell is a kind of mistake. Counts sum to the 500
# test images, 50 per row.

# %%
matrix = confusion_matrix(predictions, truth, classes=10)
print("every row holds 50 test images:", bool((matrix.sum(dim=1) == 50).all()))
print("diagonal equals the number of hits:", matrix.diag().sum().item() == (predictions == truth).sum().item())
plot_confusion_matrix(matrix, files.classes, title="LeNet on the test digits");

# %% [markdown]
# The mistakes themselves are worth a look: many are digits a person would hesitate over too.

# %%
# NBVAL_IGNORE_OUTPUT
wrong = (predictions != truth).nonzero().flatten().tolist()
wrong_images = [decoded[split["test"][i]][0] for i in wrong[:8]]
show_images(wrong_images, titles=[f"{truth[i]} read as {predictions[i]}" for i in wrong[:8]], ncols=8, size=1.7);

# %% [markdown]
# ## 5 · Predicting a single image file
#
# In use, a model meets one image at a time, straight from disk. It must go through **the same**
# preprocessing as the test images, and it does: `eval_transform` is the very pipeline the test
# set was built with. The model wants a batch `[N, C, H, W]`, so one image gets a batch dimension
# of 1 (`unsqueeze(0)`). The file is opened in a `with` block, so it is closed when the block
# ends, even when a step inside fails (without it, the file stays open until PIL has read the
# pixels or Python collects the image).
#
# A digit the model reads easily gets a probability of 1.00 for its class and tells us little,
# so we take one of the test mistakes: the one where the model came closest to the right
# answer, that is, gave the true class the highest probability. Among the mistakes we skip near
# ties (the wrong class ahead by less than 0.05): on another device such an image could fall
# the other way. (Only if every mistake were such a tie would we take one anyway.)

# %%
def predict_file(model, path):
    with Image.open(path) as image:
        batch = eval_transform(image).unsqueeze(0).to(DEVICE)
    model.eval()
    with torch.no_grad():
        probabilities = torch.softmax(model(batch), dim=1)[0].cpu()
    return probabilities.argmax().item(), probabilities


def test_file(position):
    return files.samples[split["test"][position]][0]


def probability_of_truth(position):
    return predict_file(best_model, test_file(position))[1][truth[position]].item()


def lead_of_wrong_class(position):
    probabilities = predict_file(best_model, test_file(position))[1]
    return probabilities.max().item() - probabilities[truth[position]].item()


clear_mistakes = [i for i in wrong if lead_of_wrong_class(i) >= 0.05]
position = max(clear_mistakes or wrong, key=probability_of_truth)  # a position in the test set
path = test_file(position)
label, probabilities = predict_file(best_model, path)

# %% [markdown]
# Which digit this is depends on the training run, so the next cell's output differs between
# machines; the cell after it checks what holds everywhere.

# %%
# NBVAL_IGNORE_OUTPUT
print("file:", path.relative_to(project_root()).as_posix(), "| true class:", path.parent.name)
top = probabilities.topk(3)
print("three most probable classes:",
      ", ".join(f"{files.classes[c]}: {p:.2f}" for p, c in zip(top.values.tolist(), top.indices.tolist())))
print(f"probability given to the true class: {probabilities[truth[position]]:.2f}")

# %%
print("same class as predict() gave this test image:", label == predictions[position].item())
print("a mistake, so not the true class:", label != truth[position].item())
print("ten probabilities summing to 1:", len(probabilities) == 10 and abs(probabilities.sum().item() - 1) < 1e-5)

# %% [markdown]
# ## 6 · Common mistake: the channel mismatch
#
# The notes' banknote LeNet took **RGB** photos: `in_channels=3`. Feed a colour image to our
# grey LeNet (or a grey one to theirs) and the first convolution refuses. `eval_transform`
# protects us with its `Grayscale()`; skip that step and here is what happens when an RGB copy of
# a digit goes into the 1-channel model (on the CPU, so the message reads the same everywhere):

# %%
cpu_model = copy.deepcopy(best_model).cpu()
with Image.open(path) as image:
    rgb_digit = T.ToTensor()(image.convert("RGB")).unsqueeze(0)
print("input shape:", tuple(rgb_digit.shape), "| conv1 weight shape:", tuple(cpu_model.conv1.weight.shape))

# %% tags=["raises-exception"]
cpu_model(rgb_digit)

# %% [markdown]
# How to read it: `weight of size [6, 1, 5, 5]` is conv1's weight, `[out_channels, in_channels,
# kh, kw]`, so the layer **expects 1 input channel**. `expected input[1, 3, 32, 32]` is your batch
# `[N, C, H, W]` with **3** channels. Fix the data (`.convert("L")` or `Grayscale()`) or the
# model (`in_channels=3`), whichever is wrong. A related message, `mat1 and mat2 shapes cannot be
# multiplied`, comes from a plain LeNet such as the notes' when the image *size* changes: the
# flattened features no longer fit `fc1`. The course's LeNet checks the size before its first
# layer and says how to pad or resize instead.

# %% [markdown]
# ## Exercises
#
# **09.1** From the confusion matrix `matrix`, compute the accuracy of each class (the share of
# that class's test images read correctly) as a float tensor `per_class_accuracy` of shape
# `(10,)`, and the overall test accuracy `overall_accuracy` (a float) from the same matrix.
# Rows are true classes, columns predictions. The check rebuilds `best_model` from its weights
# and recomputes its test predictions itself, so the numbers must be those of your model.

# %%
### BEGIN SOLUTION
per_class_accuracy = matrix.diag().float() / matrix.sum(dim=1).float()
overall_accuracy = (matrix.diag().sum() / matrix.sum()).item()
### END SOLUTION

# %%
from tools import check_exercise


def check_per_class(answer):
    import torch

    from tools.train import digit_test_setup

    # The lesson's test set and normalisation, rebuilt; the model from the weights of best_model.
    setup = digit_test_setup(answer["best_model weights"])
    scores, truth, accuracy = setup.scores, setup.truth, setup.accuracy
    predictions = scores.argmax(dim=1)
    assert accuracy >= 0.9, f"these weights read only {accuracy:.3f} of the test set: answer with the trained best_model"
    # another device may break a near tie the other way: such images may count either way
    top2 = scores.topk(2, dim=1).values
    near_tie = (top2[:, 0] - top2[:, 1]) < 1e-3
    per_class_accuracy, overall_accuracy = answer["per_class_accuracy"], answer["overall_accuracy"]
    assert isinstance(per_class_accuracy, torch.Tensor) and per_class_accuracy.is_floating_point(), \
        f"per_class_accuracy should be a float tensor, got {type(per_class_accuracy).__name__}"
    assert tuple(per_class_accuracy.shape) == (10,), f"expected shape (10,), got {tuple(per_class_accuracy.shape)}"
    for digit in range(10):
        in_class = truth == digit
        expected = (predictions[in_class] == digit).float().mean().item()
        slack = near_tie[in_class].sum().item() / in_class.sum().item() + 1e-6
        assert abs(per_class_accuracy[digit].item() - expected) <= slack, \
            f"class {digit}: expected {expected:.3f} (hits on the diagonal / images in row {digit}), " \
            f"got {per_class_accuracy[digit].item():.3f}"
    assert isinstance(overall_accuracy, (int, float)), \
        f"overall_accuracy should be a float, got {type(overall_accuracy).__name__}"
    assert abs(overall_accuracy - accuracy) <= near_tie.float().mean().item() + 1e-6, \
        f"overall accuracy should be {accuracy:.3f}, got {overall_accuracy:.3f}"


check_exercise("09.1", check_per_class, points=1,
               answer=lambda: {"per_class_accuracy": per_class_accuracy, "overall_accuracy": overall_accuracy,
                               "best_model weights": best_model.state_dict()})

# %% [markdown]
# **09.2** Which *pair* of digits does the model confuse most? Find the largest count off the
# diagonal of `matrix` and store it as `most_confused = (true_digit, predicted_digit)`, a tuple of
# two Python ints from 0 to 9. When several pairs share the largest count, any of them is right.
# As in 09.1, the check rebuilds `best_model` from its weights and recomputes its test predictions
# itself, so the pair must be your model's.

# %%
### BEGIN SOLUTION
off_diagonal = matrix.clone()
off_diagonal.fill_diagonal_(-1)
flat_index = off_diagonal.argmax().item()
most_confused = (flat_index // 10, flat_index % 10)
### END SOLUTION

# %%
def check_most_confused(answer):
    import torch

    from tools.train import digit_test_setup

    assert isinstance(answer, dict) and set(answer) == {"most_confused", "best_model weights"}, \
        "expected most_confused and best_model's weights"
    most_confused = answer["most_confused"]
    assert isinstance(most_confused, tuple) and len(most_confused) == 2, "most_confused must be a tuple of two ints"
    assert all(type(digit) is int and 0 <= digit <= 9 for digit in most_confused), \
        f"most_confused must hold two Python ints from 0 to 9, got {most_confused!r}"
    true_digit, predicted_digit = most_confused
    assert true_digit != predicted_digit, "a pair on the diagonal is a hit, not a confusion"
    # The lesson's test set and normalisation, rebuilt; the model from the weights of best_model.
    setup = digit_test_setup(answer["best_model weights"])
    scores, truth, accuracy = setup.scores.detach(), setup.truth, setup.accuracy
    assert accuracy >= 0.9, f"these weights read only {accuracy:.3f} of the test set: answer with the trained best_model"
    # another device may break a near tie the other way: such an image may count for either of its top two
    top2 = scores.topk(2, dim=1)
    near_tie = (top2.values[:, 0] - top2.values[:, 1]) < 1e-3
    firm = ~near_tie
    counts = torch.bincount(truth[firm] * 10 + top2.indices[firm, 0], minlength=100).reshape(10, 10)  # certain counts
    off = counts.clone()
    off.fill_diagonal_(-1)
    could_add = (near_tie & (truth == true_digit) & (top2.indices == predicted_digit).any(dim=1)).sum().item()
    count = counts[true_digit, predicted_digit].item()
    assert count + could_add >= off.max().item(), (
        f"{most_confused} was confused {count} times; the largest off-diagonal count is {off.max().item()}"
    )


check_exercise("09.2", check_most_confused, points=1,
               answer=lambda: {"most_confused": most_confused, "best_model weights": best_model.state_dict()})

# %% [markdown]
# **09.3** A colour scanner gives you digits written with **dark blue ink on off-white paper**,
# saved as RGB PNG files of 32×32 pixels (the cell below makes 50 of them from test digits and
# shows one of each class). Write `read_scan(path)` that returns the ten class probabilities
# (a float tensor of shape `(10,)` on the CPU, like the second result of `predict_file`) that
# `best_model` gives the scan at `path`, without retraining or changing the model.
#
# Before it goes through the lesson's evaluation pipeline, the scan must look like the images the
# model was trained on: think about what those looked like. Undo what the scanner changed and
# nothing more (no contrast stretching or other retouching). The check processes the same scans
# itself and accepts every probability within 0.03 of its own (grey, then inverted), or within
# 0.03 of what the model gives the original digit file, for an answer that also undoes the ink
# colour's levels exactly.

# %%
scan_dir = runs_dir("09_train_lenet", "scans")


def make_scan(source, target):
    """Write the digit file ``source`` to ``target`` as a colour scan: dark ink on light paper."""
    with Image.open(source) as digit:
        paper = ImageOps.colorize(ImageOps.invert(digit.convert("L")), black=(30, 40, 110), white=(250, 248, 240))
    paper.save(target)


scan_paths = []
for index in split["test"][::10]:  # 5 test digits of every class
    source = files.samples[index][0]
    scan_paths.append(scan_dir / f"scan_{source.name}")
    make_scan(source, scan_paths[-1])
with Image.open(scan_paths[0]) as scan:
    print(len(scan_paths), "scans, e.g.", scan_paths[0].name, scan.mode, scan.size)
previews = []
for scan_path in scan_paths[::5]:
    with Image.open(scan_path) as scan:
        previews.append(scan.copy())
show_images(previews, ncols=10, size=1.2);

# %%
### BEGIN SOLUTION
def read_scan(path):
    with Image.open(path) as scan:
        light_on_dark = ImageOps.invert(scan.convert("L"))  # the training digits are light ink on black
    batch = eval_transform(light_on_dark).unsqueeze(0).to(DEVICE)
    best_model.eval()
    with torch.no_grad():
        return torch.softmax(best_model(batch), dim=1)[0].cpu()
### END SOLUTION

# %%
def check_read_scan(answer):
    import torch
    from PIL import Image, ImageOps
    from torchvision import transforms as T

    from tools.train import digit_test_setup

    # The lesson's data, split and normalisation, rebuilt; the model from the weights of best_model.
    setup = digit_test_setup(answer["best_model weights"])
    model, normalize, accuracy = setup.model, setup.normalize, setup.accuracy
    assert accuracy >= 0.9, f"these weights read only {accuracy:.3f} of the test set: answer with the trained best_model"
    answers = answer["probabilities"]
    chosen = setup.test[::10]
    assert isinstance(answers, list) and len(answers) == len(chosen), \
        f"expected one answer per scan ({len(chosen)}), got {len(answers) if isinstance(answers, list) else answers!r}"
    mismatches = []
    for index, probabilities in zip(chosen, answers):
        source = setup.files.samples[index][0]
        assert isinstance(probabilities, torch.Tensor) and tuple(probabilities.shape) == (10,), \
            f"scan_{source.name}: return the ten class probabilities as a tensor of shape (10,), got {probabilities!r}"
        with Image.open(source) as digit:
            scan = ImageOps.colorize(ImageOps.invert(digit.convert("L")), black=(30, 40, 110), white=(250, 248, 240))
        like_training = normalize(T.ToTensor()(ImageOps.invert(scan.convert("L"))))
        with torch.no_grad():
            expected = torch.softmax(model(like_training.unsqueeze(0)), dim=1)[0]
            original = torch.softmax(model(normalize(setup.images[index]).unsqueeze(0)), dim=1)[0]
        difference = min((probabilities.float() - reference).abs().max().item() for reference in (expected, original))
        if not difference <= 0.03:
            mismatches.append(f"scan_{source.name} (a {setup.files.targets[index]}): a probability differs by {difference:.2f}")
    assert not mismatches, (
        f"{len(mismatches)} of {len(answers)} scans get other probabilities than the scan brought to the training "
        f"images' look (grey, light ink on black, normalised as in training): {'; '.join(mismatches[:2])}"
    )


def read_scan_answer():
    return {"probabilities": [read_scan(path) for path in scan_paths], "best_model weights": best_model.state_dict()}


check_exercise("09.3", check_read_scan, points=2, answer=read_scan_answer)

# %% [markdown]
# ## Summary
#
# - Train loop per batch: `model.train()`, forward, loss, `zero_grad`, `backward`, `step`.
# - Validate with `model.eval()` **and** `torch.no_grad()`; save the best `state_dict`, load it
#   with `weights_only=True`.
# - Build the evaluation pipeline once (`Grayscale`, `ToTensor`, `Normalize` with the training
#   statistics) and send validation, test and new images through it; augment the training data
#   only. A new image must first look like the training images (colour, polarity) to be read well.
# - A confusion matrix shows *which* mistakes a model makes, not just how many.
# - `expected input ... to have 1 channels, but got 3` compares the weight's `in_channels` with
#   your batch's `C`.
# - LeNet reads 4,000 real digits well enough for ≥ 97% on the test set in well under a minute.
