"""The in-process queue of SQLite writers: turns in order, the job system's threads first."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from nebula.model.database import WriterQueue, write_first


def _queue_up(queue: WriterQueue, name: str, order: list[str], first: bool = False) -> threading.Thread:
    def take_turn() -> None:
        if first:
            write_first()
        queue.acquire()
        order.append(name)
        queue.release()

    thread = threading.Thread(target=take_turn, name=name)
    thread.start()
    # Each waiter must be in line before the next one arrives.
    time.sleep(0.1)
    return thread


def test_writer_queue_serves_job_threads_first() -> None:
    queue = WriterQueue(timeout=10)
    order: list[str] = []
    queue.acquire()
    threads = [
        _queue_up(queue, "request 1", order),
        _queue_up(queue, "request 2", order),
        _queue_up(queue, "job", order, first=True),
    ]

    queue.release()
    for thread in threads:
        thread.join(timeout=10)

    assert order == ["job", "request 1", "request 2"]


def test_writer_queue_acquire_times_out() -> None:
    queue = WriterQueue(timeout=0.2)
    queue.acquire()

    with pytest.raises(sqlite3.OperationalError, match="no turn to write within 0.2 seconds"):
        queue.acquire()
    queue.release()
    queue.acquire()
