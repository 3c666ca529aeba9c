"""Web processes wake a job handler of the same host through a Unix datagram socket."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from nebula.jobs.wakeup import WakeListener, WakeSender, WakeSocketError, wake_socket_path


def test_wake_listener_close_removes_socket(tmp_path: Path) -> None:
    woken = threading.Semaphore(0)
    path = wake_socket_path(tmp_path, tmp_path / "data")
    listener = WakeListener(path, woken.release)
    sender = WakeSender(path)

    sender.wake()
    sender.wake()
    first = woken.acquire(timeout=5)
    second = woken.acquire(timeout=5)
    listener.close()

    assert first
    assert second
    assert not path.exists()
    # With no listener, a wake-up is lost rather than an error for the web request.
    sender.wake()


def test_wake_listener_replaces_socket_of_dead_handler(tmp_path: Path) -> None:
    path = wake_socket_path(tmp_path, tmp_path / "data")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(path))
    dead.close()  # Its file stays, as when a handler is killed.
    woken = threading.Event()
    listener = WakeListener(path, woken.set)

    WakeSender(path).wake()

    assert woken.wait(5)
    listener.close()


def test_wake_listener_refuses_taken_path(tmp_path: Path) -> None:
    regular = tmp_path / "notes.txt"
    regular.write_text("not a socket")
    live = wake_socket_path(tmp_path, tmp_path / "data")
    first = WakeListener(live, lambda: None)

    with pytest.raises(WakeSocketError, match="is not a socket"):
        WakeListener(regular, lambda: None)
    with pytest.raises(WakeSocketError, match="in use by another job handler"):
        WakeListener(live, lambda: None)
    first.close()

    assert regular.read_text() == "not a socket"


def test_wake_socket_path_is_stable_per_data_folder(tmp_path: Path) -> None:
    first = wake_socket_path(tmp_path, tmp_path / "a")

    assert first == wake_socket_path(tmp_path, tmp_path / "a")
    assert first != wake_socket_path(tmp_path, tmp_path / "b")
