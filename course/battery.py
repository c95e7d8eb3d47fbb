"""Answers no solution would give: the battery every exercise's check must fail.

A check sees only the data an answer function returns, and a submission can hand in any data at
all. So a check is only as good as the wrong answers it refuses. :func:`wrong_answers` derives
them from an exercise's *reference* answer (what the reference solution returned), so that every
exercise, present or future, meets the same battery without anyone writing cases for it:

- the answer replaced whole by a constant (``None``, ``0``, NaN, ``True``, ``""``, ``[]``, ``{}``);
- the *facts alone*: every computed number changed while booleans and strings stay (an answer
  that only attests "input untouched: True" or a class name passes this one), and every number
  set to zero;
- at each place in the answer: a container emptied, truncated, rotated (the results of one input
  handed in for another), a dict missing a key; a tensor emptied, filled with NaN or inf, shifted,
  cast to an integer type, given an extra dimension or cut to its first column; a number made
  NaN, inf, zero or shifted; a boolean flipped; a string emptied or changed;
- a tensor carrying an instance attribute, which the data boundary must refuse.

A dict under a key ending in ``" weights"`` is a model's ``state_dict``, which a check judges by
what the model does: adding 1 to every logit's bias leaves the same predictions. Its tensors are
not shifted, and only its first and last are changed one by one (as with a long list).

:func:`battery_failures` runs each through the grader's own path (:func:`tools.grading.dump_answer`,
:func:`~tools.grading.load_answer`, :func:`~tools.grading.evaluate_check`) and returns those that
scored. Variants equal to the reference answer (rotating equal items, zeroing a zero) are skipped:
equal data must get the same verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import torch

from tools.grading import dump_answer, evaluate_check, load_answer

Path = tuple[object, ...]  # keys and indices leading from the answer to one of its parts
MODEL_WEIGHTS_SUFFIX = " weights"  # an answer's key for a model's state_dict ends so
CONSTANTS: list[tuple[str, object]] = [
    ("None", None),
    ("0", 0),
    ("NaN", math.nan),
    ("True", True),
    ("an empty string", ""),
    ("an empty list", []),
    ("an empty dict", {}),
]


def wrong_answers(reference: object) -> Iterator[tuple[str, object]]:
    """``(description, answer)`` for every wrong answer derived from ``reference`` (see the module)."""
    for name, constant in CONSTANTS:
        yield f"the answer replaced by {name}", constant
    yield "the facts alone (every number changed, booleans and strings kept)", _map_numbers(reference, _shifted)
    yield "every number set to zero", _map_numbers(reference, _zeroed)
    for path, part in _parts(reference):
        in_weights = any(str(step).endswith(MODEL_WEIGHTS_SUFFIX) for step in path[:-1])
        for change, variant in _variants(part):
            if in_weights and change == "shifted":
                continue
            yield f"{_describe(path)} {change}", _replace(reference, path, variant)
    for path, part in _parts(reference):
        if type(part) is torch.Tensor:
            carrier = part.clone()
            carrier.tolist_was_replaced = True
            yield f"{_describe(path)} carrying an instance attribute", _replace(reference, path, carrier)
            break


def battery_failures(exercise: str, check: Callable[[Any], None], points: int, reference: object) -> list[str]:
    """The descriptions of the wrong answers that ``check`` scores, run as the grader runs it."""
    scored = []
    for description, answer in wrong_answers(reference):
        if same_answer(answer, reference):
            continue
        try:
            payload = load_answer(dump_answer({"value": answer}))
        except ValueError:
            continue  # refused at the data boundary: scores nothing
        if evaluate_check(exercise, check, payload, points)["passed"]:
            scored.append(description)
    return scored


def same_answer(a: object, b: object) -> bool:
    """Whether ``a`` and ``b`` hold the same data: the same structure, tensors of the same shape
    and values (of any dtype), numbers equal (NaN equal to NaN), strings equal."""
    if type(a) is torch.Tensor or type(b) is torch.Tensor:
        if not (type(a) is torch.Tensor and type(b) is torch.Tensor) or a.shape != b.shape:
            return False
        if vars(a) or vars(b):
            return False
        promoted = torch.promote_types(a.dtype, b.dtype)
        return (
            bool(torch.equal(a.to(promoted), b.to(promoted)))
            if not promoted.is_floating_point
            else bool(torch.allclose(a.to(promoted), b.to(promoted), rtol=0, atol=0, equal_nan=True))
        )
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_answer, a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return type(a) is type(b) and a.keys() == b.keys() and all(same_answer(a[k], b[k]) for k in a)
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return (type(a) is type(b) and a == b) or (_is_number(a) and _is_number(b) and a == b)


def _is_number(value: object) -> bool:
    return type(value) in (int, float)


def _parts(value: object, path: Path = ()) -> Iterator[tuple[Path, object]]:
    """Every part of ``value`` with its path; of a long list or a model's weights, only the first
    and last items (their variants stand for the rest)."""
    yield path, value
    if isinstance(value, (list, tuple)) or is_model_weights(path, value):
        keys = list(value) if isinstance(value, dict) else list(range(len(value)))
        for key in keys if len(keys) <= 2 else (keys[0], keys[-1]):
            yield from _parts(value[key], (*path, key))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _parts(item, (*path, key))


def is_model_weights(path: Path, value: object) -> bool:
    """Whether ``value``, found at ``path``, is a model's ``state_dict`` (see the module)."""
    return isinstance(value, dict) and bool(path) and str(path[-1]).endswith(MODEL_WEIGHTS_SUFFIX)


def _variants(part: object) -> list[tuple[str, object]]:
    """The wrong versions of one part of an answer (the rest stays as it was)."""
    if type(part) is torch.Tensor:
        return _tensor_variants(part)
    if type(part) is bool:
        return [("flipped", not part)]
    if type(part) in (int, float):
        shifted = part + 1 if math.isfinite(part) else 0
        changes = [("set to NaN", math.nan), ("set to inf", math.inf), ("set to 0", 0 * part), ("plus 1", shifted)]
        return changes if type(part) is float else [c for c in changes if type(c[1]) is int]
    if type(part) is str:
        return [("emptied", ""), ("changed", part + "?")]
    if isinstance(part, (list, tuple)):
        kind = type(part)
        changes = [("emptied", kind())]
        if len(part) >= 2:
            changes += [("without its last item", kind(part[:-1])), ("rotated by one", kind([*part[1:], part[0]]))]
        return changes
    if isinstance(part, dict):
        changes: list[tuple[str, object]] = [("emptied", {})]
        changes += [(f"without key {key!r}", {k: v for k, v in part.items() if k != key}) for key in part]
        if len(part) >= 2:
            values = list(part.values())
            changes.append(("with its values rotated", dict(zip(part, [*values[1:], values[0]]))))
        return changes
    return []


def _tensor_variants(tensor: torch.Tensor) -> list[tuple[str, object]]:
    changes: list[tuple[str, object]] = [("empty", tensor.reshape(-1)[:0] if tensor.dim() == 0 else tensor[:0])]
    if tensor.is_floating_point() or tensor.is_complex():
        changes += [
            ("filled with NaN", torch.full_like(tensor, math.nan)),
            ("filled with inf", torch.full_like(tensor, math.inf)),
            ("cast to int64", tensor.to(torch.int64) if tensor.is_floating_point() else tensor.real.to(torch.int64)),
        ]
    changes.append(("shifted", _shifted(tensor)))
    changes.append(("with an extra leading dimension", tensor.unsqueeze(0)))
    if tensor.dim() >= 1 and tensor.shape[-1] > 1:
        changes.append(("cut to its first column", tensor[..., :1].clone()))
    return changes


def _shifted(value: object) -> object:
    if type(value) is torch.Tensor:
        return ~value if value.dtype == torch.bool else value + 1
    return value + 1 if math.isfinite(value) else 0


def _zeroed(value: object) -> object:
    if type(value) is torch.Tensor:
        return torch.zeros_like(value)
    return 0 * value if math.isfinite(value) else 0


def _map_numbers(value: object, change: Callable[[object], object]) -> object:
    """``value`` with ``change`` applied to every tensor, int and float (booleans, strings and
    ``None`` kept)."""
    if type(value) is torch.Tensor or type(value) in (int, float):
        return change(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map_numbers(item, change) for item in value)
    if isinstance(value, dict):
        return {key: _map_numbers(item, change) for key, item in value.items()}
    return value


def _replace(value: object, path: Path, new: object) -> object:
    """A copy of ``value`` with the part at ``path`` replaced by ``new`` (the rest shared)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {key: _replace(item, rest, new) if key == head else item for key, item in value.items()}
    items = [_replace(item, rest, new) if index == head else item for index, item in enumerate(value)]
    return type(value)(items)


def _describe(path: Path) -> str:
    return "the answer" + "".join(f"[{step!r}]" for step in path)
