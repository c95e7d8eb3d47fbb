"""An IPython kernel with no TCP socket at all: ``python ipc_kernel.py -f FOLDER/kernel.json``.

The kernel's five channels already follow the connection file's ``ipc`` transport
(:mod:`course.kernels`), but ipykernel (7.4) always binds one more socket, the pipe that carries
the output of forked subprocesses, to a random TCP port of 127.0.0.1. Here that pipe is a Unix
socket in the kernel's private folder (beside its connection file); nothing else changes.

Run as a script by its path (so the grader's sandbox, which shows the ``course`` folder, can
start it too); it removes its own folder from ``sys.path`` first, so lessons cannot import the
machinery by accident.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    del sys.path[0]

import zmq
from ipykernel import iostream, kernelapp
from zmq.eventloop.zmqstream import ZMQStream


def pipe_address(argv: list[str]) -> str:
    """The IPC address of the subprocess pipe: beside the connection file named by ``-f``."""
    connection_file = Path(argv[argv.index("-f") + 1])
    return f"ipc://{connection_file.parent / 'subprocess-pipe'}"


class PrivatePipeIOPubThread(iostream.IOPubThread):
    """ipykernel's IOPub thread with its subprocess pipe on a Unix socket, not TCP."""

    pipe_address = ""

    def _setup_pipe_in(self) -> None:
        self._pipe_uuid = os.urandom(16)  # still authenticates every message, as upstream
        pipe_in = self.socket.context.socket(zmq.PULL)
        pipe_in.linger = 0
        pipe_in.bind(self.pipe_address)
        self._pipe_in = ZMQStream(pipe_in, self.io_loop)
        self._pipe_in.on_recv(self._handle_pipe_msg)

    def _setup_pipe_out(self) -> tuple[zmq.Context, zmq.Socket]:
        context = zmq.Context()  # a new context after fork, as upstream
        pipe_out = context.socket(zmq.PUSH)
        pipe_out.linger = 3000
        pipe_out.connect(self.pipe_address)
        return context, pipe_out


if __name__ == "__main__":
    PrivatePipeIOPubThread.pipe_address = pipe_address(sys.argv)
    kernelapp.IOPubThread = PrivatePipeIOPubThread
    kernelapp.launch_new_instance()
