"""Reading TensorBoard event files back (tools.tensorboard_logs) on logs a real SummaryWriter wrote."""

from __future__ import annotations

import pytest
import torch
from torch.utils.tensorboard import SummaryWriter

from tools.tensorboard_logs import find_runs, load_run, read_all_scalars, read_scalars


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("logs") / "experiment"
    with SummaryWriter(folder) as writer:
        for step in range(4):
            writer.add_scalar("loss/train", 1.0 / (step + 1), step)
        writer.add_scalar("lr", 0.25, 10)
        writer.add_scalars("accuracy", {"train": 0.5, "valid": 0.375}, 3)
        writer.add_histogram("weights", torch.arange(10.0), 0)
        writer.add_image("picture", torch.zeros(3, 4, 5), 7)
    return folder


def test_runs_are_the_folders_with_event_files_root_first(logdir):
    assert find_runs(logdir) == [".", "accuracy_train", "accuracy_valid"]


def test_scalars_come_back_by_tag_and_step(logdir):
    scalars = read_scalars(logdir)
    assert sorted(scalars) == ["loss/train", "lr"]
    assert scalars["loss/train"] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3)), (3, 0.25)]
    assert scalars["lr"] == [(10, 0.25)]


def test_add_scalars_makes_one_run_per_curve(logdir):
    everything = read_all_scalars(logdir)
    assert everything["accuracy_train"] == {"accuracy": [(3, 0.5)]}
    assert everything["accuracy_valid"] == {"accuracy": [(3, 0.375)]}
    assert set(everything) == {".", "accuracy_train", "accuracy_valid"}


def test_histograms_and_images_keep_their_content(logdir):
    run = load_run(logdir)
    histogram = run.Histograms("weights")[0].histogram_value
    assert (histogram.min, histogram.max, histogram.num, histogram.sum) == (0.0, 9.0, 10.0, 45.0)
    image = run.Images("picture")[0]
    assert (image.step, image.height, image.width) == (7, 4, 5)
    assert image.encoded_image_string.startswith(b"\x89PNG")


def test_a_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder; pass the log_dir"):
        read_scalars(tmp_path / "nowhere")


def test_a_folder_without_events_says_why(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no TensorBoard event files .* writer.close\(\) flushes it"):
        load_run(tmp_path)
    with pytest.raises(FileNotFoundError, match="no TensorBoard event files"):
        read_all_scalars(tmp_path)


def test_a_parent_of_runs_points_to_them(logdir):
    with pytest.raises(FileNotFoundError, match=r"the runs below it are \['experiment', 'experiment/accuracy_train'"):
        load_run(logdir.parent)


def test_a_non_path_is_a_type_error():
    with pytest.raises(TypeError, match="takes a folder path"):
        find_runs(42)
