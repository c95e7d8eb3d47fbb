import json

import numpy as np
import pytest
import torch

from tools.metrics import load_metrics, metrics_path, record_metrics


def test_record_merges_and_writes_json(isolated_runs_dir):
    record_metrics("09_train_lenet", accuracy=0.98)
    assert record_metrics("09_train_lenet", epochs=np.int64(5), loss=np.float32(0.25), note="ok") is None
    merged = {"accuracy": 0.98, "epochs": 5, "loss": 0.25, "note": "ok"}
    stored = json.loads((isolated_runs_dir / "metrics" / "09_train_lenet.json").read_text())
    assert stored == merged and type(stored["epochs"]) is int
    assert load_metrics("09_train_lenet") == merged


def test_load_missing_is_empty():
    assert load_metrics("99_nothing") == {}


def test_tensor_value_is_rejected_with_hint():
    with pytest.raises(TypeError, match=r"\.item\(\)"):
        record_metrics("02_autograd", w=torch.tensor(2.0))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_is_rejected(value):
    with pytest.raises(ValueError, match="cannot be recorded"):
        record_metrics("02_autograd", loss=value)


@pytest.mark.parametrize("name", ["", "a/b", "..\\x"])
def test_bad_lesson_name(name):
    with pytest.raises(ValueError, match="lesson name"):
        metrics_path(name)


@pytest.mark.parametrize("value", [np.float32("nan"), np.float64("inf"), np.float32("-inf")])
def test_non_finite_numpy_float_is_rejected(value):
    with pytest.raises(ValueError, match="cannot be recorded"):
        record_metrics("02_autograd", loss=value)
    assert load_metrics("02_autograd") == {}


def test_zero_dim_tensor_says_use_item():
    with pytest.raises(TypeError, match=r"use \.item\(\)"):
        record_metrics("02_autograd", loss=torch.tensor(0.5))
    with pytest.raises(TypeError, match=r"shape \(3,\).*\.mean\(\)\.item\(\)"):
        record_metrics("02_autograd", losses=torch.zeros(3))


def test_numpy_bool_is_recorded_as_bool():
    record_metrics("06_module_containers", target_met=np.bool_(True))
    assert load_metrics("06_module_containers") == {"target_met": True}


def test_corrupt_metrics_file_names_it_and_the_fix(isolated_runs_dir):
    path = metrics_path("09_train_lenet")
    path.write_text('{"accuracy": 0.9', encoding="utf-8")
    with pytest.raises(ValueError, match=r"09_train_lenet\.json is not valid JSON.*delete it and re-run"):
        record_metrics("09_train_lenet", accuracy=0.98)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match=r"09_train_lenet\.json holds a JSON list.*delete it"):
        load_metrics("09_train_lenet")


@pytest.mark.parametrize("name", [None, 2, ".."])
def test_lesson_name_must_be_a_name(name):
    with pytest.raises(ValueError, match="lesson name"):
        metrics_path(name)
