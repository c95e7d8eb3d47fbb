import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms as T

from tools.transforms import transform_invert


def _photo(mode: str) -> Image.Image:
    rng = np.random.default_rng(0)
    shape = (12, 10, 3) if mode == "RGB" else (12, 10)
    return Image.fromarray(rng.integers(0, 256, size=shape, dtype=np.uint8))


@pytest.mark.parametrize(
    "mode, mean, std",
    [("RGB", (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)), ("L", (0.5,), (0.25,))],
)
def test_round_trip_within_one_level(mode, mean, std):
    photo = _photo(mode)
    pipeline = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    restored = transform_invert(pipeline(photo), pipeline)
    assert restored.mode == mode and restored.size == photo.size
    difference = np.abs(np.asarray(restored, dtype=int) - np.asarray(photo, dtype=int))
    assert difference.max() <= 1


def test_without_transform_and_uint8():
    photo = _photo("RGB")
    assert np.array_equal(np.asarray(transform_invert(T.ToTensor()(photo))), np.asarray(photo))
    assert np.array_equal(np.asarray(transform_invert(T.PILToTensor()(photo))), np.asarray(photo))


def test_bad_inputs_say_what_to_do():
    with pytest.raises(TypeError, match="apply the transform"):
        transform_invert(_photo("RGB"))
    with pytest.raises(ValueError, match=r"pass one image: image\[0\]"):
        transform_invert(torch.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError, match="C = 1 or 3"):
        transform_invert(torch.zeros(4, 5, 5))
    with pytest.raises(ValueError, match="C = 1 or 3"):
        transform_invert(torch.zeros(5, 5))
    with pytest.raises(TypeError, match="Compose"):
        transform_invert(torch.zeros(3, 4, 4), T.ToTensor())


def test_three_channel_normalize_on_grey_image_is_refused():
    pipeline = T.Compose([T.ToTensor(), T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    grey = T.ToTensor()(_photo("L"))
    with pytest.raises(ValueError, match=r"Normalize has 3 mean values .* image has 1 channel"):
        transform_invert(grey, pipeline)


def test_one_value_normalize_fits_any_channel_count():
    photo = _photo("RGB")
    pipeline = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.25,))])
    restored = transform_invert(pipeline(photo), pipeline)
    assert np.abs(np.asarray(restored, dtype=int) - np.asarray(photo, dtype=int)).max() <= 1


def test_integer_pixels_other_than_uint8_are_refused():
    with pytest.raises(TypeError, match=r"ToTensor.*PILToTensor"):
        transform_invert(torch.zeros(3, 4, 4, dtype=torch.int64))
