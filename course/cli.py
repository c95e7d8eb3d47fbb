"""The ``course`` command: list, run, re-baseline and inspect the lessons.

Every failure is one line on stderr, ``course: error: ...``, and a non-zero exit: 2 for a
problem with what the user asked, :data:`BUG_EXIT_CODE` for an internal error.
No command writes into the reference lessons folder except ``course baseline`` (its job), and
no command replaces a file the user named without ``--force``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

from course import notebooks
from course.grader import (
    DEFAULT_TIMEOUT_SECONDS,
    format_table,
    grade_folder,
    score_table,
    student_files,
    write_report,
    write_student_versions,
)
from course.notebooks import Lesson, budget_seconds, execute, read_source, select_lessons, write_reference
from course.sandbox import DEFAULT_MEMORY_LIMIT_GIB, sandbox_problem
from tools.datasets import DATASETS, build_dataset, dataset_spec, verify_dataset, write_manifest
from tools.metrics import load_metrics, metrics_path
from tools.progress import tqdm
from tools.runtime import runs_dir

# Errors that describe a problem with the user's files or arguments, not with the tools.
USER_ERRORS = (LookupError, ValueError, OSError, SyntaxError, nbformat.ValidationError)
BUG_EXIT_CODE = 70  # sysexits' EX_SOFTWARE: an internal error
# Terminal control sequences (colours, cursor moves), e.g. in IPython's tracebacks.
ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")


@dataclass
class LessonResult:
    lesson: str
    status: str
    seconds: float
    budget_seconds: float
    metrics: dict = field(default_factory=dict)
    error: str = ""


def _plain_lines(text: str) -> list[str]:
    """The non-blank lines of ``text``, without terminal colour codes."""
    return [line.strip() for line in ANSI_ESCAPE.sub("", text).splitlines() if line.strip()]


def _first_line(error: Exception) -> str:
    """One plain line about why a lesson stopped: nbclient's message ends with the exception line."""
    lines = _plain_lines(str(error))
    if isinstance(error, CellExecutionError):
        return lines[-1] if lines else type(error).__name__
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _read_lessons(lessons: list[Lesson]) -> list[nbformat.NotebookNode]:
    """Every lesson's notebook as written in its ``.py``: an unreadable one stops before any runs."""
    return [read_source(lesson) for lesson in lessons]


def _run_one(
    lesson: Lesson, notebook: nbformat.NotebookNode, portable: bool = False
) -> tuple[LessonResult, nbformat.NotebookNode]:
    metrics_file = metrics_path(lesson.name)
    metrics_file.unlink(missing_ok=True)
    start = time.perf_counter()
    status, error = "passed", ""
    try:
        execute(notebook, cwd=lesson.py.parent, portable=portable)
    except Exception as exc:  # noqa: BLE001 - a failing cell, a dead kernel or a timeout: all a "failed" row
        status, error = "failed", _first_line(exc)
    seconds = time.perf_counter() - start
    result = LessonResult(
        lesson.name, status, round(seconds, 1), budget_seconds(notebook), load_metrics(lesson.name), error
    )
    return result, notebook


def _format_metrics(metrics: dict) -> str:
    parts = []
    for name, value in metrics.items():
        parts.append(f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}")
    return ", ".join(parts)


def _print_table(results: list[LessonResult]) -> None:
    header = f"{'lesson':<28} {'status':<7} {'seconds':>8} {'budget':>7}  metrics"
    print(header)
    print("-" * len(header))
    for r in results:
        over = " (over)" if r.seconds > r.budget_seconds else ""
        print(
            f"{r.lesson:<28} {r.status:<7} {r.seconds:>8.1f} {r.budget_seconds:>7g}  {_format_metrics(r.metrics)}{over}"
        )
        if r.error:
            print(f"{'':<28} {r.error}")


def cmd_list(args: argparse.Namespace) -> int:
    lessons = select_lessons(args.lessons)
    for lesson, notebook in zip(lessons, _read_lessons(lessons)):
        title = next(
            (
                c.source.splitlines()[0].lstrip("# ")
                for c in notebook.cells
                if c.cell_type == "markdown" and c.source.strip()
            ),
            "",
        )
        print(f"{lesson.name:<28} {title}")
    return 0


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity, which containers and ``taskset`` narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cmd_run(args: argparse.Namespace) -> int:
    lessons = select_lessons(args.lessons)
    sources = _read_lessons(lessons)
    jobs = min(args.jobs or available_cores(), len(lessons))
    if jobs > available_cores():
        print(
            f"course: note: {jobs} lessons at a time on {available_cores()} core(s): each kernel computes on "
            "one core, so lessons will run slower than their budgets assume",
            file=sys.stderr,
        )
    executed_dir = runs_dir("executed")
    results: dict[str, LessonResult] = {}

    def run_and_store(lesson: Lesson, source: nbformat.NotebookNode) -> LessonResult:
        result, notebook = _run_one(lesson, source, args.portable)
        nbformat.write(notebook, executed_dir / lesson.ipynb.name)
        return result

    start = time.perf_counter()
    with (
        ThreadPoolExecutor(max_workers=jobs) as pool,
        tqdm(total=len(lessons), desc=f"lessons ({jobs} at a time)", unit="lesson", file=sys.stderr) as bar,
    ):
        futures = {pool.submit(run_and_store, lesson, source): lesson for lesson, source in zip(lessons, sources)}
        for future in as_completed(futures):
            result = results[futures[future].name] = future.result()
            bar.update()
            bar.write(f"{result.lesson}: {result.status} in {result.seconds:.1f} s", file=sys.stderr)
    ordered = [results[lesson.name] for lesson in lessons]
    wall = round(time.perf_counter() - start, 1)
    summary = {"jobs": jobs, "wall_seconds": wall, "lessons": [asdict(r) for r in ordered]}
    summary_file = runs_dir() / "summary.json"
    summary_file.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _print_table(ordered)
    print(f"\n{len(ordered)} lesson(s) in {wall:.1f} s, {jobs} at a time")
    print(f"executed notebooks: {executed_dir}\nsummary: {summary_file}")
    return 0 if all(r.status == "passed" for r in ordered) else 1


def cmd_baseline(args: argparse.Namespace) -> int:
    lessons = select_lessons(args.lessons)
    sources = _read_lessons(lessons)
    failed = []
    with tqdm(list(zip(lessons, sources)), desc="re-baselining", unit="lesson", file=sys.stderr) as bar:
        for lesson, source in bar:
            result, notebook = _run_one(lesson, source)
            if result.status != "passed":
                failed.append(f"{lesson.name}: {result.error}")
                continue
            write_reference(lesson, notebook)
            print(f"{lesson.ipynb.relative_to(lesson.py.parent.parent)} stored ({result.seconds:.1f} s)")
    for line in failed:
        print(f"course: not stored, {line}", file=sys.stderr)
    return 1 if failed else 0


def cmd_data(args: argparse.Namespace) -> int:
    names = args.sets or list(DATASETS)
    specs = [dataset_spec(name) for name in names]
    if args.verify:
        return _report_verification(names, args.sets)
    with tqdm(specs, desc="building data", unit="set", file=sys.stderr) as bar:
        for spec in bar:
            bar.set_postfix_str(spec.name)
            start = time.perf_counter()
            folder = build_dataset(spec.name)
            if args.write_manifests:
                write_manifest(spec.name)
            bar.write(
                f"{spec.name}: {spec.description} -> {folder} ({time.perf_counter() - start:.1f} s)", file=sys.stderr
            )
    return _report_verification(names, args.sets)


def _report_verification(names: list[str], asked: list[str]) -> int:
    """Check ``names`` against their manifests; print each problem and how to rebuild."""
    problems = [p for name in names for p in verify_dataset(name)]
    for problem in problems:
        print(f"course: {problem}", file=sys.stderr)
    if problems:
        rebuild = " ".join(["course data", *asked])
        print(f"course: {len(problems)} problem(s); rebuild with `{rebuild}`", file=sys.stderr)
        return 1
    print(f"verified: {', '.join(names)}")
    return 0


def check_output_folder(folder: Path, option: str) -> None:
    """Refuse ``folder`` as a place to write, before anything is written, when it is not one.

    ``option`` is how the user named it, e.g. ``"--out handout"``. Refused: the reference
    lessons folder or anything inside it (after resolving ``..`` and symbolic links, whatever
    ``--force`` says), and a path running through a file.
    """
    lessons = notebooks.lessons_dir().resolve()
    target = folder.resolve()
    if target == lessons or lessons in target.parents:
        raise ValueError(
            f"{option} would write into {lessons}, the course's reference lessons; choose a folder outside it"
        )
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    if not existing.is_dir():
        raise NotADirectoryError(f"{option}: {existing} is a file, not a folder")


def files_to_replace(paths: list[Path], force: bool) -> list[Path]:
    """The ``paths`` that already exist; without ``force`` they are an error naming them all.

    A folder where a file would go is an error even with ``force``: nothing would replace it.
    """
    folder = next((path for path in paths if path.is_dir()), None)
    if folder is not None:
        raise IsADirectoryError(f"{folder} is a folder, where a file would be written")
    existing = [path for path in paths if path.exists()]
    if existing and not force:
        raise FileExistsError(f"would replace {', '.join(map(str, existing))}; pass --force to overwrite")
    return existing


def cmd_student(args: argparse.Namespace) -> int:
    lessons = select_lessons(args.lessons)
    check_output_folder(args.out, f"--out {args.out}")
    replaced = files_to_replace(student_files(lessons, args.out), args.force)
    for path in write_student_versions(lessons, args.out):
        print(f"{path} (replaced)" if path in replaced else path)
    print(f"{len(lessons)} student version(s) in {args.out}: solutions replaced by stubs, exercise outputs cleared")
    return 0


def report_files(stem: Path) -> list[Path]:
    """The files ``write_report`` writes for ``--out stem``: ``stem.csv`` and ``stem.json``."""
    return [stem.with_suffix(".csv"), stem.with_suffix(".json")]


def cmd_grade(args: argparse.Namespace) -> int:
    hidden = args.hidden
    if hidden is not None and not hidden.is_dir():
        problem = "is a file, not a folder" if hidden.exists() else "does not exist"
        raise FileNotFoundError(
            f"--hidden {hidden}: the hidden-checks folder {problem}; pass the folder that holds the NN.py check files"
        )
    check_output_folder(args.out.parent, f"--out {args.out}")
    replaced = files_to_replace(report_files(args.out), args.force)
    sandboxed = not args.no_sandbox_trust_submissions
    problem = sandbox_problem() if sandboxed else None
    if problem:
        raise OSError(
            f"no sandbox for the submissions: {problem}. Grading without one runs every "
            "submission as you, with your files and network in reach: only if you trust every "
            "submission, pass --no-sandbox-trust-submissions"
        )
    grades = grade_folder(
        args.submissions,
        timeout=args.timeout,
        hidden_dir=hidden,
        jobs=args.jobs,
        sandbox=sandboxed,
        memory_limit_gib=args.memory,
        hide=[args.out.parent],
    )
    csv_path, json_path = write_report(grades, args.out)  # first: whatever the terminal can show
    header, rows = score_table(grades)
    print(format_table(header, rows))
    for grade in grades:
        if grade.status != "graded":
            print(f"note: {grade.student}/{grade.lesson}: {grade.status}")
    print(f"\nreport: {csv_path} and {json_path}" + (" (replaced the previous report)" if replaced else ""))
    if not sandboxed:
        print("warning: graded WITHOUT a sandbox (--no-sandbox-trust-submissions)", file=sys.stderr)
    return 0


def tensorboard_executable() -> str | None:
    """TensorBoard's command: the one installed beside this Python (so ``.venv/bin/course`` finds
    the environment's own without an activated venv), else the first on ``PATH``, else ``None``."""
    beside_python = str(Path(sys.executable).parent)
    return shutil.which("tensorboard", path=beside_python) or shutil.which("tensorboard")


def cmd_tensorboard(args: argparse.Namespace) -> int:
    executable = tensorboard_executable()
    if executable is None:
        raise FileNotFoundError(
            f"TensorBoard is not installed in this environment; install it with "
            f"`{sys.executable} -m pip install tensorboard`"
        )
    logdir = runs_dir()
    where = f"http://127.0.0.1:{args.port}" if args.port else "a free port of 127.0.0.1 (it prints which)"
    print(f"TensorBoard on {where} reading {logdir} (Ctrl+C stops it)", flush=True)
    return subprocess.call([executable, "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(args.port)])


def positive_number(unit: str) -> Callable[[str], float]:
    """argparse type: a finite number of ``unit`` above zero."""

    def parse(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number > 0):
            raise argparse.ArgumentTypeError(f"expected a number of {unit} above 0, got {text!r}")
        return number

    return parse


positive_seconds = positive_number("seconds")


def whole_number_from(low: int, high: int | None = None) -> Callable[[str], int]:
    """argparse type: a whole number from ``low`` (up to ``high``, when given)."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = None
        if number is None or number < low or (high is not None and number > high):
            allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise argparse.ArgumentTypeError(f"expected a whole number {allowed}, got {text!r}")
        return number

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Hello PyTorch: run and maintain the lessons.")
    commands = parser.add_subparsers(dest="command", required=True)
    lessons_help = "lesson numbers or names (default: all), e.g. 02 or 02_autograd"

    listing = commands.add_parser("list", help="list the lessons")
    listing.add_argument("lessons", nargs="*", help=lessons_help)
    listing.set_defaults(handler=cmd_list)

    run = commands.add_parser("run", help="execute lessons headless and print a summary table")
    run.add_argument("lessons", nargs="*", help=lessons_help)
    run.add_argument(
        "--portable",
        action="store_true",
        help="run in the portable test lane's float environment, which stands in for another machine",
    )
    run.add_argument(
        "--jobs",
        type=whole_number_from(1),
        default=None,
        help="lessons run at the same time, each in its own kernel on one core "
        "(default: the number of cores this process may use)",
    )
    run.set_defaults(handler=cmd_run)

    baseline = commands.add_parser("baseline", help="re-execute lessons and store their reference outputs")
    baseline.add_argument("lessons", nargs="*", help=lessons_help)
    baseline.set_defaults(handler=cmd_baseline)

    data = commands.add_parser("data", help="build the offline datasets under data/ (or --verify them)")
    data.add_argument("sets", nargs="*", help=f"datasets (default: all): {', '.join(DATASETS)}")
    data.add_argument("--verify", action="store_true", help="check every file against the manifest; build nothing")
    data.add_argument(
        "--write-manifests", action="store_true", help="maintainers: record the fresh build as the new manifests"
    )
    data.set_defaults(handler=cmd_data)

    student = commands.add_parser("student", help="write student versions (solutions replaced by stubs)")
    student.add_argument("lessons", nargs="*", help=lessons_help)
    student.add_argument("--out", type=Path, required=True, help="folder for the student notebooks and scripts")
    student.add_argument("--force", action="store_true", help="replace student versions already in --out")
    student.set_defaults(handler=cmd_student)

    grade = commands.add_parser("grade", help="grade a folder of submissions (one sub-folder per student)")
    grade.add_argument("submissions", type=Path, help="folder holding <student>/<NN_topic>.ipynb or .py")
    grade.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"wall-clock seconds per submission (default {DEFAULT_TIMEOUT_SECONDS})",
    )
    grade.add_argument(
        "--hidden",
        type=Path,
        default=None,
        help="folder of hidden checks: <NN>.py files, each defining HIDDEN_CHECKS = [HiddenCheck(...)]",
    )
    grade.add_argument("--jobs", type=whole_number_from(1), default=1, help="submissions graded at the same time")
    grade.add_argument(
        "--out",
        type=Path,
        default=Path("runs/grades/report"),
        help="report path without suffix: writes REPORT.csv and REPORT.json",
    )
    grade.add_argument("--force", action="store_true", help="replace an existing REPORT.csv and REPORT.json")
    grade.add_argument(
        "--memory",
        type=positive_number("GiB"),
        default=DEFAULT_MEMORY_LIMIT_GIB,
        metavar="GIB",
        help="address-space limit of each process in the sandbox, in GiB (default %(default)s)",
    )
    grade.add_argument(
        "--no-sandbox-trust-submissions",
        action="store_true",
        help="run submissions WITHOUT the bubblewrap sandbox, as your user with your files and "
        "network in reach; only for submissions you trust",
    )
    grade.set_defaults(handler=cmd_grade)

    board = commands.add_parser("tensorboard", help="start TensorBoard on runs/, bound to 127.0.0.1")
    board.add_argument(
        "--port",
        type=whole_number_from(0, 65535),
        default=6006,
        help="port on 127.0.0.1 (default 6006; 0 picks a free one)",
    )
    board.set_defaults(handler=cmd_tensorboard)
    return parser


def error_line(error: BaseException) -> str:
    """``error`` as one plain line in the user's terms: the file it concerns and what is wrong."""
    if isinstance(error, SyntaxError):
        return f"{error.filename}, line {error.lineno}: {error.msg}"
    if isinstance(error, OSError) and error.strerror:  # the system's wording, without "[Errno 13]"
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    lines = _plain_lines(str(error))
    return lines[0] if lines else type(error).__name__


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second BrokenPipeError."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show a name gets an escape, not a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:  # the reader went away (`course list | head -1`): nothing left to say
        _silence_stdout()
        return 0
    except USER_ERRORS as error:
        message, code = f"error: {error_line(error)}", 2
    except KeyboardInterrupt:
        message, code = "interrupted", 130
    except Exception as error:  # noqa: BLE001 - never a traceback: one line, and whom to tell
        message = (
            f"error: {type(error).__name__}: {error_line(error)} (this is a bug in the course tools; please report it)"
        )
        code = BUG_EXIT_CODE
    print(f"course: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
