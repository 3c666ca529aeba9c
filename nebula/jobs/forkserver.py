"""A fork server that runs Nebula's own job commands without starting a new interpreter.

Most jobs run `nebula-ops ...` or the upload command: Python code of ours whose start-up
(interpreter, imports) costs far more than the work on small inputs. The fork server is a
single-threaded process that imports that code once; for each job it forks a child that
becomes the job exactly as the command line would have made it: a new session, the job's
working directory, stdout and stderr redirected to the job's files, the job's environment
and memory limit, the same argv, and the exit code as the process status. The parent
reaps children with wait4() and sends each client the status and resource usage.

Protocol, one Unix-socket connection per job, JSON lines: the client sends
{"entry": [module, *argv], "cwd", "stdout", "stderr", "env", "memory_limit_mb"}; the
server answers {"pid": N} once the child exists, then {"status": S, "cpu": s, "maxrss": kB}
when it has ended.

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
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from nebula.jobs.execution import (
    ExecutionResult,
    RunningProcess,
    announce_start,
    wall_time_limit,
)
from nebula.jobs.spec import JobSpec
from nebula.jobs.workdir import JobDirectory

logger = logging.getLogger(__name__)

PRELOADED_MODULES = ("nebula.ops.cli", "nebula.jobs.upload_action")
ALLOWED_ENTRIES = frozenset(PRELOADED_MODULES)
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
                [sys.executable, "-m", "nebula.jobs.forkserver", str(self.socket_path)],
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
        request = _job_request(spec, directory, env)
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
            with wall_time_limit(pid, spec.wall_time) as timed_out:
                ended = _read_message(reader)

        return ExecutionResult(
            exit_code=os.waitstatus_to_exitcode(int(ended["status"])),
            runtime_seconds=time.monotonic() - started,
            cpu_seconds=float(ended["cpu"]),
            peak_memory_bytes=int(ended["maxrss"]) * 1024,
            timed_out=timed_out.is_set(),
            killed=handle.kill_requested.is_set(),
        )


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

    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wakeup_read, selectors.EVENT_READ, "wakeup")
    clients: dict[int, socket.socket] = {}
    while True:
        for key, _ in selector.select(timeout=_ORPHAN_CHECK_SECONDS):
            if key.data == "accept":
                connection, _ = listener.accept()
                _start_child(connection, clients)
            else:
                os.read(wakeup_read, 4096)
        _reap(clients)
        if os.getppid() != parent:
            # The web process or handler that started us is gone; running jobs keep going
            # in their own sessions and the next handler recovers them.
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


def _start_child(connection: socket.socket, clients: dict[int, socket.socket]) -> None:
    try:
        request = json.loads(connection.makefile("rb").readline())
        if request["entry"][0] not in ALLOWED_ENTRIES:
            raise ValueError(
                f"entry {request['entry'][0]!r} is not one of {sorted(ALLOWED_ENTRIES)}"
            )
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        connection.sendall(json.dumps({"error": str(exc)}).encode() + b"\n")
        connection.close()
        return
    pid = os.fork()
    if pid == 0:
        _become_job(request)
    clients[pid] = connection
    connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _become_job(request: dict[str, Any]) -> None:
    """Turn this forked child into the job process; never returns."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
            signal.signal(number, signal.SIG_DFL)
        os.chdir(request["cwd"])
        _redirect(0, os.devnull, os.O_RDONLY)
        _redirect(1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        _redirect(2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        os.environ.clear()
        os.environ.update(request["env"])
        if request.get("memory_limit_mb"):
            limit = int(request["memory_limit_mb"]) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        module, *argv = request["entry"]
        sys.argv = [module, *argv]
        # gc stays on: small jobs ran no faster without it, and long jobs would leak cycles.
        code = int(importlib.import_module(module).main(argv) or 0)
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


def _redirect(fd: int, path: str, flags: int) -> None:
    opened = os.open(path, flags, 0o644)
    os.dup2(opened, fd)
    os.close(opened)


def _reap(clients: dict[int, socket.socket]) -> None:
    while clients:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = clients.pop(pid, None)
        if connection is None:
            continue
        message = {
            "status": status,
            "cpu": usage.ru_utime + usage.ru_stime,
            "maxrss": usage.ru_maxrss,
        }
        try:
            connection.sendall(json.dumps(message).encode() + b"\n")
        except OSError:
            pass  # The client is gone (its handler stopped); the job's end is recovered later.
        connection.close()


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
