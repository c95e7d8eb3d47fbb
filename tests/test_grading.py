"""Checks written as a student would write them (PYTEST_DONT_REWRITE keeps assert messages plain).

The answer crosses as inert data; the check sees nothing but that data."""

import io
import json
import pickle
import zipfile

import numpy as np
import pytest
import torch

from tools.grading import (
    advise_exercise,
    check_exercise,
    collecting_checks,
    dump_answer,
    evaluate_check,
    isolated,
    load_answer,
    results_path,
    run_answer,
    to_inert,
)


def _is_four(answer):
    assert answer == 4, f"expected 4, got {answer}"


def _unsolved():
    raise NotImplementedError("write your solution above")


def test_pass_prints_and_records(capsys):
    check_exercise("04.2", _is_four, points=2, answer=lambda: 2 + 2)
    assert capsys.readouterr().out == "[ex 04.2] passed 2/2\n"
    stored = json.loads(results_path("04").read_text())
    assert stored["04.2"] == {"passed": True, "points": 2, "max_points": 2, "verdict": "[ex 04.2] passed 2/2"}


@pytest.mark.parametrize(
    "answer, reason",
    [
        (lambda: 5, "expected 4, got 5"),
        (_unsolved, "NotImplementedError: write your solution above"),
        (lambda: undefined_answer, "NameError: name 'undefined_answer' is not defined"),  # noqa: F821
        (lambda: object(), "TypeError: the answer holds a object; answers may hold only tensors"),
    ],
)
def test_failures_score_zero_with_reason(answer, reason, capsys):
    check_exercise("04.1", _is_four, points=3, answer=answer)
    assert capsys.readouterr().out.startswith(f"[ex 04.1] failed 0/3: {reason}")
    assert json.loads(results_path("04").read_text())["04.1"]["points"] == 0


def test_results_of_one_lesson_accumulate():
    check_exercise("05.1", _is_four, answer=lambda: 4)
    check_exercise("05.2", _is_four, answer=lambda: 3)
    stored = json.loads(results_path("05").read_text())
    assert [stored[k]["passed"] for k in sorted(stored)] == [True, False]


lesson_name = "a name of the lesson"


def _reads_a_lesson_name(answer):
    assert lesson_name, "unreachable"


def test_the_check_sees_only_its_argument(capsys):
    check_exercise("01.1", _reads_a_lesson_name, answer=lambda: 1)
    assert capsys.readouterr().out == "[ex 01.1] failed 0/1: NameError: name 'lesson_name' is not defined\n"
    assert isolated(_is_four).__globals__.keys() == {"__builtins__", "__name__"}


def test_answers_become_plain_data():
    data = to_inert(
        {
            "weight": torch.nn.Parameter(torch.ones(2)),
            "shape": torch.Size([2, 3]),
            "dtype": torch.float32,
            "mean": np.float64(0.5),
            "array": np.arange(3),
            "ok": np.bool_(True),
        }
    )
    assert type(data["weight"]) is torch.Tensor and not data["weight"].requires_grad
    assert data["shape"] == (2, 3) and data["dtype"] == "torch.float32"
    assert type(data["mean"]) is float and type(data["ok"]) is bool and torch.equal(data["array"], torch.arange(3))
    assert load_answer(dump_answer({"value": data}))["value"]["shape"] == (2, 3)


class _AlwaysEqual(float):
    def __eq__(self, other):
        return True


class _Subclass(torch.Tensor):
    pass


class _Payload:
    def __reduce__(self):
        return (print, ("this ran while loading",))


@pytest.mark.parametrize(
    "payload",
    [
        {"value": _AlwaysEqual(1.0)},
        {"value": torch.ones(2).as_subclass(_Subclass)},
        {"value": torch.nn.Parameter(torch.ones(2))},
        {"value": _Payload()},
        {"value": 1, "passed": True},
        {"error": 3},
    ],
)
def test_only_exact_plain_types_are_read_back(payload, capsys):
    buffer = io.BytesIO()
    torch.save(payload, buffer, pickle_module=pickle)
    with pytest.raises(ValueError, match="answer"):
        load_answer(buffer.getvalue())
    assert "this ran" not in capsys.readouterr().out


def test_run_answer_reports_errors_as_data():
    assert run_answer(lambda: [1, (2.5, "x"), None]) == {"value": [1, (2.5, "x"), None]}
    assert run_answer(_unsolved) == {"error": "NotImplementedError: write your solution above"}


def test_collecting_records_checks_without_running_answers(capsys):
    with collecting_checks() as found:
        check_exercise("06.1", _is_four, points=2, answer=_unsolved)
    assert found == [("06.1", _is_four, 2)] and capsys.readouterr().out == ""


@pytest.mark.parametrize("bad_id", ["4.1", "04", "ex 04.1", "04.x"])
def test_bad_exercise_id(bad_id):
    with pytest.raises(ValueError, match=r"'02\.1'"):
        check_exercise(bad_id, _is_four, answer=lambda: 4)


def test_bad_check_answer_and_points():
    with pytest.raises(TypeError, match="function"):
        check_exercise("04.1", True, answer=lambda: 4)
    with pytest.raises(TypeError, match="answer must be a function"):
        check_exercise("04.1", _is_four, answer=4)
    with pytest.raises(ValueError, match="positive int"):
        check_exercise("04.1", _is_four, points=0, answer=lambda: 4)

    def make_check():
        captured = 4

        def check(answer):
            assert answer == captured

        return check

    with pytest.raises(ValueError, match="top of its cell"):
        check_exercise("04.1", make_check(), answer=lambda: 4)


def _returns(answer):
    return answer


@pytest.mark.parametrize("returned, shown", [(False, "False"), (True, "True"), (0, "0"), ("x" * 60, "a str")])
def test_a_check_that_returns_a_value_fails(returned, shown, capsys):
    check_exercise("04.3", _returns, points=2, answer=lambda: returned)
    assert capsys.readouterr().out == (
        f"[ex 04.3] failed 0/2: the check returned {shown}; "
        "checks must raise (assert ...) when the answer is wrong and return nothing\n"
    )


def test_evaluate_check_of_an_error_payload():
    result = evaluate_check("04.4", _is_four, {"error": "NameError: name 'x' is not defined"})
    assert (result["passed"], result["points"], result["max_points"]) == (False, 0, 1)
    assert result["verdict"] == "[ex 04.4] failed 0/1: NameError: name 'x' is not defined"


def test_corrupt_results_file_names_it_and_the_fix():
    results_path("04").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"04\.json is not valid JSON.*delete it and re-run"):
        check_exercise("04.1", _is_four, answer=lambda: 4)


def test_a_small_file_cannot_unfold_into_a_huge_answer():
    nested = [0.0]
    for _ in range(6):
        nested = [nested] * 100  # one list referenced 100 times per level: 10**12 items once unfolded
    data = dump_answer({"value": nested})
    assert len(data) < 10_000
    with pytest.raises(ValueError, match="more than 1,000,000 items"):
        load_answer(data)


def test_compressed_archives_and_expanded_tensors_are_refused():
    with zipfile.ZipFile(io.BytesIO(dump_answer({"value": torch.zeros(2**16)}))) as stored:
        entries = [(info, stored.read(info)) for info in stored.infolist()]
    squeezed = io.BytesIO()
    with zipfile.ZipFile(squeezed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, content in entries:
            archive.writestr(info.filename, content)
    assert len(squeezed.getvalue()) < 10_000
    with pytest.raises(ValueError, match="compressed entries"):
        load_answer(squeezed.getvalue())
    expanded = dump_answer({"value": torch.ones(1).expand(2**40)})  # 2**40 elements claimed, 4 bytes stored
    with pytest.raises(ValueError, match="not a contiguous dense CPU tensor"):
        load_answer(expanded)
    assert to_inert(torch.ones(1).expand(3)).is_contiguous()


def _within(answer, *, tolerance=0.5):
    assert abs(answer - 4) < tolerance, "x" * 2000


def test_keyword_defaults_survive_isolation_and_long_reasons_are_cut(capsys):
    check_exercise("07.1", _within, answer=lambda: 4.25)
    check_exercise("07.2", _within, answer=lambda: 9)
    passed, failed = capsys.readouterr().out.splitlines()
    assert passed == "[ex 07.1] passed 1/1"
    assert failed.startswith("[ex 07.2] failed 0/1: xxx") and failed.endswith(" ...") and len(failed) < 560


def test_a_tensor_with_attributes_of_its_own_is_refused():
    """weights_only restores a tensor's instance dict, where a method such as ``tolist`` or
    ``is_contiguous`` can be shadowed: such a tensor never reaches a check, however it is nested."""
    lying = torch.tensor([4.0, -6.0])
    lying.tolist = "shadowed"
    lying.is_contiguous = "shadowed"
    for value in (lying, [1, {"deep": (lying,)}]):
        with pytest.raises(ValueError, match=r"a tensor carrying attributes of its own \('tolist', 'is_contiguous'\)"):
            load_answer(dump_answer({"value": value}))
    plain = load_answer(dump_answer({"value": torch.tensor([4.0, -6.0])}))["value"]
    assert type(plain) is torch.Tensor and vars(plain) == {}


def test_advice_runs_on_the_raw_answer_prints_and_records_nothing(capsys):
    on_meta = torch.zeros(2, device="meta")  # an object no answer file could carry
    advise_exercise("04.4", _is_on_meta, answer=lambda: on_meta)
    advise_exercise("04.4", _is_on_meta, answer=lambda: torch.zeros(2))
    advise_exercise("04.4", _is_on_meta, answer=_unsolved)
    assert capsys.readouterr().out.splitlines() == [
        "[ex 04.4] advice (no points): looks right",
        "[ex 04.4] advice (no points): not yet: the tensor is on cpu",
        "[ex 04.4] advice (no points): not yet: NotImplementedError: write your solution above",
    ]
    assert not results_path("04").exists()


def _is_on_meta(answer):
    assert answer.device.type == "meta", f"the tensor is on {answer.device.type}"
