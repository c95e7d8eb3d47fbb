import random

import numpy as np
import pytest
import torch

from tools.runtime import get_device, get_memory_info, project_root, read_json_object, runs_dir, set_seed


def test_set_seed_repeats_python_numpy_and_torch_draws():
    set_seed(3)
    first = (random.random(), np.random.rand(), torch.rand(2))
    set_seed(3)
    second = (random.random(), np.random.rand(), torch.rand(2))
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2])


def test_set_seed_sets_cudnn_flags():
    set_seed(0, deterministic=True)
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert not torch.backends.cudnn.allow_tf32
    set_seed(0, deterministic=False)
    assert not torch.backends.cudnn.deterministic and torch.backends.cudnn.benchmark
    assert torch.backends.cudnn.allow_tf32
    set_seed(0)


@pytest.mark.parametrize("bad", ["7", 1.5, True, None])
def test_set_seed_rejects_non_int(bad):
    with pytest.raises(TypeError, match="int seed"):
        set_seed(bad)


def test_get_device_cpu_and_auto(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "AUTO")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device().type == expected
    monkeypatch.delenv("COURSE_DEVICE")
    assert get_device().type == expected
    assert get_device("cpu").type == "cpu"


def test_get_device_rejects_unknown_choice(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match=r"COURSE_DEVICE got 'tpu'.*auto, cpu, cuda"):
        get_device()
    with pytest.raises(ValueError, match=r"get_device\(\) got 'gpu'"):
        get_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_get_device_cuda_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match=r"no usable GPU.*COURSE_DEVICE=cpu"):
        get_device()


def test_get_memory_info_reports_ram():
    info = get_memory_info()
    assert 0 < info["ram_available_gib"] <= info["ram_total_gib"]
    assert ("gpu_total_gib" in info) == torch.cuda.is_available()


def test_runs_dir_follows_env_and_creates(isolated_runs_dir):
    path = runs_dir("02_autograd", "ckpt")
    assert path == isolated_runs_dir / "02_autograd" / "ckpt" and path.is_dir()


def test_project_root_holds_tools_and_lessons():
    assert (project_root() / "tools" / "__init__.py").exists()
    assert (project_root() / "lessons").is_dir()


def test_get_device_accepts_a_torch_device_and_cpu_strings(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert get_device(torch.device("cpu")) == torch.device("cpu")
    assert get_device(" CPU ") == torch.device("cpu")
    assert get_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
@pytest.mark.parametrize("choice", ["cuda:0", torch.device("cuda:0"), torch.device("cuda")])
def test_get_device_cuda_index_without_gpu_is_a_clear_error(choice):
    with pytest.raises(RuntimeError, match="no usable GPU"):
        get_device(choice)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_get_device_cuda_index_on_a_gpu():
    assert get_device("cuda:0") == torch.device("cuda:0")
    assert get_device(torch.device("cuda", 0)) == torch.device("cuda:0")
    with pytest.raises(RuntimeError, match="numbered from 0"):
        get_device(f"cuda:{torch.cuda.device_count()}")


@pytest.mark.parametrize("bad", [0, 1.0, ["cpu"]])
def test_get_device_rejects_other_types(bad):
    with pytest.raises(TypeError, match=r"string .* or a torch\.device"):
        get_device(bad)


@pytest.mark.parametrize("bad", ["cuda:", "cuda:x", "mps", torch.device("meta")])
def test_get_device_rejects_other_devices(bad):
    with pytest.raises(ValueError, match="not a device choice; use one of auto, cpu, cuda"):
        get_device(bad)


@pytest.mark.parametrize("bad", [-1, 2**32])
def test_set_seed_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match=r"0 to 2\*\*32 - 1"):
        set_seed(bad)


@pytest.mark.parametrize("bad", ["", "..", "../elsewhere", "/tmp/x", 7])
def test_runs_dir_refuses_paths_outside_runs(bad):
    with pytest.raises(ValueError, match="folder names inside runs/"):
        runs_dir(bad)


def test_read_json_object_names_a_damaged_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text('{"a": 1}', encoding="utf-8")
    assert read_json_object(path, "delete it") == {"a": 1}
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(ValueError, match=r"results\.json is not valid JSON .*; delete it"):
        read_json_object(path, "delete it")
