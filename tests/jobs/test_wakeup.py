"""Web processes wake a job handler of the same host through a Unix datagram socket."""

from __future__ import annotations

import threading
from pathlib import Path

from nebula.jobs.wakeup import WakeListener, WakeSender, wake_socket_path


def test_wake_listener_wakes_per_datagram_and_removes_socket_on_close(tmp_path: Path) -> None:
    woken = threading.Semaphore(0)
    path = wake_socket_path(tmp_path)
    listener = WakeListener(path, woken.release)
    sender = WakeSender(path)

    sender.wake()
    sender.wake()
    first = woken.acquire(timeout=5)
    second = woken.acquire(timeout=5)
    listener.close()

    assert first and second
    assert not path.exists()
    # With no listener, a wake-up is lost rather than an error for the web request.
    sender.wake()


def test_wake_listener_replaces_stale_socket_file(tmp_path: Path) -> None:
    path = wake_socket_path(tmp_path)
    path.write_text("left behind")
    woken = threading.Event()
    listener = WakeListener(path, woken.set)

    WakeSender(path).wake()

    assert woken.wait(5)
    listener.close()
