"""The supervisor of serve's handler process restarts a crashed handler, not a stopped one."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from nebula.jobs import supervisor
from nebula.jobs.supervisor import HandlerProcess


def _with_command(code: str) -> HandlerProcess:
    process = HandlerProcess()
    process._command = [sys.executable, "-c", code]
    return process


def _pids_within(process: HandlerProcess, seconds: float) -> set[int]:
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.pid is not None:
            seen.add(process.pid)
        time.sleep(0.02)
    return seen


def test_crashed_handler_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor, "RESTART_DELAY", 0.1)
    process = _with_command("import sys; sys.exit(3)")
    process.start()
    pids = _pids_within(process, 1.5)
    process.stop()

    assert len(pids) >= 2


def test_cleanly_stopped_handler_stays_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor, "RESTART_DELAY", 0.1)
    process = _with_command("pass")
    process.start()
    pids = _pids_within(process, 1.0)
    process.stop()

    assert len(pids) == 1


def test_early_handler_exit_fails_start(tmp_path: Path) -> None:
    process = _with_command("import sys; sys.exit(2)")

    with pytest.raises(supervisor.HandlerFailed, match="exited with status 2 before it was ready"):
        process.start(ready=tmp_path / "never.sock", timeout=30)
    process.stop()
