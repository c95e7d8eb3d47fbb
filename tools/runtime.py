"""Seeding, device choice, memory facts and the project's paths."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import psutil
import torch

DEVICE_ENV = "COURSE_DEVICE"
RUNS_ENV = "COURSE_RUNS_DIR"
_DEVICE_CHOICES = ("auto", "cpu", "cuda")


def project_root() -> Path:
    """The repository root: the folder that holds ``tools/`` and ``lessons/``."""
    return Path(__file__).resolve().parent.parent


def runs_dir(*parts: str) -> Path:
    """A folder under ``runs/`` (created if missing); everything a lesson writes goes here.

    ``COURSE_RUNS_DIR`` moves the whole tree, e.g. into a grader's temporary folder.
    """
    base = Path(os.environ.get(RUNS_ENV) or project_root() / "runs")
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def set_seed(seed: int = 0, deterministic: bool = True) -> None:
    """Seed Python, NumPy and torch (CPU and every CUDA device) with ``seed``.

    With ``deterministic=True`` cuDNN is told to pick deterministic algorithms
    (``cudnn.deterministic = True``), not to benchmark for the fastest one
    (``cudnn.benchmark = False``) and not to round convolutions to TF32
    (``cudnn.allow_tf32 = False``): slower on a GPU, but the same result every run and
    GPU results within float32 rounding of the CPU's.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"set_seed expects an int seed, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = not deterministic
    torch.backends.cudnn.allow_tf32 = not deterministic


def get_device(choice: str | None = None) -> torch.device:
    """The device lessons compute on.

    ``choice`` (or else the ``COURSE_DEVICE`` environment variable) is ``cpu``,
    ``cuda`` or ``auto`` (the default: CUDA when available, otherwise the CPU).
    Asking for ``cuda`` on a machine without a usable GPU is an error, not a silent fallback.
    """
    source = "get_device()" if choice else DEVICE_ENV
    wanted = (choice or os.environ.get(DEVICE_ENV) or "auto").strip().lower()
    if wanted not in _DEVICE_CHOICES:
        raise ValueError(
            f"{source} got {wanted!r}, which is not a device choice; use one of {', '.join(_DEVICE_CHOICES)}"
        )
    if wanted == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "CUDA was requested but torch sees no usable GPU "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); "
            f"set {DEVICE_ENV}=cpu or auto to run on the CPU"
        )
    if wanted == "auto":
        wanted = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(wanted)


def get_memory_info() -> dict[str, float]:
    """Memory figures in GiB: system RAM, and the current GPU's when CUDA is available."""
    gib = 1024**3
    ram = psutil.virtual_memory()
    info = {"ram_total_gib": ram.total / gib, "ram_available_gib": ram.available / gib}
    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        info.update(
            gpu_total_gib=total / gib,
            gpu_free_gib=free / gib,
            gpu_allocated_gib=torch.cuda.memory_allocated() / gib,
        )
    return info
