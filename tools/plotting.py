"""Figures that look the same on every machine, with one call per picture."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from PIL import Image


def use_course_style() -> None:
    """Inline figures at a fixed size and resolution, PNGs free of version strings.

    Call it in a lesson's first cell. Outside IPython it only sets the style.
    """
    mpl.rcParams.update(
        {
            "figure.figsize": (6.0, 4.0),
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": 10,
        }
    )
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    shell.run_line_magic("matplotlib", "inline")
    shell.run_line_magic(
        "config",
        "InlineBackend.print_figure_kwargs = {'bbox_inches': 'tight', 'metadata': {'Software': None}}",
    )


def _as_displayable(image: object) -> tuple[object, str | None]:
    """A tensor ``[C, H, W]`` (C = 1 or 3) or a PIL image, as something ``imshow`` draws."""
    if isinstance(image, torch.Tensor):
        if image.dim() != 3 or image.shape[0] not in (1, 3):
            raise ValueError(f"expected image tensors of shape [C, H, W] with C = 1 or 3, got {tuple(image.shape)}")
        pixels = image.detach().cpu()
        if pixels.shape[0] == 1:
            return pixels[0].numpy(), "gray"
        return pixels.permute(1, 2, 0).clamp(0, 1).numpy(), None
    if isinstance(image, Image.Image):
        return image, ("gray" if image.mode in ("L", "1", "I", "F") else None)
    raise TypeError(f"expected a tensor or a PIL image, got {type(image).__name__}")


def show_images(
    images: Sequence[object] | torch.Tensor,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    size: float = 1.5,
) -> Figure:
    """A grid of images (a batch tensor ``[N, C, H, W]``, or tensors / PIL images) with titles.

    End the call with ``;`` in a notebook so the figure is shown once.
    """
    images = list(images)
    if not images:
        raise ValueError("no images to show")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    ncols = min(ncols, len(images))
    nrows = math.ceil(len(images) / ncols)
    figure, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < len(images):
            pixels, cmap = _as_displayable(images[index])
            axis.imshow(pixels, cmap=cmap)
            if titles is not None:
                axis.set_title(str(titles[index]), fontsize=9)
    figure.tight_layout()
    return figure


def plot_history(history: object, title: str = "") -> Figure:
    """Loss and accuracy curves per epoch, training against validation (a ``tools.train.History``)."""
    epochs = range(1, len(history.train_loss) + 1)
    figure, (loss_axis, acc_axis) = plt.subplots(1, 2, figsize=(9, 3.2))
    loss_axis.plot(epochs, history.train_loss, "o-", label="train")
    loss_axis.plot(epochs, history.valid_loss, "s-", label="valid")
    loss_axis.set(xlabel="epoch", ylabel="loss", title="loss")
    acc_axis.plot(epochs, history.train_acc, "o-", label="train")
    acc_axis.plot(epochs, history.valid_acc, "s-", label="valid")
    acc_axis.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for axis in (loss_axis, acc_axis):
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_confusion_matrix(matrix: torch.Tensor, class_names: Sequence[str], title: str = "confusion matrix") -> Figure:
    """A confusion matrix (rows: true class, columns: predicted) with the count in every cell."""
    counts = torch.as_tensor(matrix).cpu()
    if counts.dim() != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] != len(class_names):
        raise ValueError(
            f"matrix must be square with one row per class name ({len(class_names)}), got {tuple(counts.shape)}"
        )
    size = 1.0 + 0.45 * len(class_names)
    figure, axis = plt.subplots(figsize=(size + 1.0, size))
    shown = axis.imshow(counts.numpy(), cmap="Blues")
    figure.colorbar(shown, ax=axis, fraction=0.046)
    ticks = range(len(class_names))
    axis.set(xticks=ticks, yticks=ticks, xlabel="predicted", ylabel="true", title=title)
    axis.set_xticklabels(class_names, rotation=45, ha="right")
    axis.set_yticklabels(class_names)
    axis.grid(False)
    threshold = counts.max().item() / 2
    for row in ticks:
        for col in ticks:
            value = counts[row, col].item()
            axis.text(col, row, str(value), ha="center", va="center", fontsize=8,
                      color="white" if value > threshold else "black")
    figure.tight_layout()
    return figure
