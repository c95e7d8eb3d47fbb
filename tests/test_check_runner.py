"""Checks run in a child process under limits: an answer can make a check slow, greedy or fatal,
and the verdict is a failure while the grader's own process and the next answers are unharmed."""

from __future__ import annotations

import resource
import time

import pytest
import torch

import course.notebooks
from course.check_runner import CheckRunner
from course.grader import grading_plans
from course.notebooks import select_lessons
from tools.grading import dump_answer

# Each check does work the answer decides: the kind of check a student's data can turn into a
# denial of service on the grader's side.
LESSON_94 = """\
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


check_exercise("94.1", check_count, answer=lambda: 3)
check_exercise("94.2", check_wait, answer=lambda: 0.1)
check_exercise("94.3", check_alive, answer=lambda: 1)
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
