"""Progress bars for lessons: ``from tools import tqdm``.

``tqdm.auto`` draws a widget bar when ipywidgets is installed and otherwise falls back to a
text bar after warning about it. The course uses the text bar everywhere (it reads the same
in JupyterLab, a terminal and a stored notebook), so the warning is only noise.
"""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="IProgress not found")
    from tqdm.auto import tqdm

__all__ = ["tqdm"]
