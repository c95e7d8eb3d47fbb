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
