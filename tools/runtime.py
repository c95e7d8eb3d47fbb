"""Seeding, device choice, memory facts and the project's paths."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import numpy as np
import psutil
import torch

DEVICE_ENV = "COURSE_DEVICE"
RUNS_ENV = "COURSE_RUNS_DIR"
_DEVICE_CHOICES = ("auto", "cpu", "cuda")
_DEVICE_PATTERN = re.compile(r"auto|cpu|cuda(:\d+)?")


def project_root() -> Path:
    """The repository root: the folder that holds ``tools/`` and ``lessons/``."""
    return Path(__file__).resolve().parent.parent


def runs_dir(*parts: str) -> Path:
    """A folder under ``runs/`` (created if missing); everything a lesson writes goes here.

    ``parts`` are folder names inside ``runs/``, e.g. ``runs_dir("09_train_lenet")``.
    ``COURSE_RUNS_DIR`` moves the whole tree, e.g. into a grader's temporary folder.
    """
    for part in parts:
        if not isinstance(part, str) or not part or Path(part).is_absolute() or ".." in Path(part).parts:
            raise ValueError(f"runs_dir takes folder names inside runs/, such as '09_train_lenet', got {part!r}")
    base = Path(os.environ.get(RUNS_ENV) or project_root() / "runs")
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_json_object(path: Path, remedy: str) -> dict:
    """The JSON object stored in ``path``; a damaged file is a ``ValueError`` naming it and ``remedy``.

    ``remedy`` says what the user does about it, e.g. ``"delete it and re-run the lesson"``.
    """
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}); {remedy}") from error
    if not isinstance(content, dict):
        raise ValueError(f"{path} holds a JSON {type(content).__name__}, not an object; {remedy}")
    return content


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
    if not 0 <= seed < 2**32:
        raise ValueError(f"set_seed expects a seed from 0 to 2**32 - 1 (NumPy's range), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = not deterministic
    torch.backends.cudnn.allow_tf32 = not deterministic


def get_device(choice: str | torch.device | None = None) -> torch.device:
    """The device lessons compute on.

    ``choice`` (or else the ``COURSE_DEVICE`` environment variable) is ``cpu``, ``cuda``,
    ``cuda:N`` (the N-th GPU), ``auto`` (the default: CUDA when available, otherwise the CPU)
    or a ``torch.device``, which is returned as it is once checked.
    Asking for CUDA on a machine without a usable GPU is an error, not a silent fallback.
    """
    if isinstance(choice, torch.device):
        choice = str(choice)
    elif choice is not None and not isinstance(choice, str):
        raise TypeError(
            f"get_device() expects a string ({', '.join(_DEVICE_CHOICES)} or cuda:N) or a torch.device, "
            f"got {type(choice).__name__}"
        )
    source = "get_device()" if choice else DEVICE_ENV
    wanted = (choice or os.environ.get(DEVICE_ENV) or "auto").strip().lower()
    if not _DEVICE_PATTERN.fullmatch(wanted):
        raise ValueError(
            f"{source} got {wanted!r}, which is not a device choice; use one of {', '.join(_DEVICE_CHOICES)}"
        )
    if wanted == "auto":
        wanted = "cuda" if torch.cuda.is_available() else "cpu"
    if wanted.startswith("cuda"):
        _require_gpu(wanted)
    return torch.device(wanted)


def _require_gpu(wanted: str) -> None:
    """Raise when ``wanted`` (``cuda`` or ``cuda:N``) names no usable GPU."""
    if not torch.cuda.is_available():
        raise RuntimeError(
            "CUDA was requested but torch sees no usable GPU "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); "
            f"set {DEVICE_ENV}=cpu or auto to run on the CPU"
        )
    index = int(wanted.partition(":")[2] or 0)
    if index >= torch.cuda.device_count():
        raise RuntimeError(
            f"{wanted} was requested but torch sees {torch.cuda.device_count()} GPU(s), "
            f"numbered from 0; use cuda:0 to cuda:{torch.cuda.device_count() - 1}, or cuda"
        )


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
