"""Checks written as a student would write them (PYTEST_DONT_REWRITE keeps assert messages plain)."""

import json

import pytest

from tools.grading import check_exercise, evaluate_check, results_path


def _passing():
    assert 1 + 1 == 2


def _wrong():
    assert 2 + 2 == 5, "2 + 2 should be 5 here"


def _unsolved():
    raise NotImplementedError("write your solution above")


def _missing_name():
    return undefined_answer  # noqa: F821 - the student never defined it


def test_pass_prints_and_records(capsys, isolated_runs_dir):
    check_exercise("04.2", _passing, points=2)
    assert capsys.readouterr().out == "[ex 04.2] passed 2/2\n"
    stored = json.loads(results_path("04").read_text())
    assert stored["04.2"] == {"passed": True, "points": 2, "max_points": 2, "verdict": "[ex 04.2] passed 2/2"}


@pytest.mark.parametrize(
    "check, reason",
    [
        (_wrong, "2 + 2 should be 5 here"),
        (_unsolved, "NotImplementedError: write your solution above"),
        (_missing_name, "NameError: name 'undefined_answer' is not defined"),
    ],
)
def test_failures_score_zero_with_reason(check, reason, capsys):
    check_exercise("04.1", check, points=3)
    assert capsys.readouterr().out == f"[ex 04.1] failed 0/3: {reason}\n"
    assert json.loads(results_path("04").read_text())["04.1"]["points"] == 0


def test_results_of_one_lesson_accumulate():
    check_exercise("05.1", _passing)
    check_exercise("05.2", _wrong)
    stored = json.loads(results_path("05").read_text())
    assert sorted(stored) == ["05.1", "05.2"]
    assert [stored[k]["passed"] for k in sorted(stored)] == [True, False]


def test_bare_assert_reason_is_its_type(capsys):
    def bare():
        assert False

    check_exercise("01.1", bare)
    assert capsys.readouterr().out == "[ex 01.1] failed 0/1: AssertionError\n"


@pytest.mark.parametrize("bad_id", ["4.1", "04", "ex 04.1", "04.x"])
def test_bad_exercise_id(bad_id):
    with pytest.raises(ValueError, match="'02.1'"):
        check_exercise(bad_id, _passing)


def test_bad_check_and_points():
    with pytest.raises(TypeError, match="function"):
        check_exercise("04.1", True)
    with pytest.raises(ValueError, match="positive int"):
        check_exercise("04.1", _passing, points=0)


@pytest.mark.parametrize(
    "returned, shown",
    [(False, "False"), (True, "True"), (0, "0"), ("x" * 60, "a str")],
)
def test_a_check_that_returns_a_value_fails(returned, shown, capsys):
    check_exercise("04.3", lambda: returned, points=2)
    assert capsys.readouterr().out == (
        f"[ex 04.3] failed 0/2: the check returned {shown}; "
        "checks must raise (assert ...) when the answer is wrong and return nothing\n"
    )
    assert json.loads(results_path("04").read_text())["04.3"]["passed"] is False


def test_evaluate_check_result_of_a_returned_false():
    result = evaluate_check("04.4", lambda: False)
    assert (result["passed"], result["points"], result["max_points"]) == (False, 0, 1)


def test_corrupt_results_file_names_it_and_the_fix():
    results_path("04").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"04\.json is not valid JSON.*delete it and re-run"):
        check_exercise("04.1", _passing)
