"""Child process of ``course grade``: execute one prepared notebook and store what came back.

Usage: ``python grade_worker.py NOTEBOOK RESULT_JSON``. The grader runs this file as a script
in a new process group, so that a timeout can kill it together with its kernel.
"""

import json
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError


def run(notebook_path: Path, result_path: Path) -> None:
    """Execute every cell (errors allowed) and save the status and the last cell's stdout."""
    notebook = nbformat.read(notebook_path, as_version=4)
    client = NotebookClient(notebook, timeout=None, kernel_name="python3", allow_errors=True,
                            record_timing=False, resources={"metadata": {"path": str(notebook_path.parent)}})
    try:
        client.execute(env=dict(os.environ))
        status = "graded"
    except DeadKernelError:
        status = "kernel died (out of memory or killed)"
    except Exception as error:  # noqa: BLE001 - any failure still yields a row
        status = f"error: {type(error).__name__}: {error}"
    outputs = notebook.cells[-1].get("outputs", [])
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    result_path.write_text(json.dumps({"status": status, "stdout": text}), encoding="utf-8")


if __name__ == "__main__":
    run(Path(sys.argv[1]), Path(sys.argv[2]))
