"""Telling a job handler in another process of this host that new jobs are waiting.

A web process that queued a job sends one empty datagram to the handler's Unix socket,
so the handler looks at the job table at once instead of at its next poll. A datagram
that is lost (no handler listens, its buffer is full) costs only that wait, because
the handler polls the table anyway.
"""

from __future__ import annotations

import hashlib
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path

_CLOSE_CHECK_SECONDS = 0.5


class WakeSender:
    """The web side: sends wake-ups to the handler socket at `path` on a non-blocking socket."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def wake(self) -> None:
        try:
            self._socket.sendto(b"", self.path)
        except OSError:
            pass  # No handler listens yet, or its queue is full: its poll finds the jobs.


class WakeSocketError(Exception):
    """The wake-up socket's path is taken: by another file, or by a handler that listens."""


class WakeListener:
    """The handler side: calls `wake` for every datagram that arrives at `path`."""

    def __init__(self, path: Path, wake: Callable[[], None]) -> None:
        self.path = path
        self._wake = wake
        self._closing = threading.Event()
        remove_stale_socket(path)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(path))
        # recv times out now and then so that the thread can check for close(), because
        # shutdown() does not end a blocked recv on a datagram socket on every system.
        self._socket.settimeout(_CLOSE_CHECK_SECONDS)
        self._thread = threading.Thread(target=self._listen, name="handler-wakeup", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        self._socket.close()
        self.path.unlink(missing_ok=True)

    def _listen(self) -> None:
        while not self._closing.is_set():
            try:
                self._socket.recv(64)
            except TimeoutError:
                continue
            except OSError:
                return
            self._wake()


def wake_socket_path(folder: Path, data_dir: Path) -> Path:
    """Return the socket path in `folder` for the deployment whose data is in `data_dir`.

    The name is the same at every start, so that a socket left by a killed handler is
    reused rather than left behind, and short, because Unix socket paths hold about 100
    bytes.
    """
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return folder / f"nebula-wake-{digest}.sock"


def remove_stale_socket(path: Path) -> None:
    """Remove a socket file left by a handler that died; raise WakeSocketError for any other file."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise WakeSocketError(
            f"handler_wake_socket {path} exists and is not a socket; remove it or choose another path"
        )
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    probe.setblocking(False)
    try:
        probe.sendto(b"", str(path))
    except BlockingIOError:
        pass  # The queue is full, so a handler listens but has not read its datagrams yet.
    except ConnectionRefusedError:
        path.unlink(missing_ok=True)  # No listener: a dead handler's socket.
        return
    except OSError as exc:
        raise WakeSocketError(f"handler_wake_socket {path} cannot be checked: {exc}") from None
    finally:
        probe.close()
    raise WakeSocketError(
        f"handler_wake_socket {path} is in use by another job handler on this host"
    )
