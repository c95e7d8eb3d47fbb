"""Record a lesson's key results to ``runs/metrics/<lesson>.json`` for the course summary."""

from __future__ import annotations

import json
import math
import numbers
from pathlib import Path

import numpy as np
import torch

from tools.runtime import read_json_object, runs_dir


def metrics_path(lesson: str) -> Path:
    """Where ``lesson``'s metrics are stored."""
    if not isinstance(lesson, str) or not lesson or "/" in lesson or "\\" in lesson or lesson in (".", ".."):
        raise ValueError(f"lesson must be a lesson name such as '02_autograd', got {lesson!r}")
    return runs_dir("metrics") / f"{lesson}.json"


def record_metrics(lesson: str, **metrics: float | int | str | bool) -> None:
    """Merge ``metrics`` into the lesson's metrics file (``load_metrics`` reads them back).

    Values must be finite numbers or booleans (Python or NumPy scalars) or strings; tensors
    should be turned into numbers first (``loss.item()``).
    """
    for name, value in metrics.items():
        _check_metric(name, value)
    path = metrics_path(lesson)
    recorded = load_metrics(lesson)
    recorded.update({name: _plain(value) for name, value in metrics.items()})
    path.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _check_metric(name: str, value: object) -> None:
    """Refuse a value JSON cannot hold faithfully: tensors, other objects, NaN and infinities."""
    if isinstance(value, torch.Tensor):
        hint = "use .item() to get its number" if value.numel() == 1 else "record one number, e.g. .mean().item()"
        raise TypeError(f"metric {name!r} is a tensor of shape {tuple(value.shape)}; {hint}")
    if not isinstance(value, (numbers.Real, str, np.bool_)):
        raise TypeError(
            f"metric {name!r} must be a number, string or bool, got {type(value).__name__} (use .item() on a tensor)"
        )
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ValueError(f"metric {name!r} is {value}, which cannot be recorded; record a finite number")


def _plain(value: float | int | str | bool) -> float | int | str | bool:
    """NumPy scalars become the matching built-in type so JSON can hold them."""
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def load_metrics(lesson: str) -> dict:
    """The metrics recorded for ``lesson`` (empty if none yet)."""
    path = metrics_path(lesson)
    if not path.exists():
        return {}
    return read_json_object(path, f"delete it and re-run lesson {lesson} to record its metrics again")
