"""Running one job's script as a process group, with a wall-time limit and resource accounting."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from nebula.jobs.spec import JobSpec
from nebula.jobs.workdir import JobDirectory

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
    spec: JobSpec,
    directory: JobDirectory,
    env: dict[str, str],
    handle: RunningProcess,
    on_start: Callable[[int], None] | None = None,
) -> ExecutionResult:
    """Run the job's script with bash in its own session and wait for it.

    The script runs in a new session so that a kill reaches every process it started.
    CPU time and peak memory come from wait4(), which accounts for the whole tree of
    processes the script waited for.
    """
    started = time.monotonic()
    with open(directory.stdout, "wb") as out, open(directory.stderr, "wb") as err:
        process = subprocess.Popen(
            ["/bin/bash", str(directory.script)],
            cwd=directory.working,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    announce_start(process.pid, handle, on_start)

    with wall_time_limit(process.pid, spec.wall_time) as timed_out:
        _, status, usage = os.wait4(process.pid, 0)
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


def announce_start(
    pid: int, handle: RunningProcess, on_start: Callable[[int], None] | None
) -> None:
    """Record a job's new process on its handle, honour a kill that came first, notify."""
    handle.pid = pid
    if handle.kill_requested.is_set():
        kill_process_group(pid)
    if on_start is not None:
        on_start(pid)


@contextmanager
def wall_time_limit(pgid: int, seconds: float) -> Iterator[threading.Event]:
    """Kill the process group if the block lasts longer than `seconds`; yield whether it did."""
    timed_out = threading.Event()

    def _expire() -> None:
        timed_out.set()
        kill_process_group(pgid)

    timer = threading.Timer(seconds, _expire)
    timer.daemon = True
    timer.start()
    try:
        yield timed_out
    finally:
        timer.cancel()


def kill_process_group(pgid: int) -> None:
    """Send SIGKILL to a job's process group; a group that is already gone is fine."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def process_identity(pid: int) -> str:
    """Return `pid:start-time`, which names a process uniquely even after its pid is reused."""
    return f"{pid}:{_start_time(pid)}"


def identified_process_alive(identity: str) -> int | None:
    """Return the pid when the process named by `process_identity` still runs, else None."""
    pid_text, _, start = identity.partition(":")
    if not pid_text.isdigit():
        return None
    pid = int(pid_text)
    current = _start_time(pid)
    return pid if current is not None and str(current) == start else None


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks after boot, field 22 of /proc/PID/stat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces; fields after it follow the last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19])
