"""Jupyter kernels that talk over Unix sockets in a private folder instead of loopback TCP ports.

A kernel listening on a TCP port of 127.0.0.1 can be reached by every user of the machine, and
ipykernel says so at every start ("Kernel is running over TCP without encryption"). A kernel
on IPC sockets in a folder only its owner may enter (mode 0700, as ``tempfile.mkdtemp`` makes
it) cannot be reached by anyone else. Every kernel the course starts (``course run``,
``course baseline``, the test harness, the grader with or without its sandbox) is made here:
the current Python's ipykernel, started through :mod:`course.ipc_kernel`, which moves the one
socket ipykernel always puts on TCP into the private folder as well.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import ipykernel.kernelspec
import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

LAUNCHER = Path(__file__).with_name("ipc_kernel.py")
LONGEST_SOCKET_NAME = "subprocess-pipe"  # beside kernel-1 ... kernel-5 (see course.ipc_kernel)
MAX_SOCKET_PATH_BYTES = 107


class PrivateKernelSpecs(KernelSpecManager):
    """Every kernel name means this Python's ipykernel, launched by :data:`LAUNCHER`."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = ipykernel.kernelspec.get_kernel_dict()
        spec["argv"] = [sys.executable, str(LAUNCHER), "-f", "{connection_file}"]
        return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)


def private_kernel_folder(parent: Path | None = None) -> Path:
    """A new folder, readable and writable by this user only, for one kernel's sockets: in
    ``parent`` (default: the temporary folder), or in ``/tmp`` when that path is too long for a
    Unix socket (Linux allows 107 bytes, and ``TMPDIR`` may be deep)."""
    for where in dict.fromkeys([parent, None, Path("/tmp")]):
        folder = Path(tempfile.mkdtemp(prefix="course-kernel-", dir=where))
        if len(os.fsencode(folder / LONGEST_SOCKET_NAME)) <= MAX_SOCKET_PATH_BYTES:
            return folder
        folder.rmdir()
    raise OSError(
        f"no temporary folder has a path short enough for a kernel's sockets (at most "
        f"{MAX_SOCKET_PATH_BYTES} bytes); set TMPDIR to a short path such as /tmp"
    )


def private_kernel_manager(folder: Path, manager_class: type[KernelManager] = AsyncKernelManager) -> KernelManager:
    """A manager (of ``manager_class``) for a kernel of this Python whose sockets are all Unix
    sockets in ``folder`` (with its connection file), never a TCP port.

    nbclient needs the asynchronous manager (with a blocking one it cannot notice that a kernel
    died, and waits forever); nbval drives its kernel synchronously and passes ``KernelManager``.
    """
    return manager_class(
        kernel_name="python3",
        kernel_spec_manager=PrivateKernelSpecs(),
        transport="ipc",
        ip=str(folder / "kernel"),
        connection_file=str(folder / "kernel.json"),
    )


def execute_privately(
    notebook: nbformat.NotebookNode, cwd: Path, env: dict[str, str], **client_options: object
) -> None:
    """Run ``notebook`` with nbclient (``client_options`` go to ``NotebookClient``) in a kernel of
    this Python started in ``cwd`` on private sockets; the kernel is shut down and its folder
    removed afterwards, however the run ends (nbclient leaves running a kernel it did not start)."""
    folder = private_kernel_folder()
    manager = private_kernel_manager(folder)
    try:
        client = NotebookClient(notebook, km=manager, resources={"metadata": {"path": str(cwd)}}, **client_options)
        client.execute(env=env)
    finally:
        if run_sync(manager.is_alive)():
            run_sync(manager.shutdown_kernel)()  # gracefully, as nbclient does with its own kernels
        shutil.rmtree(folder, ignore_errors=True)
