"""Find, execute and store lessons: the machinery behind ``course run`` and ``course baseline``."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from course.kernels import execute_privately
from tools.runtime import project_root

LESSON_NAME = re.compile(r"^(\d{2})_[a-z0-9_]+$")
DEFAULT_BUDGET_SECONDS = 60
CELL_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Lesson:
    """One lesson: its source ``.py`` and the paired ``.ipynb`` holding reference outputs."""

    py: Path

    @property
    def name(self) -> str:
        return self.py.stem

    @property
    def number(self) -> str:
        return self.name[:2]

    @property
    def ipynb(self) -> Path:
        return self.py.with_suffix(".ipynb")


def lessons_dir() -> Path:
    return project_root() / "lessons"


def all_lessons() -> list[Lesson]:
    """Every ``lessons/NN_topic.py``, in lesson order."""
    return [Lesson(p) for p in sorted(lessons_dir().glob("*.py")) if LESSON_NAME.match(p.stem)]


def select_lessons(wanted: list[str]) -> list[Lesson]:
    """Lessons matching ``wanted`` numbers or names (``"02"``, ``"2"``, ``"02_autograd"``); all if empty."""
    lessons = all_lessons()
    if not wanted:
        return lessons
    chosen = []
    for key in wanted:
        key = key.removesuffix(".py").removesuffix(".ipynb").split("/")[-1]
        number = key.zfill(2) if key.isdigit() else key[:2]
        found = [lesson for lesson in lessons if lesson.name == key or (key.isdigit() and lesson.number == number)]
        if not found:
            known = ", ".join(lesson.name for lesson in lessons) or "none"
            raise LookupError(f"no lesson {key!r}; lessons are: {known}")
        chosen.extend(lesson for lesson in found if lesson not in chosen)
    return chosen


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook in ``path`` (``.ipynb``, or a jupytext ``.py``).

    A file that is not UTF-8 text or not a notebook raises ``ValueError`` naming the file.
    """
    try:
        return jupytext.read(path)
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text (byte {error.object[error.start]:#04x} at position {error.start})"
        ) from None
    except (ValueError, KeyError, AttributeError, TypeError, nbformat.ValidationError) as error:
        # nbformat's own complaint, or what its parser trips over in JSON of the wrong shape
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path} is not a readable notebook ({reason})") from None


def read_source(lesson: Lesson) -> nbformat.NotebookNode:
    """The lesson's notebook as written in its ``.py`` (no outputs)."""
    return read_notebook(lesson.py)


def budget_seconds(notebook: nbformat.NotebookNode) -> float:
    """The lesson's time budget: ``course.budget_seconds`` in its metadata, else 60 s."""
    return float(notebook.metadata.get("course", {}).get("budget_seconds", DEFAULT_BUDGET_SECONDS))


KERNEL_SETTINGS = {
    "PYTHONHASHSEED": "0",
    # One math thread per kernel: lessons run two at a time on two cores, and oversubscribed
    # threads made training up to eight times slower. Also keeps float reductions in one order.
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


# "Another machine" for the portable test lane: each setting changes which float kernels run
# (and so the last bits of results) without changing what the lesson computes.
PORTABLE_SETTINGS = {
    # MKL's conditional numerical reproducibility: the code path of a generic SSE2 CPU
    # instead of this CPU's AVX-512/AVX2 BLAS kernels.
    "MKL_CBWR": "COMPATIBLE",
    # torch's own vectorised kernels (reductions, elementwise math) without SIMD.
    "ATEN_CPU_CAPABILITY": "default",
    # oneDNN (convolutions, pooling) as on an AVX2 laptop instead of AVX-512.
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    # Two math threads instead of one: reductions split and summed in another order.
    "OMP_NUM_THREADS": "2",
    "MKL_NUM_THREADS": "2",
    # Idle threads sleep instead of spinning. Two kernels of two threads share two cores in the
    # tests, and spinning threads made the lane three times slower; the policy changes no result.
    "OMP_WAIT_POLICY": "PASSIVE",
}


def kernel_environment(portable: bool = False) -> dict[str, str]:
    """The environment lessons run in (re-baseline, ``course run`` and the tests alike).

    ``portable=True`` adds :data:`PORTABLE_SETTINGS`, the float environment of the portable
    test lane, which stands in for another machine.
    """
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # Agg here would silence inline figures
    env.update(KERNEL_SETTINGS)
    if portable:
        env.update(PORTABLE_SETTINGS)
    return env


def execute(
    notebook: nbformat.NotebookNode, cwd: Path, timeout: int = CELL_TIMEOUT_SECONDS, portable: bool = False
) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel started in ``cwd``; stops at the first unexpected error.

    The kernel listens on IPC sockets in a private folder (:mod:`course.kernels`), not on a TCP
    port. Cells tagged ``raises-exception`` may raise; their error is kept as output. ``portable``
    runs the kernel in the portable lane's float environment (see :func:`kernel_environment`).
    """
    execute_privately(notebook, cwd, kernel_environment(portable), timeout=timeout, record_timing=False)
    return strip_run_noise(notebook)


def strip_run_noise(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what differs between runs but means nothing: interpreter versions, widget state,
    and random cell ids (replaced by ids derived from each cell's content)."""
    notebook.metadata.pop("language_info", None)
    notebook.metadata.pop("widgets", None)
    taken: set[str] = set()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        cell_id, suffix = digest, 1
        while cell_id in taken:
            cell_id, suffix = f"{digest}-{suffix}", suffix + 1
        taken.add(cell_id)
        cell.id = cell_id
    return notebook


def write_reference(lesson: Lesson, executed: nbformat.NotebookNode) -> None:
    """Store ``executed`` as the lesson's paired ``.ipynb``."""
    jupytext.write(executed, lesson.ipynb, fmt="ipynb")


def as_percent_script(notebook: nbformat.NotebookNode) -> str:
    """The notebook rendered as the jupytext percent script it pairs with."""
    return jupytext.writes(notebook, fmt="py:percent")


def sync_problem(lesson: Lesson) -> str | None:
    """Why the ``.py`` and ``.ipynb`` disagree, or ``None`` when they are in sync."""
    if not lesson.ipynb.exists():
        return f"{lesson.ipynb.name} is missing: run `course baseline {lesson.number}`"
    source = as_percent_script(read_source(lesson))
    stored = as_percent_script(jupytext.read(lesson.ipynb))
    if source == stored:
        return None
    return (
        f"{lesson.py.name} and {lesson.ipynb.name} differ: the .py was edited after the last "
        f"re-baseline; run `course baseline {lesson.number}`"
    )
