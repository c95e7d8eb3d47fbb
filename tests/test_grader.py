"""Student versions and the grader: honest submissions get what they deserve, and every class of
attack on the grader scores 0 (verdicts outside the student's interpreter, submissions in a sandbox)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

import jupytext
import nbformat
import pytest

import course.notebooks
from course.cli import main
from course.grader import (
    ADVICE_CALL,
    EXERCISE_CALL,
    SOLUTION_BLOCK,
    GradingSetupError,
    find_submissions,
    grade_folder,
    grading_plans,
    prepared_notebook,
    read_submission,
    reference_checks,
    remove_tree,
    score_table,
    student_notebook,
    write_student_versions,
)
from course.notebooks import all_lessons, select_lessons
from course.sandbox import sandbox_problem
from course.unsolved import unsolved_answer_error
from tools.grading import evaluate_check

LESSONS = all_lessons()
needs_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}")


STUB_LINE = re.compile(
    r'^[ \t]*raise NotImplementedError\("exercise (\d{2}\.\d+): replace this line with your solution"\)$'
)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_student_version_stubs_every_solution_and_changes_nothing_else(lesson):
    reference = jupytext.read(lesson.ipynb)
    student = student_notebook(lesson)
    exercises = reference_checks(reference)
    assert 1 <= len(exercises) <= 3, f"{lesson.name} should end with 1-3 exercises"
    assert len(student.cells) == len(reference.cells)
    stubs = []
    for before, after in zip(reference.cells, student.cells):
        assert SOLUTION_BLOCK.sub("<solution>", before.source) == SOLUTION_BLOCK.sub("<solution>", after.source)
        for block in SOLUTION_BLOCK.finditer(after.source):
            body = block.group(0).splitlines()[1:-1]
            assert len(body) == 1 and STUB_LINE.match(body[0]), f"{lesson.name}: not a stub: {block.group(0)}"
            stubs.append(STUB_LINE.match(body[0]).group(1))
    named = {m["id"] for cell in reference.cells for m in EXERCISE_CALL.finditer(cell.source)}
    graded = [e.exercise for e in exercises]
    assert [stub for stub in stubs if stub in graded] == graded and set(stubs) <= named, (
        "every graded exercise has its stub, and each stub is named after the exercise (graded or advice) it solves"
    )
    first_exercise = next(i for i, c in enumerate(reference.cells) if SOLUTION_BLOCK.search(c.source))
    for before, after in zip(reference.cells[:first_exercise], student.cells[:first_exercise]):
        assert before.get("outputs") == after.get("outputs")
    for cell in student.cells[first_exercise:]:
        if cell.cell_type == "code" and any(
            call in cell.source for call in ("check_exercise(", "advise_exercise(", "SOLUTION")
        ):
            assert cell.outputs == [] and cell.execution_count is None


def test_the_readme_names_every_advice_exercise():
    """The threat model lists the exercises that score no point; it must list exactly those."""
    advice = sorted(m["id"] for lesson in LESSONS for m in ADVICE_CALL.finditer(lesson.py.read_text(encoding="utf-8")))
    readme = (course.notebooks.project_root() / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"^  Advice exercises \(no points\): (?P<list>.*?)\.$", readme, re.M | re.S)
    assert listed, "the README's threat model should have a line 'Advice exercises (no points): NN.k (...), ...'"
    named = re.sub(r"\([^)]*\)", "", listed["list"])  # each id's explanation may mention other exercises
    assert sorted(re.findall(r"\b\d{2}\.\d+\b", named)) == advice


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_every_check_fails_on_its_unsolved_answer(lesson):
    """Read without running anything: each exercise's answer needs what a stub leaves unbound or
    raises, and the check, loaded the way the grader loads it, scores that 0. (That the reference
    answers pass these checks is the ``answers`` item the harness adds to each lesson's nbval run.)"""
    student = student_notebook(lesson)
    for check in grading_plans([lesson], hidden_dir=None)[lesson.number].checks:
        error = unsolved_answer_error(student, check.exercise)
        assert error is not None, f"{check.exercise}'s answer may not reach a stub: it could score without a solution"
        result = evaluate_check(check.exercise, check.check, {"error": f"{error} is not defined"}, check.points)
        assert (result["passed"], result["points"]) == (False, 0) and error in result["verdict"]


def test_unsolved_answers_are_read_like_a_kernel_runs_them(lesson_95):
    """The reading of :mod:`course.unsolved` on the cases it tells apart."""
    student = student_notebook(lesson_95)
    assert unsolved_answer_error(student, "95.1") == "NotImplementedError"  # the stub is double's body
    assert unsolved_answer_error(student, "95.2") == "NameError: name 'halves'"
    with pytest.raises(LookupError, match=r"95\.3"):
        unsolved_answer_error(student, "95.3")
    whole_def = LESSON_95.replace(
        "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x",
        "### BEGIN SOLUTION\ndef double(x):\n    return 2 * x",
    )
    assert whole_def != LESSON_95
    lesson_95.py.write_text(whole_def)
    assert unsolved_answer_error(student_notebook(lesson_95), "95.1") == "NameError: name 'double'"
    leaked = LESSON_95.replace(
        "# %%\n### BEGIN SOLUTION\nhalves", "# %%\nhalves = None\n\n# %%\n### BEGIN SOLUTION\nhalves"
    )
    assert leaked != LESSON_95
    lesson_95.py.write_text(leaked)
    assert unsolved_answer_error(student_notebook(lesson_95), "95.2") is None  # an earlier cell bound it


def test_every_lesson_has_checks_the_grader_can_load_without_running_the_lesson():
    plans = grading_plans(LESSONS, hidden_dir=None)
    assert sorted(plans) == [lesson.number for lesson in LESSONS]
    for number, plan in plans.items():
        assert all(c.exercise.startswith(f"{number}.") and c.points >= 1 for c in plan.checks), plan.lesson.name


def test_student_command_writes_notebook_and_script(tmp_path, capsys):
    assert main(["student", "00", "--out", str(tmp_path)]) == 0
    script = (tmp_path / "00_setup.py").read_text()
    assert 'raise NotImplementedError("exercise 00.1: replace this line with your solution")' in script
    assert "found_seed = candidate" not in script
    assert nbformat.read(tmp_path / "00_setup.ipynb", as_version=4).cells
    assert "1 student version(s)" in capsys.readouterr().out


# --- a small lesson to attack: two exercises and a hidden check --------------------------------

LESSON_95 = """\
# %% [markdown]
# # 95 · Doubling

# %%
import torch


def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


# %%
from tools import check_exercise


def check_double(answer):
    import torch

    assert type(answer) is list and len(answer) == 3, "answer with a list of three results"
    four, minus_six, pair = answer
    assert four == 4 and minus_six == -6, f"double(2) and double(-3) gave {four} and {minus_six}"
    assert torch.equal(pair, torch.tensor([2.0, 4.0])), "double(tensor([1., 2.])) is not tensor([2., 4.])"


check_exercise("95.1", check_double, points=2,
               answer=lambda: [double(2), double(-3), double(torch.tensor([1.0, 2.0]))])

# %%
### BEGIN SOLUTION
halves = torch.tensor([0.5, 1.5])
### END SOLUTION


# %%
def check_halves(answer):
    import math

    assert len(answer) == 2 and math.isclose(answer[0], 0.5) and math.isclose(answer[1], 1.5), f"got {answer}"


check_exercise("95.2", check_halves, points=1, answer=lambda: halves.tolist())
"""

HIDDEN_95 = """\
from tools.grading import HiddenCheck


def doubles_big_numbers(answer):
    assert answer == 2 * 10**12, f"double(10**12) gave {answer}"


HIDDEN_CHECKS = [HiddenCheck("95.1", doubles_big_numbers, "double(10**12)", points=3)]
"""

UNSOLVED_DOUBLE = "import torch\n\n\ndef double(x):\n    raise NotImplementedError('exercise 95.1')\n"

# Every attack below hands in no correct answer; each must score 0/6. <<name>> marks what the
# test fills in.
ATTACKS = {
    # Replace the checking machinery in the student's interpreter and print a pass.
    "patcher": UNSOLVED_DOUBLE
    + """
import json, os, tools, tools.grading
def check_exercise(exercise, check, answer=None, points=1):
    print(f"[ex {exercise}] passed {points}/{points}")
passing = lambda *args, **kwargs: {"exercise": "95.1", "passed": True, "points": 2, "max_points": 2, "verdict": "ok"}
tools.check_exercise = tools.grading.check_exercise = check_exercise
tools.grading.evaluate_check = passing
tools.grading.run_answer = lambda answer: {"value": "passed"}
os.makedirs(tools.grading.results_path("95").parent, exist_ok=True)
tools.grading.results_path("95").write_text(json.dumps({"95.1": {"passed": True, "points": 2}}))
""",
    # Answers that lie about comparisons: a float and a tensor subclass, smuggled past to_inert.
    "liar": """
import torch, tools.grading
class AlwaysEqual(float):
    __eq__ = lambda self, other: True
class AlwaysEqualTensor(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True if func is torch.equal else super().__torch_function__(func, types, args, kwargs or {})
tools.grading.to_inert = lambda value, _depth=0: value
def double(x):
    return torch.zeros(2).as_subclass(AlwaysEqualTensor) if isinstance(x, torch.Tensor) else AlwaysEqual(0)
halves = [AlwaysEqual(0), AlwaysEqual(0)]
""",
    # Forged answer files: pickles that would run code in whoever unpickles them unsafely.
    "forger": UNSOLVED_DOUBLE
    + """
import atexit, os, pickle, threading
class Payload:
    def __reduce__(self):
        return (os.system, ("touch <<pwned>>",))
def forge():  # torch.save archives holding the payload, and a bare pickle
    folder = os.environ.get("COURSE_ANSWERS_DIR", ".")
    for name in ("95.1.pt", "95.2.pt"):
        torch.save({"value": Payload()}, os.path.join(folder, name))
    with open(os.path.join(folder, "hidden-0.pt"), "wb") as handle:
        pickle.dump({"value": Payload()}, handle)
atexit.register(forge)
threading.Thread(target=lambda: [forge() or __import__("time").sleep(0.05) for _ in range(400)], daemon=True).start()
""",
    # The world the checks would see, patched: builtins, torch and math comparisons.
    "monkey": """
import builtins, math, operator, torch
builtins.abs = lambda value: 0
builtins.all = lambda values: True
operator.eq = lambda *args: True
math.isclose = lambda *args, **kwargs: True
torch.equal = torch.allclose = lambda *args, **kwargs: True
def double(x):
    return x
halves = torch.zeros(2)
""",
    # A ./tools package in the working folder and an import hook, to shadow the grading code.
    "importer": UNSOLVED_DOUBLE
    + """
import os, sys, importlib.abc
os.makedirs("tools", exist_ok=True)
open("tools/__init__.py", "w").write("def check_exercise(*args, **kwargs):\\n    print('[ex 95.1] passed 2/2')\\n")
for name in [n for n in sys.modules if n == "tools" or n.startswith("tools.")]:
    del sys.modules[name]
sys.path.insert(0, os.getcwd())
class Shadow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_file_location(name, "tools/__init__.py") if name.startswith("tools") else None
import importlib.util
sys.meta_path.insert(0, Shadow())
""",
    # Reach what must stay out of reach: the hidden checks, the project, another student.
    "snoop": """
import pathlib, torch
targets = <<targets>>
for target in targets["write"]:
    try:
        pathlib.Path(target).write_text("vandalised")
    except OSError:
        pass
def double(x):
    seen = []
    for target in targets["read"]:
        try:
            seen.append(f"read {len(pathlib.Path(target).read_bytes())} bytes")
        except OSError as error:
            seen.append(type(error).__name__)
    return ", ".join(seen)
halves = torch.zeros(2)
""",
    # Outlive the time limit: a detached grandchild that would rewrite files later, then hang.
    "escaper": UNSOLVED_DOUBLE
    + """
import subprocess
subprocess.Popen(["python3", "-c", "import time; time.sleep(60)  # <<marker>>"], start_new_session=True)
import time
while True:  # sleeps rather than spins: a hang is a hang, and a spinning core would slow the timed lessons
    time.sleep(1)
""",
    # Leave the machine: connect to a server the instructor runs on 127.0.0.1.
    "caller": """
import socket
def double(x):
    with socket.create_connection(("127.0.0.1", <<port>>), timeout=5) as connection:
        connection.sendall(b"let me in")
    return 2 * x
halves = [0.5, 1.5]
""",
    # Exhaust memory, then kill the kernel.
    "hog": UNSOLVED_DOUBLE
    + """
try:
    hog = bytearray(64 * 2**30)
except MemoryError:
    pass
import os, signal
os.kill(os.getpid(), signal.SIGKILL)
""",
}


def _write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


@pytest.fixture
def lesson_95(tmp_path, monkeypatch):
    lessons = tmp_path / "lessons"
    _write(lessons, "95_doubling.py", LESSON_95)
    monkeypatch.setattr(course.notebooks, "lessons_dir", lambda: lessons)
    return select_lessons(["95"])[0]


@pytest.mark.whole_lessons
@needs_sandbox
def test_attacks_score_zero_and_honest_submissions_score_what_they_deserve(lesson_95, tmp_path, capsys):
    classroom, hidden, pwned = tmp_path / "class", tmp_path / "hidden", tmp_path / "pwned"
    _write(hidden, "95.py", HIDDEN_95)
    marker = f"escaper-{os.getpid()}-{time.time_ns()}"
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    project_file = course.notebooks.project_root() / "tools" / "grading.py"
    protected = [project_file, hidden / "95.py", classroom / "honest" / "95_doubling.py"]
    project = course.notebooks.project_root()
    secrets = [
        hidden / "95.py",
        project / "lessons" / "02_autograd.py",
        project / ".git" / "HEAD",
        classroom / "honest",
    ]
    fill = {
        "pwned": pwned,
        "marker": marker,
        "port": listener.getsockname()[1],
        "targets": repr({"read": [str(p) for p in secrets], "write": [str(p) for p in protected]}),
    }
    for student, attack in ATTACKS.items():
        for name, value in fill.items():
            attack = attack.replace(f"<<{name}>>", str(value))
        _write(classroom / student, "95_doubling.py", "# %%\n" + attack)
    _write(classroom / "honest", "95_doubling.py", LESSON_95)
    write_student_versions([lesson_95], classroom / "unsolved")
    _write(classroom / "truncated", "95_doubling.ipynb", '{"cells": [{"cell_type": "code", "sou')
    (classroom / "latin1").mkdir()
    (classroom / "latin1" / "95_doubling.py").write_bytes(
        LESSON_95.replace("Doubling", "Dédoublement").encode("latin-1")
    )
    before = {path: path.read_bytes() if path.exists() else None for path in protected}

    assert (
        main(
            [
                "grade",
                str(classroom),
                "--hidden",
                str(hidden),
                "--timeout",
                "25",
                "--jobs",
                "2",
                "--out",
                str(tmp_path / "report"),
            ]
        )
        == 0
    )
    time.sleep(1)
    capsys.readouterr()
    details = {g["student"]: g for g in json.loads((tmp_path / "report.json").read_text())["grades"]}
    scores = {student: f"{g['points']}/{g['max_points']}" for student, g in details.items()}
    assert scores == {**{student: "0/6" for student in [*ATTACKS, "unsolved", "truncated", "latin1"]}, "honest": "6/6"}
    verdicts = {student: " | ".join(e["verdict"] for e in g["exercises"]) for student, g in details.items()}
    assert [e["exercise"] for e in details["honest"]["exercises"]] == [
        "95.1",
        "95.2",
        "95.1 hidden doubles_big_numbers",
    ]
    assert "NotImplementedError" in verdicts["unsolved"]
    assert "could not be read as plain data" in verdicts["liar"]
    # The forger rewrites its files until the sandbox is killed, so a file may be cut mid-write or
    # overwritten by the kernel's own answer; whole payloads must have been read, and refused,
    # without running them (nothing scored: see the scores above).
    forged = [e["verdict"] for e in details["forger"]["exercises"]]
    assert any("could not be read as plain data" in verdict for verdict in forged), forged
    assert not pwned.exists(), "a forged answer ran code in the grader"
    assert verdicts["snoop"].count("FileNotFoundError, " * (len(secrets) - 1) + "FileNotFoundError") == 3
    assert "bytes" not in verdicts["snoop"]
    assert {path: path.read_bytes() if path.exists() else None for path in protected} == before
    assert details["escaper"]["status"] == "timeout after 25 s" and details["escaper"]["seconds"] < 40
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).stdout == b"", "a process outlived the sandbox"
    with pytest.raises(TimeoutError):
        listener.accept()
    assert "Connection refused" in verdicts["caller"] or "unreachable" in verdicts["caller"]
    assert details["hog"]["status"] == "kernel died (out of memory or killed)"
    assert details["truncated"]["status"].startswith("unreadable submission: not a readable .ipynb notebook")
    assert details["latin1"]["status"].startswith("unreadable submission: not UTF-8 text (byte ")


def test_py_submissions_are_plain_code_without_magics(lesson_95, tmp_path):
    _write(tmp_path, "95_doubling.py", "# %%\n# !touch /tmp/owned\n# %env SECRET=1\nx = 1\n")
    cells = read_submission(tmp_path / "95_doubling.py").cells
    assert cells[0].source == "# !touch /tmp/owned\n# %env SECRET=1\nx = 1"
    plan = grading_plans([lesson_95], None)["95"]
    prepared = prepared_notebook(read_submission(tmp_path / "95_doubling.py"), plan)
    assert [c.source.splitlines()[0] for c in prepared.cells] == [
        "# !touch /tmp/owned",
        "from tools import check_exercise",
        "from tools import check_exercise",
    ]


def test_links_and_pipes_are_not_read_as_submissions(tmp_path):
    (tmp_path / "95_doubling.py").symlink_to("/etc/passwd")
    os.mkfifo(tmp_path / "95_doubling.ipynb")
    for name in ("95_doubling.py", "95_doubling.ipynb"):
        with pytest.raises(ValueError, match="not a plain file"):
            read_submission(tmp_path / name)


def test_student_code_beside_a_check_call_is_kept(lesson_95):
    plan = grading_plans([lesson_95], None)["95"]
    student = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import torch\ndouble = lambda x: 2 * x"),
            nbformat.v4.new_code_cell('halves = torch.tensor([0.5, 1.5])  # then check_exercise("95.2", ...)'),
            nbformat.v4.new_code_cell(plan.checks[0].cell_source),
        ]
    )
    sources = [cell.source for cell in prepared_notebook(student, plan).cells]
    assert sources[:2] == [student.cells[0].source, student.cells[1].source]
    assert sources[2:] == ["from tools import check_exercise\n" + check.cell_source for check in plan.checks]


NESTER = (
    UNSOLVED_DOUBLE
    + """
import os
os.symlink(<<host>>, "link-to-a-host-file")
os.makedirs("locked/inner")
os.chmod("locked", 0)
for _ in range(1500):  # deeper than Python's rmtree can recurse, longer than PATH_MAX
    os.mkdir("nest")
    os.chdir("nest")
"""
)


def _nest(folder, depth):
    """``depth`` folders inside each other under ``folder`` (made level by level, past PATH_MAX)."""
    descriptor = os.open(folder, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("nest", dir_fd=descriptor)
        inner = os.open("nest", os.O_RDONLY, dir_fd=descriptor)
        os.close(descriptor)
        descriptor = inner
    os.close(descriptor)


def test_remove_tree_takes_any_depth_and_locked_folders_and_leaves_links_alone(tmp_path):
    host_file, written = tmp_path / "host.txt", tmp_path / "written"
    host_file.write_text("the instructor's")
    host_file.chmod(0o600)
    (written / "locked" / "inner").mkdir(parents=True)
    (written / "locked").chmod(0)
    (written / "link").symlink_to(host_file)
    _nest(written, 1500)
    remove_tree(written)  # Python 3.11's shutil.rmtree raises RecursionError on this tree
    assert not written.exists()
    assert host_file.read_text() == "the instructor's" and host_file.stat().st_mode & 0o777 == 0o600


def test_without_sandbox_the_data_boundary_still_holds_and_nothing_outlives_a_row(lesson_95, tmp_path, monkeypatch):
    grading_tmp, host_file = tmp_path / "grading-tmp", tmp_path / "host.txt"
    grading_tmp.mkdir()
    host_file.write_text("the instructor's")
    host_file.chmod(0o600)
    monkeypatch.setattr(tempfile, "tempdir", str(grading_tmp))
    _write(tmp_path / "class" / "honest", "95_doubling.py", LESSON_95)
    _write(tmp_path / "class" / "patcher", "95_doubling.py", "# %%\n" + ATTACKS["patcher"])
    nester = NESTER.replace("<<host>>", repr(str(host_file)))
    _write(tmp_path / "class" / "nester", "95_doubling.py", "# %%\n" + nester)
    grades = grade_folder(tmp_path / "class", timeout=60, jobs=2, sandbox=False)
    scores = {g.student: (g.points, g.max_points, g.status) for g in grades}
    assert scores == {"honest": (3, 3, "graded"), "patcher": (0, 3, "graded"), "nester": (0, 3, "graded")}, grades
    assert list(grading_tmp.iterdir()) == [], "a grading folder outlived its row"
    assert host_file.read_text() == "the instructor's" and host_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "source, message",
    [
        ("HIDDEN_CHECKS = [(1, 2)]", "define HIDDEN_CHECKS = [HiddenCheck(...), ...]"),
        (
            "from tools.grading import HiddenCheck\nHIDDEN_CHECKS = [HiddenCheck('94.1', print, 'x')]",
            "check must be a function",
        ),
        (
            "from tools.grading import HiddenCheck\ndef c(a): pass\nHIDDEN_CHECKS = [HiddenCheck('94.1', c, 'x')]",
            "exercise 94.1 is not an exercise of lesson 95",
        ),
        (
            "from tools.grading import HiddenCheck\ndef c(a): pass\nHIDDEN_CHECKS = [HiddenCheck('95.1', c, 'x +')]",
            "invalid syntax",
        ),
    ],
)
def test_bad_hidden_checks_stop_grading_before_it_starts(lesson_95, tmp_path, source, message):
    _write(tmp_path / "hidden", "95.py", source)
    with pytest.raises(GradingSetupError, match=re.escape(message)):
        grading_plans([lesson_95], tmp_path / "hidden")


def test_grade_refuses_without_a_sandbox_unless_told_the_risk(lesson_95, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("course.cli.sandbox_problem", lambda: "bwrap not found: install bubblewrap")
    _write(tmp_path / "class" / "alice", "95_doubling.py", LESSON_95)
    assert main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err
    assert "no sandbox for the submissions: bwrap not found" in err and "--no-sandbox-trust-submissions" in err
    assert not (tmp_path / "report.csv").exists()


# Graded end to end in the sandbox: the first lesson, the one the README's hidden-check example
# is for, and one that reads the datasets through a Dataset. Fixed, so every run proves the same.
END_TO_END_LESSONS = ("00", "02", "04")


@pytest.mark.whole_lessons
@needs_sandbox
def test_student_versions_score_zero_in_the_sandbox_as_read_and_a_solved_lesson_full_marks(tmp_path):
    """A few whole lessons through ``course grade``'s real path: their student versions run in the
    sandbox to the end and score 0, with the errors :mod:`course.unsolved` reads from them (which
    is how every other lesson's stubs are shown to fail); lesson 02 solved scores full marks, its
    hidden check (the README's example) included."""
    lessons = select_lessons(list(END_TO_END_LESSONS))
    write_student_versions(lessons, tmp_path / "class" / "student")
    _write(tmp_path / "class" / "solved", "02_autograd.py", lessons[1].py.read_text())
    _write(tmp_path / "hidden", "02.py", _readme_hidden_checks_example())
    grades = grade_folder(tmp_path / "class", timeout=240, jobs=2, hidden_dir=tmp_path / "hidden")
    assert len(grades) == len(lessons) + 1
    for grade in grades:
        assert grade.status == "graded", (grade.student, grade.lesson, grade.status)
        if grade.student == "solved":
            assert grade.points == grade.max_points > 0, [e["verdict"] for e in grade.exercises]
            assert grade.exercises[-1]["exercise"] == "02.3 hidden fits_a_steeper_line"
            continue
        assert grade.points == 0, [e["verdict"] for e in grade.exercises]
        student = student_notebook(next(lesson for lesson in lessons if lesson.name == grade.lesson))
        for exercise in grade.exercises:
            read = unsolved_answer_error(student, exercise["exercise"].split(" ")[0])
            assert read is not None and read in exercise["verdict"], (read, exercise["verdict"])


def _readme_hidden_checks_example() -> str:
    """The README's example of a hidden-check file, so that the example is known to work."""
    readme = (course.notebooks.project_root() / "README.md").read_text()
    return readme.split("# grading/02.py\n", 1)[1].split("```", 1)[0]


def test_score_table_and_missing_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_submissions(tmp_path / "nowhere")
    (tmp_path / "empty" / "bob").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="one folder per student"):
        find_submissions(tmp_path / "empty")
    header, rows = score_table([])
    assert header == ["student", "total"] and rows == []


def test_a_hidden_check_file_that_raises_is_a_setup_error(lesson_95, tmp_path):
    _write(tmp_path / "hidden", "95.py", "import torchh\n")
    with pytest.raises(
        GradingSetupError, match=r"95\.py: running it raised ModuleNotFoundError: No module named 'torchh'"
    ):
        grading_plans([lesson_95], tmp_path / "hidden")


def test_every_folder_name_gets_a_readable_row_and_the_report_is_always_complete(tmp_path):
    """Names that are not UTF-8, start with a dot, look like a spreadsheet formula or hold letters
    an ASCII terminal cannot show; a folder named like a lesson file: each is a row, under either
    stdout encoding, and the CSV and JSON reports are written whole."""
    classroom = tmp_path / "class"
    names = [b"M\xfcller", b".dot", b'=HYPERLINK("x")', "Zoë".encode(), b"folder"]
    for name in names:
        os.makedirs(os.path.join(os.fsencode(classroom), name))
        if name != b"folder":
            (classroom / os.fsdecode(name) / "00_setup.ipynb").write_text('{"cells": [')  # unreadable: no kernel
    (classroom / "folder" / "00_setup.ipynb").mkdir()
    expected = ["M\\xfcller", ".dot", '=HYPERLINK("x")', "Zoë", "folder"]
    for encoding in ("ascii", "utf-8"):
        env = {**os.environ, "PYTHONIOENCODING": encoding}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "course.cli",
                "grade",
                str(classroom),
                "--no-sandbox-trust-submissions",
                "--out",
                str(tmp_path / "report"),
                "--force",
            ],
            capture_output=True,
            text=True,
            encoding=encoding,
            errors="strict",
            env=env,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        shown = "Zo\\xeb" if encoding == "ascii" else "Zoë"
        assert shown in result.stdout and "M\\xfcller" in result.stdout
        rows = list(csv.reader(io.StringIO((tmp_path / "report.csv").read_text(encoding="utf-8"))))
        students = sorted(row[0] for row in rows[1:])
        assert students == sorted([*expected[:2], "'" + expected[2], *expected[3:]])
        grades = json.loads((tmp_path / "report.json").read_text())["grades"]
        assert sorted(g["student"] for g in grades) == sorted(expected)
        statuses = {g["student"]: g["status"] for g in grades}
        assert statuses["folder"].startswith("unreadable submission: not a plain file")
        assert all(s.startswith("unreadable submission") for s in statuses.values()), statuses
        assert sorted(p.name for p in tmp_path.iterdir()) == ["class", "report.csv", "report.json", "runs"]


def test_reading_a_folder_named_like_a_submission_leaks_no_descriptor(tmp_path):
    (tmp_path / "02_autograd.ipynb").mkdir()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with pytest.raises(ValueError, match="not a plain file"):
            read_submission(tmp_path / "02_autograd.ipynb")
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_a_submission_of_very_many_cells_is_refused_before_it_is_parsed(tmp_path, suffix):
    path = tmp_path / f"02_autograd{suffix}"
    if suffix == ".py":
        path.write_text("# %%\nx = 1\n" * 200_000)
    else:
        cell = {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [], "execution_count": None}
        path.write_text(json.dumps({"cells": [cell] * 200_000, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    start = time.perf_counter()
    with pytest.raises(ValueError, match="200,000 cells, more than the 2,000 a submission may hold"):
        read_submission(path)
    assert time.perf_counter() - start < 5
