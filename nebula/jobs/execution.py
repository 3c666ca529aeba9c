"""Running one job's script as a process group, with a wall-time limit and resource accounting."""

from __future__ import annotations

import heapq
import itertools
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
# The module the fork server runs as (`python -m`); its job processes inherit its command line.
FORK_SERVER_MODULE = "nebula.jobs.forkserver"


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
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def kill(self) -> None:
        self.kill_requested.set()
        with self._lock:
            if self.pid is not None:
                kill_process_group(self.pid)

    def release(self) -> None:
        """Forget the process once the job has ended in it; later kills then reach nothing."""
        with self._lock:
            self.pid = None


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
    # The pid may be reused once reaped, so no later cancel may reach it.
    handle.release()

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
    token, timed_out = _watchdog.watch(pgid, seconds)
    try:
        yield timed_out
    finally:
        _watchdog.forget(token)


class _Watchdog:
    """One thread per process that kills the process groups whose wall time has run out.

    A timer thread per job cost a thread start and stop for every job, and short jobs
    run by the hundred per second.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # A forked child (a Celery pool process) starts empty: the parent's lock may be
        # held by a thread that does not exist there, and its process groups are not the
        # child's to kill.
        self._condition = threading.Condition()
        self._deadlines: list[tuple[float, int]] = []
        self._watched: dict[int, tuple[int, threading.Event]] = {}
        self._tokens = itertools.count()
        self._started = False

    def watch(self, pgid: int, seconds: float) -> tuple[int, threading.Event]:
        timed_out = threading.Event()
        with self._condition:
            self._start_if_needed()
            token = next(self._tokens)
            deadline = time.monotonic() + seconds
            self._watched[token] = (pgid, timed_out)
            if not self._deadlines or deadline < self._deadlines[0][0]:
                self._condition.notify()
            heapq.heappush(self._deadlines, (deadline, token))
        return token, timed_out

    def forget(self, token: int) -> None:
        with self._condition:
            self._watched.pop(token, None)
            # Ended jobs leave their deadlines behind; drop them before they pile up.
            if len(self._deadlines) > 2 * len(self._watched) + 64:
                self._deadlines = [entry for entry in self._deadlines if entry[1] in self._watched]
                heapq.heapify(self._deadlines)

    def _start_if_needed(self) -> None:
        if self._started:
            return
        self._started = True
        threading.Thread(target=self._run, name="wall-time-watchdog", daemon=True).start()

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                while self._deadlines and (
                    self._deadlines[0][0] <= now or self._deadlines[0][1] not in self._watched
                ):
                    _, token = heapq.heappop(self._deadlines)
                    expired = self._watched.pop(token, None)
                    if expired is not None:
                        pgid, timed_out = expired
                        timed_out.set()
                        kill_process_group(pgid)
                wait = self._deadlines[0][0] - now if self._deadlines else None
                self._condition.wait(wait)


_watchdog = _Watchdog()


def prepare_directory(directory: JobDirectory, config_files: dict[str, str]) -> None:
    """Give a job a fresh working directory with its configfiles written in it.

    A process of an earlier attempt of the job that still runs on this host (its worker was
    killed mid-job, or its handler died) is killed first: the new attempt must not share
    the directory with it.
    """
    if directory.root.exists():
        # A retried job must not see the files of its earlier attempt either.
        _stop_earlier_attempt(directory)
        directory.remove()
    directory.create()
    for path, text in config_files.items():
        Path(path).write_text(text, encoding="utf-8")


def _stop_earlier_attempt(directory: JobDirectory) -> None:
    try:
        identity = directory.process_file.read_text().strip()
    except FileNotFoundError:
        return
    pid = job_process_alive(identity, directory.working)
    if pid is not None:
        kill_process_group(pid)
        logger.warning("job %s: killed process %s of an earlier attempt", directory.root.name, pid)


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


def job_process_alive(identity: str, working: Path) -> int | None:
    """Return the pid when the process named by `identity` still runs the job of `working`.

    A job worker of the fork server runs one job after another, so its identity outlives
    each job. It still runs a given job only while its working directory is that job's.
    NOTE: a worker still preparing the job's folder is not yet in it, so recovery misses it then.
    """
    pid = identified_process_alive(identity)
    if pid is None or not _forked_by_fork_server(pid):
        return pid
    try:
        current = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None
    return pid if current == working.resolve() else None


def _forked_by_fork_server(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return FORK_SERVER_MODULE.encode() in command


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks after boot, field 22 of /proc/PID/stat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces; fields after it follow the last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19])
