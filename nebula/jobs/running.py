"""Running a JobSpec where its files are: prepare its directory, execute it, judge the
result, store the outputs. Used by the local runner and by Celery workers alike."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from nebula.datatypes import DatatypeRegistry
from nebula.jobs.execution import (
    ExecutionResult,
    RunningProcess,
    execute_script,
    prepare_directory,
    process_identity,
)
from nebula.jobs.outputs import OutputError, describe_outputs
from nebula.jobs.spec import JobReport, JobSpec, OutputReport
from nebula.jobs.workdir import STREAM_TAIL_BYTES, JobDirectory, read_tail
from nebula.objectstore import ObjectStore
from nebula.tools import Tool

if TYPE_CHECKING:
    from nebula.jobs.forkserver import ForkServer

_Report = TypeVar("_Report", JobReport, OutputReport)

logger = logging.getLogger(__name__)

INFO_MAX_CHARS = 2000


def run_job(
    spec: JobSpec,
    tool: Tool | None,
    store: ObjectStore,
    datatypes: DatatypeRegistry,
    handle: RunningProcess,
    on_start: Callable[[int], None] | None = None,
    executor: Callable[..., ExecutionResult] | None = None,
) -> JobReport:
    """Run the job's command in a fresh working directory and store its outputs.

    `tool` judges the result by its stdio rules; None (uploads) judges by exit code.
    `executor` runs the command; by default a bash script in its own session.
    """
    directory = JobDirectory(Path(spec.job_dir))
    prepare_directory(directory, spec.config_files)
    directory.script.write_text(_script(spec, directory))
    if spec.upload_params is not None:
        directory.params.write_text(json.dumps(spec.upload_params))

    def _started(pid: int) -> None:
        directory.process_file.write_text(process_identity(pid))
        if on_start is not None:
            on_start(pid)

    run = executor or execute_script
    result = run(
        spec=spec,
        directory=directory,
        env=job_environment(spec.job_id),
        handle=handle,
        on_start=_started,
    )
    return conclude(
        spec,
        tool,
        store,
        directory,
        result,
        read_tail(directory.stdout, STREAM_TAIL_BYTES),
        read_tail(directory.stderr, STREAM_TAIL_BYTES),
        lambda: describe_outputs(_declared(spec), directory, datatypes),
    )


def run_job_in_worker(
    spec: JobSpec,
    tool: Tool | None,
    store: ObjectStore,
    datatypes: DatatypeRegistry,
    handle: RunningProcess,
    fork_server: ForkServer,
) -> JobReport:
    """Run a job of Nebula's own operations in a job worker of the fork server.

    The worker prepares the working directory, runs the job, reads its streams and
    describes its outputs, so this process only judges the result and stores the files.
    Raises ForkServerUnavailable, before anything ran, when the server cannot be reached.
    """
    directory = JobDirectory(Path(spec.job_dir))
    run = fork_server.run_in_worker(spec, directory, job_environment(spec.job_id), handle)

    def described() -> list[OutputReport]:
        if run.output_error is not None:
            raise OutputError(run.output_error)
        if run.outputs is not None:
            return run.outputs
        # The worker ended before it could describe them.
        return describe_outputs(_declared(spec), directory, datatypes)

    return conclude(
        spec,
        tool,
        store,
        directory,
        run.result,
        run.stdout if run.stdout is not None else read_tail(directory.stdout, STREAM_TAIL_BYTES),
        run.stderr if run.stderr is not None else read_tail(directory.stderr, STREAM_TAIL_BYTES),
        described,
    )


def conclude(
    spec: JobSpec,
    tool: Tool | None,
    store: ObjectStore,
    directory: JobDirectory,
    result: ExecutionResult,
    stdout: str,
    stderr: str,
    described: Callable[[], list[OutputReport]],
) -> JobReport:
    """Judge a finished job and, when it succeeded, store the outputs that `described` lists."""
    report = JobReport(
        job_id=spec.job_id,
        ok=False,
        exit_code=result.exit_code,
        stdout=stdout,
        stderr=stderr,
        info=None,
        runtime_seconds=result.runtime_seconds,
        cpu_seconds=result.cpu_seconds,
        peak_memory_bytes=result.peak_memory_bytes,
        cancelled=result.killed,
    )
    failure = _judge(result, spec.wall_time, tool, stdout, stderr)
    if failure is not None:
        return _replace(report, info=failure)

    try:
        outputs = described()
    except OutputError as exc:
        return _replace(report, info=str(exc))
    keys = {output.name: output.object_key for output in spec.outputs}
    stored = [
        _replace(output, size=store.put(keys[output.name], directory.output_path(output.name)))
        for output in outputs
    ]
    return _replace(
        report, ok=True, outputs=stored, info=(stdout.strip()[:INFO_MAX_CHARS] or None)
    )


def job_environment(job_id: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
    # Bundled tools call Nebula's own commands, installed beside this interpreter.
    env["PATH"] = os.pathsep.join(
        [str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")]
    )
    env["NEBULA_JOB_ID"] = str(job_id)
    env["GALAXY_SLOTS"] = "1"
    env.setdefault("HOME", "/tmp")
    return env


def _script(spec: JobSpec, directory: JobDirectory) -> str:
    lines = ["#!/bin/bash", f"cd {shlex.quote(str(directory.working))} || exit 1"]
    if spec.memory_limit_mb:
        lines.append(f"ulimit -v {spec.memory_limit_mb * 1024}")
    lines.append(spec.command_line)
    return "\n".join(lines) + "\n"


def _judge(
    result: ExecutionResult, wall_time: float, tool: Tool | None, stdout: str, stderr: str
) -> str | None:
    """Return why the job failed, or None when it succeeded."""
    if result.killed:
        return "the job was stopped"
    if result.timed_out:
        return f"the job exceeded the wall-time limit of {wall_time:g} seconds and was stopped"
    if tool is not None:
        verdict = tool.check_results(result.exit_code, stdout, stderr)
        if not verdict.failed:
            return None
        # The tool's own last words say more than the rule that matched them.
        detail = _last_line(stderr) or "; ".join(verdict.messages) or "no message"
        if verdict.out_of_memory:
            return f"the job ran out of memory: {detail}"
        return f"the tool failed with exit code {result.exit_code}: {detail}"
    if result.exit_code != 0:
        reason = _last_line(stderr) or _last_line(stdout) or "no message"
        if result.exit_code < 0:
            return f"the job was killed by signal {-result.exit_code}: {reason}"
        return f"the tool failed with exit code {result.exit_code}: {reason}"
    return None


def _declared(spec: JobSpec) -> list[tuple[str, str]]:
    return [(output.name, output.ext) for output in spec.outputs]


def _replace(report: _Report, **changes: object) -> _Report:
    return dataclasses.replace(report, **changes)  # type: ignore[type-var]


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1].strip()[:500] if lines else ""
