"""Undo the tensor transforms of a pipeline to look at what the model sees."""

from __future__ import annotations

import torch
from PIL import Image
from torchvision import transforms as T


def transform_invert(image: torch.Tensor, transform: T.Compose | None = None) -> Image.Image:
    """Turn a transformed image tensor back into a PIL image.

    ``image`` is a ``[C, H, W]`` tensor with 1 or 3 channels, as produced by ``transform``
    (a ``Compose`` that may contain ``Normalize`` and ``ToTensor``). ``Normalize`` is undone
    (``x * std + mean``), then the ``[0, 1]`` floats are scaled back to 8-bit pixels
    (a ``uint8`` tensor, as from ``PILToTensor``, is taken as pixels already).
    Steps that lose information (crops, flips) cannot be undone and are left as they are.
    A ``Normalize`` must hold one value, or one per channel of ``image``, as torchvision's does.
    """
    if not isinstance(image, torch.Tensor):
        raise TypeError(
            f"transform_invert expects a torch.Tensor image, got {type(image).__name__}; "
            "apply the transform (with ToTensor) first"
        )
    if image.dim() == 4 and image.shape[0] == 1:
        raise ValueError(f"got a batch of shape {tuple(image.shape)}; pass one image: image[0]")
    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"expected a [C, H, W] image with C = 1 or 3, got shape {tuple(image.shape)}")
    if image.dtype != torch.uint8 and not image.is_floating_point():
        raise TypeError(
            f"expected float pixels in [0, 1] (from ToTensor) or uint8 pixels (from PILToTensor), "
            f"got a {image.dtype} tensor; convert it with image.float() / 255 or image.to(torch.uint8)"
        )
    if transform is not None and not isinstance(transform, T.Compose):
        raise TypeError(f"transform must be a torchvision transforms.Compose, got {type(transform).__name__}")
    steps = transform.transforms if transform is not None else []
    pixels = image.detach().cpu().float().clone()
    for step in reversed(steps):
        if isinstance(step, T.Normalize):
            mean = torch.as_tensor(step.mean, dtype=pixels.dtype).view(-1, 1, 1)
            std = torch.as_tensor(step.std, dtype=pixels.dtype).view(-1, 1, 1)
            _check_normalize_channels(mean, std, channels=pixels.shape[0])
            pixels = pixels * std + mean
    if image.dtype == torch.uint8:
        as_bytes = pixels.to(torch.uint8)
    else:
        as_bytes = (pixels.clamp(0, 1) * 255).round().to(torch.uint8)
    if as_bytes.shape[0] == 1:
        return Image.fromarray(as_bytes[0].numpy())
    return Image.fromarray(as_bytes.permute(1, 2, 0).contiguous().numpy())


def _check_normalize_channels(mean: torch.Tensor, std: torch.Tensor, channels: int) -> None:
    """Refuse a ``Normalize`` whose mean/std hold neither 1 value nor one per image channel."""
    for name, values in (("mean", mean), ("std", std)):
        if values.numel() not in (1, channels):
            raise ValueError(
                f"the transform's Normalize has {values.numel()} {name} values (channels) but the image "
                f"has {channels} channel(s); pass the transform that produced this image, or one whose "
                f"Normalize has {channels} value(s) or 1"
            )
