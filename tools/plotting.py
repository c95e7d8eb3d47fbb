"""Figures that look the same on every machine, with one call per picture."""

from __future__ import annotations

import matplotlib as mpl


def use_course_style() -> None:
    """Inline figures at a fixed size and resolution, PNGs free of version strings.

    Call it in a lesson's first cell. Outside IPython it only sets the style.
    """
    mpl.rcParams.update(
        {
            "figure.figsize": (6.0, 4.0),
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "font.size": 10,
        }
    )
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    shell.run_line_magic("matplotlib", "inline")
    shell.run_line_magic(
        "config",
        "InlineBackend.print_figure_kwargs = {'bbox_inches': 'tight', 'metadata': {'Software': None}}",
    )
