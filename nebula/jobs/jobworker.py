"""A job worker: a process forked from the fork server that runs many jobs, one at a time.

Forking a child per job costs more than a small job's own work: about 3.7 ms of CPU per
job here, in page faults after the fork and in tearing the child down. A worker runs each
job in its own process instead, as the job's child would have: in the job's working
directory, with stdout and stderr in the job's files, the job's environment, argv and
memory limit. After the job it puts its own state back and waits for the next one.

A worker is the leader of its own process group, so killing a job (a cancel, the
wall-time limit) kills the worker, and the server starts another. A worker whose job raised
an unexpected exception ends after reporting it, and every worker ends after
`JOBS_PER_WORKER` jobs, so that no job inherits what an earlier one left behind.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import resource
import signal
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

from nebula.datatypes import default_registry
from nebula.jobs.execution import prepare_directory, process_identity
from nebula.jobs.outputs import OutputError, describe_outputs
from nebula.jobs.workdir import STREAM_TAIL_BYTES, JobDirectory, read_tail

# Only Nebula's own operations: pure functions of their files, which keep no state.
REUSABLE_ENTRIES = frozenset({"nebula.ops.cli"})
JOBS_PER_WORKER = 1000
_PEAK_RESET = "/proc/self/clear_refs"


def leave_fork_server() -> None:
    """Give a process forked from the fork server a session of its own and default signals."""
    os.setsid()
    signal.set_wakeup_fd(-1)
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)


def serve_jobs(channel: socket.socket) -> None:
    """Run the jobs that arrive on `channel`, one JSON line each, until it closes; never returns."""
    try:
        leave_fork_server()
        identity = process_identity(os.getpid())
        reader = channel.makefile("rb")
        for number in range(1, JOBS_PER_WORKER + 1):
            line = reader.readline()
            if not line:
                break
            result = _run_request(json.loads(line), identity)
            # The server must know before it picks this worker for another job.
            result["retire"] = result["retire"] or number == JOBS_PER_WORKER
            channel.sendall(json.dumps(result).encode() + b"\n")
            if result["retire"]:
                break
    except BaseException:
        # Never unwind into the fork server's code, which this process was forked from.
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _run_request(request: dict[str, Any], identity: str) -> dict[str, Any]:
    """Run one job; when the request names its directory, prepare it first and collect after."""
    if not request.get("job_dir"):
        return run_job_here(request)
    directory = JobDirectory(Path(request["job_dir"]))
    try:
        prepare_directory(directory, request.get("config_files") or {})
        # Recovery finds the job's process here, as it does for a job run by bash.
        directory.process_file.write_text(identity)
    except Exception as exc:
        traceback.print_exc()
        return _unprepared(directory, exc)
    result = run_job_here(request)
    if not result["retire"]:
        result.update(_collect(request, directory, result["status"]))
    return result


def run_job_here(request: dict[str, Any]) -> dict[str, Any]:
    """Run one job in this process and restore the process afterwards.

    Returns the wait status the job's own process would have had, its CPU seconds and
    peak memory in kB, and whether this worker must end rather than run another job.
    """
    before = resource.getrusage(resource.RUSAGE_SELF)
    _reset_peak_memory()
    saved_streams = [os.dup(fd) for fd in (0, 1, 2)]
    saved_stdout, saved_stderr = sys.stdout, sys.stderr
    saved_environ = dict(os.environ)
    saved_argv = sys.argv
    saved_limit = resource.getrlimit(resource.RLIMIT_AS)
    code, retire = 1, False
    try:
        code = run_entry(request)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        # The job left the interpreter in an unknown state, so the worker ends.
        traceback.print_exc()
        retire = True
    finally:
        _flush(sys.stdout, sys.stderr)
        resource.setrlimit(resource.RLIMIT_AS, saved_limit)
        for fd, saved in enumerate(saved_streams):
            os.dup2(saved, fd)
            os.close(saved)
        sys.stdout, sys.stderr = saved_stdout, saved_stderr
        sys.argv = saved_argv
        _replace_environ(saved_environ)
        os.chdir("/")

    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "status": (code & 0xFF) << 8,
        "cpu": cpu,
        "maxrss": _peak_memory_kb() or after.ru_maxrss,
        "retire": retire,
    }


def _unprepared(directory: JobDirectory, exc: Exception) -> dict[str, Any]:
    """Return the result of a job whose working directory could not be made: exit code 1 and why."""
    return {
        "status": 1 << 8,
        "cpu": 0.0,
        "maxrss": 0,
        "retire": False,
        "stdout": "",
        "stderr": f"could not prepare the working directory {directory.root}: {_reason(exc)}",
    }


def _collect(request: dict[str, Any], directory: JobDirectory, status: int) -> dict[str, Any]:
    """Read the tails of a finished job's streams and, when it exited 0, describe its outputs.

    Describing here spares the handler's process, which serves every job, the reading of
    each output. A job that failed is not described, because its outputs are not stored.
    """
    collected: dict[str, Any] = {
        "stdout": read_tail(directory.stdout, STREAM_TAIL_BYTES),
        "stderr": read_tail(directory.stderr, STREAM_TAIL_BYTES),
    }
    if status != 0:
        return collected
    declared = [(name, ext) for name, ext in request.get("outputs") or []]
    try:
        outputs = describe_outputs(declared, directory, default_registry())
    except OutputError as exc:
        collected["output_error"] = str(exc)
    except Exception:
        # Without descriptions the client describes the outputs itself, and reports the
        # same error as an internal one, as it does for a job run by bash.
        traceback.print_exc()
    else:
        collected["outputs"] = [dataclasses.asdict(output) for output in outputs]
    return collected


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def run_entry(request: dict[str, Any]) -> int:
    """Enter the job (folder, streams, environment, memory limit, argv) and run its entry."""
    os.chdir(request["cwd"])
    _redirect(0, os.devnull, os.O_RDONLY)
    _redirect(1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    _redirect(2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    _replace_environ(request["env"])
    if request.get("memory_limit_mb"):
        limit = int(request["memory_limit_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    module, *argv = request["entry"]
    sys.argv = [module, *argv]
    return int(importlib.import_module(module).main(argv) or 0)


def _replace_environ(environ: dict[str, str]) -> None:
    """Make os.environ equal to `environ`, setting and unsetting only the variables that differ.

    A job's environment is mostly the worker's own, so this touches a few variables
    where clearing and refilling touched every one, twice per job.
    """
    for key in [key for key in os.environ if key not in environ]:
        del os.environ[key]
    for key, value in environ.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _redirect(fd: int, path: str, flags: int) -> None:
    opened = os.open(path, flags, 0o644)
    os.dup2(opened, fd)
    os.close(opened)


def _flush(*streams: Any) -> None:
    for stream in streams:
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # A job that closed its stream has nothing left to write.


def _reset_peak_memory() -> None:
    """Start the peak resident size (VmHWM) afresh, so the next reading is this job's."""
    try:
        with open(_PEAK_RESET, "w") as handle:
            handle.write("5")
    except OSError:
        pass  # Without it the reading is the worker's peak so far, an overestimate.


def _peak_memory_kb() -> int | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
