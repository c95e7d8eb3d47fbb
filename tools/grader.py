"""Student versions of the lessons, and a grader that scores folders of submissions.

Threat model. Submissions are code, and the grader runs that code as the instructor's user,
with the instructor's files and network within reach. What it does guard against:

- a submission that raises, hangs or dies: each runs in a fresh kernel, in a new process
  group, in its own temporary working directory, under a wall-clock limit; on timeout the
  whole group is killed. Every submission gets its row, whatever happened to the others;
- a student who redefines ``check_exercise``, patches ``tools.grading`` or writes the results
  file: scores come only from the *reference* lesson's checks and the instructor's hidden
  checks, which the grader runs itself after the notebook, with a freshly reloaded
  ``tools.grading``, and reads from a line tagged with a secret made after the student's code
  could run;
- unsolved exercises: a stub raises ``NotImplementedError``, the check reports ``failed``.

What it does not guard against: code that deliberately attacks the grader from inside the
kernel (replacing ``print``, ``importlib.reload`` or ``exec``), reads or deletes the
instructor's files, uses the network, or exhausts the machine's memory (the kernel is then
killed and the row scores 0). For untrusted classes, run ``course grade`` inside a container
or a throw-away virtual machine with no network and a memory limit.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jupytext
import nbformat

from tools.notebooks import Lesson, all_lessons, kernel_environment, read_notebook
from tools.progress import tqdm

SOLUTION_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*$", re.M | re.S
)
CHECK_CALL = re.compile(
    r'check_exercise\(\s*"(?P<id>\d{2}\.\d+)"\s*,\s*\w+\s*(?:,\s*points\s*=\s*(?P<points>\d+))?\s*\)'
)
DEFAULT_TIMEOUT_SECONDS = 300
# Run as a script, not a module, so the child does not import the tools package (and torch).
WORKER = Path(__file__).with_name("grade_worker.py")


@dataclass(frozen=True)
class Exercise:
    """An exercise of a lesson, as its check cell declares it."""

    id: str
    points: int


def check_cells(notebook: nbformat.NotebookNode) -> list[tuple[list[Exercise], str]]:
    """The code cells that call ``check_exercise``: the exercises each declares, and its source."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            calls = [Exercise(m["id"], int(m["points"] or 1)) for m in CHECK_CALL.finditer(cell.source)]
            if calls:
                found.append((calls, cell.source))
    return found


def lesson_exercises(notebook: nbformat.NotebookNode) -> list[Exercise]:
    """Every exercise of a lesson, in order."""
    return [exercise for calls, _ in check_cells(notebook) for exercise in calls]


def _stub(indent: str, exercise: str) -> str:
    return (
        f"{indent}### BEGIN SOLUTION\n"
        f'{indent}raise NotImplementedError("exercise {exercise}: replace this line with your solution")\n'
        f"{indent}### END SOLUTION"
    )


def student_notebook(lesson: Lesson) -> nbformat.NotebookNode:
    """The lesson with every solution replaced by a stub and the exercise cells' outputs cleared.

    Everything else (prose, figures and outputs of the teaching part, the check cells) is kept.
    """
    notebook = read_notebook(lesson.ipynb if lesson.ipynb.exists() else lesson.py)
    stubbed = 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if SOLUTION_BLOCK.search(cell.source):
            following = "\n".join(c.source for c in notebook.cells[index + 1:] if c.cell_type == "code")
            match = CHECK_CALL.search(following)
            exercise = match["id"] if match else f"{lesson.number}.?"
            cell.source = SOLUTION_BLOCK.sub(lambda m: _stub(m["indent"], exercise), cell.source)
            stubbed += 1
        if stubbed and (SOLUTION_BLOCK.search(cell.source) or CHECK_CALL.search(cell.source)):
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


def hidden_checks_file(hidden_dir: Path | None, lesson: Lesson) -> Path | None:
    """The instructor's hidden checks for ``lesson``: ``<hidden_dir>/<NN>.py``, if present."""
    if hidden_dir is None:
        return None
    path = Path(hidden_dir) / f"{lesson.number}.py"
    return path if path.exists() else None


def _grading_cell(reference: list[tuple[list[Exercise], str]], hidden_source: str, tag: str) -> str:
    """Source of the cell appended to a submission: runs the trusted checks, prints the tagged result."""
    checks = [([e.id for e in calls], source) for calls, source in reference]
    return f'''\
def _course_grade(reference_checks, hidden_source, tag):
    import importlib, json
    import tools
    import tools.grading
    grading = importlib.reload(tools.grading)
    visible, hidden = [], []

    def collect(exercise, check, points=1):
        visible.append(grading.evaluate_check(exercise, check, points))

    tools.check_exercise = grading.check_exercise = collect
    student = get_ipython().user_ns
    for exercise_ids, source in reference_checks:
        namespace = dict(student, check_exercise=collect)
        try:
            exec(compile(source, "<reference check>", "exec"), namespace)
        except Exception as error:
            for exercise in exercise_ids:
                visible.append({{"exercise": exercise, "passed": False, "points": 0, "max_points": None,
                                 "verdict": f"[ex {{exercise}}] failed: check cell raised {{error!r}}"}})
    instructor = {{}}
    exec(compile(hidden_source, "<hidden checks>", "exec"), instructor)
    for exercise, function, points in instructor.get("HIDDEN_CHECKS", []):
        result = grading.evaluate_check(exercise, lambda: function(dict(student)), points)
        hidden.append(dict(result, hidden=function.__name__))
    print(tag + json.dumps({{"visible": visible, "hidden": hidden}}))


_course_grade({checks!r}, {hidden_source!r}, {tag!r})
'''


def grade_submission(
    student: str,
    submission: Path,
    lesson: Lesson,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    hidden_dir: Path | None = None,
) -> Grade:
    """Run one submission in its own kernel and directory; score it with the trusted checks."""
    reference = check_cells(jupytext.read(lesson.py))
    hidden_file = hidden_checks_file(hidden_dir, lesson)
    hidden_source = hidden_file.read_text(encoding="utf-8") if hidden_file else ""
    expected = [e for calls, _ in reference for e in calls] + _hidden_exercises(hidden_file)
    tag = f"COURSE-GRADE-{secrets.token_hex(16)}:"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course-grade-") as work_dir:
        work = Path(work_dir)
        notebook = jupytext.read(submission)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        notebook.cells.append(nbformat.v4.new_code_cell(_grading_cell(reference, hidden_source, tag)))
        notebook_path = work / f"{lesson.name}.ipynb"
        nbformat.write(notebook, notebook_path)
        result_path = Path(tempfile.mkdtemp(prefix="course-grade-result-")) / "result.json"
        env = kernel_environment()
        env["COURSE_RUNS_DIR"] = str(work / "runs")
        process = subprocess.Popen(
            [sys.executable, str(WORKER), str(notebook_path), str(result_path)],
            cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
            status = None
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            status = f"timeout after {timeout:g} s"
        finally:
            _kill_leftovers(process.pid)
        outcome = json.loads(result_path.read_text()) if result_path.exists() else {}
        result_path.unlink(missing_ok=True)
        result_path.parent.rmdir()
    status = status or outcome.get("status", "no result from the grading run")
    collected = _tagged_result(outcome.get("stdout", ""), tag)
    if collected is None and status == "graded":
        status = "the trusted checks did not run to the end"
    return Grade(student, lesson.name, status, round(time.perf_counter() - start, 1),
                 _score(expected, collected or {"visible": [], "hidden": []}, status))


def _kill_leftovers(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _hidden_exercises(hidden_file: Path | None) -> list[Exercise]:
    if hidden_file is None:
        return []
    namespace: dict = {}
    exec(compile(hidden_file.read_text(encoding="utf-8"), str(hidden_file), "exec"), namespace)
    return [Exercise(f"{exercise} hidden {function.__name__}", points)
            for exercise, function, points in namespace.get("HIDDEN_CHECKS", [])]


def _tagged_result(stdout: str, tag: str) -> dict | None:
    for line in stdout.splitlines():
        if line.startswith(tag):
            return json.loads(line[len(tag):])
    return None


def _score(expected: list[Exercise], collected: dict, status: str) -> list[dict]:
    """One row per expected exercise: the trusted result, or 0 points when it was not reached."""
    results = {r["exercise"]: r for r in collected["visible"]}
    results.update({f"{r['exercise']} hidden {r['hidden']}": r for r in collected["hidden"]})
    scored = []
    for exercise in expected:
        result = results.get(exercise.id)
        if result is None:
            scored.append({"exercise": exercise.id, "passed": False, "points": 0, "max_points": exercise.points,
                           "verdict": f"[ex {exercise.id}] not reached ({status})"})
        else:
            scored.append({**result, "exercise": exercise.id, "max_points": exercise.points,
                           "points": min(result["points"], exercise.points)})
    return scored


def find_submissions(root: Path) -> list[tuple[str, Path, Lesson]]:
    """``(student, file, reference lesson)`` for every ``<student>/<NN>_*.ipynb|.py`` under ``root``.

    When a student hands in both files of a lesson, the ``.ipynb`` is graded.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"submissions folder {root} does not exist")
    lessons = {lesson.number: lesson for lesson in all_lessons()}
    found = []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        chosen: dict[str, Path] = {}
        for path in sorted(student_dir.iterdir()):
            number = path.name[:2]
            if path.suffix in (".ipynb", ".py") and number.isdigit() and number in lessons:
                if number not in chosen or path.suffix == ".ipynb":
                    chosen[number] = path
        found += [(student_dir.name, path, lessons[number]) for number, path in sorted(chosen.items())]
    if not found:
        raise FileNotFoundError(
            f"no submissions under {root}: expected one folder per student holding NN_topic.ipynb or .py files"
        )
    return found


def grade_folder(
    root: Path,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    hidden_dir: Path | None = None,
    jobs: int = 1,
) -> list[Grade]:
    """Grade every submission under ``root`` (``jobs`` at a time), with a progress bar."""
    submissions = find_submissions(root)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(grade_submission, student, path, lesson, timeout, hidden_dir)
                   for student, path, lesson in submissions]
        with tqdm(futures, desc="grading", unit="submission", file=sys.stderr) as bar:
            return [future.result() for future in bar]


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


def write_report(grades: list[Grade], stem: Path) -> tuple[Path, Path]:
    """The score table as ``<stem>.csv`` and every detail as ``<stem>.json``."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    header, rows = score_table(grades)
    csv_path, json_path = stem.with_suffix(".csv"), stem.with_suffix(".json")
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    details = [{**asdict(g), "points": g.points, "max_points": g.max_points} for g in grades]
    json_path.write_text(json.dumps({"table": {"header": header, "rows": rows}, "grades": details}, indent=2) + "\n",
                         encoding="utf-8")
    return csv_path, json_path


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

