"""Checks run in a child process under limits: an answer can make a check slow, greedy or fatal,
and the verdict is a failure while the grader's own process and the next answers are unharmed."""

from __future__ import annotations

import json
import resource
import tempfile
import time

import pytest
import torch

import course.check_runner
import course.notebooks
from course.check_runner import CheckRunner
from course.cli import main
from course.grader import grading_plans
from course.notebooks import select_lessons
from tools.grading import dump_answer

# Each check does work the answer decides: the kind of check a student's data can turn into a
# denial of service on the grader's side.
LESSON_94 = """\
# %%
### BEGIN SOLUTION
count, wait, alive = 3, 0.1, 1
### END SOLUTION

# %%
from tools import check_exercise


def check_count(answer):
    import torch

    counts = torch.bincount(torch.tensor([answer]))  # memory in proportion to the answer
    assert answer == 3 and counts[3] == 1, f"expected 3, got {answer}"


def check_wait(answer):
    import time

    time.sleep(answer)  # time in proportion to the answer
    assert answer == 0.1, f"expected 0.1, got {answer}"


def check_alive(answer):
    import os

    if answer != 1:
        os._exit(3)  # the whole process ends


check_exercise("94.1", check_count, answer=lambda: count)
check_exercise("94.2", check_wait, answer=lambda: wait)
check_exercise("94.3", check_alive, answer=lambda: alive)
"""


@pytest.fixture
def plan_94(tmp_path, monkeypatch):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "94_limits.py").write_text(LESSON_94)
    monkeypatch.setattr(course.notebooks, "lessons_dir", lambda: tmp_path / "lessons")
    lesson = select_lessons(["94"])[0]
    return grading_plans([lesson], None)["94"]


def _answer(value: object) -> bytes:
    return dump_answer({"value": value})


def test_limits_fail_the_answer_that_passes_them_and_spare_everything_else(plan_94):
    grader_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with CheckRunner(seconds=3, memory_gib=1) as runner:
        honest = [runner.evaluate(plan_94, index, _answer(value)) for index, value in enumerate([3, 0.1, 1])]
        assert [r["verdict"] for r in honest] == [
            "[ex 94.1] passed 1/1",
            "[ex 94.2] passed 1/1",
            "[ex 94.3] passed 1/1",
        ]

        started = time.monotonic()
        greedy = runner.evaluate(plan_94, 0, _answer(400_000_000))  # a 3.2 GB bincount
        assert not greedy["passed"] and "allocate" in greedy["verdict"], greedy
        slow = runner.evaluate(plan_94, 1, _answer(3600))
        assert slow["verdict"] == "[ex 94.2] failed 0/1: the check ran longer than 3 s on this answer"
        fatal = runner.evaluate(plan_94, 2, _answer(0))
        assert fatal["verdict"] == "[ex 94.3] failed 0/1: the check's process died on this answer"
        assert time.monotonic() - started < 60

        # the next answers get a working child again
        after = [runner.evaluate(plan_94, index, _answer(value)) for index, value in enumerate([3, 0.1, 1])]
        assert after == honest
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - grader_peak_kib < 500 * 1024


def test_an_unreadable_answer_is_a_verdict_of_the_child(plan_94):
    with CheckRunner() as runner:
        assert runner.evaluate(plan_94, 0, b"not an archive")["verdict"] == (
            "[ex 94.1] failed 0/1: malformed answer: the answer file is not a torch.save archive"
        )
        carrier = torch.tensor(3)
        carrier.lie = True
        assert "attributes of its own" in runner.evaluate(plan_94, 0, _answer(carrier))["verdict"]


@pytest.mark.whole_lessons  # three kernels and two check processes: kept apart from the timed lessons
def test_a_submission_that_makes_checks_slow_greedy_or_fatal_costs_only_its_own_points(plan_94, tmp_path, monkeypatch):
    monkeypatch.setattr(course.check_runner, "CHECK_SECONDS", 3)
    grading_tmp = tmp_path / "grading-tmp"
    grading_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(grading_tmp))
    # The greedy submission keeps its own kernel from running the checks, as an attacker would.
    greedy = "400_000_000, 3600, 0\nimport tools.grading\n"
    greedy += "tools.grading.evaluate_check = lambda *args: {'exercise': '94.0', 'verdict': ''}"
    for student, values in {"first": "3, 0.1, 1", "greedy": greedy, "last": "3, 0.1, 1"}.items():
        (tmp_path / "class" / student).mkdir(parents=True)
        submission = LESSON_94.replace("3, 0.1, 1", values)
        (tmp_path / "class" / student / "94_limits.py").write_text(submission)
    grader_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    main(
        [
            "grade",
            str(tmp_path / "class"),
            "--jobs",
            "2",
            "--timeout",
            "120",
            "--out",
            str(tmp_path / "report"),
            "--no-sandbox-trust-submissions",
        ]
    )
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - grader_peak_kib < 500 * 1024
    report = {row["student"]: row for row in json.loads((tmp_path / "report.json").read_text())["grades"]}
    assert {student: (row["points"], row["status"]) for student, row in report.items()} == {
        "first": (3, "graded"),
        "greedy": (0, "graded"),
        "last": (3, "graded"),
    }
    verdicts = [exercise["verdict"] for exercise in report["greedy"]["exercises"]]
    assert "allocate" in verdicts[0]
    assert verdicts[1:] == [
        "[ex 94.2] failed 0/1: the check ran longer than 3 s on this answer",
        "[ex 94.3] failed 0/1: the check's process died on this answer",
    ]
    assert (tmp_path / "report.csv").read_text().count("\n") == 4
    assert list(grading_tmp.iterdir()) == []
