"""A bubblewrap sandbox for code the course did not write (students' submissions).

:func:`sandbox_command` wraps a command so that it runs with the folders it is given (for the
grader: the project's ``tools`` and ``course`` packages and datasets) and the Python installation read-only,
one private writable folder mounted as ``/tmp``, no network (a network namespace of its own
with only loopback), a PID namespace of its own (killing the sandbox kills every process
started inside it), no capabilities, no user namespaces of its own, an unprivileged user id,
and limits on each process's address space and on the size of each file it writes. Nothing
else of the machine is mounted: not the home folders, not the instructor's hidden checks, not
other students' files.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

INSTALL_COMMAND = "sudo apt-get install bubblewrap"
DEFAULT_MEMORY_LIMIT_GIB = 8
MAX_FILE_BYTES = 2**30  # the private /tmp lives on the host's disk: no single file above 1 GiB
# System folders a Python process needs; on merged-/usr systems some are symlinks into /usr.
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts", "/etc/ssl/certs/ca-certificates.crt")


def python_folders() -> list[Path]:
    """The folders the running Python needs read-only: its installation and its environment."""
    folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(sys.executable).resolve().parent}
    return sorted(folders)


def sandbox_command(
    command: list[str],
    writable: Path,
    read_only: list[Path],
    hidden: Sequence[Path] = (),
    memory_limit_gib: float = DEFAULT_MEMORY_LIMIT_GIB,
    workdir: str = "/tmp",
) -> list[str]:
    """``command`` wrapped in ``prlimit`` and ``bwrap``.

    ``writable`` (a folder of the caller's) becomes ``/tmp`` inside, the only writable place;
    ``read_only`` folders keep their paths; every folder in ``hidden`` that lies inside one of
    them is covered by an empty in-memory folder.
    """
    args = [
        "prlimit",
        f"--as={int(memory_limit_gib * 2**30)}",
        f"--fsize={MAX_FILE_BYTES}",
        "--core=0",
        "--",
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--disable-userns",
        "--assert-userns-disabled",
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
    ]
    for folder in SYSTEM_FOLDERS:
        path = Path(folder)
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    for file in SYSTEM_FILES:
        args += ["--ro-bind-try", file, file]
    args += ["--bind", str(writable), "/tmp"]  # first, so that read-only folders under /tmp stay visible
    for folder in sorted({Path(p).resolve() for p in read_only}):
        args += ["--ro-bind", str(folder), str(folder)]
    roots = [Path(p).resolve() for p in read_only]
    for folder in sorted({Path(p).resolve() for p in hidden}):
        if any(folder == root or root in folder.parents for root in roots) and folder.is_dir():
            args += ["--tmpfs", str(folder)]
    args += ["--chdir", workdir, "--"]
    return args + command


@functools.cache
def sandbox_problem() -> str | None:
    """Why no sandbox can be made here, in one line, or ``None`` when one works."""
    missing = [tool for tool in ("bwrap", "prlimit") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found: install bubblewrap ({INSTALL_COMMAND}, or `make sandbox`)"
    with tempfile.TemporaryDirectory(prefix="course-sandbox-probe-") as folder:
        probe = sandbox_command([sys.executable, "-c", "print('ok')"], Path(folder), python_folders())
        try:
            result = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not start a sandbox: {error}"
    if result.returncode != 0 or result.stdout.strip() != "ok":
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap could not start a sandbox ({detail}); unprivileged user namespaces may be disabled"
    return None
