"""Hello PyTorch's shared helpers: what the lessons import with ``from tools import ...``."""

from tools.grading import advise_exercise, check_exercise
from tools.metrics import load_metrics, record_metrics
from tools.plotting import plot_confusion_matrix, plot_history, show_images, use_course_style
from tools.progress import tqdm
from tools.runtime import get_device, get_memory_info, project_root, runs_dir, set_seed
from tools.transforms import transform_invert

__all__ = [
    "advise_exercise",
    "check_exercise",
    "get_device",
    "get_memory_info",
    "load_metrics",
    "plot_confusion_matrix",
    "plot_history",
    "project_root",
    "record_metrics",
    "runs_dir",
    "set_seed",
    "show_images",
    "tqdm",
    "transform_invert",
    "use_course_style",
]
