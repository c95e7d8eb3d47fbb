"""LeNet variants, the training loop and the confusion matrix, on tiny problems."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tools.models import LeNet, LeNet2, count_parameters, initialize_weights
from tools.train import confusion_matrix, evaluate, fit, predict

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
    history = fit(model, train, valid, nn.CrossEntropyLoss(), optimizer, epochs=4, device=torch.device("cpu"),
                  scheduler=scheduler, checkpoint=checkpoint, progress=False)
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
    fit(model, loader, loader, nn.CrossEntropyLoss(), optimizer, 2, torch.device("cpu"), scheduler=scheduler,
        progress=False)
    assert scheduler.best < float("inf")


def test_fit_and_evaluate_refuse_bad_input():
    model = nn.Linear(2, 2)
    empty = DataLoader(TensorDataset(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)), batch_size=4,
                       drop_last=True)
    with pytest.raises(ValueError, match="no samples"):
        evaluate(model, empty, nn.CrossEntropyLoss(), torch.device("cpu"))
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        fit(model, empty, empty, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), 0,
            torch.device("cpu"))


def test_predict_and_confusion_matrix():
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[-1.0, 0.0], [1.0, 0.0]]))
        model.bias.zero_()
    predictions, targets = predict(model, DataLoader(_blobs(), batch_size=64), torch.device("cpu"))
    assert predictions.shape == targets.shape == (200,)
    matrix = confusion_matrix(predictions, targets, classes=2)
    assert matrix.sum() == 200 and torch.equal(matrix, torch.diag(matrix.diag()))
    assert torch.equal(confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 0, 2]), 3),
                       torch.tensor([[1, 1, 0], [0, 0, 0], [0, 1, 0]]))


def test_confusion_matrix_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([0]), 2)
    with pytest.raises(ValueError, match=r"0\.\.1"):
        confusion_matrix(torch.tensor([0, 2]), torch.tensor([0, 1]), 2)
