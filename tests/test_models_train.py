"""LeNet variants, the training loop and the confusion matrix, on tiny problems."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tools.datasets import split_labels, stratified_split
from tools.models import LeNet, LeNet2, count_parameters, initialize_weights
from tools.train import confusion_matrix, digit_test_setup, evaluate, fit, predict, run_epoch

LENET_RGB_PARAMETERS = 456 + 2416 + 48120 + 10164 + 850  # conv1, conv2, fc1, fc2, fc3


@pytest.mark.parametrize("model_class", [LeNet, LeNet2])
def test_lenet_shapes_and_parameter_counts(model_class):
    model = model_class(classes=10, in_channels=3)
    assert model(torch.zeros(4, 3, 32, 32)).shape == (4, 10)
    assert count_parameters(model) == LENET_RGB_PARAMETERS
    grey = model_class(classes=2, in_channels=1)
    assert count_parameters(grey) == LENET_RGB_PARAMETERS - 2 * 6 * 25 - 8 * (84 + 1)
    assert grey(torch.zeros(1, 1, 32, 32)).shape == (1, 2)


def test_lenet_conv1_holds_456_parameters():
    assert count_parameters(LeNet().conv1) == 456


def test_count_trainable_only():
    model = LeNet()
    model.conv1.requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == LENET_RGB_PARAMETERS - 456


def test_initialize_weights_scheme():
    torch.manual_seed(0)
    model = LeNet().initialize_weights()
    assert all(torch.count_nonzero(m.bias) == 0 for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    assert abs(model.fc1.weight.std().item() - 0.1) < 0.01
    bn = initialize_weights(nn.Sequential(nn.BatchNorm2d(3)))[0]
    assert torch.equal(bn.weight, torch.ones(3)) and torch.equal(bn.bias, torch.zeros(3))


def test_lenet_rejects_bad_sizes():
    with pytest.raises(ValueError, match="positive"):
        LeNet(classes=0)


def _blobs(n: int = 200, seed: int = 0) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    points = torch.randn(n, 2, generator=generator) * 0.5 + (labels.float().unsqueeze(1) * 4 - 2)
    return TensorDataset(points, labels)


def test_fit_learns_separable_blobs_and_keeps_best_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    train = DataLoader(_blobs(seed=1), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    valid = DataLoader(_blobs(seed=2), batch_size=64)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    checkpoint = tmp_path / "ckpt" / "best.pt"
    history = fit(
        model,
        train,
        valid,
        nn.CrossEntropyLoss(),
        optimizer,
        epochs=4,
        device=torch.device("cpu"),
        scheduler=scheduler,
        checkpoint=checkpoint,
        progress=False,
    )
    assert len(history.train_loss) == len(history.valid_acc) == 4
    assert history.valid_acc[-1] == 1.0 and history.train_loss[-1] < history.train_loss[0]
    assert history.best_valid_acc == max(history.valid_acc)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.025)
    best = nn.Linear(2, 2)
    best.load_state_dict(torch.load(checkpoint, weights_only=True))
    assert evaluate(best, valid, nn.CrossEntropyLoss(), torch.device("cpu"))[1] == history.best_valid_acc
    assert not model.training  # left in eval mode by the last validation pass


def test_fit_steps_plateau_scheduler_with_validation_loss():
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    loader = DataLoader(_blobs(), batch_size=50)
    fit(
        model,
        loader,
        loader,
        nn.CrossEntropyLoss(),
        optimizer,
        2,
        torch.device("cpu"),
        scheduler=scheduler,
        progress=False,
    )
    assert scheduler.best < float("inf")


def test_fit_and_evaluate_refuse_bad_input():
    model = nn.Linear(2, 2)
    empty = DataLoader(TensorDataset(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)), batch_size=4, drop_last=True)
    with pytest.raises(ValueError, match="no samples"):
        evaluate(model, empty, nn.CrossEntropyLoss(), torch.device("cpu"))
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        fit(
            model,
            empty,
            empty,
            nn.CrossEntropyLoss(),
            torch.optim.SGD(model.parameters(), lr=0.1),
            0,
            torch.device("cpu"),
        )


def test_predict_and_confusion_matrix():
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[-1.0, 0.0], [1.0, 0.0]]))
        model.bias.zero_()
    predictions, targets = predict(model, DataLoader(_blobs(), batch_size=64), torch.device("cpu"))
    assert predictions.shape == targets.shape == (200,)
    matrix = confusion_matrix(predictions, targets, classes=2)
    assert matrix.sum() == 200 and torch.equal(matrix, torch.diag(matrix.diag()))
    assert torch.equal(
        confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 0, 2]), 3),
        torch.tensor([[1, 1, 0], [0, 0, 0], [0, 1, 0]]),
    )


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([0]), 2)
    with pytest.raises(ValueError, match=r"0\.\.1"):
        confusion_matrix(torch.tensor([0, 2]), torch.tensor([0, 1]), 2)


def test_count_parameters_of_a_tensor_says_numel():
    with pytest.raises(TypeError, match=r"expects an nn.Module \(a model\), got Tensor; for a tensor use t\.numel\(\)"):
        count_parameters(torch.zeros(3, 4))


def test_initialize_weights_without_bias_or_affine():
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, bias=False),
        nn.Linear(4, 2, bias=False),
        nn.BatchNorm2d(2, affine=False),
        nn.BatchNorm1d(3),
        nn.BatchNorm3d(2, affine=False),
    )
    with torch.no_grad():
        model[3].weight.fill_(5.0)
        model[3].bias.fill_(5.0)
    assert initialize_weights(model) is model
    assert torch.equal(model[3].weight, torch.ones(3)) and torch.equal(model[3].bias, torch.zeros(3))
    with pytest.raises(TypeError, match=r"nn\.Module"):
        initialize_weights([nn.Linear(2, 2)])


@pytest.mark.parametrize("model_class", [LeNet, LeNet2])
def test_lenet_refuses_28_pixel_images_with_how_to_pad(model_class):
    model = model_class(classes=10, in_channels=1)
    with pytest.raises(
        ValueError, match=r"\[N, C, 32, 32\], got \(2, 1, 28, 28\).*Pad\(2\).*F\.pad\(x, \(2, 2, 2, 2\)\)"
    ):
        model(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"x\.unsqueeze\(0\)"):
        model(torch.zeros(1, 32, 32))
    padded = nn.functional.pad(torch.zeros(2, 1, 28, 28), (2, 2, 2, 2))
    assert model(padded).shape == (2, 10)


def test_lenet_channel_mismatch_is_still_conv1s_error():
    with pytest.raises(RuntimeError, match="expected input\\[1, 3, 32, 32\\] to have 1 channels"):
        LeNet(classes=10, in_channels=1)(torch.zeros(1, 3, 32, 32))


@pytest.mark.parametrize("kwargs", [{"classes": 2.5}, {"in_channels": True}, {"classes": -1}])
def test_lenet_sizes_must_be_positive_ints(kwargs):
    for model_class in (LeNet, LeNet2):
        with pytest.raises(ValueError, match="positive ints"):
            model_class(**kwargs)


def _fit_args(model=None):
    model = model or nn.Linear(2, 2)
    loader = DataLoader(_blobs(20), batch_size=10)
    return dict(
        model=model,
        train_loader=loader,
        valid_loader=loader,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        epochs=1,
        device=torch.device("cpu"),
        progress=False,
    )


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"optimizer": None}, TypeError, r"fit needs an optimizer to train, got NoneType"),
        (
            {"optimizer": torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)},
            ValueError,
            "holds none of the model's parameters",
        ),
        ({"loss_fn": "cross_entropy"}, TypeError, "loss_fn must be a loss function"),
        ({"epochs": 2.0}, TypeError, "epochs must be an int"),
        ({"epochs": True}, TypeError, "epochs must be an int"),
        ({"model": "lenet"}, TypeError, r"fit expects an nn.Module"),
        ({"train_loader": _blobs(4)}, TypeError, r"train_loader must be a DataLoader.*DataLoader\(dataset"),
        ({"valid_loader": []}, ValueError, "valid_loader yields no samples"),
        ({"scheduler": 0.5}, TypeError, "scheduler must be"),
        ({"checkpoint": 3}, TypeError, "checkpoint must be a file path"),
    ],
)
def test_fit_refuses_bad_arguments_before_training(change, error, message):
    args = _fit_args()
    before = [p.clone() for p in args["model"].parameters()] if isinstance(args["model"], nn.Module) else []
    args.update(change)
    with pytest.raises(error, match=message):
        fit(**args)
    if isinstance(args["model"], nn.Module):
        assert all(torch.equal(a, b) for a, b in zip(before, args["model"].parameters()))


def test_fit_refuses_an_unwritable_checkpoint_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    folder = tmp_path / "ckpt"
    folder.mkdir()
    for checkpoint, message in (
        (blocker / "best.pt", "cannot write the checkpoint .*file/best.pt"),
        (folder, r"checkpoint .*ckpt is a folder; pass a file path inside it"),
    ):
        args = _fit_args()
        before = args["model"].weight.clone()
        with pytest.raises((OSError, ValueError), match=message):
            fit(**args, checkpoint=checkpoint)
        assert torch.equal(args["model"].weight, before)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["ckpt", "file"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write any folder")
def test_fit_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    try:
        with pytest.raises(OSError, match=r"cannot write the checkpoint .*locked/best\.pt"):
            fit(**_fit_args(), checkpoint=folder / "best.pt")
    finally:
        folder.chmod(0o700)


def test_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    def broken_save(state, path):
        Path(path).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    checkpoint = tmp_path / "best.pt"
    with pytest.raises(OSError, match="disk full"):
        fit(**_fit_args(), checkpoint=checkpoint)
    assert list(tmp_path.iterdir()) == []


def test_fit_checkpoint_leaves_only_the_checkpoint(tmp_path):
    fit(**_fit_args(), checkpoint=str(tmp_path / "best.pt"))
    assert [p.name for p in tmp_path.iterdir()] == ["best.pt"]


def test_run_epoch_refuses_non_scalar_loss_and_non_class_outputs():
    loader = DataLoader(_blobs(20), batch_size=10)
    with pytest.raises(ValueError, match=r"loss_fn must return one number.*reduction='mean'"):
        evaluate(nn.Linear(2, 2), loader, nn.CrossEntropyLoss(reduction="none"), torch.device("cpu"))
    with pytest.raises(ValueError, match=r"class scores of shape \[N, classes\].*outputs of shape \(10, 1\)"):
        evaluate(nn.Linear(2, 1), loader, nn.MSELoss(), torch.device("cpu"))
    singles = DataLoader(TensorDataset(torch.zeros(4, 2)), batch_size=2)
    with pytest.raises(ValueError, match=r"\(inputs, targets\) pairs"):
        predict(nn.Linear(2, 2), singles, torch.device("cpu"))
    with pytest.raises(TypeError, match="optimizer must be"):
        run_epoch(nn.Linear(2, 2), loader, nn.CrossEntropyLoss(), torch.device("cpu"), optimizer="sgd")


@pytest.mark.parametrize(
    "predictions, targets, classes, error, message",
    [
        (torch.tensor([0.9, 0.2]), torch.tensor([1, 0]), 2, TypeError, r"outputs\.argmax\(dim=1\)"),
        (torch.tensor([1, 0]), torch.tensor([1.0, 0.0]), 2, TypeError, "targets must hold class indices"),
        ([1, 0], torch.tensor([1, 0]), 2, TypeError, r"torch\.tensor\(predictions\)"),
        (torch.tensor([1, 0]), torch.tensor([1, 0]), 0, ValueError, "classes must be a positive int"),
        (torch.tensor([1, 0]), torch.tensor([1, 0]), 2.0, ValueError, "classes must be a positive int"),
    ],
)
def test_confusion_matrix_refuses_scores_lists_and_bad_classes(predictions, targets, classes, error, message):
    with pytest.raises(error, match=message):
        confusion_matrix(predictions, targets, classes)


def test_digit_test_setup_rebuilds_lesson_09s_model_and_test_split():
    """The exercise checks judge a student's weights on the same normalised test digits."""
    torch.manual_seed(0)
    weights = LeNet(classes=10, in_channels=1).state_dict()
    setup = digit_test_setup(weights)
    assert not setup.model.training and torch.equal(setup.model.conv1.weight, weights["conv1.weight"])
    assert len(setup.test) == 500 and torch.equal(setup.truth, split_labels("digits", "test"))
    assert setup.images.shape[1:] == (1, 32, 32) and 0 <= setup.images.min() and setup.images.max() <= 1
    train_part = setup.normalize(setup.images[stratified_split(setup.files.targets, seed=0)["train"]])
    assert abs(train_part.mean().item()) < 1e-4 and abs(train_part.std().item() - 1) < 1e-4
    with torch.no_grad():
        expected = setup.model(setup.normalize(setup.images[setup.test]))
    assert torch.equal(setup.scores, expected)
    assert setup.accuracy == (expected.argmax(dim=1) == setup.truth).float().mean().item()
    with pytest.raises(AssertionError, match=r"expected best_model\.state_dict"):
        digit_test_setup({"conv1.weight": torch.zeros(6, 3, 5, 5)})
    with pytest.raises(AssertionError, match=r"conv1\.weight should be a tensor of shape \(6, 1, 5, 5\)"):
        digit_test_setup({**weights, "conv1.weight": torch.zeros(6, 3, 5, 5)})
    # load_state_dict would quietly turn integers into float weights
    with pytest.raises(AssertionError, match=r"fc3\.bias should be torch\.float32, got torch\.int64"):
        digit_test_setup({**weights, "fc3.bias": weights["fc3.bias"].long()})
