"""Telling a job handler in another process of this host that new jobs are waiting.

A web process that queued a job sends one empty datagram to the handler's Unix socket,
so the handler looks at the job table at once instead of at its next poll. A datagram
that is lost (no handler listens, its buffer is full) costs only that wait, because
the handler polls the table anyway.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)


class WakeSender:
    """The web side: sends wake-ups to the handler socket at `path`, never waiting."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def wake(self) -> None:
        try:
            self._socket.sendto(b"", self.path)
        except OSError:
            pass  # No handler listens yet, or its queue is full: its poll finds the jobs.


class WakeListener:
    """The handler side: calls `wake` for every datagram that arrives at `path`."""

    def __init__(self, path: Path, wake: Callable[[], None]) -> None:
        self.path = path
        self._wake = wake
        self._closing = threading.Event()
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        # A socket file left by a handler that died would make bind fail.
        path.unlink(missing_ok=True)
        self._socket.bind(str(path))
        self._thread = threading.Thread(target=self._listen, name="handler-wakeup", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        # Shutting the socket down makes the thread's recv return.
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._thread.join(timeout=5)
        self._socket.close()
        self.path.unlink(missing_ok=True)

    def _listen(self) -> None:
        while True:
            try:
                self._socket.recv(64)
            except OSError:
                return
            if self._closing.is_set():
                return
            self._wake()


def wake_socket_path(folder: Path) -> Path:
    """Return a new socket path in `folder`, which must be short: Unix socket paths hold about 100 bytes."""
    return folder / f"nebula-wake-{os.getpid()}-{os.urandom(4).hex()}.sock"
