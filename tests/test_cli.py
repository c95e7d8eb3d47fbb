"""The `course` command, run in-process on small throw-away lessons."""

from __future__ import annotations

import json

import pytest

import course.cli
import course.notebooks
from course.cli import main

HEADER = """\
# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # {title}

"""
GOOD = (
    HEADER.format(title="96 · Works")
    + """\
# %%
from tools import record_metrics

record_metrics("96_good", accuracy=0.975)
print("fine")

# %%
import os

import psutil

kernel = psutil.Process(os.getpid())
print("kernel sockets:", sorted({c.family.name for c in kernel.net_connections(kind="all")}))
"""
)
BAD = (
    HEADER.format(title="97 · Breaks")
    + """\
# %%
raise RuntimeError("this lesson is broken on purpose")
"""
)


@pytest.fixture
def lessons(tmp_path, monkeypatch):
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "96_good.py").write_text(GOOD)
    (folder / "97_bad.py").write_text(BAD)
    monkeypatch.setattr(course.notebooks, "lessons_dir", lambda: folder)
    return folder


def test_list_shows_names_and_titles(lessons, capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "96_good                      96 · Works",
        "97_bad                       97 · Breaks",
    ]


def test_unknown_lesson_is_one_clear_line(lessons, capsys):
    assert main(["run", "42"]) == 2
    assert capsys.readouterr().err == "course: error: no lesson '42'; lessons are: 96_good, 97_bad\n"


def test_run_writes_summary_and_fails_on_a_broken_lesson(lessons, isolated_runs_dir, capsys):
    assert main(["run", "--jobs", "2"]) == 1
    summary = json.loads((isolated_runs_dir / "summary.json").read_text())
    assert summary["jobs"] == 2 and summary["wall_seconds"] > 0
    good, bad = summary["lessons"]  # in lesson order, whichever finished first
    assert (good["lesson"], good["status"], good["metrics"]) == ("96_good", "passed", {"accuracy": 0.975})
    assert (bad["lesson"], bad["status"]) == ("97_bad", "failed")
    assert bad["error"] == "RuntimeError: this lesson is broken on purpose"
    assert "\\u001b" not in (isolated_runs_dir / "summary.json").read_text()  # no terminal colours
    assert good["seconds"] > 0 and good["budget_seconds"] == 60
    executed = json.loads((isolated_runs_dir / "executed" / "96_good.ipynb").read_text())
    # the kernel talks over Unix sockets in a private folder: no TCP port for others to reach
    assert "".join(executed["cells"][-1]["outputs"][0]["text"]) == "kernel sockets: ['AF_UNIX']\n"
    table = capsys.readouterr().out
    assert "96_good" in table and "accuracy=0.975" in table and "failed" in table
    assert "2 lesson(s) in " in table and ", 2 at a time" in table


def test_baseline_stores_only_lessons_that_run(lessons, capsys):
    assert main(["baseline", "96", "97"]) == 1
    assert (lessons / "96_good.ipynb").exists()
    assert not (lessons / "97_bad.ipynb").exists()
    assert "not stored, 97_bad" in capsys.readouterr().err
    stored = json.loads((lessons / "96_good.ipynb").read_text())
    assert "language_info" not in stored["metadata"]
    assert all("execution" not in c["metadata"] for c in stored["cells"])
    first_ids = [c["id"] for c in stored["cells"]]
    assert main(["baseline", "96"]) == 0
    assert [c["id"] for c in json.loads((lessons / "96_good.ipynb").read_text())["cells"]] == first_ids
    assert course.notebooks.sync_problem(course.notebooks.Lesson(lessons / "96_good.py")) is None


EXERCISE = (
    HEADER.format(title="95 · Exercise")
    + """\
# %%
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


# %%
from tools import check_exercise


def check_double(answer):
    assert answer == 4


check_exercise("95.1", check_double, answer=lambda: double(2))
"""
)
SYNTAX_ERROR = (
    HEADER.format(title="98 · Syntax error")
    + """\
# %%
print("never closed"
"""
)


@pytest.fixture
def exercise_lesson(lessons):
    """A lesson with a solution block, so that it has a student version."""
    path = lessons / "95_exercise.py"
    path.write_text(EXERCISE)
    return path


def reference_bytes(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def one_error_line(capsys) -> str:
    """stderr, checked to be exactly one ``course: error:`` line; returned without its prefix."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("course: error: "), err
    assert "Traceback" not in err and "\x1b" not in err
    return err.removeprefix("course: error: ").rstrip("\n")


# --- nothing lost: the reference lessons and existing files -------------------------------


@pytest.mark.parametrize("spelling", ["absolute", "relative", "dotdot", "symlink", "inside"])
@pytest.mark.parametrize("force", [False, True])
def test_student_never_writes_into_the_reference_lessons(
    exercise_lesson, lessons, tmp_path, monkeypatch, capsys, spelling, force
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link").symlink_to(lessons)
    out = {
        "absolute": str(lessons),
        "relative": "./lessons",
        "dotdot": "lessons/../lessons",
        "symlink": "link",
        "inside": "lessons/handout",
    }[spelling]
    before = reference_bytes(lessons)
    assert main(["student", "95", "--out", out, *(["--force"] if force else [])]) == 2
    assert "reference lessons" in one_error_line(capsys)
    assert reference_bytes(lessons) == before


def test_student_refuses_to_replace_files_without_force(exercise_lesson, tmp_path, capsys):
    out = tmp_path / "handout"
    out.mkdir()
    (out / "95_exercise.ipynb").write_text("a student's own work")
    (out / "95_exercise.py").write_text("more of it")
    assert main(["student", "95", "--out", str(out)]) == 2
    assert one_error_line(capsys) == (
        f"would replace {out}/95_exercise.ipynb, {out}/95_exercise.py; pass --force to overwrite"
    )
    assert (out / "95_exercise.ipynb").read_text() == "a student's own work"
    assert (out / "95_exercise.py").read_text() == "more of it"


def test_student_writes_nothing_when_one_file_would_be_replaced(exercise_lesson, tmp_path, capsys):
    out = tmp_path / "handout"
    out.mkdir()
    (out / "95_exercise.py").write_text("a student's own work")
    assert main(["student", "95", "--out", str(out)]) == 2
    assert one_error_line(capsys).startswith(f"would replace {out}/95_exercise.py;")
    assert sorted(p.name for p in out.iterdir()) == ["95_exercise.py"]


def test_student_force_replaces_and_says_so(exercise_lesson, tmp_path, capsys):
    out = tmp_path / "handout"
    out.mkdir()
    (out / "95_exercise.py").write_text("an old handout")
    assert main(["student", "95", "--out", str(out), "--force"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [f"{out}/95_exercise.ipynb", f"{out}/95_exercise.py (replaced)"]
    assert 'raise NotImplementedError("exercise 95.1' in (out / "95_exercise.py").read_text()
    assert "return 2 * x" not in (out / "95_exercise.py").read_text()


def test_grade_refuses_to_replace_a_report_before_grading(lessons, tmp_path, capsys):
    report = tmp_path / "grades" / "week1"
    report.parent.mkdir()
    (report.parent / "week1.json").write_text("last week's grades")
    # The submissions folder does not exist: the refusal comes before any grading.
    assert main(["grade", str(tmp_path / "submissions"), "--out", str(report)]) == 2
    assert one_error_line(capsys) == f"would replace {report}.json; pass --force to overwrite"
    assert (report.parent / "week1.json").read_text() == "last week's grades"


def test_grade_report_never_goes_into_the_reference_lessons(lessons, tmp_path, capsys):
    assert main(["grade", str(tmp_path), "--out", str(lessons / "report"), "--force"]) == 2
    assert "reference lessons" in one_error_line(capsys)
    assert not list(lessons.glob("report.*"))


# --- failures are one line, never a traceback ----------------------------------------------


@pytest.mark.parametrize("below", ["", "/sub"])
def test_out_through_a_file_is_one_line(exercise_lesson, tmp_path, capsys, below):
    (tmp_path / "notes.txt").write_text("not a folder")
    out = f"{tmp_path}/notes.txt{below}"
    assert main(["student", "95", "--out", out]) == 2
    assert one_error_line(capsys) == f"--out {out}: {tmp_path}/notes.txt is a file, not a folder"


@pytest.mark.parametrize("content", ['{"cells": [', "[]", '{"cells": 3}', ""])
def test_corrupt_ipynb_is_one_line_naming_it(exercise_lesson, tmp_path, capsys, content):
    corrupt = exercise_lesson.with_suffix(".ipynb")
    corrupt.write_text(content)
    assert main(["student", "95", "--out", str(tmp_path / "handout")]) == 2
    assert one_error_line(capsys).startswith(f"{corrupt} is not a readable notebook (")
    assert not (tmp_path / "handout").exists()


def test_lesson_that_is_not_utf8_is_one_line_naming_it(lessons, capsys):
    latin1 = HEADER.format(title="98 · Café").encode("latin-1")
    (lessons / "98_latin1.py").write_bytes(latin1)
    assert main(["list"]) == 2
    assert one_error_line(capsys) == (
        f"{lessons}/98_latin1.py is not UTF-8 text (byte 0xb7 at position {latin1.index(0xB7)})"
    )


def test_hidden_checks_with_a_syntax_error_are_one_line(exercise_lesson, tmp_path, capsys):
    (tmp_path / "submissions" / "alice").mkdir(parents=True)
    (tmp_path / "submissions" / "alice" / "95_exercise.py").write_text(EXERCISE)
    (tmp_path / "grading").mkdir()
    (tmp_path / "grading" / "95.py").write_text("HIDDEN_CHECKS = [\n")
    args = [
        "grade",
        str(tmp_path / "submissions"),
        "--hidden",
        str(tmp_path / "grading"),
        "--out",
        str(tmp_path / "report"),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err  # the progress bar, finished, then the error on a line of its own
    assert "Traceback" not in err
    assert err.splitlines()[-1] == f"course: error: {tmp_path}/grading/95.py, line 1: '[' was never closed"


def test_lesson_with_a_syntax_error_is_a_plain_failed_row(lessons, isolated_runs_dir, capsys):
    (lessons / "98_syntax.py").write_text(SYNTAX_ERROR)
    assert main(["run", "98"]) == 1
    text = (isolated_runs_dir / "summary.json").read_text()
    assert "\\u001b" not in text
    (row,) = json.loads(text)["lessons"]
    assert row["status"] == "failed" and row["error"].startswith("SyntaxError: ")
    assert "\x1b" not in capsys.readouterr().out


def test_os_errors_are_one_line_in_the_users_terms(exercise_lesson, tmp_path, monkeypatch, capsys):
    def denied(lessons, out):
        raise PermissionError(13, "Permission denied", str(out / "95_exercise.ipynb"))

    monkeypatch.setattr("course.cli.write_student_versions", denied)
    assert main(["student", "95", "--out", str(tmp_path)]) == 2
    assert one_error_line(capsys) == f"{tmp_path}/95_exercise.ipynb: Permission denied"


def test_an_internal_error_is_one_line_asking_for_a_report(lessons, monkeypatch, capsys):
    def broken(wanted):
        raise RuntimeError("something the tools did not expect\nsecond line")

    monkeypatch.setattr("course.cli.select_lessons", broken)
    assert main(["list"]) == 70
    assert one_error_line(capsys) == (
        "RuntimeError: something the tools did not expect (this is a bug in the course tools; please report it)"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["grade", "subs", "--timeout", "-1"],
        ["grade", "subs", "--timeout", "0"],
        ["grade", "subs", "--timeout", "nan"],
        ["grade", "subs", "--jobs", "0"],
        ["grade", "subs", "--jobs", "two"],
        ["tensorboard", "--port", "-1"],
        ["tensorboard", "--port", "65536"],
    ],
)
def test_nonsense_options_are_rejected_by_argparse(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"course {args[0]}: error: argument {args[-2]}: expected ")
    assert repr(args[-1]) in last


# --- TensorBoard of the course's own environment -------------------------------------------


def fake_program(folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    return program


def test_tensorboard_is_found_beside_the_python_without_an_activated_venv(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.executable", str(fake_program(tmp_path / "venv" / "bin", "python")))
    board = fake_program(tmp_path / "venv" / "bin", "tensorboard")
    fake_program(tmp_path / "elsewhere", "tensorboard")
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    assert course.cli.tensorboard_executable() == str(board)


def test_tensorboard_falls_back_to_path(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.executable", str(fake_program(tmp_path / "venv" / "bin", "python")))
    elsewhere = fake_program(tmp_path / "elsewhere", "tensorboard")
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    assert course.cli.tensorboard_executable() == str(elsewhere)


def test_missing_tensorboard_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    python = fake_program(tmp_path / "venv" / "bin", "python")
    monkeypatch.setattr("sys.executable", str(python))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr("subprocess.call", lambda *a, **k: pytest.fail("no server may start"))
    assert main(["tensorboard"]) == 2
    assert one_error_line(capsys) == (
        f"TensorBoard is not installed in this environment; install it with `{python} -m pip install tensorboard`"
    )


def test_hidden_checks_path_that_is_a_file_says_so(lessons, tmp_path, capsys):
    (tmp_path / "submissions").mkdir()
    not_a_folder = tmp_path / "checks.py"
    not_a_folder.write_text("HIDDEN_CHECKS = []\n")
    assert main(["grade", str(tmp_path / "submissions"), "--hidden", str(not_a_folder)]) == 2
    assert one_error_line(capsys) == (
        f"--hidden {not_a_folder}: the hidden-checks folder is a file, "
        "not a folder; pass the folder that holds the NN.py check files"
    )


def test_a_closed_pipe_ends_quietly(lessons, monkeypatch, capsys):
    def closed_pipe(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(course.cli, "cmd_list", closed_pipe)
    silenced = []
    monkeypatch.setattr(course.cli, "_silence_stdout", lambda: silenced.append(True))
    assert main(["list"]) == 0
    assert capsys.readouterr().err == "" and silenced == [True]
