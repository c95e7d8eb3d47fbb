"""The real TensorBoard server of the course environment, started by `course tensorboard` over the
logs lesson 13 writes, asked through its HTTP API for every scalar tag and value, then stopped."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from course.notebooks import execute, read_source, select_lessons
from tools.tensorboard_logs import read_all_scalars

STARTUP_SECONDS = 60
LOADING_SECONDS = 60
ADDRESS_LINE = re.compile(r"TensorBoard [\d.]+ at http://127\.0\.0\.1:(\d+)/")


@pytest.fixture(scope="module")
def lesson_13_runs(tmp_path_factory) -> Path:
    """A runs/ folder holding only what lesson 13 wrote when executed from its source."""
    runs = tmp_path_factory.mktemp("runs")
    lesson = select_lessons(["13"])[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_RUNS_DIR", str(runs))
        execute(read_source(lesson), cwd=lesson.py.parent)
    return runs


class Server:
    """`course tensorboard --port 0` in its own process group; its stderr collected as it comes."""

    def __init__(self, runs: Path):
        course = Path(sys.executable).with_name("course")
        self.process = subprocess.Popen(
            [str(course), "tensorboard", "--port", "0"],
            env={**os.environ, "COURSE_RUNS_DIR": str(runs)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def port(self) -> int:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            for line in self.lines:
                if match := ADDRESS_LINE.search(line):
                    return int(match.group(1))
            assert self.process.poll() is None, f"TensorBoard exited early:\n{''.join(self.lines)}"
            time.sleep(0.2)
        pytest.fail(f"TensorBoard did not say where it listens within {STARTUP_SECONDS} s:\n{''.join(self.lines)}")

    def listening_addresses(self) -> set[str]:
        processes = [psutil.Process(self.process.pid), *psutil.Process(self.process.pid).children(recursive=True)]
        return {
            connection.laddr.ip
            for process in processes
            for connection in process.net_connections(kind="tcp")
            if connection.status == psutil.CONN_LISTEN
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def get_json(port: int, path: str, **query: str) -> object:
    url = f"http://127.0.0.1:{port}{path}?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.mark.whole_lessons
def test_tensorboard_serves_lesson_13_scalars_on_loopback_only(lesson_13_runs):
    written = read_all_scalars(lesson_13_runs)
    assert any(run.startswith("13_tensorboard/") for run in written), f"lesson 13 wrote no scalars: {written}"
    expected_tags = {run: sorted(tags) for run, tags in written.items()}

    server = Server(lesson_13_runs)
    try:
        port = server.port()
        assert server.listening_addresses() == {"127.0.0.1"}
        deadline = time.monotonic() + LOADING_SECONDS  # the server reads the event files in the background
        while True:
            served_tags = {run: sorted(tags) for run, tags in get_json(port, "/data/plugin/scalars/tags").items()}
            if served_tags == expected_tags or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert served_tags == expected_tags

        for run, tags in written.items():
            for tag, points in tags.items():
                served = get_json(port, "/data/plugin/scalars/scalars", run=run, tag=tag)
                assert [(step, value) for _wall_time, step, value in served] == points, (run, tag)
    finally:
        server.stop()
    assert server.process.returncode is not None
