"""Small models the lessons build on: LeNet in two styles."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def initialize_weights(model: nn.Module) -> nn.Module:
    """Xavier-normal conv weights, N(0, 0.1) linear weights, zero biases, BatchNorm at (1, 0).

    The scheme of the course notes' LeNet; returns ``model`` so calls can be chained. Layers
    built without a bias (``bias=False``) or BatchNorm without weights (``affine=False``)
    simply have nothing of that kind to set.
    """
    require_module(model, "initialize_weights")
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.xavier_normal_(module.weight)
            _zero_bias(module)
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.1)
            _zero_bias(module)
        elif isinstance(module, _BATCH_NORMS) and module.weight is not None:
            nn.init.ones_(module.weight)
            _zero_bias(module)
    return model


def _zero_bias(module: nn.Module) -> None:
    if module.bias is not None:
        nn.init.zeros_(module.bias)


def require_module(model: object, who: str) -> None:
    """Refuse what is not an ``nn.Module``; ``who`` names the function that needs the model."""
    if not isinstance(model, nn.Module):
        hint = "; for a tensor use t.numel()" if isinstance(model, torch.Tensor) else ""
        raise TypeError(f"{who} expects an nn.Module (a model), got {type(model).__name__}{hint}")


def _check_sizes(classes: object, in_channels: object) -> None:
    for name, value in (("classes", classes), ("in_channels", in_channels)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"classes and in_channels must be positive ints, got {name}={value!r}")


def _check_lenet_input(x: object, name: str) -> None:
    """LeNet's layers fit 32×32 images in batches ``[N, C, 32, 32]``; say so before they fail deep inside.

    The channel count is left to ``conv1``, whose error names both counts.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} expects a tensor batch [N, C, 32, 32], got {type(x).__name__}")
    if x.dim() == 3:
        raise ValueError(
            f"{name} expects a batch [N, C, 32, 32], got one image {tuple(x.shape)}; "
            "add the batch dimension: x.unsqueeze(0)"
        )
    if x.dim() != 4 or tuple(x.shape[-2:]) != (32, 32):
        raise ValueError(
            f"{name} needs inputs of shape [N, C, 32, 32], got {tuple(x.shape)}; pad 28×28 images to 32×32 "
            "with transforms.Pad(2) or F.pad(x, (2, 2, 2, 2)), or resize others with transforms.Resize((32, 32))"
        )


class LeNet(nn.Module):
    """LeNet-5 for 32×32 images: two 5×5 convolutions with max pooling, then three linear layers.

    Inputs are batches ``[N, in_channels, 32, 32]``; other sizes are refused with how to pad them.

    With the notes' 3-channel input, ``conv1`` holds 3·6·5·5 + 6 = 456 parameters.
    """

    def __init__(self, classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        _check_sizes(classes, in_channels)
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_lenet_input(x, "LeNet")
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)

    def initialize_weights(self) -> LeNet:
        """Re-initialise with the course's scheme (see :func:`initialize_weights`)."""
        return initialize_weights(self)


class LeNet2(nn.Module):
    """The same LeNet written as two ``Sequential`` blocks: ``features`` and ``classifier``."""

    def __init__(self, classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        _check_sizes(classes, in_channels)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_lenet_input(x, "LeNet2")
        return self.classifier(self.features(x))


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """How many numbers the model learns (all, or only those with ``requires_grad``)."""
    require_module(model, "count_parameters")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
