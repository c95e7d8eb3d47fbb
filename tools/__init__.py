"""Hello PyTorch's shared helpers: what the lessons import with ``from tools import ...``."""

from tools.grading import check_exercise
from tools.metrics import load_metrics, record_metrics
from tools.plotting import use_course_style
from tools.runtime import get_device, get_memory_info, project_root, runs_dir, set_seed
from tools.transforms import transform_invert

__all__ = [
    "check_exercise",
    "get_device",
    "get_memory_info",
    "load_metrics",
    "project_root",
    "record_metrics",
    "runs_dir",
    "set_seed",
    "transform_invert",
    "use_course_style",
]
