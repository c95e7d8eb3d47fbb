"""The ``course`` command: list, run, re-baseline and inspect the lessons."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

from tools.datasets import DATASETS, build_dataset, dataset_spec, verify_dataset, write_manifest
from tools.grader import (
    DEFAULT_TIMEOUT_SECONDS,
    format_table,
    grade_folder,
    score_table,
    write_report,
    write_student_versions,
)
from tools.metrics import load_metrics, metrics_path
from tools.notebooks import Lesson, budget_seconds, execute, read_source, select_lessons, write_reference
from tools.progress import tqdm
from tools.runtime import runs_dir


@dataclass
class LessonResult:
    lesson: str
    status: str
    seconds: float
    budget_seconds: float
    metrics: dict = field(default_factory=dict)
    error: str = ""


def _first_line(error: Exception) -> str:
    """One line about why a lesson stopped: nbclient's message ends with the exception line."""
    if isinstance(error, CellExecutionError):
        lines = [line for line in str(error).splitlines() if line.strip()]
        return lines[-1] if lines else type(error).__name__
    return f"{type(error).__name__}: {error}"


def _run_one(lesson: Lesson) -> tuple[LessonResult, nbformat.NotebookNode]:
    metrics_file = metrics_path(lesson.name)
    metrics_file.unlink(missing_ok=True)
    notebook = read_source(lesson)
    start = time.perf_counter()
    status, error = "passed", ""
    try:
        execute(notebook, cwd=lesson.py.parent)
    except Exception as exc:  # noqa: BLE001 - a failing cell, a dead kernel or a timeout: all a "failed" row
        status, error = "failed", _first_line(exc)
    seconds = time.perf_counter() - start
    result = LessonResult(lesson.name, status, round(seconds, 1), budget_seconds(notebook),
                          load_metrics(lesson.name), error)
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
        print(f"{r.lesson:<28} {r.status:<7} {r.seconds:>8.1f} {r.budget_seconds:>7g}  "
              f"{_format_metrics(r.metrics)}{over}")
        if r.error:
            print(f"{'':<28} {r.error}")


def cmd_list(args: argparse.Namespace) -> int:
    for lesson in select_lessons(args.lessons):
        title = next((c.source.splitlines()[0].lstrip("# ") for c in read_source(lesson).cells
                      if c.cell_type == "markdown"), "")
        print(f"{lesson.name:<28} {title}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    lessons = select_lessons(args.lessons)
    executed_dir = runs_dir("executed")
    results = []
    with tqdm(lessons, desc="lessons", unit="lesson", file=sys.stderr) as bar:
        for lesson in bar:
            bar.set_postfix_str(lesson.name)
            result, notebook = _run_one(lesson)
            nbformat.write(notebook, executed_dir / lesson.ipynb.name)
            results.append(result)
            bar.write(f"{lesson.name}: {result.status} in {result.seconds:.1f} s", file=sys.stderr)
    summary = {"lessons": [asdict(r) for r in results]}
    summary_file = runs_dir() / "summary.json"
    summary_file.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _print_table(results)
    print(f"\nexecuted notebooks: {executed_dir}\nsummary: {summary_file}")
    return 0 if all(r.status == "passed" for r in results) else 1


def cmd_baseline(args: argparse.Namespace) -> int:
    lessons = select_lessons(args.lessons)
    failed = []
    for lesson in tqdm(lessons, desc="re-baselining", unit="lesson", file=sys.stderr):
        result, notebook = _run_one(lesson)
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
            bar.write(f"{spec.name}: {spec.description} -> {folder} ({time.perf_counter() - start:.1f} s)",
                      file=sys.stderr)
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


def cmd_student(args: argparse.Namespace) -> int:
    lessons = select_lessons(args.lessons)
    written = write_student_versions(lessons, args.out)
    for path in written:
        print(path)
    print(f"{len(lessons)} student version(s) in {args.out}: solutions replaced by stubs, exercise outputs cleared")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    hidden = args.hidden
    if hidden is not None and not hidden.is_dir():
        raise FileNotFoundError(f"hidden-checks folder {hidden} does not exist")
    grades = grade_folder(args.submissions, timeout=args.timeout, hidden_dir=hidden, jobs=args.jobs)
    header, rows = score_table(grades)
    print(format_table(header, rows))
    for grade in grades:
        if grade.status != "graded":
            print(f"note: {grade.student}/{grade.lesson}: {grade.status}")
    csv_path, json_path = write_report(grades, args.out)
    print(f"\nreport: {csv_path} and {json_path}")
    return 0


def cmd_tensorboard(args: argparse.Namespace) -> int:
    executable = shutil.which("tensorboard")
    if executable is None:
        raise FileNotFoundError("tensorboard is not installed in this environment; run `make .venv`")
    logdir = runs_dir()
    print(f"TensorBoard on http://127.0.0.1:{args.port} reading {logdir} (Ctrl+C stops it)")
    return subprocess.call([executable, "--logdir", str(logdir), "--host", "127.0.0.1",
                            "--port", str(args.port)])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Hello PyTorch: run and maintain the lessons.")
    commands = parser.add_subparsers(dest="command", required=True)
    lessons_help = "lesson numbers or names (default: all), e.g. 02 or 02_autograd"

    listing = commands.add_parser("list", help="list the lessons")
    listing.add_argument("lessons", nargs="*", help=lessons_help)
    listing.set_defaults(handler=cmd_list)

    run = commands.add_parser("run", help="execute lessons headless and print a summary table")
    run.add_argument("lessons", nargs="*", help=lessons_help)
    run.set_defaults(handler=cmd_run)

    baseline = commands.add_parser("baseline", help="re-execute lessons and store their reference outputs")
    baseline.add_argument("lessons", nargs="*", help=lessons_help)
    baseline.set_defaults(handler=cmd_baseline)

    data = commands.add_parser("data", help="build the offline datasets under data/ (or --verify them)")
    data.add_argument("sets", nargs="*", help=f"datasets (default: all): {', '.join(DATASETS)}")
    data.add_argument("--verify", action="store_true", help="check every file against the manifest; build nothing")
    data.add_argument("--write-manifests", action="store_true",
                      help="maintainers: record the fresh build as the new manifests")
    data.set_defaults(handler=cmd_data)

    student = commands.add_parser("student", help="write student versions (solutions replaced by stubs)")
    student.add_argument("lessons", nargs="*", help=lessons_help)
    student.add_argument("--out", type=Path, required=True, help="folder for the student notebooks and scripts")
    student.set_defaults(handler=cmd_student)

    grade = commands.add_parser("grade", help="grade a folder of submissions (one sub-folder per student)")
    grade.add_argument("submissions", type=Path, help="folder holding <student>/<NN_topic>.ipynb or .py")
    grade.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS,
                       help=f"wall-clock seconds per submission (default {DEFAULT_TIMEOUT_SECONDS})")
    grade.add_argument("--hidden", type=Path, default=None,
                       help="folder of hidden checks, <NN>.py each defining HIDDEN_CHECKS")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded at the same time")
    grade.add_argument("--out", type=Path, default=Path("runs/grades/report"),
                       help="report path without suffix: writes REPORT.csv and REPORT.json")
    grade.set_defaults(handler=cmd_grade)

    board = commands.add_parser("tensorboard", help="start TensorBoard on runs/, bound to 127.0.0.1")
    board.add_argument("--port", type=int, default=6006)
    board.set_defaults(handler=cmd_tensorboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (LookupError, FileNotFoundError, ValueError) as error:
        print(f"course: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("course: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
