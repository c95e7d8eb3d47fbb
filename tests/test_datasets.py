"""Dataset builders, manifests, verification, the class-folder Dataset and the split helper."""

from __future__ import annotations

import json
import shutil
import socket

import pytest
from torchvision import transforms as T

from tools import datasets
from tools.cli import main
from tools.datasets import (
    DATASETS,
    ClassFolderDataset,
    DatasetError,
    build_dataset,
    describe_files,
    ensure_dataset,
    stratified_split,
    verify_dataset,
)
from tools.runtime import project_root


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """An empty data folder holding only copies of the committed manifests."""
    home = tmp_path / "data"
    home.mkdir()
    for manifest in (project_root() / "data").glob("*.manifest.json"):
        shutil.copy(manifest, home)
    monkeypatch.setenv("COURSE_DATA_DIR", str(home))
    return home


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted during a dataset build")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_offline_build_matches_committed_manifest_and_is_repeatable(name, data_home, no_network):
    first = describe_files(build_dataset(name))
    assert verify_dataset(name) == []
    second = describe_files(build_dataset(name))
    assert first == second
    committed = json.loads((data_home / f"{name}.manifest.json").read_text())
    assert first["counts"] == committed["counts"]


def test_manifest_counts():
    counts = {n: json.loads((project_root() / "data" / f"{n}.manifest.json").read_text())["counts"]
              for n in ("digits", "faces", "photos")}
    assert counts["digits"] == {str(d): 500 for d in range(10)}
    assert counts["faces"] == {"background": 100, "face": 100}
    assert counts["photos"] == {".": 9}


def test_verify_names_corrupt_file_and_bad_manifest_entry(data_home, capsys):
    build_dataset("faces")
    (data_home / "faces" / "face" / "face_007.png").write_bytes(b"not a png")
    manifest = json.loads((data_home / "faces.manifest.json").read_text())
    manifest["files"]["background/background_150.png"] = "0" * 64
    (data_home / "faces.manifest.json").write_text(json.dumps(manifest))
    (data_home / "faces" / "face" / "face_008.png").unlink()

    assert main(["data", "faces", "--verify"]) == 1
    err = capsys.readouterr().err
    assert "corrupt " + str(data_home / "faces" / "face" / "face_007.png") in err
    assert "corrupt " + str(data_home / "faces" / "background" / "background_150.png") in err
    assert "missing " + str(data_home / "faces" / "face" / "face_008.png") in err
    assert "rebuild with `course data faces`" in err


def test_ensure_builds_on_first_use_then_refuses_damage(data_home):
    folder = ensure_dataset("faces")
    assert folder == data_home / "faces" and len(list(folder.rglob("*.png"))) == 200
    (folder / "face" / "face_000.png").unlink()
    with pytest.raises(DatasetError, match=r"missing .*face_000\.png[\s\S]*course data faces"):
        ensure_dataset("faces")


def test_unknown_dataset():
    with pytest.raises(LookupError, match="datasets are: digits, photos, faces, names"):
        datasets.verify_dataset("cifar")


def test_class_folder_dataset_on_faces(data_home):
    root = ensure_dataset("faces")
    plain = ClassFolderDataset(root)
    assert plain.classes == ["background", "face"] and len(plain) == 200
    image, label = plain[0]
    assert image.size == (25, 25) and label == 0
    fixed = ClassFolderDataset(root, transform=T.ToTensor(), class_to_idx={"face": 0, "background": 1})
    tensor, label = fixed[0]
    assert tuple(tensor.shape) == (1, 25, 25) and label == 0
    assert fixed.targets.count(0) == 100 and fixed.classes == ["face", "background"]


def test_class_folder_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ClassFolderDataset(tmp_path / "nowhere")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no images"):
        ClassFolderDataset(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match=r"class folders \['b'\] are missing"):
        ClassFolderDataset(tmp_path / "empty", class_to_idx={"a": 0, "b": 1})


def test_stratified_split_is_disjoint_balanced_and_seeded():
    targets = [label for label in range(10) for _ in range(500)]
    parts = stratified_split(targets, seed=1)
    sizes = {name: len(indices) for name, indices in parts.items()}
    assert sizes == {"train": 4000, "valid": 500, "test": 500}
    assert sorted(parts["train"] + parts["valid"] + parts["test"]) == list(range(5000))
    for indices, per_class in ((parts["valid"], 50), (parts["test"], 50), (parts["train"], 400)):
        assert all([targets[i] for i in indices].count(c) == per_class for c in range(10))
    assert stratified_split(targets, seed=1) == parts
    assert stratified_split(targets, seed=2) != parts


@pytest.mark.parametrize("fractions", [(0.8, 0.2), (0.5, 0.5, 0.5), (1.2, -0.1, -0.1)])
def test_stratified_split_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="summing to 1"):
        stratified_split([0, 1], fractions)


def test_cached_dataset_and_transformed_subset(data_home):
    source = ClassFolderDataset(ensure_dataset("faces"), transform=T.ToTensor())
    cached = datasets.CachedDataset(source)
    assert len(cached) == 200 and cached.images.shape == (200, 1, 25, 25)
    assert cached.targets == source.targets
    image, label = cached[150]
    assert label == source[150][1] and image.equal(source[150][0])
    flipped = datasets.TransformedSubset(cached, [3, 150], transform=T.RandomHorizontalFlip(p=1.0))
    assert len(flipped) == 2 and flipped[0][0].equal(source[3][0].flip(-1)) and flipped[1][1] == label
    with pytest.raises(TypeError, match="ToTensor"):
        datasets.CachedDataset(ClassFolderDataset(ensure_dataset("faces")))
    with pytest.raises(IndexError, match=r"0\.\.199"):
        datasets.TransformedSubset(cached, [0, 200])


def test_first_use_build_keeps_a_set_another_process_finished(data_home):
    kept = build_dataset("faces")
    marker = kept / "face" / "face_000.png"
    before = marker.stat().st_ino
    build_dataset("faces", replace=False)
    assert marker.stat().st_ino == before  # untouched: the parallel build was discarded
    build_dataset("faces")
    assert marker.stat().st_ino != before  # an explicit rebuild replaces the set
    assert verify_dataset("faces") == [] and not list(data_home.glob(".faces-*"))
