"""Student versions of the lessons, and a grader that scores folders of submissions.

How a submission is graded. The reference lesson's check cells and the instructor's hidden
checks are read and validated once, in the grader's own process, before any submission runs.
Each submission then runs, in a fresh kernel, inside a bubblewrap sandbox (``course.sandbox``),
with its check cells replaced by the reference lesson's. Those cells ask the kernel only for
*answers*: data such as tensors, numbers and strings, saved with ``torch.save`` into the
sandbox's private folder. A child process of the grader (:mod:`course.check_runner`) reads each
answer back with ``weights_only=True``, accepts only exact plain types, and runs the checks, each
rebuilt with fresh globals and run within limits of time and memory. No verdict is computed
inside the student's interpreter, and nothing the kernel prints is trusted.

Threat model: what holds.

- Scores come only from the reference lesson's checks and the instructor's hidden checks, run
  in a child of the grader's process, which never runs student code. Whatever the submission
  does to its own interpreter (``check_exercise``, ``tools``, ``builtins``, ``torch`` or import
  hooks replaced; files written where the kernel expects answers), what reaches the grader is data,
  and data can only be right or wrong: objects that lie about comparisons (subclasses of
  ``float`` or ``Tensor``, anything with its own class) do not survive the exact-type reading,
  and data that would unfold into far more than its file (compressed archive entries, expanded
  tensors, a pickle repeating one list) or that carries state beyond plain values (a tensor
  with instance attributes, which could shadow its methods) is refused before any check sees it.
- Checks fail every answer no solution would give (the suite feeds each the battery of
  :mod:`course.battery`), and a check cannot be made to work without bound: each runs within
  :data:`course.check_runner.CHECK_SECONDS` and ``CHECK_MEMORY_GIB`` in a process that is
  replaced when it passes them, and a submission of more than :data:`MAX_SUBMISSION_CELLS`
  cells is refused before it is parsed.
- Inside the sandbox the submission sees the project's ``tools`` and ``course`` packages (what
  lessons import, and the code that starts the kernel), the datasets and the Python environment
  read-only, a private writable ``/tmp`` and nothing else of the machine: not
  the reference lessons (their solutions), no home folders, no hidden checks, no other
  submission, no earlier reports, no network (only its own loopback). It runs as an
  unprivileged user without capabilities, unable to make user namespaces of its own, in its own
  PID namespace: at the time limit the whole
  sandbox is killed, and every process it started dies with it. Each process is limited in
  address space (``--memory``) and in the size of each file it writes (1 GiB).
- Every submission gets its row: an unreadable file, a wrong encoding, a kernel that dies or
  hangs, missing or malformed answers give a status and 0 for what was not reached; so does a
  student folder of any name (:func:`readable_name`, :func:`spreadsheet_safe`). Reports are
  written atomically, before anything is printed, and the submission's private folder is removed
  whatever it holds (:func:`remove_tree`). A ``.py`` submission is read as plain percent-format code: commented
  magics and shell escapes stay comments.

What it does not stop.

- A student can always hand in the right data computed any way they like (copied from a
  friend, or written out by hand): the checks see answers, not how they were found. Checks of
  *how* something was computed (17.4's "load with ``weights_only=True``") run in the
  student's interpreter with ``advise_exercise`` and are advice, not proof: they score nothing.
  The answer expressions of hidden checks are sent into the kernel, so a submission can see what
  they ask for (not how it is judged).
- The sandbox shares the machine's kernel: a kernel exploit escapes it. Its limits are per
  process (address space, file size) and per wall clock; many processes together can still use
  a lot of memory, CPU or disk (the private ``/tmp`` is a folder on the host's disk) until the
  time limit ends them. Files readable inside (``tools``, ``course``, the datasets, the Python
  environment) can be read and printed into the submission's own outputs.
- Without bubblewrap, ``course grade`` refuses to run unless ``--no-sandbox-trust-submissions``
  is given; then submissions run as the instructor's user with the instructor's files and
  network within reach, and only the data boundary above still holds.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jupytext
import nbformat

from course.check_loading import checks_in_cell, hidden_checks_in_file
from course.check_runner import CheckRunner
from course.notebooks import KERNEL_SETTINGS, Lesson, all_lessons, read_notebook
from course.sandbox import DEFAULT_MEMORY_LIMIT_GIB, python_folders, sandbox_command
from tools.datasets import DATA_DIR_VARIABLE, DATASETS, DatasetError, data_dir, ensure_dataset
from tools.grading import (
    ANSWERS_DIR_VARIABLE,
    MAX_ANSWER_BYTES,
    HiddenCheck,
    answer_file_name,
    validate_exercise,
)
from tools.progress import tqdm
from tools.runtime import RUNS_ENV, project_root, runs_dir

SOLUTION_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*$", re.M | re.S
)
CHECK_CALL = re.compile(r'check_exercise\(\s*"(?P<id>\d{2}\.\d+)"')
ADVICE_CALL = re.compile(r'advise_exercise\(\s*"(?P<id>\d{2}\.\d+)"')  # advice: run in the kernel, no points
EXERCISE_CALL = re.compile(r'(?:check|advise)_exercise\(\s*"(?P<id>\d{2}\.\d+)"')
DEFAULT_TIMEOUT_SECONDS = 300
# Put before every reference check cell, so that each works wherever the submission placed it.
IMPORT_CHECK = "from tools import check_exercise\n"
MAX_SUBMISSION_BYTES = 20 * 1024 * 1024
MAX_SUBMISSION_CELLS = 2_000  # the longest lesson has 117
# Run as a script, not a module, so the child does not import the tools package (and torch).
WORKER = Path(__file__).with_name("grade_worker.py")
# The only statuses taken from the worker (it writes them; keep the two lists the same).
WORKER_STATUSES = ("graded", "kernel died (out of memory or killed)", "the notebook could not be executed")


class GradingSetupError(ValueError):
    """A reference lesson or a hidden-check file cannot be used; nothing has been graded yet."""


@dataclass(frozen=True)
class ReferenceCheck:
    """One exercise of a reference lesson: its trusted check and the cell that asks for its answer."""

    exercise: str
    check: object
    points: int
    cell_source: str


def check_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The code cells that call ``check_exercise``."""
    return [cell for cell in notebook.cells if cell.cell_type == "code" and CHECK_CALL.search(cell.source)]


def reference_checks(notebook: nbformat.NotebookNode, name: str = "lesson") -> list[ReferenceCheck]:
    """Every exercise of a lesson with its check, read by running each check cell alone in a
    fresh namespace while :func:`tools.grading.collecting_checks` is active (no answer runs)."""
    found: list[ReferenceCheck] = []
    for cell in check_cells(notebook):
        try:
            collected = checks_in_cell(cell.source, name)
        except Exception as error:  # noqa: BLE001 - reported as a setup error
            raise GradingSetupError(
                f"{name}: a check cell fails on its own ({type(error).__name__}: {error}); "
                "check cells may only define functions and call check_exercise"
            ) from None
        ids = [m["id"] for m in CHECK_CALL.finditer(cell.source)]
        if [exercise for exercise, _, _ in collected] != ids:
            raise GradingSetupError(
                f"{name}: a check cell declares {ids} but registered {[exercise for exercise, _, _ in collected]}"
            )
        found += [ReferenceCheck(exercise, check, points, cell.source) for exercise, check, points in collected]
    return found


def _stub(indent: str, exercise: str) -> str:
    return (
        f"{indent}### BEGIN SOLUTION\n"
        f'{indent}raise NotImplementedError("exercise {exercise}: replace this line with your solution")\n'
        f"{indent}### END SOLUTION"
    )


def student_notebook(lesson: Lesson) -> nbformat.NotebookNode:
    """The lesson with every solution replaced by a stub and the outputs of the exercise cells
    (solutions, checks, advice) cleared.

    Everything else (prose, figures and outputs of the teaching part, the check cells) is kept.
    """
    notebook = read_notebook(lesson.ipynb if lesson.ipynb.exists() else lesson.py)
    stubbed = 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if SOLUTION_BLOCK.search(cell.source):
            following = "\n".join(c.source for c in notebook.cells[index + 1 :] if c.cell_type == "code")
            match = EXERCISE_CALL.search(following)
            exercise = match["id"] if match else f"{lesson.number}.?"
            cell.source = SOLUTION_BLOCK.sub(lambda m, exercise=exercise: _stub(m["indent"], exercise), cell.source)
            stubbed += 1
        if stubbed and (SOLUTION_BLOCK.search(cell.source) or EXERCISE_CALL.search(cell.source)):
            cell.outputs, cell.execution_count = [], None
    if not stubbed:
        raise ValueError(f"{lesson.name} has no ### BEGIN SOLUTION block: nothing to make a student version of")
    return notebook


def student_files(lessons: list[Lesson], out: Path) -> list[Path]:
    """The files ``write_student_versions`` writes: each lesson's ``.ipynb`` and ``.py`` in ``out``."""
    return [out / name for lesson in lessons for name in (lesson.ipynb.name, lesson.py.name)]


def write_student_versions(lessons: list[Lesson], out: Path) -> list[Path]:
    """Write each lesson's student version as ``.ipynb`` and paired ``.py`` into ``out``.

    Every student version is made before the first file is written, so a lesson that cannot
    be made into one leaves ``out`` untouched. Existing files are replaced: the caller decides
    whether that is allowed.
    """
    notebooks = [student_notebook(lesson) for lesson in lessons]
    out.mkdir(parents=True, exist_ok=True)
    for lesson, notebook in zip(lessons, notebooks):
        nbformat.write(notebook, out / lesson.ipynb.name)
        jupytext.write(notebook, out / lesson.py.name, fmt="py:percent")
    return student_files(lessons, out)


@dataclass(frozen=True)
class GradingPlan:
    """What one lesson is graded against, read and validated before any submission runs."""

    lesson: Lesson
    checks: list[ReferenceCheck]
    hidden: list[HiddenCheck]
    hidden_file: Path | None = None  # the instructor's file the hidden checks were read from

    def items(self) -> list[tuple[str, object, int, int | None]]:
        """``(key, check, points, hidden index or None)`` of every exercise and hidden check, in the
        order of the score table (the reference checks' keys are their exercise ids)."""
        items = [(c.exercise, c.check, c.points, None) for c in self.checks]
        return items + [(h.key, h.check, h.points, index) for index, h in enumerate(self.hidden)]


def load_hidden_checks(path: Path, lesson: Lesson) -> list[HiddenCheck]:
    """The ``HIDDEN_CHECKS`` list of the instructor's file ``path`` for ``lesson``, validated."""
    try:
        hidden = hidden_checks_in_file(path)
    except SyntaxError:
        raise
    except Exception as error:  # noqa: BLE001 - any failure of the file is a setup error
        raise GradingSetupError(f"{path}: running it raised {type(error).__name__}: {error}") from None
    if not isinstance(hidden, list) or not all(isinstance(h, HiddenCheck) for h in hidden):
        raise GradingSetupError(
            f"{path}: define HIDDEN_CHECKS = [HiddenCheck(...), ...] (from tools.grading import HiddenCheck)"
        )
    for item in hidden:
        try:
            validate_exercise(item.exercise, item.check, item.points)
            compile(item.answer, "<answer>", "eval")
        except (ValueError, TypeError, SyntaxError) as error:
            raise GradingSetupError(f"{path}: {item.key if callable(item.check) else item}: {error}") from None
        if not item.exercise.startswith(f"{lesson.number}."):
            raise GradingSetupError(f"{path}: exercise {item.exercise} is not an exercise of lesson {lesson.number}")
    keys = [h.key for h in hidden]
    if len(set(keys)) != len(keys):
        raise GradingSetupError(f"{path}: two hidden checks of one exercise share a function name")
    return hidden


def grading_plans(lessons: list[Lesson], hidden_dir: Path | None) -> dict[str, GradingPlan]:
    """One validated :class:`GradingPlan` per lesson number; raises :class:`GradingSetupError`."""
    plans = {}
    for lesson in lessons:
        checks = reference_checks(jupytext.read(lesson.py), lesson.name)
        if not checks:
            raise GradingSetupError(f"{lesson.name} has no exercises to grade")
        hidden_file = Path(hidden_dir) / f"{lesson.number}.py" if hidden_dir is not None else None
        hidden = load_hidden_checks(hidden_file, lesson) if hidden_file and hidden_file.exists() else []
        plans[lesson.number] = GradingPlan(lesson, checks, hidden, hidden_file if hidden else None)
    return plans


@dataclass
class Grade:
    """One student's result on one lesson."""

    student: str
    lesson: str
    status: str
    seconds: float
    exercises: list[dict] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(e["points"] for e in self.exercises)

    @property
    def max_points(self) -> int:
        return sum(e["max_points"] for e in self.exercises)


def read_submission(path: Path) -> nbformat.NotebookNode:
    """A submission as a notebook; ``.py`` files as plain percent code (comments stay comments).

    Raises ``ValueError`` with the reason for a file that is too large, not UTF-8 or not a notebook.
    """
    data = _read_plain_file(path, MAX_SUBMISSION_BYTES)
    if data is None:
        raise ValueError(
            f"not a plain file of at most {MAX_SUBMISSION_BYTES // 2**20} MiB "
            "(a link, a pipe or too large); hand in the notebook itself"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text (byte {error.start}); save the file as UTF-8") from None
    try:
        cells = _cell_count(text, path.suffix)
    except ValueError as error:
        raise ValueError(f"not a readable {path.suffix} notebook ({error})") from None
    if cells > MAX_SUBMISSION_CELLS:
        raise ValueError(f"{cells:,} cells, more than the {MAX_SUBMISSION_CELLS:,} a submission may hold")
    try:
        if path.suffix == ".py":
            return jupytext.reads(text, fmt={"extension": ".py", "format_name": "percent", "comment_magics": False})
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - any parse failure is the same verdict
        raise ValueError(f"not a readable {path.suffix} notebook ({type(error).__name__})") from None


def _cell_count(text: str, suffix: str) -> int:
    """How many cells a submission holds, found cheaply before it is parsed (parsing 200,000 tiny
    cells took the grader minutes, outside any time limit). Raises ``ValueError`` for bad JSON."""
    if suffix == ".py":
        return sum(1 for line in text.splitlines() if line.startswith("# %%"))
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        raise ValueError("not JSON of a notebook") from None
    return len(cells) if isinstance(cells, list) else 0


def called_exercises(source: str) -> list[str]:
    """The ids of the ``check_exercise("NN.k", ...)`` calls in ``source``'s code; comments, strings
    and cells that are not plain Python (magics) have none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "check_exercise"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]


def prepared_notebook(submission: nbformat.NotebookNode, plan: GradingPlan) -> nbformat.NotebookNode:
    """The submission's cells, outputs cleared, each reference check cell placed where the
    submission calls that check (replacing the student's cell only when it is the same cell, so no
    student code is lost), those it never calls at the end, and last a cell saving the hidden answers."""
    by_exercise = {check.exercise: check.cell_source for check in plan.checks}
    cells, placed = [], set()
    for cell in submission.cells:
        if cell.cell_type == "markdown":
            cells.append(cell)
        if cell.cell_type != "code":
            continue
        ids = [i for i in called_exercises(cell.source) if i in by_exercise and by_exercise[i] not in placed]
        reference = by_exercise[ids[0]] if ids else None
        if reference is None or cell.source.strip() != reference.strip():
            cells.append(nbformat.v4.new_code_cell(cell.source))
        if reference is not None:
            cells.append(nbformat.v4.new_code_cell(IMPORT_CHECK + reference))
            placed.add(reference)
    cells += [
        nbformat.v4.new_code_cell(IMPORT_CHECK + source)
        for source in dict.fromkeys(by_exercise.values())
        if source not in placed
    ]
    if plan.hidden:
        expressions = [h.answer for h in plan.hidden]  # only these enter the kernel, not the checks' names
        cells.append(
            nbformat.v4.new_code_cell(
                f"import tools.grading\ntools.grading.save_hidden_answers({expressions!r}, globals())"
            )
        )
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return notebook


def sandbox_environment(private: str = "/tmp") -> dict[str, str]:
    """The kernel's whole environment, its writable folder being ``private`` (``/tmp`` in the
    sandbox): nothing of the instructor's environment is passed on."""
    return {
        **KERNEL_SETTINGS,
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": private,
        "USER": "student",
        "LANG": "C.UTF-8",
        "TMPDIR": private,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": f"{private}/.matplotlib",
        "JUPYTER_RUNTIME_DIR": f"{private}/.jupyter",
        "IPYTHONDIR": f"{private}/.ipython",
        RUNS_ENV: f"{private}/runs",
        ANSWERS_DIR_VARIABLE: f"{private}/answers",
        DATA_DIR_VARIABLE: str(data_dir()),
        "COURSE_DEVICE": "cpu",
    }


def sandbox_project_paths() -> list[Path]:
    """What of the project a submission may see: the ``tools`` package, the datasets, and the
    ``course`` package (the worker script and the kernel launcher run from there). Not the
    reference lessons (their solutions), not the tests, not the git history."""
    return [project_root() / "tools", project_root() / "course", data_dir()]


def _run_contained(
    notebook_name: str, folder: Path, timeout: float, sandbox: bool, hide: Sequence[Path], memory_limit_gib: float
) -> str | None:
    """Execute ``work/<notebook_name>`` of ``folder`` (seen as ``/tmp`` inside the sandbox); return
    a status when the run was cut short, else ``None``."""
    private = "/tmp" if sandbox else str(folder)
    command = [sys.executable, str(WORKER), f"{private}/work/{notebook_name}", f"{private}/status.json"]
    if sandbox:
        command = sandbox_command(
            command, folder, [*sandbox_project_paths(), *python_folders()], hide, memory_limit_gib, workdir="/tmp/work"
        )
    env = sandbox_environment(private)
    process = subprocess.Popen(
        command,
        cwd=folder / "work",
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        process.wait(timeout=timeout)
        return None
    except subprocess.TimeoutExpired:
        return f"timeout after {timeout:g} s"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def remove_tree(folder: Path) -> None:
    """Remove ``folder``, which a submission wrote, with everything in it, or raise ``OSError``.

    Python 3.11's ``shutil.rmtree`` recurses once per level, so a submission nesting a few
    thousand folders stops it (and the folder would stay on the host). GNU ``rm`` walks a tree of
    any depth; ``chmod`` first gives the owner back the folders a submission locked (neither
    follows symbolic links, so nothing outside ``folder`` is touched).
    """
    for command in (["chmod", "-R", "u+rwX", str(folder)], ["rm", "-rf", "--one-file-system", str(folder)]):
        subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.path.lexists(folder):
        raise OSError(f"could not remove the grading folder {folder}")


def _read_plain_file(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it and its folder are no links, and it is a regular file (not a
    pipe or a device) within ``limit`` bytes; else ``None``. The sandbox wrote the folder."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        folder = os.open(path.parent, flags | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        descriptor = os.open(path.name, flags, dir_fd=folder)
    except OSError:
        return None
    finally:
        os.close(folder)
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:  # a folder, a pipe, a device: not read
        os.close(descriptor)
        return None
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(limit + 1)


def _kernel_status(folder: Path) -> str:
    data = _read_plain_file(folder / "status.json", 4096)
    try:
        status = json.loads(data)["status"] if data else None
    except (ValueError, TypeError, KeyError):
        status = None
    return status if isinstance(status, str) and status in WORKER_STATUSES else "no result from the grading run"


def score(plan: GradingPlan, folder: Path | None, status: str, runner: CheckRunner) -> list[dict]:
    """One row per expected exercise, judged by the trusted checks, run under limits by
    ``runner``, on the answers found in ``folder`` (``None``: the submission never ran, so every
    exercise is not reached)."""
    rows = []
    for index, (key, _, points, hidden_index) in enumerate(plan.items()):
        path = folder / "answers" / answer_file_name(key, hidden_index) if folder else None
        data = _read_plain_file(path, MAX_ANSWER_BYTES) if path else None
        if data is None:
            verdict = f"[ex {key}] not reached ({status})"
            rows.append({"exercise": key, "passed": False, "points": 0, "max_points": points, "verdict": verdict})
            continue
        result = runner.evaluate(plan, index, data)
        exercise = key.split(" ")[0]
        rows.append(
            {**result, "exercise": key, "verdict": result["verdict"].replace(f"[ex {exercise}]", f"[ex {key}]")}
        )
    return rows


def grade_submission(
    student: str,
    submission: Path,
    plan: GradingPlan,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    sandbox: bool = True,
    hide: Sequence[Path] = (),
    memory_limit_gib: float = DEFAULT_MEMORY_LIMIT_GIB,
    runner: CheckRunner | None = None,
) -> Grade:
    """Run one submission in its own kernel (in a sandbox unless ``sandbox=False``) and score its
    answers with the plan's trusted checks, under limits in ``runner``'s process (by default a
    runner of its own)."""
    if runner is None:
        with CheckRunner() as own_runner:
            return grade_submission(student, submission, plan, timeout, sandbox, hide, memory_limit_gib, own_runner)
    start = time.perf_counter()
    lesson = plan.lesson
    try:
        notebook = prepared_notebook(read_submission(submission), plan)
    except (OSError, ValueError) as error:
        status = f"unreadable submission: {error}"
        return Grade(student, lesson.name, status, 0.0, score(plan, None, status, runner))
    folder = Path(tempfile.mkdtemp(prefix="course-grade-"))
    try:
        for name in ("work", "answers", "runs"):
            (folder / name).mkdir()
        nbformat.write(notebook, folder / "work" / lesson.ipynb.name)
        cut_short = _run_contained(lesson.ipynb.name, folder, timeout, sandbox, hide, memory_limit_gib)
        status = cut_short or _kernel_status(folder)
        rows = score(plan, folder, status, runner)
    finally:
        remove_tree(folder)
    return Grade(student, lesson.name, status, round(time.perf_counter() - start, 1), rows)


def readable_name(name: str) -> str:
    """A folder's name as text every output can hold: bytes that are not UTF-8 (a "M\\xfcller"
    from a zip made on Windows) are written as ``\\xfc`` escapes, so names stay distinct."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def find_submissions(root: Path) -> list[tuple[str, Path, Lesson]]:
    """``(student, file, reference lesson)`` for every ``<student>/<NN>_*.ipynb|.py`` under ``root``.

    When a student hands in both files of a lesson, the ``.ipynb`` is graded.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"submissions folder {root} does not exist")
    lessons = {lesson.number: lesson for lesson in all_lessons()}
    found = []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        chosen: dict[str, Path] = {}
        for path in sorted(student_dir.iterdir()):
            number = path.name[:2]
            if (
                path.suffix in (".ipynb", ".py")
                and number.isdigit()
                and number in lessons
                and (number not in chosen or path.suffix == ".ipynb")
            ):
                chosen[number] = path
        student = readable_name(student_dir.name)
        found += [(student, path, lessons[number]) for number, path in sorted(chosen.items())]
    if not found:
        raise FileNotFoundError(
            f"no submissions under {root}: expected one folder per student holding NN_topic.ipynb or .py files"
        )
    return found


def prepare_datasets() -> None:
    """Build (on first use) and verify every dataset here, since lessons in the sandbox cannot write ``data/``."""
    for name in DATASETS:
        try:
            ensure_dataset(name)
        except DatasetError as error:
            raise GradingSetupError(f"{str(error).splitlines()[0]} rebuild it with `course data {name}`") from None


def grade_folder(
    root: Path,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    hidden_dir: Path | None = None,
    jobs: int = 1,
    sandbox: bool = True,
    memory_limit_gib: float = DEFAULT_MEMORY_LIMIT_GIB,
    hide: Sequence[Path] = (),
) -> list[Grade]:
    """Grade every submission under ``root`` (``jobs`` at a time), with a progress bar.

    The reference checks and hidden checks of every lesson involved are validated first; a
    problem there raises :class:`GradingSetupError` before any submission runs. Folders in
    ``hide`` (with ``root``, ``hidden_dir`` and the runs folder) are invisible in the sandbox.
    """
    submissions = find_submissions(root)
    plans = grading_plans(
        sorted({lesson for _, _, lesson in submissions}, key=lambda lesson: lesson.number), hidden_dir
    )
    prepare_datasets()
    hidden = [Path(root), runs_dir(), Path(tempfile.gettempdir()), *hide]
    hidden += [Path(hidden_dir)] if hidden_dir is not None else []

    runners: list[CheckRunner] = []
    per_thread = threading.local()

    def grade_one(student: str, path: Path, lesson: Lesson) -> Grade:
        plan = plans[lesson.number]
        if not hasattr(per_thread, "runner"):
            per_thread.runner = CheckRunner()
            runners.append(per_thread.runner)
        try:
            return grade_submission(student, path, plan, timeout, sandbox, hidden, memory_limit_gib, per_thread.runner)
        except Exception as error:  # noqa: BLE001 - one broken submission must not cost the others their rows
            status = f"grader error: {type(error).__name__}: {error}"
            return Grade(student, lesson.name, status, 0.0, score(plan, None, status, per_thread.runner))

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(grade_one, *submission) for submission in submissions]
            with tqdm(futures, desc="grading", unit="submission", file=sys.stderr) as bar:
                return [future.result() for future in bar]
    finally:
        for runner in runners:
            runner.close()


def score_table(grades: list[Grade]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the student × lesson table (``points/max``, then the total)."""
    lessons = sorted({g.lesson for g in grades})
    students = sorted({g.student for g in grades})
    by_key = {(g.student, g.lesson): g for g in grades}
    header = ["student", *lessons, "total"]
    rows = []
    for student in students:
        cells, points, maximum = [], 0, 0
        for lesson in lessons:
            grade = by_key.get((student, lesson))
            if grade is None:
                cells.append("-")
                continue
            cells.append(f"{grade.points}/{grade.max_points}")
            points, maximum = points + grade.points, maximum + grade.max_points
        rows.append([student, *cells, f"{points}/{maximum}"])
    return header, rows


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``; the
    temporary file never stays behind."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        try:
            handle.write(text)
        except BaseException:
            handle.close()
            os.unlink(handle.name)
            raise
    os.replace(handle.name, path)


def spreadsheet_safe(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: one starting like a formula (``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return) gets a leading ``'``, as OWASP advises for CSV."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and cell != "-" else cell


def write_report(grades: list[Grade], stem: Path) -> tuple[Path, Path]:
    """The score table as ``<stem>.csv`` and every detail as ``<stem>.json``, each written atomically."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    header, rows = score_table(grades)
    csv_path, json_path = stem.with_suffix(".csv"), stem.with_suffix(".json")
    table = io.StringIO()
    csv.writer(table).writerows([header, *([spreadsheet_safe(row[0]), *row[1:]] for row in rows)])
    details = [{**asdict(g), "points": g.points, "max_points": g.max_points} for g in grades]
    _write_atomically(
        json_path, json.dumps({"table": {"header": header, "rows": rows}, "grades": details}, indent=2) + "\n"
    )
    _write_atomically(csv_path, table.getvalue())
    return csv_path, json_path


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
