"""Exercise checks: a one-line verdict with points, recorded for the course and the grader."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from tools.runtime import runs_dir

_EXERCISE_ID = re.compile(r"^(\d{2})\.(\d+)$")


def results_path(lesson_number: str) -> Path:
    """Where the exercise results of lesson ``NN`` are stored."""
    return runs_dir("exercises") / f"{lesson_number}.json"


def check_exercise(exercise: str, check: Callable[[], object], points: int = 1) -> None:
    """Run ``check`` for exercise ``exercise`` (``"NN.k"``), print the verdict and record it.

    ``check`` raises (usually with ``assert cond, "what is wrong"``) when the answer is wrong.
    Any exception counts as a failure, so a missing name or an unsolved stub scores 0
    instead of stopping the notebook. Prints ``[ex NN.k] passed p/p`` or
    ``[ex NN.k] failed 0/p: <reason>``; the result lands in ``runs/exercises/NN.json``.
    """
    match = _EXERCISE_ID.match(exercise)
    if not match:
        raise ValueError(f"exercise id must look like '02.1' (lesson.number), got {exercise!r}")
    if not callable(check):
        raise TypeError(f"check must be a function that raises when the answer is wrong, got {check!r}")
    if not isinstance(points, int) or points < 1:
        raise ValueError(f"points must be a positive int, got {points!r}")
    try:
        check()
    except Exception as error:  # noqa: BLE001 - every failure of student code is a verdict
        reason = str(error) or type(error).__name__
        if isinstance(error, (NameError, NotImplementedError)):
            reason = f"{type(error).__name__}: {reason}"
        passed, verdict = False, f"[ex {exercise}] failed 0/{points}: {reason}"
    else:
        passed, verdict = True, f"[ex {exercise}] passed {points}/{points}"
    print(verdict)
    _record(match.group(1), exercise, passed, points, verdict)


def _record(lesson_number: str, exercise: str, passed: bool, points: int, verdict: str) -> None:
    path = results_path(lesson_number)
    results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    results[exercise] = {
        "passed": passed,
        "points": points if passed else 0,
        "max_points": points,
        "verdict": verdict,
    }
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
