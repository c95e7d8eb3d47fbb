"""Small models the lessons build on: LeNet in two styles."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def initialize_weights(model: nn.Module) -> nn.Module:
    """Xavier-normal conv weights, N(0, 0.1) linear weights, zero biases, BatchNorm at (1, 0).

    The scheme of the course notes' LeNet; returns ``model`` so calls can be chained.
    """
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.xavier_normal_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.1)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return model


class LeNet(nn.Module):
    """LeNet-5 for 32×32 images: two 5×5 convolutions with max pooling, then three linear layers.

    With the notes' 3-channel input, ``conv1`` holds 3·6·5·5 + 6 = 456 parameters.
    """

    def __init__(self, classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        if classes < 1 or in_channels < 1:
            raise ValueError(f"classes and in_channels must be positive, got {classes} and {in_channels}")
        self.conv1 = nn.Conv2d(in_channels, 6, kernel_size=5)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
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
        return self.classifier(self.features(x))


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """How many numbers the model learns (all, or only those with ``requires_grad``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
