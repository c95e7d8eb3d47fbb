"""The bubblewrap sandbox on its own: what a process inside can see, write and reach."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course.sandbox import python_folders, sandbox_command, sandbox_problem
from tools.runtime import project_root

pytestmark = pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}")

PROBE = """
import json, os, socket, subprocess
seen = {"uid": os.getuid(), "pid": os.getpid(), "tmp": sorted(os.listdir("/tmp")),
        "runs": sorted(os.listdir(os.path.join(os.environ["PROJECT"], "runs"))),
        "outside": os.path.exists(os.environ["OUTSIDE"])}
for name, action in {"project": lambda: open(os.path.join(os.environ["PROJECT"], "tools", "x"), "w"),
                     "private": lambda: open("/tmp/written", "w"),
                     "network": lambda: socket.create_connection(("1.1.1.1", 53), timeout=2)}.items():
    try:
        action()
        seen[name] = "allowed"
    except OSError as error:
        seen[name] = type(error).__name__
seen["nested user namespace"] = subprocess.run(["unshare", "-U", "true"], capture_output=True).returncode == 0
print(json.dumps(seen))
"""


def test_inside_sees_only_what_it_needs(tmp_path):
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "mine.txt").write_text("mine")
    (tmp_path / "outside.txt").write_text("another student's file")
    command = sandbox_command(
        [sys.executable, "-c", PROBE],
        tmp_path / "private",
        [project_root(), *python_folders()],
        hidden=[project_root() / "runs"],
    )
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PROJECT": str(project_root()), "OUTSIDE": str(tmp_path / "outside.txt"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["uid"] == 65534 and seen["pid"] <= 3, "an unprivileged user in a PID namespace of its own"
    # Read-only folders that lie under /tmp (a project cloned there) appear as their mount points.
    mount_points = {
        Path(root).relative_to("/tmp").parts[0]
        for root in [project_root(), *python_folders()]
        if Path("/tmp") in Path(root).parents
    }
    assert set(seen["tmp"]) == {"mine.txt", *mount_points} and seen["runs"] == [] and seen["outside"] is False
    assert (seen["project"], seen["private"], seen["network"]) == ("OSError", "allowed", "OSError")
    assert seen["nested user namespace"] is False
    assert (tmp_path / "private" / "written").exists() and not (project_root() / "tools" / "x").exists()
