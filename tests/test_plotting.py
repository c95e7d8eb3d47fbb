import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from PIL import Image

from tools.plotting import plot_confusion_matrix, plot_history, show_images, use_course_style
from tools.train import History


def test_show_images_grid_from_batch_and_pil():
    figure = show_images(torch.rand(10, 1, 8, 8), titles=[str(i) for i in range(10)], ncols=4)
    assert len(figure.axes) == 12 and figure.axes[0].get_title() == "0"
    figure = show_images([torch.rand(3, 8, 8), Image.new("RGB", (8, 8))])
    assert len(figure.axes) == 2


def test_show_images_errors():
    with pytest.raises(ValueError, match="no images"):
        show_images([])
    with pytest.raises(ValueError, match="2 titles for 1 images"):
        show_images(torch.rand(1, 1, 4, 4), titles=["a", "b"])
    with pytest.raises(ValueError, match=r"\[C, H, W\]"):
        show_images([torch.rand(4, 4)])
    with pytest.raises(TypeError, match="PIL image"):
        show_images([[1, 2]])


def test_plot_history_and_confusion_matrix():
    history = History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.8], valid_loss=[1.1, 0.6], valid_acc=[0.4, 0.7])
    figure = plot_history(history, title="demo")
    assert [a.get_title() for a in figure.axes] == ["loss", "accuracy"]
    assert len(figure.axes[0].lines) == 2
    figure = plot_confusion_matrix(torch.tensor([[3, 1], [0, 4]]), ["cat", "dog"])
    assert [t.get_text() for t in figure.axes[0].texts] == ["3", "1", "0", "4"]
    with pytest.raises(ValueError, match="one row per class name"):
        plot_confusion_matrix(torch.zeros(2, 3), ["a", "b"])


def test_use_course_style_outside_ipython():
    use_course_style()
    assert matplotlib.rcParams["figure.figsize"] == [6.0, 4.0]


def test_show_images_refuses_one_image_bad_titles_and_layout():
    with pytest.raises(ValueError, match=r"one image of shape \(3, 8, 8\).*show_images\(\[image\]\)"):
        show_images(torch.rand(3, 8, 8))
    with pytest.raises(ValueError, match=r"show_images\(\[image\]\)"):
        show_images(Image.new("L", (4, 4)))
    with pytest.raises(ValueError, match=r"batch tensor \[N, C, H, W\]"):
        show_images(torch.rand(8, 8))
    with pytest.raises(TypeError, match="one title per image"):
        show_images(torch.rand(3, 1, 4, 4), titles="abc")
    with pytest.raises(ValueError, match="ncols must be a positive int"):
        show_images(torch.rand(2, 1, 4, 4), ncols=0)
    with pytest.raises(ValueError, match="size must be a positive number"):
        show_images(torch.rand(2, 1, 4, 4), size=0)


def test_show_images_draws_uint8_colour_as_pixels():
    pixels = torch.full((3, 4, 4), 200, dtype=torch.uint8)
    drawn = show_images([pixels]).axes[0].images[0].get_array()
    assert drawn.max() == 200


def test_plot_history_refuses_other_objects_and_ragged_or_empty_curves():
    with pytest.raises(TypeError, match=r"History that tools\.train\.fit returns"):
        plot_history({"train_loss": [1.0]})
    with pytest.raises(ValueError, match="one value per epoch"):
        plot_history(History(train_loss=[1.0, 0.5], train_acc=[0.5], valid_loss=[1.0], valid_acc=[0.5]))
    with pytest.raises(ValueError, match="no epochs yet"):
        plot_history(History())


def test_plot_confusion_matrix_refuses_bad_names_and_matrix():
    with pytest.raises(TypeError, match="one name per class"):
        plot_confusion_matrix(torch.eye(2), 2)
    with pytest.raises(TypeError, match="one name per class"):
        plot_confusion_matrix(torch.eye(2), [])
    with pytest.raises(TypeError, match=r"\[classes, classes\] tensor of counts"):
        plot_confusion_matrix(["cat", "dog"], ["cat", "dog"])
