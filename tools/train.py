"""The training and evaluation loop that later lessons reuse."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from tools.datasets import CachedDataset, ClassFolderDataset, ensure_dataset, split_labels, stratified_split
from tools.models import LeNet, require_module
from tools.progress import tqdm


@dataclass
class History:
    """Per-epoch loss and accuracy of a run, and which epoch was best on the validation set."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_acc: list[float] = field(default_factory=list)
    best_epoch: int = -1
    best_valid_acc: float = -1.0
    checkpoint: Path | None = None


LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Scheduler = torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau


def _check_loss_fn(loss_fn: object) -> None:
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a loss function such as nn.CrossEntropyLoss(), got {type(loss_fn).__name__}")


def _check_loader(loader: object, name: str) -> None:
    """Refuse a dataset passed where a ``DataLoader`` belongs, and a loader with no batches."""
    if isinstance(loader, Dataset) or not isinstance(loader, Iterable):
        raise TypeError(
            f"{name} must be a DataLoader that yields (inputs, targets) batches, got {type(loader).__name__}; "
            "wrap a dataset as DataLoader(dataset, batch_size=32)"
        )
    if isinstance(loader, Sized) and len(loader) == 0:
        raise ValueError(
            f"{name} yields no samples: its dataset is empty, or drop_last=True drops its only "
            "batch (fewer samples than batch_size)"
        )


def _batches(loader: Iterable) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The ``(inputs, targets)`` batches of ``loader``, refusing any other kind of batch."""
    for batch in loader:
        if not (
            isinstance(batch, (tuple, list))
            and len(batch) == 2
            and all(isinstance(part, torch.Tensor) for part in batch)
        ):
            raise ValueError(
                "the loader must yield (inputs, targets) pairs of tensors, as a DataLoader over "
                "TensorDataset(x, y) or ClassFolderDataset does; got a batch of type "
                f"{type(batch).__name__}"
            )
        yield batch[0], batch[1]


def _check_scores(outputs: torch.Tensor, targets: torch.Tensor) -> None:
    """Accuracy needs class scores ``[N, classes]`` and class indices ``[N]``, as CrossEntropyLoss takes."""
    fits = outputs.dim() == 2 and outputs.shape[1] >= 2 and targets.shape == outputs.shape[:1]
    if not fits or targets.is_floating_point():
        raise ValueError(
            "accuracy is computed from class scores of shape [N, classes] (classes >= 2) and class "
            f"indices of shape [N], as CrossEntropyLoss takes; got model outputs of shape {tuple(outputs.shape)} "
            f"and targets of shape {tuple(targets.shape)} ({targets.dtype})"
        )


def run_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: LossFunction,
    device: torch.device,
    optimizer: torch.optim.Optimizer | None = None,
) -> tuple[float, float]:
    """One pass over ``loader``: trains when an ``optimizer`` is given, else evaluates.

    ``loader`` yields ``(inputs, targets)`` batches with class-index targets; the model returns
    class scores ``[N, classes]`` and ``loss_fn`` (e.g. ``nn.CrossEntropyLoss()``) one number.
    Evaluation runs in ``model.eval()`` mode without building a graph (``no_grad``).
    Returns the mean loss per sample and the accuracy.
    """
    require_module(model, "run_epoch")
    _check_loader(loader, "loader")
    _check_loss_fn(loss_fn)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim optimizer or None, got {type(optimizer).__name__}")
    training = optimizer is not None
    model.train(training)
    total_loss, correct, seen = 0.0, 0, 0
    with torch.set_grad_enabled(training):
        for inputs, targets in _batches(loader):
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            _check_scores(outputs, targets)
            loss = loss_fn(outputs, targets)
            if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
                raise ValueError(
                    f"loss_fn must return one number (a 0-d tensor), got {_describe(loss)}; "
                    "use a loss with reduction='mean' (the default)"
                )
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total_loss += loss.item() * len(targets)
            correct += (outputs.argmax(dim=1) == targets).sum().item()
            seen += len(targets)
    if seen == 0:
        raise ValueError("the data loader yielded no samples; check the dataset and drop_last")
    return total_loss / seen, correct / seen


def _describe(value: object) -> str:
    return f"a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else type(value).__name__


def evaluate(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: LossFunction,
    device: torch.device,
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``loader``, in eval mode, without gradients."""
    require_module(model, "evaluate")
    return run_epoch(model, loader, loss_fn, device)


def _prepare_checkpoint(checkpoint: str | os.PathLike) -> Path:
    """``checkpoint`` as a Path whose folder exists and can be written, checked before any training."""
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a file path (str or Path), got {type(checkpoint).__name__}")
    path = Path(checkpoint)
    if path.is_dir():
        raise ValueError(f"checkpoint {path} is a folder; pass a file path inside it, e.g. {path / 'best.pt'}")
    partial = _partial(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.open("wb").close()
    except OSError as error:
        raise OSError(
            f"cannot write the checkpoint {path} ({error.strerror or error}); "
            "pass a path in a folder you can write, e.g. runs_dir('my_lesson') / 'best.pt'"
        ) from error
    partial.unlink()
    return path


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def _save_atomically(state: dict, path: Path) -> None:
    """Save ``state`` to ``path`` through a ``.partial`` file, which never outlives a failed save."""
    partial = _partial(path)
    try:
        torch.save(state, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def fit(
    model: nn.Module,
    train_loader: DataLoader,
    valid_loader: DataLoader,
    loss_fn: LossFunction,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    device: torch.device,
    scheduler: Scheduler | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
) -> History:
    """Train for ``epochs`` epochs, validating after each, with a progress bar.

    When ``checkpoint`` is given, the model's ``state_dict`` is saved there whenever the
    validation accuracy improves, so the file always holds the best model seen; a path that
    cannot be written is refused before training starts. A scheduler is stepped once per
    epoch (``ReduceLROnPlateau`` with the validation loss). Bad arguments (no optimizer,
    an optimizer over another model's parameters, an empty loader) are refused up front.
    """
    _check_fit_arguments(model, train_loader, valid_loader, loss_fn, optimizer, epochs, scheduler)
    if checkpoint is not None:
        checkpoint = _prepare_checkpoint(checkpoint)
    model.to(device)
    history = History(checkpoint=checkpoint)
    bar = tqdm(range(epochs), desc="epochs", unit="epoch", disable=not progress)
    for epoch in bar:
        train_loss, train_acc = run_epoch(model, train_loader, loss_fn, device, optimizer)
        valid_loss, valid_acc = evaluate(model, valid_loader, loss_fn, device)
        for name, value in (
            ("train_loss", train_loss),
            ("train_acc", train_acc),
            ("valid_loss", valid_loss),
            ("valid_acc", valid_acc),
        ):
            getattr(history, name).append(value)
        if valid_acc > history.best_valid_acc:
            history.best_epoch, history.best_valid_acc = epoch, valid_acc
            if checkpoint is not None:
                _save_atomically(model.state_dict(), checkpoint)
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(valid_loss)
        elif scheduler is not None:
            scheduler.step()
        bar.set_postfix(train_loss=f"{train_loss:.3f}", valid_acc=f"{valid_acc:.3f}")
    return history


def _check_fit_arguments(
    model: object,
    train_loader: object,
    valid_loader: object,
    loss_fn: object,
    optimizer: object,
    epochs: object,
    scheduler: object,
) -> None:
    """Refuse, before any training, the arguments that would make ``fit`` fail late or learn nothing."""
    if not isinstance(epochs, int) or isinstance(epochs, bool):
        raise TypeError(f"epochs must be an int, got {type(epochs).__name__}")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    require_module(model, "fit")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"fit needs an optimizer to train, got {type(optimizer).__name__}; pass e.g. "
            "torch.optim.SGD(model.parameters(), lr=0.1) (to only measure a model, call evaluate)"
        )
    model_parameters = {id(p) for p in model.parameters()}
    if not any(id(p) in model_parameters for group in optimizer.param_groups for p in group["params"]):
        raise ValueError(
            "the optimizer holds none of the model's parameters, so training would change nothing; "
            "build it from this model: torch.optim.SGD(model.parameters(), lr=0.1)"
        )
    _check_loss_fn(loss_fn)
    if scheduler is not None and not isinstance(scheduler, Scheduler):
        raise TypeError(
            f"scheduler must be a torch.optim.lr_scheduler scheduler or None, got {type(scheduler).__name__}"
        )
    _check_loader(train_loader, "train_loader")
    _check_loader(valid_loader, "valid_loader")


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted classes and true labels for every sample of ``loader``, on the CPU.

    The model must return class scores ``[N, classes]``; the prediction is their argmax.
    """
    require_module(model, "predict")
    _check_loader(loader, "loader")
    model.eval()
    predictions, targets = [], []
    for inputs, labels in _batches(loader):
        outputs = model(inputs.to(device))
        _check_scores(outputs, labels)
        predictions.append(outputs.argmax(dim=1).cpu())
        targets.append(labels.cpu())
    if not predictions:
        raise ValueError("the data loader yielded no samples")
    return torch.cat(predictions), torch.cat(targets)


def confusion_matrix(predictions: torch.Tensor, targets: torch.Tensor, classes: int) -> torch.Tensor:
    """``matrix[true, predicted]`` counts as an ``int64`` tensor of shape ``[classes, classes]``.

    ``predictions`` and ``targets`` are 1-D integer tensors of class indices on one device
    (e.g. ``outputs.argmax(dim=1)`` and the labels, as :func:`predict` returns them).
    """
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
        raise ValueError(f"classes must be a positive int (the number of classes), got {classes!r}")
    for name, values in (("predictions", predictions), ("targets", targets)):
        if not isinstance(values, torch.Tensor):
            raise TypeError(
                f"{name} must be a tensor of class indices, got {type(values).__name__}; "
                f"convert it with torch.tensor({name})"
            )
        if values.is_floating_point() or values.is_complex() or values.dtype == torch.bool:
            raise TypeError(
                f"{name} must hold class indices (ints), got {values.dtype}; "
                "pass class indices, e.g. outputs.argmax(dim=1), not scores or probabilities"
            )
    if predictions.shape != targets.shape or predictions.dim() != 1:
        raise ValueError(
            f"predictions and targets must be 1-D and the same length, got {tuple(predictions.shape)} "
            f"and {tuple(targets.shape)}"
        )
    if predictions.device != targets.device:
        raise ValueError(
            f"predictions are on {predictions.device} and targets on {targets.device}; "
            "move both to one device, e.g. with .cpu()"
        )
    if len(targets) and (max(predictions.max(), targets.max()) >= classes or min(predictions.min(), targets.min()) < 0):
        raise ValueError(f"labels must lie in 0..{classes - 1}")
    flat = targets.long() * classes + predictions.long()
    return torch.bincount(flat, minlength=classes * classes).reshape(classes, classes)


@dataclass(frozen=True)
class DigitTestSetup:
    """Lesson 09's trained LeNet and test split, rebuilt from the model's weights alone."""

    model: nn.Module  # LeNet(10 classes, 1 channel) on the CPU, in eval mode, holding the weights
    normalize: Callable[[torch.Tensor], torch.Tensor]  # Normalize with the training split's mean and std
    files: ClassFolderDataset  # the digit files, in the order of ``images`` (paths in ``.samples``)
    images: torch.Tensor  # every digit decoded to [N, 1, 32, 32] with values 0..1, not normalised
    test: list[int]  # the indices of the default split's test part
    scores: torch.Tensor  # the model's logits for the test part, [len(test), 10]
    truth: torch.Tensor  # the test part's labels

    @property
    def accuracy(self) -> float:
        return (self.scores.argmax(dim=1) == self.truth).float().mean().item()


@functools.cache
def _digit_files_and_images() -> tuple[ClassFolderDataset, torch.Tensor, dict[str, list[int]], Callable]:
    """The digit files, every image decoded (0..1), the default split and the training part's
    normalisation: read once per process (a grader runs lesson 09's checks many times)."""
    from torchvision.transforms import Normalize, ToTensor

    files = ClassFolderDataset(ensure_dataset("digits"), transform=ToTensor())
    images = CachedDataset(files).images
    split = stratified_split(files.targets, fractions=(0.8, 0.1, 0.1), seed=0)
    train_pixels = images[split["train"]]
    return files, images, split, Normalize((train_pixels.mean().item(),), (train_pixels.std().item(),))


@torch.no_grad()
def digit_test_setup(weights: dict[str, torch.Tensor]) -> DigitTestSetup:
    """What lesson 09's exercise checks need to judge an answer by the student's own model:
    the model rebuilt from ``weights`` (a LeNet ``state_dict``) and its scores on the test digits,
    prepared exactly as the lesson prepares them (grey, 0..1, normalised with the training part's
    statistics). Runs where checks run, without any state of the student's kernel.

    Raises ``AssertionError`` unless ``weights`` holds exactly LeNet's tensors, each of its shape
    and dtype (``load_state_dict`` would quietly convert integers, so ints could pass for weights).
    """
    files, images, split, normalize = _digit_files_and_images()
    model = LeNet(classes=10, in_channels=1)
    expected = model.state_dict()
    assert isinstance(weights, dict) and weights.keys() == expected.keys(), (
        f"expected best_model.state_dict() with the keys {sorted(expected)}"
    )
    for key, tensor in weights.items():
        assert isinstance(tensor, torch.Tensor) and tensor.shape == expected[key].shape, (
            f"{key} should be a tensor of shape {tuple(expected[key].shape)}"
        )
        assert tensor.dtype == expected[key].dtype, f"{key} should be {expected[key].dtype}, got {tensor.dtype}"
    model.load_state_dict(weights)
    model.eval()
    scores = model(normalize(images[split["test"]]))
    return DigitTestSetup(model, normalize, files, images, split["test"], scores, split_labels("digits", "test"))
