"""The battery finds each class of lax check the issue names, and spares a check that is strict."""

from __future__ import annotations

import torch

from course.battery import battery_failures, same_answer, wrong_answers
from tools.grading import dump_answer, load_answer

REFERENCE = {"values": [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.5, 0.5]])], "count": 3}


def check_strict(answer):
    import torch

    assert type(answer) is dict and set(answer) == {"values", "count"}, "expected values and count"
    values = answer["values"]
    assert type(values) is list and len(values) == 2, "expected two tensors"
    expected = [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.5, 0.5]])]
    for got, want in zip(values, expected):
        assert got.dtype == torch.float32 and got.shape == want.shape, f"shape {tuple(got.shape)}"
        assert (got - want).abs().max() <= 1e-6, "values differ"
    assert type(answer["count"]) is int and answer["count"] == 3, "count"


def check_zip_without_length(answer):
    import torch

    for got, want in zip(answer["values"], [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.5, 0.5]])]):
        assert torch.allclose(got, want)
    assert answer["count"] == 3


def check_nan_blind(answer):
    import torch

    assert not (answer["values"][0] - torch.tensor([[1.0, 2.0], [3.0, 4.0]])).abs().max() > 1e-6
    assert not (answer["values"][1] - 0.5).abs().max() > 1e-6
    assert answer["count"] == 3


def check_broadcasting(answer):
    import torch

    assert len(answer["values"]) == 2 and answer["count"] == 3
    assert torch.allclose(answer["values"][0], torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert torch.allclose(answer["values"][1], torch.tensor([[0.5, 0.5]]))  # (1, 1) broadcasts too


def check_ignores_count(answer):
    import torch

    assert len(answer["values"]) == 2 and [v.shape for v in answer["values"]] == [(2, 2), (1, 2)]
    assert torch.equal(answer["values"][0], torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert torch.equal(answer["values"][1], torch.tensor([[0.5, 0.5]]))


def check_facts(answer):
    assert answer["untouched"] is True and answer["kind"] == "Linear"


def _failures(check, reference=REFERENCE) -> list[str]:
    return battery_failures("95.1", check, 1, reference)


def test_a_strict_check_fails_every_wrong_answer():
    assert _failures(check_strict) == []


def test_unchecked_lengths_are_found():
    found = _failures(check_zip_without_length)
    assert "the answer['values'] emptied" in found and "the answer['values'] without its last item" in found


def test_nan_blind_comparisons_are_found():
    found = _failures(check_nan_blind)
    assert "the answer['values'][0] filled with NaN" in found and "the answer['values'][1] filled with NaN" in found


def test_broadcast_comparisons_are_found():
    found = _failures(check_broadcasting)
    assert "the answer['values'][1] cut to its first column" in found
    assert "the answer['values'][0] with an extra leading dimension" in found


def test_parts_the_check_never_reads_are_found():
    found = _failures(check_ignores_count)
    assert "the answer without key 'count'" in found and "the answer['count'] plus 1" in found


def test_an_answer_whose_numbers_do_not_matter_is_found():
    """Facts a constant dict can state pass a check that reads only them; so do the facts alone."""
    found = _failures(check_facts, {"untouched": True, "kind": "Linear", "seen": 4})
    assert "the facts alone (every number changed, booleans and strings kept)" in found
    assert "the answer without key 'seen'" in found and "the answer['seen'] plus 1" in found
    assert not any("untouched" in f or "kind" in f for f in found)


def test_every_variant_differs_from_the_reference_or_is_skipped_and_tensors_with_attributes_are_refused():
    variants = dict(wrong_answers(REFERENCE))
    assert "the answer['values'][0] carrying an instance attribute" in variants
    carrier = variants["the answer['values'][0] carrying an instance attribute"]
    try:
        load_answer(dump_answer({"value": carrier}))
    except ValueError as error:
        assert "attributes of its own" in str(error)
    else:
        raise AssertionError("a tensor carrying an attribute crossed the data boundary")
    equal_items = [torch.tensor(1.0), torch.tensor(1.0)]
    assert same_answer(dict(wrong_answers(equal_items))["the answer rotated by one"], equal_items)
    assert not same_answer(torch.zeros(1, 2), torch.zeros(2))
    assert same_answer(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]))


def test_a_models_weights_are_not_shifted_one_tensor_at_a_time():
    weights = {f"layer{i}.weight": torch.ones(2) for i in range(4)}
    descriptions = [description for description, _ in wrong_answers({"model weights": weights})]
    assert not any("shifted" in d for d in descriptions)
    assert "the answer['model weights']['layer0.weight'] filled with NaN" in descriptions
    assert not any(d.startswith("the answer['model weights']['layer1") for d in descriptions)  # first, last stand in
