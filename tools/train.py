"""The training and evaluation loop that later lessons reuse."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
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


def run_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device,
    optimizer: torch.optim.Optimizer | None = None,
) -> tuple[float, float]:
    """One pass over ``loader``: trains when an ``optimizer`` is given, else evaluates.

    Evaluation runs in ``model.eval()`` mode without building a graph (``no_grad``).
    Returns the mean loss per sample and the accuracy.
    """
    training = optimizer is not None
    model.train(training)
    total_loss, correct, seen = 0.0, 0, 0
    with torch.set_grad_enabled(training):
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            loss = loss_fn(outputs, targets)
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


def evaluate(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device: torch.device,
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``loader``, in eval mode, without gradients."""
    return run_epoch(model, loader, loss_fn, device)


def _save_atomically(state: dict, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, path)


def fit(
    model: nn.Module,
    train_loader: DataLoader,
    valid_loader: DataLoader,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    device: torch.device,
    scheduler: torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau | None = None,
    checkpoint: Path | None = None,
    progress: bool = True,
) -> History:
    """Train for ``epochs`` epochs, validating after each, with a progress bar.

    When ``checkpoint`` is given, the model's ``state_dict`` is saved there whenever the
    validation accuracy improves, so the file always holds the best model seen. A scheduler
    is stepped once per epoch (``ReduceLROnPlateau`` with the validation loss).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
    model.to(device)
    history = History(checkpoint=checkpoint)
    bar = tqdm(range(epochs), desc="epochs", unit="epoch", disable=not progress)
    for epoch in bar:
        train_loss, train_acc = run_epoch(model, train_loader, loss_fn, device, optimizer)
        valid_loss, valid_acc = evaluate(model, valid_loader, loss_fn, device)
        for name, value in (("train_loss", train_loss), ("train_acc", train_acc),
                            ("valid_loss", valid_loss), ("valid_acc", valid_acc)):
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


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted classes and true labels for every sample of ``loader``, on the CPU."""
    model.eval()
    predictions, targets = [], []
    for inputs, labels in loader:
        predictions.append(model(inputs.to(device)).argmax(dim=1).cpu())
        targets.append(labels.cpu())
    if not predictions:
        raise ValueError("the data loader yielded no samples")
    return torch.cat(predictions), torch.cat(targets)


def confusion_matrix(predictions: torch.Tensor, targets: torch.Tensor, classes: int) -> torch.Tensor:
    """``matrix[true, predicted]`` counts as an ``int64`` tensor of shape ``[classes, classes]``."""
    if predictions.shape != targets.shape or predictions.dim() != 1:
        raise ValueError(
            f"predictions and targets must be 1-D and the same length, got {tuple(predictions.shape)} "
            f"and {tuple(targets.shape)}"
        )
    if len(targets) and (max(predictions.max(), targets.max()) >= classes or min(predictions.min(), targets.min()) < 0):
        raise ValueError(f"labels must lie in 0..{classes - 1}")
    flat = targets.long() * classes + predictions.long()
    return torch.bincount(flat, minlength=classes * classes).reshape(classes, classes)
