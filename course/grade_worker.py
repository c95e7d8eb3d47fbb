"""Child process of ``course grade``, run inside the sandbox: execute one prepared notebook.

Usage: ``python grade_worker.py NOTEBOOK STATUS_JSON``. Only the run's status is written; the
answers are saved by the notebook's check cells, and nothing here is trusted by the grader
beyond a status taken from a fixed list.
"""

import json
import os
import sys
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the project (in the sandbox: its course/ and tools/)
from course.kernels import execute_privately  # noqa: E402 - needs the line above


def run(notebook_path: Path, status_path: Path) -> None:
    """Execute every cell (errors allowed) and save how the run ended.

    The kernel listens on Unix sockets in a private folder under ``TMPDIR`` (in the sandbox its
    own ``/tmp``), never on a TCP port (:mod:`course.kernels`).
    """
    notebook = nbformat.read(notebook_path, as_version=4)
    try:
        execute_privately(
            notebook, notebook_path.parent, dict(os.environ), timeout=None, allow_errors=True, record_timing=False
        )
        status = "graded"
    except DeadKernelError:
        status = "kernel died (out of memory or killed)"
    except Exception:  # noqa: BLE001 - any failure still yields a row
        status = "the notebook could not be executed"
    status_path.write_text(json.dumps({"status": status}), encoding="utf-8")


if __name__ == "__main__":
    run(Path(sys.argv[1]), Path(sys.argv[2]))
