"""Exercise checks: a one-line verdict with points, recorded for the course and the grader."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from tools.runtime import read_json_object, runs_dir

_EXERCISE_ID = re.compile(r"^(\d{2})\.(\d+)$")


def results_path(lesson_number: str) -> Path:
    """Where the exercise results of lesson ``NN`` are stored."""
    return runs_dir("exercises") / f"{lesson_number}.json"


def evaluate_check(exercise: str, check: Callable[[], object], points: int = 1) -> dict:
    """Run ``check`` for exercise ``exercise`` and return its result, printing nothing.

    The result is ``{"exercise", "passed", "points", "max_points", "verdict"}``; any exception
    raised by ``check`` is a failure whose message becomes the reason. A check that returns
    a value (``return False``, ``return x == y``) fails too: checks pass by returning nothing
    and fail by raising, so a returned ``False`` is never mistaken for a pass.
    """
    match = _EXERCISE_ID.match(exercise) if isinstance(exercise, str) else None
    if not match:
        raise ValueError(f"exercise id must look like '02.1' (lesson.number), got {exercise!r}")
    if not callable(check):
        raise TypeError(f"check must be a function that raises when the answer is wrong, got {check!r}")
    if not isinstance(points, int) or isinstance(points, bool) or points < 1:
        raise ValueError(f"points must be a positive int, got {points!r}")
    try:
        returned = check()
    except Exception as error:  # noqa: BLE001 - every failure of student code is a verdict
        reason = str(error) or type(error).__name__
        if isinstance(error, (NameError, NotImplementedError)):
            reason = f"{type(error).__name__}: {reason}"
    else:
        reason = None if returned is None else _returned_reason(returned)
    passed = reason is None
    verdict = f"[ex {exercise}] passed {points}/{points}" if passed else f"[ex {exercise}] failed 0/{points}: {reason}"
    return {"exercise": exercise, "passed": passed, "points": points if passed else 0,
            "max_points": points, "verdict": verdict}


def _returned_reason(returned: object) -> str:
    """Why a check that returned ``returned`` instead of ``None`` fails, in one line."""
    shown = repr(returned)
    if len(shown) > 40 or "\n" in shown:
        shown = f"a {type(returned).__name__}"
    return f"the check returned {shown}; checks must raise (assert ...) when the answer is wrong and return nothing"


def check_exercise(exercise: str, check: Callable[[], object], points: int = 1) -> None:
    """Run ``check`` for exercise ``exercise`` (``"NN.k"``), print the verdict and record it.

    ``check`` raises (usually with ``assert cond, "what is wrong"``) when the answer is wrong
    and returns nothing when it is right; returning a value is a failure (see
    :func:`evaluate_check`). Any exception counts as a failure, so a missing name or an unsolved stub scores 0
    instead of stopping the notebook. Prints ``[ex NN.k] passed p/p`` or
    ``[ex NN.k] failed 0/p: <reason>``; the result lands in ``runs/exercises/NN.json``.
    """
    result = evaluate_check(exercise, check, points)
    print(result["verdict"])
    _record(result)


def _record(result: dict) -> None:
    path = results_path(result["exercise"][:2])
    remedy = "delete it and re-run the lesson's exercises to record them again"
    results = read_json_object(path, remedy) if path.exists() else {}
    results[result["exercise"]] = {k: v for k, v in result.items() if k != "exercise"}
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
