"""Dataset builders, manifests, verification, the class-folder Dataset and the split helper."""

from __future__ import annotations

import json
import shutil
import socket

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import TensorDataset
from torchvision import transforms as T

from course.cli import main
from tools import datasets
from tools.datasets import (
    DATASETS,
    ClassFolderDataset,
    DatasetError,
    build_dataset,
    describe_files,
    ensure_dataset,
    split_labels,
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
    counts = {
        n: json.loads((project_root() / "data" / f"{n}.manifest.json").read_text())["counts"]
        for n in ("digits", "faces", "photos")
    }
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


def test_split_labels_follow_the_default_split_of_the_digits():
    labels = split_labels("digits", "test")
    targets = ClassFolderDataset(ensure_dataset("digits")).targets
    assert labels.tolist() == [targets[i] for i in stratified_split(targets)["test"]]
    assert torch.bincount(labels).tolist() == [50] * 10
    with pytest.raises(ValueError, match="part must be one of"):
        split_labels("digits", "validation")


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


@pytest.mark.parametrize(
    "fractions", [(float("nan"), 0.5, 0.5), (0.8, 0.1, float("inf")), "0.8", ("0.8", "0.1", "0.1")]
)
def test_stratified_split_rejects_non_finite_or_non_numeric_fractions(fractions):
    with pytest.raises(ValueError, match="finite, non-negative numbers summing to 1"):
        stratified_split([0, 1], fractions)


def test_stratified_split_rejects_one_hot_targets():
    one_hot = torch.nn.functional.one_hot(torch.tensor([0, 1, 2, 1]), 3)
    with pytest.raises(ValueError, match=r"one class label per sample.*argmax\(dim=1\)"):
        stratified_split(one_hot)
    with pytest.raises(ValueError, match="one class label per sample"):
        stratified_split([[1, 0], [0, 1]])


@pytest.mark.parametrize("targets", [[0.5, 1.5, 0.5], torch.tensor([0.0, 1.0]), np.array([0.0, 1.0])])
def test_stratified_split_rejects_float_labels(targets):
    with pytest.raises(ValueError, match=r"pass class indices as ints"):
        stratified_split(targets)


@pytest.mark.parametrize("targets", [5, "0101", {"train": [0]}])
def test_stratified_split_rejects_non_sequences(targets):
    with pytest.raises(TypeError, match="one class label per sample"):
        stratified_split(targets)


def test_stratified_split_same_result_for_list_tensor_and_array():
    targets = [label for label in range(3) for _ in range(10)]
    expected = stratified_split(targets, seed=4)
    assert stratified_split(torch.tensor(targets), seed=4) == expected
    assert stratified_split(np.array(targets), seed=4) == expected
    assert stratified_split(targets, np.array([0.8, 0.1, 0.1]), seed=4) == expected


def test_transformed_subset_refuses_the_whole_split_dict_and_bad_indices():
    dataset = TensorDataset(torch.zeros(6, 1), torch.arange(6))
    split = stratified_split([0, 1] * 3, (0.5, 0.5, 0.0))
    with pytest.raises(TypeError, match=r"pass one part of the split, e\.g\. split\['train'\], not the whole dict"):
        datasets.TransformedSubset(dataset, split)
    with pytest.raises(TypeError, match=r"indices must be ints, got 1\.0"):
        datasets.TransformedSubset(dataset, [0, 1.0])
    with pytest.raises(TypeError, match="expects a Dataset"):
        datasets.TransformedSubset(split, split["train"])
    with pytest.raises(TypeError, match="transform must be callable"):
        datasets.TransformedSubset(dataset, split["train"], transform="flip")
    assert len(datasets.TransformedSubset(dataset, torch.tensor(split["train"]))) == len(split["train"])


def test_cached_dataset_refuses_paths_pairs_and_mixed_shapes(tmp_path):
    with pytest.raises(TypeError, match="expects a Dataset"):
        datasets.CachedDataset(str(tmp_path))
    with pytest.raises(TypeError, match=r"\(image, label\) pairs"):
        datasets.CachedDataset([torch.zeros(2)])
    mixed = [(torch.zeros(1, 4, 4), 0), (torch.zeros(1, 4, 5), 1)]
    with pytest.raises(ValueError, match=r"item 1 has shape \(1, 4, 5\) but item 0 has \(1, 4, 4\).*Resize"):
        datasets.CachedDataset(mixed)


def test_class_folder_dataset_checks_class_to_idx_root_and_transform(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.new("L", (4, 4)).save(tmp_path / name / "x.png")
    with pytest.raises(TypeError, match=r"dict \{folder name: label\}"):
        ClassFolderDataset(tmp_path, class_to_idx=["a", "b"])
    for bad in ({"a": 0, "b": 0}, {"a": 1, "b": 2}, {"a": "0", "b": 1}):
        with pytest.raises(ValueError, match=r"its own label 0\.\.1"):
            ClassFolderDataset(tmp_path, class_to_idx=bad)
    with pytest.raises(FileNotFoundError, match="is a file, not a folder"):
        ClassFolderDataset(tmp_path / "a" / "x.png")
    with pytest.raises(TypeError, match="folder path"):
        ClassFolderDataset(None)
    with pytest.raises(TypeError, match="transform must be callable"):
        ClassFolderDataset(tmp_path, transform="ToTensor")
    assert ClassFolderDataset(tmp_path, class_to_idx={"b": 0}).targets == [0]


def test_truncated_png_names_the_file_and_the_rebuild_command(data_home):
    root = ensure_dataset("faces")
    damaged = root / "face" / "face_000.png"
    damaged.write_bytes(damaged.read_bytes()[:60])
    faces = ClassFolderDataset(root)
    index = faces.samples.index((damaged, 1))
    with pytest.raises(DatasetError, match=r"cannot read image .*face_000\.png.*`course data faces`"):
        faces[index]


def test_unreadable_image_outside_the_course_sets_says_replace_it(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match=r"x\.png.*replace or delete the file"):
        ClassFolderDataset(tmp_path)[0]


def test_corrupt_manifest_is_named(data_home):
    build_dataset("faces")
    manifest = data_home / "faces.manifest.json"
    manifest.write_text('{"files": ', encoding="utf-8")
    problems = verify_dataset("faces")
    assert len(problems) == 1 and problems[0].startswith(f"{manifest} is not valid JSON")
    with pytest.raises(DatasetError, match=r"faces\.manifest\.json is not valid JSON.*restore it"):
        ensure_dataset("faces")
    manifest.write_text('{"counts": {}}', encoding="utf-8")
    assert verify_dataset("faces") == [
        f'{manifest} has no "files" table; it is part of the repository: '
        f"restore it with `git checkout -- faces.manifest.json` in {data_home}"
    ]
