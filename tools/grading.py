"""Exercise checks: the student's answer crosses as inert data, the check sees only that data.

An exercise cell pairs two functions::

    def check_fit_line(answer):          # runs with nothing but its argument and builtins
        import math
        w, b = answer
        assert math.isclose(w, -1.5, abs_tol=1e-3), f"w = {w:.4f}, expected -1.5"

    check_exercise("02.3", check_fit_line, points=2,
                   answer=lambda: fit_line(torch.linspace(-2, 2, 50), -1.5 * torch.linspace(-2, 2, 50) + 0.5))

``answer`` runs in the student's kernel and returns *data*: tensors, numbers, strings, ``None``
and lists, tuples and dicts of them (a function's answer is its outputs on inputs the exercise
chose). That data is converted (:func:`to_inert`), saved with ``torch.save`` and read back with
``weights_only=True`` and an exact-type check (:func:`load_answer`), and only then handed to
``check``. ``check`` is rebuilt with fresh globals (:func:`isolated`), so it cannot read the
lesson's names: it imports what it needs inside its body and rebuilds its own inputs instead of
trusting echoes from the kernel. In a notebook this gives the verdict line at once; the grader
(``course/grader.py``) runs the very same checks on the same files, but in its own process.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import re
import types
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tools.runtime import read_json_object, runs_dir

_EXERCISE_ID = re.compile(r"^(\d{2})\.(\d+)$")
ANSWERS_DIR_VARIABLE = "COURSE_ANSWERS_DIR"
MAX_ANSWER_BYTES = 64 * 1024 * 1024
_MAX_DEPTH = 16
MAX_ITEMS = 1_000_000
MAX_REASON_CHARS = 500
_SCALARS = (bool, int, float, str, type(None))


@dataclass(frozen=True)
class HiddenCheck:
    """An instructor's check kept out of the lesson: ``answer`` is an expression evaluated in the
    student's namespace after the last cell; ``check`` receives its value as inert data."""

    exercise: str
    check: Callable[[Any], None]
    answer: str
    points: int = 1

    @property
    def key(self) -> str:
        return f"{self.exercise} hidden {self.check.__name__}"


def answer_file_name(exercise: str | None = None, hidden_index: int | None = None) -> str:
    """The file, in the answers folder, that holds exercise ``exercise``'s answer, or hidden check
    number ``hidden_index``'s (hidden checks are numbered: their names stay with the grader)."""
    return f"hidden-{hidden_index}.pt" if hidden_index is not None else f"{exercise}.pt"


def results_path(lesson_number: str) -> Path:
    """Where the exercise results of lesson ``NN`` are stored."""
    return runs_dir("exercises") / f"{lesson_number}.json"


def validate_exercise(exercise: object, check: object, points: object) -> None:
    """Raise a clear error unless ``exercise`` is ``"NN.k"``, ``check`` a plain function and ``points``
    a positive int."""
    if not (isinstance(exercise, str) and _EXERCISE_ID.match(exercise)):
        raise ValueError(f"exercise id must look like '02.1' (lesson.number), got {exercise!r}")
    if not isinstance(check, types.FunctionType):
        raise TypeError(f"check must be a function that raises when the answer is wrong, got {check!r}")
    if check.__closure__:
        raise ValueError(f"check {check.__name__} must be defined at the top of its cell: it may use only its argument")
    if not isinstance(points, int) or isinstance(points, bool) or points < 1:
        raise ValueError(f"points must be a positive int, got {points!r}")


def isolated(check: Callable[[Any], None]) -> Callable[[Any], None]:
    """``check`` rebuilt with fresh globals (builtins only): it sees nothing but its argument."""
    fresh_globals = {"__builtins__": dict(vars(builtins)), "__name__": "course_check"}
    rebuilt = types.FunctionType(check.__code__, fresh_globals, check.__name__, check.__defaults__)
    rebuilt.__kwdefaults__ = check.__kwdefaults__
    return rebuilt


def to_inert(value: object, _depth: int = 0) -> object:
    """``value`` as plain data: exact tensors (detached, on the CPU), numbers, strings, ``None``,
    lists, tuples and dicts with string keys. Sizes become tuples, dtypes and devices strings,
    NumPy values tensors or numbers. Anything else raises ``TypeError`` naming what it met."""
    if _depth > _MAX_DEPTH:
        raise TypeError(f"the answer is nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, torch.Tensor):
        if value.layout != torch.strided:
            raise TypeError(f"the answer holds a {value.layout} tensor: convert it with .to_dense()")
        return value.detach().cpu().contiguous().clone().as_subclass(torch.Tensor)
    if isinstance(value, (torch.dtype, torch.device)):
        return str(value)
    for kind in _SCALARS[:-1]:
        if isinstance(value, kind):
            return kind(value)
    if value is None:
        return None
    if isinstance(value, (list, tuple)):  # torch.Size is a tuple
        items = [to_inert(item, _depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("the answer holds a dict whose keys are not all strings")
        return {str(key): to_inert(item, _depth + 1) for key, item in value.items()}
    if type(value).__module__ == "numpy":
        return to_inert(torch.as_tensor(value) if hasattr(value, "shape") and value.shape else value.item(), _depth)
    raise TypeError(
        f"the answer holds a {type(value).__name__}; answers may hold only tensors, numbers, strings, "
        "None, and lists, tuples and dicts of them"
    )


def check_inert(value: object) -> None:
    """Raise ``TypeError`` unless ``value`` is built only from the exact types :func:`to_inert` makes,
    at most :data:`MAX_ITEMS` items in all (a pickle can repeat one list a billion times in a few bytes)."""
    pending, seen = [(value, 0)], 0
    while pending:
        item, depth = pending.pop()
        seen += 1
        if seen > MAX_ITEMS or depth > _MAX_DEPTH:
            raise TypeError(f"more than {MAX_ITEMS:,} items or {_MAX_DEPTH} levels of nesting")
        kind = type(item)
        if kind is torch.Tensor:
            # weights_only restores a tensor's instance attributes, and one can shadow a method
            # (``tolist``, ``is_contiguous``): refuse them first, before any method is called.
            if vars(item):
                raise TypeError(f"a tensor carrying attributes of its own ({', '.join(map(repr, vars(item)))})")
            # Contiguous: every element stored once, so the file's size bounds the work on it
            # (an expanded tensor of a few bytes can claim 2**40 elements).
            if item.layout != torch.strided or item.device.type != "cpu" or not item.is_contiguous():
                raise TypeError("a tensor that is not a contiguous dense CPU tensor")
        elif kind in (list, tuple):
            pending += [(child, depth + 1) for child in item]
        elif kind is dict:
            if not all(type(key) is str for key in item):
                raise TypeError("a dict key that is not a str")
            pending += [(child, depth + 1) for child in item.values()]
        elif kind not in _SCALARS:
            raise TypeError(f"a value of type {kind.__module__}.{kind.__qualname__}")


def dump_answer(payload: dict) -> bytes:
    """``payload`` (``{"value": data}`` or ``{"error": reason}``) in the form that crosses to the grader."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def load_answer(data: bytes) -> dict:
    """Read back what :func:`dump_answer` wrote, trusting nothing: ``weights_only=True``, exact types.

    Returns ``{"value": data}`` or ``{"error": reason}``; raises ``ValueError`` for anything else.
    """
    if len(data) > MAX_ANSWER_BYTES:
        raise ValueError(f"the answer file is larger than {MAX_ANSWER_BYTES // 2**20} MiB")
    _check_uncompressed_archive(data)
    try:
        with warnings.catch_warnings():  # a foreign pickle protocol is a malformed file, not a warning
            warnings.simplefilter("ignore")
            payload = torch.load(io.BytesIO(data), weights_only=True)
    except Exception as error:  # noqa: BLE001 - every unreadable file is the same verdict
        raise ValueError(f"the answer file could not be read as plain data ({type(error).__name__})") from None
    if type(payload) is not dict or len(payload) != 1 or not ({"value", "error"} >= set(payload)):
        raise ValueError("the answer file does not hold {'value': ...} or {'error': ...}")
    try:
        check_inert(payload)
    except TypeError as error:
        raise ValueError(f"the answer holds {error}") from None
    except Exception as error:  # noqa: BLE001 - whatever inspecting a foreign object raises, it is refused
        raise ValueError(f"the answer could not be inspected ({type(error).__name__})") from None
    if "error" in payload and type(payload["error"]) is not str:
        raise ValueError("the answer's error is not a string")
    return payload


def _check_uncompressed_archive(data: bytes) -> None:
    """Refuse anything but the zip archive ``torch.save`` writes, with stored (uncompressed)
    entries: a compressed entry could unpack into far more memory than the file's size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise ValueError("the answer file is not a torch.save archive") from None
    if any(e.compress_type != zipfile.ZIP_STORED for e in entries) or sum(e.file_size for e in entries) > len(data):
        raise ValueError("the answer file holds compressed entries; torch.save never writes those")


def run_answer(answer: Callable[[], object]) -> dict:
    """Call ``answer`` (in the student's kernel) and return the payload that crosses to the checks."""
    try:
        return {"value": to_inert(answer())}
    except Exception as error:  # noqa: BLE001 - every failure of student code is a verdict
        return {"error": _reason(error)}


def evaluate_check(exercise: str, check: Callable[[Any], None], payload: dict, points: int = 1) -> dict:
    """Run the isolated ``check`` on the payload's value and return the result, printing nothing.

    The result is ``{"exercise", "passed", "points", "max_points", "verdict"}``. An exception
    raised by ``check`` is a failure whose message becomes the reason; so is a returned value
    (checks pass by returning nothing), so a ``return False`` is never mistaken for a pass.
    """
    validate_exercise(exercise, check, points)
    if "error" in payload:
        reason = payload["error"]
    else:
        try:
            returned = isolated(check)(payload["value"])
        except Exception as error:  # noqa: BLE001 - a failed check is a verdict
            reason = _reason(error)
        else:
            reason = None if returned is None else _returned_reason(returned)
    return verdict_result(exercise, points, reason)


def verdict_result(exercise: str, points: int, reason: str | None) -> dict:
    """The result of exercise ``exercise``: passed when ``reason`` is ``None``, else failed for
    ``reason`` (cut to :data:`MAX_REASON_CHARS`)."""
    passed = reason is None
    reason = reason if passed or len(reason) <= MAX_REASON_CHARS else reason[:MAX_REASON_CHARS] + " ..."
    verdict = f"[ex {exercise}] passed {points}/{points}" if passed else f"[ex {exercise}] failed 0/{points}: {reason}"
    return {
        "exercise": exercise,
        "passed": passed,
        "points": points if passed else 0,
        "max_points": points,
        "verdict": verdict,
    }


def _reason(error: BaseException) -> str:
    reason = str(error) or type(error).__name__
    if isinstance(error, (NameError, NotImplementedError, TypeError)):
        reason = f"{type(error).__name__}: {reason}"
    return reason


def _returned_reason(returned: object) -> str:
    """Why a check that returned ``returned`` instead of ``None`` fails, in one line."""
    shown = repr(returned)
    if len(shown) > 40 or "\n" in shown:
        shown = f"a {type(returned).__name__}"
    return f"the check returned {shown}; checks must raise (assert ...) when the answer is wrong and return nothing"


_collected: list[tuple[str, Callable[[Any], None], int]] | None = None


@contextlib.contextmanager
def collecting_checks() -> Iterator[list[tuple[str, Callable[[Any], None], int]]]:
    """While active, :func:`check_exercise` records ``(exercise, check, points)`` and runs nothing.

    The grader uses it to read the reference lesson's checks without any answer.
    """
    global _collected
    previous, _collected = _collected, []
    try:
        yield _collected
    finally:
        _collected = previous


def check_exercise(exercise: str, check: Callable[[Any], None], answer: Callable[[], object], points: int = 1) -> None:
    """Score exercise ``exercise`` (``"NN.k"``): print the verdict line and record it.

    ``answer()`` returns the data the check reads; ``check(data)`` raises (usually with
    ``assert cond, "what is wrong"``) when it is wrong and returns nothing when it is right. An
    exception in either is a failure with its message as the reason, so an unsolved stub scores 0
    instead of stopping the notebook. Prints ``[ex NN.k] passed p/p`` or ``[ex NN.k] failed 0/p:
    <reason>``; the result lands in ``runs/exercises/NN.json``. Under the grader (which sets
    ``COURSE_ANSWERS_DIR``) the answer is also saved there for the grader's own checks.
    """
    validate_exercise(exercise, check, points)
    if not callable(answer):
        raise TypeError(f"answer must be a function of no arguments returning the data to check, got {answer!r}")
    if _collected is not None:
        _collected.append((exercise, check, points))
        return
    data = dump_answer(run_answer(answer))
    answers_dir = os.environ.get(ANSWERS_DIR_VARIABLE)
    if answers_dir:
        Path(answers_dir, answer_file_name(exercise)).write_bytes(data)
    result = evaluate_check(exercise, check, load_answer(data), points)
    print(result["verdict"])
    _record(result)


def advise_exercise(exercise: str, check: Callable[[Any], None], answer: Callable[[], object]) -> None:
    """Give advice on exercise ``exercise``, whose skill no data can show (where a tensor lives, how
    a result was computed): ``check`` runs here, in the student's kernel, on whatever ``answer()``
    returns. It prints ``[ex NN.k] advice (no points): ...`` and scores nothing: the grader never
    sees it, because a student controls everything that runs in this kernel.
    """
    validate_exercise(exercise, check, 1)
    try:
        check(answer())
    except Exception as error:  # noqa: BLE001 - a failed check is advice too
        print(f"[ex {exercise}] advice (no points): not yet: {_reason(error)}")
    else:
        print(f"[ex {exercise}] advice (no points): looks right")


def save_hidden_answers(expressions: list[str], namespace: dict) -> None:
    """Evaluate the hidden checks' answer expressions in ``namespace`` and save each, by its
    position in the list, for the grader."""
    answers_dir = Path(os.environ[ANSWERS_DIR_VARIABLE])
    for index, expression in enumerate(expressions):
        payload = run_answer(lambda: eval(expression, namespace))  # noqa: B023, S307 - run at once, in the student's own kernel
        (answers_dir / answer_file_name(hidden_index=index)).write_bytes(dump_answer(payload))


def _record(result: dict) -> None:
    path = results_path(result["exercise"][:2])
    remedy = "delete it and re-run the lesson's exercises to record them again"
    results = read_json_object(path, remedy) if path.exists() else {}
    results[result["exercise"]] = {k: v for k, v in result.items() if k != "exercise"}
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
