"""Checks read out of their source: a reference lesson's check cell, an instructor's hidden-check file.

Light on purpose (no notebook libraries): the grader validates what these return
(:func:`course.grader.reference_checks`, :func:`course.grader.load_hidden_checks`), and its check
processes (:mod:`course.check_runner`) rebuild the same checks with them at every start.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.grading import check_exercise, collecting_checks


def checks_in_cell(source: str, name: str) -> list[tuple[str, Callable[[Any], None], int]]:
    """The ``(exercise, check, points)`` that check cell ``source`` registers, run alone in a fresh
    namespace while :func:`tools.grading.collecting_checks` is active (no answer runs). Raises
    whatever the cell raises."""
    with collecting_checks() as collected:
        exec(compile(source, f"<{name} check cell>", "exec"), {"check_exercise": check_exercise})  # noqa: S102
    return list(collected)


def hidden_checks_in_file(path: Path) -> object:
    """What the instructor's file ``path`` binds to ``HIDDEN_CHECKS`` (not validated), or ``None``.
    Raises ``SyntaxError`` for a file that does not compile, and whatever running it raises."""
    code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    namespace: dict = {"__name__": "hidden_checks"}
    exec(code, namespace)  # noqa: S102 - the instructor's own file
    return namespace.get("HIDDEN_CHECKS")
