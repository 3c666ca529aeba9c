"""A fork server that runs Nebula's own job commands without starting a new interpreter.

Most jobs run `nebula-ops ...` or the upload command: Python code of ours whose start-up
(interpreter, imports) costs far more than the work on small inputs. The fork server is a
single-threaded process that imports that code once. An operation of `nebula-ops` goes
to a job worker (nebula.jobs.jobworker), a process forked once that runs one job after
another. Any other entry gets a child forked for it. Either way the job runs as the
command line would have run it: in a session of its own, in the job's working directory,
with stdout and stderr in the job's files, the job's environment and memory limit, the
same argv, and its exit code as the process status.

Protocol, one Unix-socket connection per job, JSON lines: the client sends
{"entry": [module, *argv], "cwd", "stdout", "stderr", "env", "memory_limit_mb"}; the
server answers {"pid": N} once the job's process runs it, then {"status": S, "cpu": s,
"maxrss": kB} when the job has ended. The client then closes the connection, and only
then does the worker take another job.

The server is forked from nothing but this module's imports, so it holds no locks of the
web process's threads, which is what makes forking safe here.
"""

from __future__ import annotations

import gc
import importlib
import json
import logging
import os
import pkgutil
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nebula.datatypes import default_registry
from nebula.jobs.execution import (
    FORK_SERVER_MODULE,
    ExecutionResult,
    RunningProcess,
    announce_start,
    wall_time_limit,
)
from nebula.jobs.jobworker import REUSABLE_ENTRIES, leave_fork_server, run_entry, serve_jobs
from nebula.jobs.spec import JobSpec, OutputReport
from nebula.jobs.workdir import JobDirectory

logger = logging.getLogger(__name__)

ALLOWED_ENTRIES = frozenset({"nebula.ops.cli", "nebula.jobs.upload_action"})
# Job workers also describe outputs, with the built-in datatypes.
PRELOADED_MODULES = (*sorted(ALLOWED_ENTRIES), "nebula.jobs.outputs")
START_TIMEOUT = 30.0
_ORPHAN_CHECK_SECONDS = 1.0


class ForkServerError(Exception):
    """The fork server broke a connection or rejected a job."""


class ForkServerUnavailable(ForkServerError):
    """The fork server cannot be reached; nothing was started, so running the job another way is safe."""


class ForkServer:
    """Client side: starts the server process and runs job entries through it."""

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return
            self.socket_path.parent.mkdir(parents=True, exist_ok=True)
            self.socket_path.unlink(missing_ok=True)
            self._process = subprocess.Popen(
                [sys.executable, "-m", FORK_SERVER_MODULE, str(self.socket_path)],
                stdin=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + START_TIMEOUT
            while not self.socket_path.exists():
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise ForkServerError(
                        f"the fork server did not start (exit code {self._process.poll()})"
                    )
                time.sleep(0.01)
            logger.info("fork server %s started on %s", self._process.pid, self.socket_path)

    def stop(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()
                self._process.wait(timeout=10)
            self._process = None
            self.socket_path.unlink(missing_ok=True)

    def execute(
        self,
        spec: JobSpec,
        directory: JobDirectory,
        env: dict[str, str],
        handle: RunningProcess,
        on_start: Any = None,
    ) -> ExecutionResult:
        """Run the spec's entry in a forked child; same signature as execute_script."""
        result, _ = self._exchange(_job_request(spec, directory, env), spec, handle, on_start)
        return result

    def run_in_worker(
        self, spec: JobSpec, directory: JobDirectory, env: dict[str, str], handle: RunningProcess
    ) -> WorkerRun:
        """Have a job worker prepare the job's directory, run the job and describe its outputs.

        The spec's entry must be one that job workers run (`runs_in_worker`).
        """
        request = _job_request(spec, directory, env)
        request["job_dir"] = str(directory.root)
        request["config_files"] = spec.config_files
        request["outputs"] = [[output.name, output.ext] for output in spec.outputs]
        result, ended = self._exchange(request, spec, handle, None)
        outputs = ended.get("outputs")
        return WorkerRun(
            result=result,
            stdout=ended.get("stdout"),
            stderr=ended.get("stderr"),
            outputs=None if outputs is None else [OutputReport(**output) for output in outputs],
            output_error=ended.get("output_error"),
        )

    def _exchange(
        self, request: dict[str, Any], spec: JobSpec, handle: RunningProcess, on_start: Any
    ) -> tuple[ExecutionResult, dict[str, Any]]:
        """Send a job to the server and wait for its end; return the result and the last message."""
        started = time.monotonic()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            try:
                connection.connect(str(self.socket_path))
            except OSError as exc:
                raise ForkServerUnavailable(
                    f"cannot reach the fork server at {self.socket_path}: {exc}"
                ) from exc
            connection.sendall(json.dumps(request).encode() + b"\n")
            reader = connection.makefile("rb")
            pid = int(_read_message(reader)["pid"])
            announce_start(pid, handle, on_start)
            # NOTE: in a worker the limit also covers describing the outputs, because the
            # worker sends its result line only after that.
            with wall_time_limit(pid, spec.wall_time) as timed_out:
                ended = _read_message(reader)
            # A job worker runs other jobs after this one, so no kill for this job may
            # reach it once the connection closes.
            handle.release()

        result = ExecutionResult(
            exit_code=os.waitstatus_to_exitcode(int(ended["status"])),
            runtime_seconds=time.monotonic() - started,
            cpu_seconds=float(ended["cpu"]),
            peak_memory_bytes=int(ended["maxrss"]) * 1024,
            timed_out=timed_out.is_set(),
            killed=handle.kill_requested.is_set(),
        )
        return result, ended


@dataclass(frozen=True)
class WorkerRun:
    """A job run by a job worker: how it ended, its streams' tails and its described outputs.

    A worker that ended mid-job (killed, or crashed) sends none of the optional parts:
    they are None, and the caller reads the files instead.
    """

    result: ExecutionResult
    stdout: str | None
    stderr: str | None
    outputs: list[OutputReport] | None
    output_error: str | None


def runs_in_worker(spec: JobSpec) -> bool:
    """Tell whether a job worker, rather than a child forked for it, runs the spec's entry."""
    if spec.entry is None or spec.upload_params is not None:
        return False
    return spec.entry[0] in REUSABLE_ENTRIES


def fork_execute(
    spec: JobSpec,
    directory: JobDirectory,
    env: dict[str, str],
    handle: RunningProcess,
    on_start: Any = None,
) -> ExecutionResult:
    """Run the spec's entry in a child forked from this process, without a server.

    Only for single-threaded processes that already imported the entry's modules, such
    as a Celery pool process; same signature as execute_script.
    """
    request = _job_request(spec, directory, env)
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _become_job(request)
    announce_start(pid, handle, on_start)
    with wall_time_limit(pid, spec.wall_time) as timed_out:
        _, status, usage = os.wait4(pid, 0)
    handle.release()
    return ExecutionResult(
        exit_code=os.waitstatus_to_exitcode(status),
        runtime_seconds=time.monotonic() - started,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_memory_bytes=usage.ru_maxrss * 1024,
        timed_out=timed_out.is_set(),
        killed=handle.kill_requested.is_set(),
    )


def serve(socket_path: str) -> None:
    """Run the server loop until the parent process goes away or SIGTERM arrives."""
    for module in PRELOADED_MODULES:
        importlib.import_module(module)
    _preload_operations()
    default_registry()
    # Moves the preloaded objects out of the collector's reach. Otherwise a full collection
    # in a job's child writes to the header of every one of them, and so copies most of the
    # heap pages that the child shares with this server.
    gc.freeze()

    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    partial = socket_path + ".partial"
    if os.path.exists(partial):
        os.unlink(partial)
    listener.bind(partial)
    listener.listen(64)
    os.rename(partial, socket_path)

    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    server = _Server(listener, wakeup_read, wakeup_write)
    while True:
        server.handle_events(_ORPHAN_CHECK_SECONDS)
        if os.getppid() != parent:
            # The web process or handler that started us is gone; running jobs keep going
            # in their own sessions and the next handler recovers them. Idle workers see
            # their channel close and end.
            break
    listener.close()
    if os.path.exists(socket_path):
        os.unlink(socket_path)


def _job_request(spec: JobSpec, directory: JobDirectory, env: dict[str, str]) -> dict[str, Any]:
    """Describe the job's process: entry and argv, directory, streams, environment, limit."""
    assert spec.entry is not None
    return {
        "entry": spec.entry,
        "cwd": str(directory.working),
        "stdout": str(directory.stdout),
        "stderr": str(directory.stderr),
        "env": env,
        "memory_limit_mb": spec.memory_limit_mb,
    }


class _Worker:
    """A job worker on the server side: its channel, and the client of its current job."""

    def __init__(self, pid: int, channel: socket.socket) -> None:
        self.pid = pid
        self.channel = channel
        self.client: socket.socket | None = None
        self.buffer = b""
        self.retiring = False


class _Server:
    """The server's state: the listener, one-off children, job workers and their clients."""

    def __init__(self, listener: socket.socket, wakeup_read: int, wakeup_write: int) -> None:
        self.listener = listener
        self.wakeup = (wakeup_read, wakeup_write)
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, ("accept", None))
        self.selector.register(wakeup_read, selectors.EVENT_READ, ("wakeup", None))
        self.children: dict[int, socket.socket] = {}
        self.workers: dict[int, _Worker] = {}
        self.idle: list[_Worker] = []

    def handle_events(self, timeout: float) -> None:
        for key, _ in self.selector.select(timeout=timeout):
            kind, worker = key.data
            if kind == "accept":
                connection, _ = self.listener.accept()
                self._start_job(connection)
            elif kind == "wakeup":
                os.read(self.wakeup[0], 4096)
            elif kind == "result":
                self._read_result(worker)
            else:
                self._release(worker)
        self._reap()

    def _start_job(self, connection: socket.socket) -> None:
        try:
            request = json.loads(connection.makefile("rb").readline())
            if request["entry"][0] not in ALLOWED_ENTRIES:
                raise ValueError(
                    f"entry {request['entry'][0]!r} is not one of {sorted(ALLOWED_ENTRIES)}"
                )
        except (ValueError, KeyError, IndexError, TypeError, OSError) as exc:
            _send_and_close(connection, {"error": str(exc)})
            return
        if request["entry"][0] in REUSABLE_ENTRIES:
            worker = self._hand_to_worker(request, connection)
            worker.client = connection
            pid = worker.pid
        else:
            pid = os.fork()
            if pid == 0:
                _become_job(request)
            self.children[pid] = connection
        try:
            connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        except OSError:
            # The client left; the job still ends in the usual way, and its result finds
            # the connection closed.
            pass

    def _hand_to_worker(self, request: dict[str, Any], connection: socket.socket) -> _Worker:
        message = json.dumps(request).encode() + b"\n"
        while self.idle:
            worker = self.idle.pop()
            try:
                worker.channel.sendall(message)
                return worker
            except OSError:
                continue  # It died while idle, and _reap removes it.
        worker = self._start_worker(connection)
        worker.channel.sendall(message)
        return worker

    def _start_worker(self, connection: socket.socket) -> _Worker:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            ours.close()
            connection.close()
            self._close_inherited()
            serve_jobs(theirs)
        theirs.close()
        worker = _Worker(pid, ours)
        self.workers[pid] = worker
        self.selector.register(ours, selectors.EVENT_READ, ("result", worker))
        return worker

    def _close_inherited(self) -> None:
        """In a new worker: close the server's sockets and pipes, which are not its own."""
        self.selector.close()
        self.listener.close()
        for fd in self.wakeup:
            os.close(fd)
        for other in self.workers.values():
            other.channel.close()
            if other.client is not None:
                other.client.close()
        for connection in self.children.values():
            connection.close()

    def _read_result(self, worker: _Worker) -> None:
        try:
            data = worker.channel.recv(65536)
        except OSError:
            data = b""
        if not data:
            # The worker ended, and _reap sends its client the result or the exit status.
            self.selector.unregister(worker.channel)
            return
        worker.buffer += data
        self._deliver_result(worker)

    def _deliver_result(self, worker: _Worker) -> None:
        """Send the client the result the worker wrote, once a whole line has arrived."""
        if b"\n" not in worker.buffer:
            return
        line, _, worker.buffer = worker.buffer.partition(b"\n")
        result = json.loads(line)
        worker.retiring = bool(result.pop("retire", False))
        client = worker.client
        assert client is not None
        try:
            client.sendall(json.dumps(result).encode() + b"\n")
        except OSError:
            self._release(worker)  # The client is gone; the job's end is recovered later.
            return
        # The worker takes no other job until the client has closed the connection, by
        # which time the client no longer kills this process for the finished job.
        self.selector.register(client, selectors.EVENT_READ, ("client", worker))

    def _release(self, worker: _Worker) -> None:
        client = worker.client
        if client is not None:
            try:
                self.selector.unregister(client)
            except KeyError:
                pass
            client.close()
            worker.client = None
        if worker.pid in self.workers and not worker.retiring and worker not in self.idle:
            self.idle.append(worker)

    def _reap(self) -> None:
        while self.children or self.workers:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            message = {
                "status": status,
                "cpu": usage.ru_utime + usage.ru_stime,
                "maxrss": usage.ru_maxrss,
            }
            worker = self.workers.pop(pid, None)
            if worker is not None:
                self._forget_worker(worker, message)
                continue
            connection = self.children.pop(pid, None)
            if connection is not None:
                _send_and_close(connection, message)

    def _forget_worker(self, worker: _Worker, message: dict[str, Any]) -> None:
        """Remove an ended worker: killed with its job, or done with its share of jobs."""
        if worker in self.idle:
            self.idle.remove(worker)

        # A retiring worker exits right after writing its last result, which may still
        # be unread in the channel.
        worker.channel.setblocking(False)
        try:
            while data := worker.channel.recv(65536):
                worker.buffer += data
        except OSError:
            pass
        try:
            self.selector.unregister(worker.channel)
        except KeyError:
            pass
        worker.channel.close()

        client = worker.client
        if client is None:
            return
        if b"\n" in worker.buffer:
            self._deliver_result(worker)
            return

        try:
            self.selector.unregister(client)
            # Registered only once the result was sent: the job had ended before the worker.
            client.close()
            return
        except KeyError:
            pass

        if os.WIFEXITED(message["status"]):
            # A worker ends on its own only between jobs; one that ended during a job
            # must not look like the job's success.
            message["status"] = 1 << 8
        _send_and_close(client, message)


def _send_and_close(connection: socket.socket, message: dict[str, Any]) -> None:
    try:
        connection.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass  # The client is gone (its handler stopped); the job's end is recovered later.
    connection.close()


def _become_job(request: dict[str, Any]) -> None:
    """Turn this forked child into the job process; never returns."""
    code = 1
    try:
        leave_fork_server()
        # gc stays on: small jobs ran no faster without it, and long jobs would leak cycles.
        code = run_entry(request)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _preload_operations() -> None:
    """Import every operation module, so that forked children import nothing."""
    import nebula.ops

    for module in pkgutil.walk_packages(nebula.ops.__path__, "nebula.ops."):
        importlib.import_module(module.name)
    importlib.import_module("nebula.ops.cli").build_parser()


def _read_message(reader: Any) -> dict[str, Any]:
    line = reader.readline()
    if not line:
        raise ForkServerError("the fork server closed the connection")
    message = json.loads(line)
    if "error" in message:
        raise ForkServerError(f"the fork server rejected the job: {message['error']}")
    return message


if __name__ == "__main__":
    serve(sys.argv[1])
