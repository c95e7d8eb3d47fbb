"""Read back what a ``SummaryWriter`` wrote, with TensorBoard's own reader.

A *log folder* (``runs/13_tensorboard/...``) holds one or more *runs*: every folder with
``events.out.tfevents.*`` files is one run, named by its path relative to the log folder
(``.`` for the log folder itself). ``add_scalars`` and ``add_hparams`` write into subfolders,
so one writer can make several runs. TensorBoard's web page names runs the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from tensorboard.backend.event_processing import event_accumulator

EVENT_FILE_PATTERN = "events.out.tfevents.*"


def _existing_folder(folder: str | os.PathLike, who: str) -> Path:
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"{who} takes a folder path (str or Path), got {type(folder).__name__}")
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"{who}: {path} is not a folder; pass the log_dir the SummaryWriter wrote to")
    return path


def find_runs(logdir: str | os.PathLike) -> list[str]:
    """The runs under ``logdir``: relative folder names holding event files, sorted (``.`` first)."""
    root = _existing_folder(logdir, "find_runs")
    runs = {file.parent.relative_to(root).as_posix() for file in root.rglob(EVENT_FILE_PATTERN) if file.is_file()}
    return sorted(runs, key=lambda run: (run != ".", run))


def load_run(run_dir: str | os.PathLike) -> event_accumulator.EventAccumulator:
    """Every event of the run in ``run_dir`` (its own files, not its subfolders), none sampled away.

    The result is TensorBoard's ``EventAccumulator``: ``.Tags()`` lists the tags by kind;
    ``.Scalars(tag)``, ``.Histograms(tag)`` and ``.Images(tag)`` give the events with their steps.
    """
    folder = _existing_folder(run_dir, "load_run")
    if not any(file.is_file() for file in folder.glob(EVENT_FILE_PATTERN)):
        below = find_runs(folder)
        hint = (
            f"; the runs below it are {below}"
            if below
            else "; a SummaryWriter creates its file on the first add_* call, and writer.close() flushes it"
        )
        raise FileNotFoundError(f"load_run: no TensorBoard event files ({EVENT_FILE_PATTERN}) in {folder}{hint}")
    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance=event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE
    )
    return accumulator.Reload()


def read_scalars(run_dir: str | os.PathLike) -> dict[str, list[tuple[int, float]]]:
    """Every scalar tag of one run: its ``(step, value)`` pairs in the order they were written."""
    run = load_run(run_dir)
    return {tag: [(event.step, event.value) for event in run.Scalars(tag)] for tag in sorted(run.Tags()["scalars"])}


def read_all_scalars(logdir: str | os.PathLike) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """:func:`read_scalars` for every run under ``logdir``, keyed by run name as TensorBoard shows it."""
    root = _existing_folder(logdir, "read_all_scalars")
    runs = find_runs(root)
    if not runs:
        raise FileNotFoundError(f"read_all_scalars: no TensorBoard event files ({EVENT_FILE_PATTERN}) under {root}")
    return {run: read_scalars(root / run) for run in runs}
