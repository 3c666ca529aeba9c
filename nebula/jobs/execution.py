"""Running one job's script as a process group, with a wall-time limit and resource accounting."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

KILL_GRACE_SECONDS = 2.0


@dataclass
class ExecutionResult:
    exit_code: int
    runtime_seconds: float
    cpu_seconds: float
    peak_memory_bytes: int
    timed_out: bool = False
    killed: bool = False


@dataclass
class RunningProcess:
    """A handle to stop a running job from another thread."""

    pid: int | None = None
    kill_requested: threading.Event = field(default_factory=threading.Event)

    def kill(self) -> None:
        self.kill_requested.set()
        if self.pid is not None:
            kill_process_group(self.pid)


def execute_script(
    script: Path,
    cwd: Path,
    stdout: Path,
    stderr: Path,
    env: dict[str, str],
    wall_time: float,
    handle: RunningProcess,
    on_start: Callable[[int], None] | None = None,
) -> ExecutionResult:
    """Run `bash script` in its own session and wait for it.

    The script runs in a new session so that a kill reaches every process it started.
    CPU time and peak memory come from wait4(), which accounts for the whole tree of
    processes the script waited for.
    """
    started = time.monotonic()
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(
            ["/bin/bash", str(script)], cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True,
        )
    handle.pid = process.pid
    if handle.kill_requested.is_set():
        kill_process_group(process.pid)
    if on_start is not None:
        on_start(process.pid)

    timed_out = threading.Event()

    def _on_timeout() -> None:
        timed_out.set()
        kill_process_group(process.pid)

    timer = threading.Timer(wall_time, _on_timeout)
    timer.daemon = True
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    # Tell the Popen object the child is reaped, so it never tries to reap the pid again.
    process.returncode = os.waitstatus_to_exitcode(status)
    kill_process_group(process.pid)

    return ExecutionResult(
        exit_code=process.returncode,
        runtime_seconds=time.monotonic() - started,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_memory_bytes=usage.ru_maxrss * 1024,
        timed_out=timed_out.is_set(),
        killed=handle.kill_requested.is_set(),
    )


def kill_process_group(pgid: int) -> None:
    """Send SIGKILL to a job's process group; a group that is already gone is fine."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def job_process_alive(pid: int, job_id: int) -> bool:
    """Tell whether `pid` is still the process of job `job_id`, not a recycled pid.

    Every job process carries NEBULA_JOB_ID in its environment; /proc shows it.
    """
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return f"NEBULA_JOB_ID={job_id}".encode() in environ.split(b"\0")
