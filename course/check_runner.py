"""Checks run in a child process with limits no answer can exceed on the grader's side.

A check is trusted code, but it runs on data a submission chose: one huge number can make it
allocate memory in proportion (a ``bincount`` up to a student-chosen maximum) or loop for
minutes. So the grader never runs a check in its own process. A :class:`CheckRunner` keeps one
child (``python -m course.check_runner``) that reads answers and runs checks one at a time, each
under a wall-clock limit (:data:`CHECK_SECONDS`; the child is killed and restarted when a check
passes it) and within :data:`CHECK_MEMORY_GIB` of address space beyond what the child's imports
take (an allocation past it fails inside the check). Either way the answer's verdict is a
failure, and the next answer gets a fresh child.

The child serves requests on stdin: a JSON line ``{"kind", "source", "name", "position", "size"}``
(a reference check cell's source or a hidden-check file's path, which it reads with
:mod:`course.check_loading` once, and the check's position there) followed by ``size`` bytes of
the answer file; it replies with one JSON line, the result of
:func:`tools.grading.evaluate_check`. Whatever a check prints goes nowhere.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tools.grading import verdict_result

if TYPE_CHECKING:
    from course.grader import GradingPlan

CHECK_SECONDS = 20  # the slowest honest check (lesson 09's, on a cold cache) takes about 2 s
CHECK_MEMORY_GIB = 2  # honest checks allocate well under 0.1 GiB
STARTUP_SECONDS = 300
READY = b"ready\n"


class CheckRunner:
    """One child process that runs checks under limits; restarted after a check it had to stop.

    Not thread-safe: give each grading thread its own (they are cheap to keep, about 2 s to start).
    """

    def __init__(self, seconds: float | None = None, memory_gib: float | None = None) -> None:
        """Limits per check: ``seconds`` (default :data:`CHECK_SECONDS`) and ``memory_gib``
        (default :data:`CHECK_MEMORY_GIB`)."""
        self.seconds = CHECK_SECONDS if seconds is None else seconds
        self.memory_gib = CHECK_MEMORY_GIB if memory_gib is None else memory_gib
        self._child: subprocess.Popen | None = None

    def evaluate(self, plan: GradingPlan, index: int, data: bytes) -> dict:
        """The result of item ``index`` of ``plan`` (see :meth:`GradingPlan.items`) on answer file
        ``data``; a check that passes a limit is a failed verdict saying which."""
        key, _, points, _ = plan.items()[index]
        header = {**_source_of(plan, index), "size": len(data)}
        child = self._started()
        try:
            child.stdin.write(json.dumps(header).encode() + b"\n" + data)
            child.stdin.flush()
            reply = _read_line(child.stdout, self.seconds)
        except TimeoutError:
            reason = f"the check ran longer than {self.seconds:g} s on this answer"
        except BrokenPipeError:
            reason = "the check's process died on this answer"
        else:
            if reply:
                return json.loads(reply)
            reason = "the check's process died on this answer"
        self.close()
        return verdict_result(key.split(" ")[0], points, reason)

    def _started(self) -> subprocess.Popen:
        """The child, started if need be and waited for until it has imported what checks use
        (its start does not count against the first check's time)."""
        if self._child is None:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "course.check_runner", str(self.memory_gib)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
            )
            try:
                ready = _read_line(self._child.stdout, STARTUP_SECONDS)
            except TimeoutError:
                ready = b""
            if ready != READY:
                self.close()
                raise RuntimeError(f"the check process did not start within {STARTUP_SECONDS} s")
        return self._child

    def close(self) -> None:
        """Stop the child (a later :meth:`evaluate` starts a new one)."""
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            for stream in (self._child.stdin, self._child.stdout):
                stream.close()
            self._child = None

    def __enter__(self) -> CheckRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _read_line(stream: BinaryIO, seconds: float) -> bytes:
    """One line from ``stream`` within ``seconds`` (``b""`` if it closed); ``TimeoutError`` else."""
    deadline = time.monotonic() + seconds
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(stream.fileno(), 1 << 16)
        chunks.append(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return b"".join(chunks)


def _source_of(plan: GradingPlan, index: int) -> dict:
    """Where item ``index`` of ``plan`` comes from, for the child to rebuild it: a reference check
    cell's source or the hidden-check file, and the item's position among the checks it defines."""
    if index < len(plan.checks):
        cell = plan.checks[index].cell_source
        position = sum(c.cell_source == cell for c in plan.checks[:index])
        return {"kind": "cell", "source": cell, "name": plan.lesson.name, "position": position}
    position = index - len(plan.checks)
    return {"kind": "hidden", "source": str(plan.hidden_file), "name": plan.lesson.name, "position": position}


def serve(requests: BinaryIO, replies: BinaryIO, memory_gib: float) -> None:
    """The child's loop: read each request, run its check, reply (see the module)."""
    import torch

    from course.check_loading import checks_in_cell, hidden_checks_in_file
    from tools.grading import evaluate_check, load_answer

    torch.set_num_threads(1)
    _limit_address_space(memory_gib)
    loaded: dict[tuple[str, str], list[tuple[str, object, int]]] = {}
    replies.write(READY)
    replies.flush()
    while header := requests.readline():
        request = json.loads(header)
        data = requests.read(request["size"])
        origin = (request["kind"], request["source"])
        if origin not in loaded:
            loaded[origin] = (
                checks_in_cell(request["source"], request["name"])
                if request["kind"] == "cell"
                else [(h.exercise, h.check, h.points) for h in hidden_checks_in_file(Path(request["source"]))]
            )
        exercise, check, points = loaded[origin][request["position"]]
        try:
            payload = load_answer(data)
        except ValueError as error:
            payload = {"error": f"malformed answer: {error}"}
        replies.write(json.dumps(evaluate_check(exercise, check, payload, points)).encode() + b"\n")
        replies.flush()


def _limit_address_space(memory_gib: float) -> None:
    """Allow ``memory_gib`` of address space beyond what this process holds now."""
    import resource

    with open("/proc/self/status", encoding="ascii") as status:
        held_kib = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = held_kib * 1024 + int(memory_gib * 2**30)
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


if __name__ == "__main__":
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # what checks print goes nowhere
    serve(sys.stdin.buffer, replies, float(sys.argv[1]))
