"""pytest plugin that makes nbval a strict regression harness for the lessons.

Loaded automatically (entry point ``pytest11``); it acts only on notebooks that nbval
collects. For each notebook it adds a ``harness`` item that fails when the paired ``.py``
and ``.ipynb`` differ, when a code cell has no stored output (nbval would silently skip
comparing it), when fewer than 60% of code cells are compared, or when the notebook claims
a time budget the lesson plan does not allow. It fails the first cell at which the lesson's
running time passes its budget, and adds after a lesson's last cell an ``answers`` item that
scores the answers its kernel saved with the grader's own code (:class:`AnswersCheck`) and a
``battery`` item that feeds each check the wrong answers derived from them (:class:`BatteryCheck`). It
stops comparing stderr (progress bars, warnings), points nbval at the course's sanitizer file,
runs cells the way Jupyter does (see :func:`_execute_like_jupyter`), and starts kernels on
private IPC sockets, not TCP ports.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager

from course.battery import battery_failures
from course.check_runner import CheckRunner
from course.grader import check_cells, grading_plans, score
from course.kernels import private_kernel_folder, private_kernel_manager
from course.notebooks import (
    DEFAULT_BUDGET_SECONDS,
    LESSON_NAME,
    Lesson,
    budget_seconds,
    kernel_environment,
    sync_problem,
)
from tools.grading import ANSWERS_DIR_VARIABLE, answer_file_name, load_answer
from tools.runtime import project_root

SANITIZE_FILE = project_root() / "tests" / "nbval_sanitize.cfg"
MIN_COMPARED_SHARE = 0.6
# Budgets above the default that the lesson plan allows, by lesson number.
ALLOWED_BUDGETS = {"20": 120}
_SKIP_TAGS = {"nbval-skip"}
_IGNORE_TAGS = {"nbval-ignore-output", "nbval-skip"}
_IGNORE_MARKERS = ("# NBVAL_IGNORE_OUTPUT", "# NBVAL_SKIP")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--portable",
        action="store_true",
        default=False,
        help="run the lessons in the portable lane's float environment "
        "(course.notebooks.PORTABLE_SETTINGS), which stands in for another machine",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not (getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False)):
        return
    # With --nbval-current-env the kernels inherit this environment: the same as re-baselining
    # (or, with --portable, the perturbed float environment of the portable lane).
    environment = kernel_environment(portable=config.getoption("portable"))
    os.environ.pop("MPLBACKEND", None)
    os.environ.update(environment)
    if getattr(config.option, "nbval_sanitize_with", None) is None:
        config.option.nbval_sanitize_with = str(SANITIZE_FILE)
    _execute_like_jupyter()
    _kernels_on_private_sockets(config)
    # Every check_exercise in the kernels also saves its answer here, as under the grader.
    config._course_answers_folder = Path(tempfile.mkdtemp(prefix="course-answers-"))
    (config._course_answers_folder / "answers").mkdir()
    os.environ[ANSWERS_DIR_VARIABLE] = str(config._course_answers_folder / "answers")


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "_course_check_runner"):
        config._course_check_runner.close()
    for name in ("_course_kernel_folder", "_course_answers_folder"):
        folder = getattr(config, name, None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _kernels_on_private_sockets(config: pytest.Config) -> None:
    """Make nbval start its kernels on IPC sockets in a private folder (:mod:`course.kernels`).

    nbval offers no option for the kernel's transport; it starts every kernel through
    ``nbval.kernel.start_new_kernel``, which is replaced here by the same steps with a private
    kernel manager.
    """
    import nbval.kernel

    config._course_kernel_folder = private_kernel_folder()

    def started_kernel(startup_timeout: float, options: dict) -> tuple:
        # the kernel of this Python, as with --nbval-current-env (which the course always passes)
        manager = private_kernel_manager(private_kernel_folder(config._course_kernel_folder), KernelManager)
        manager.start_kernel(**options)
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=startup_timeout)
        except RuntimeError:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
            raise
        return manager, client

    def start_new_kernel(startup_timeout=60, kernel_name="python", **options):  # noqa: ANN001, ANN003, ANN202 - nbval's
        try:
            return started_kernel(startup_timeout, options)
        except RuntimeError:
            # A kernel that never answered has run no cell. One clean-clone run of the suite saw
            # that once (cause unknown), so a second start is tried before the lesson errors.
            return started_kernel(startup_timeout, options)

    nbval.kernel.start_new_kernel = start_new_kernel


def _execute_like_jupyter() -> None:
    """Make nbval run cells with ``store_history=True``, as Jupyter and nbclient do.

    nbval sends ``store_history=False``; IPython then cannot see a cell's trailing ``;``, so a
    figure cell ending in ``ax.legend();`` prints a ``Legend`` repr under nbval that the
    re-baselined notebook does not hold.
    """
    from nbval.kernel import RunningKernel

    if getattr(RunningKernel.execute_cell_input, "_course_patched", False):
        return

    def execute_cell_input(self, cell_input, allow_stdin=None) -> str:  # noqa: ANN001 - nbval's signature
        return self.kc.execute(
            cell_input, silent=False, store_history=True, allow_stdin=allow_stdin, stop_on_error=False
        )

    execute_cell_input._course_patched = True
    RunningKernel.execute_cell_input = execute_cell_input


def _tags(cell: nbformat.NotebookNode) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _is_ignored(cell: nbformat.NotebookNode) -> bool:
    return bool(_tags(cell) & _IGNORE_TAGS) or any(m in cell.source for m in _IGNORE_MARKERS)


def notebook_problems(ipynb: Path) -> list[str]:
    """Everything that makes ``ipynb`` unfit as a reference notebook (empty when fit)."""
    notebook = nbformat.read(ipynb, as_version=4)
    problems = []
    py = ipynb.with_suffix(".py")
    if py.exists():
        problem = sync_problem(Lesson(py))
        if problem:
            problems.append(problem)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    unrun = [i for i, c in enumerate(code) if c.execution_count is None and not _tags(c) & _SKIP_TAGS]
    if unrun:
        problems.append(
            f"code cells {unrun} have no stored execution (nbval would not compare them); re-baseline the lesson"
        )
    if code:
        compared = sum(not _is_ignored(c) for c in code)
        if compared / len(code) < MIN_COMPARED_SHARE:
            problems.append(
                f"only {compared} of {len(code)} code cells are compared "
                f"(at least {MIN_COMPARED_SHARE:.0%} must be); check outcomes in compared cells"
            )
    budget = budget_seconds(notebook)
    match = LESSON_NAME.match(ipynb.stem)
    allowed = ALLOWED_BUDGETS.get(match.group(1) if match else "", DEFAULT_BUDGET_SECONDS)
    if budget > allowed:
        problems.append(f"declares a budget of {budget:g} s but the lesson plan allows {allowed:g} s")
    return problems


class NotebookCheck(pytest.Item):
    """A check of a whole notebook, reported as ``<notebook>::<name>`` with its problems listed."""

    headline = "is not a valid reference notebook"

    def problems(self) -> list[str]:
        raise NotImplementedError

    def runtest(self) -> None:
        problems = self.problems()
        if problems:
            raise HarnessError("\n".join(f"- {p}" for p in problems))

    def repr_failure(self, excinfo, style=None) -> str:  # noqa: ANN001 - pytest's signature
        if isinstance(excinfo.value, HarnessError):
            return f"{self.path.name} {self.headline}:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):  # noqa: ANN201 - pytest's signature
        return self.path, 0, f"{self.path.name}::{self.name}"


class HarnessCheck(NotebookCheck):
    """The whole-notebook checks, run before the notebook's first cell."""

    def problems(self) -> list[str]:
        return notebook_problems(Path(self.path))


class AnswersCheck(NotebookCheck):
    """After the notebook's last cell: the answers its kernel saved pass the lesson's checks, read
    from the ``.py`` and scored by the grader's own code (:func:`course.grader.score`), in this
    process, as ``course grade`` scores a submission."""

    headline = "holds reference answers that fail the grader's checks"

    def problems(self) -> list[str]:
        lesson = Lesson(Path(self.path).with_suffix(".py"))
        plan = grading_plans([lesson], hidden_dir=None)[lesson.number]
        if not hasattr(self.config, "_course_check_runner"):
            self.config._course_check_runner = CheckRunner()
        rows = score(
            plan, self.config._course_answers_folder, "the lesson did not reach it", self.config._course_check_runner
        )
        return [row["verdict"] for row in rows if not row["passed"]]


class BatteryCheck(NotebookCheck):
    """After the ``answers`` item (normal lane only: the battery does not depend on the float
    environment): every exercise's check, loaded as the grader loads it, fails every wrong answer
    :mod:`course.battery` derives from the reference answer the kernel saved."""

    headline = "has checks that score answers no solution would give"

    def problems(self) -> list[str]:
        lesson = Lesson(Path(self.path).with_suffix(".py"))
        answers = self.config._course_answers_folder / "answers"
        problems = []
        for item in grading_plans([lesson], hidden_dir=None)[lesson.number].checks:
            path = answers / answer_file_name(item.exercise)
            payload = load_answer(path.read_bytes()) if path.exists() else {}
            if "value" in payload:  # else the answers item has reported it
                scored = battery_failures(item.exercise, item.check, item.points, payload["value"])
                problems += [f"{item.exercise} scores {description}" for description in scored]
        return problems


class HarnessError(Exception):
    """A reference notebook breaks a harness rule."""


def _watch_budget(cell: pytest.Item, budget: float, started: dict) -> None:
    """Make ``cell`` fail when the notebook's cells so far have run longer than ``budget``."""
    run_cell = cell.runtest

    def runtest() -> None:
        start = started.setdefault("at", time.monotonic())
        run_cell()
        elapsed = time.monotonic() - start
        if elapsed > budget and not started.get("reported"):
            started["reported"] = True
            pytest.fail(
                f"{cell.path.name} has run {elapsed:.1f} s by this cell, over its budget of "
                f"{budget:g} s; make the lesson faster (smaller data, fewer epochs)",
                pytrace=False,
            )

    cell.runtest = runtest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    by_notebook: dict = {}
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            by_notebook.setdefault(item.parent, []).append(item)
    for notebook_file, cells in by_notebook.items():
        notebook_file.skip_compare = tuple(notebook_file.skip_compare) + ("stderr",)
        if not config.getoption("portable"):  # the portable lane's generic kernels are slower on purpose
            budget = budget_seconds(nbformat.read(notebook_file.path, as_version=4))
            started: dict = {}
            for cell in cells:
                _watch_budget(cell, budget, started)
        check = HarnessCheck.from_parent(notebook_file, name="harness")
        items.insert(items.index(cells[0]), check)
        if check_cells(nbformat.read(notebook_file.path, as_version=4)) and LESSON_NAME.match(notebook_file.path.stem):
            answers = AnswersCheck.from_parent(notebook_file, name="answers")
            items.insert(items.index(cells[-1]) + 1, answers)
            if not config.getoption("portable"):
                items.insert(items.index(answers) + 1, BatteryCheck.from_parent(notebook_file, name="battery"))
