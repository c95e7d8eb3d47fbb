"""Figures that look the same on every machine, with one call per picture."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence, Sized

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
    """A tensor ``[C, H, W]`` (C = 1 or 3) or a PIL image, as something ``imshow`` draws.

    Grey tensors are scaled to their own range. Colour float tensors are pixels in ``[0, 1]``
    (clipped to it); colour integer tensors are 8-bit pixels, as ``PILToTensor`` gives them.
    """
    if isinstance(image, torch.Tensor):
        if image.dim() != 3 or image.shape[0] not in (1, 3):
            raise ValueError(f"expected image tensors of shape [C, H, W] with C = 1 or 3, got {tuple(image.shape)}")
        pixels = image.detach().cpu()
        if pixels.shape[0] == 1:
            return pixels[0].numpy(), "gray"
        colour = pixels.permute(1, 2, 0)
        if colour.is_floating_point():
            return colour.clamp(0, 1).numpy(), None
        return colour.clamp(0, 255).to(torch.uint8).numpy(), None
    if isinstance(image, Image.Image):
        return image, ("gray" if image.mode in ("L", "1", "I", "F") else None)
    raise TypeError(f"expected a tensor or a PIL image, got {type(image).__name__}")


def _image_list(images: object) -> list:
    """``images`` as a list of single images; one image on its own is refused with what to pass."""
    if isinstance(images, Image.Image) or (isinstance(images, torch.Tensor) and images.dim() == 3):
        shape = f" of shape {tuple(images.shape)}" if isinstance(images, torch.Tensor) else ""
        raise ValueError(f"got one image{shape}; pass a batch [N, C, H, W] or a list: show_images([image])")
    if isinstance(images, torch.Tensor) and images.dim() != 4:
        raise ValueError(f"expected a batch tensor [N, C, H, W] or a list of images, got shape {tuple(images.shape)}")
    if isinstance(images, (str, bytes)) or not isinstance(images, Iterable):
        raise TypeError(f"images must be a batch tensor [N, C, H, W] or a list of images, got {type(images).__name__}")
    return list(images)


def show_images(
    images: Sequence[object] | torch.Tensor,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    size: float = 1.5,
) -> Figure:
    """A grid of images (a batch tensor ``[N, C, H, W]``, or tensors / PIL images) with titles.

    ``titles`` holds one title per image; ``ncols`` images per row, each ``size`` inches wide.
    End the call with ``;`` in a notebook so the figure is shown once.
    """
    images = _image_list(images)
    if not images:
        raise ValueError("no images to show")
    if titles is not None and (isinstance(titles, str) or not isinstance(titles, Sized)):
        raise TypeError(f"titles must be a list with one title per image, got {type(titles).__name__}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    if not isinstance(ncols, int) or isinstance(ncols, bool) or ncols < 1:
        raise ValueError(f"ncols must be a positive int (images per row), got {ncols!r}")
    if not isinstance(size, numbers.Real) or not size > 0:
        raise ValueError(f"size must be a positive number (inches per image), got {size!r}")
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


_HISTORY_CURVES = ("train_loss", "train_acc", "valid_loss", "valid_acc")


def _check_history(history: object) -> None:
    """Refuse what is not a ``History`` with one value per epoch in each of its four curves."""
    if not all(hasattr(history, name) for name in _HISTORY_CURVES):
        raise TypeError(
            "plot_history expects the History that tools.train.fit returns (with train_loss, train_acc, "
            f"valid_loss and valid_acc lists), got {type(history).__name__}"
        )
    lengths = {name: len(getattr(history, name)) for name in _HISTORY_CURVES}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"the history's curves must hold one value per epoch each, got lengths {lengths}")
    if not lengths["train_loss"]:
        raise ValueError("the history holds no epochs yet; train first, then plot it")


def plot_history(history: object, title: str = "") -> Figure:
    """Loss and accuracy curves per epoch, training against validation (a ``tools.train.History``)."""
    _check_history(history)
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
    """A confusion matrix (rows: true class, columns: predicted) with the count in every cell.

    ``matrix`` is ``[classes, classes]``, as ``tools.train.confusion_matrix`` returns it, and
    ``class_names`` holds one name per class (e.g. ``dataset.classes``).
    """
    if isinstance(class_names, str) or not isinstance(class_names, Sized) or len(class_names) == 0:
        raise TypeError(f"class_names must be a list with one name per class, got {class_names!r}")
    try:
        counts = torch.as_tensor(matrix).cpu()
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(
            f"matrix must be a [classes, classes] tensor of counts, as confusion_matrix returns, "
            f"got {type(matrix).__name__} ({error})"
        ) from error
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
    long_names = max(len(str(name)) for name in class_names) > 2  # digits stay upright
    axis.set_xticklabels(class_names, **({"rotation": 45, "ha": "right"} if long_names else {}))
    axis.set_yticklabels(class_names)
    axis.grid(False)
    threshold = counts.max().item() / 2
    for row in ticks:
        for col in ticks:
            value = counts[row, col].item()
            axis.text(
                col,
                row,
                str(value),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value > threshold else "black",
            )
    figure.tight_layout()
    return figure
