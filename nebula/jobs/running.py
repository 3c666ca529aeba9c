"""Running a JobSpec where its files are: write the script, execute it, judge the result,
store the outputs. Used by the local runner and by Celery workers alike."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from nebula.datatypes import DatatypeRegistry
from nebula.errors import DatatypeError
from nebula.jobs.execution import (
    ExecutionResult,
    RunningProcess,
    execute_script,
    job_process_alive,
    kill_process_group,
    process_identity,
)
from nebula.jobs.spec import JobReport, JobSpec, OutputReport
from nebula.jobs.workdir import JobDirectory, read_tail
from nebula.objectstore import ObjectStore
from nebula.tools import Tool

logger = logging.getLogger(__name__)

STREAM_TAIL_BYTES = 64 * 1024
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
    _stop_earlier_attempt(directory)
    directory.create_fresh()
    for path, text in spec.config_files.items():
        Path(path).write_text(text, encoding="utf-8")
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
    stdout = read_tail(directory.stdout, STREAM_TAIL_BYTES)
    stderr = read_tail(directory.stderr, STREAM_TAIL_BYTES)
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
        outputs = _store_outputs(spec, directory, store, datatypes, stdout)
    except OutputError as exc:
        return _replace(report, info=str(exc))
    return _replace(
        report, ok=True, outputs=outputs, info=(stdout.strip()[:INFO_MAX_CHARS] or None)
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


def _stop_earlier_attempt(directory: JobDirectory) -> None:
    """Kill the process of an earlier attempt of this job that still runs on this host.

    A worker killed mid-job leaves its job's process running in its own session; the
    redelivered job must not share the working directory with it.
    """
    try:
        identity = directory.process_file.read_text().strip()
    except FileNotFoundError:
        return
    pid = job_process_alive(identity, directory.working)
    if pid is not None:
        kill_process_group(pid)
        logger.warning("job %s: killed process %s of an earlier attempt", directory.root.name, pid)


class OutputError(Exception):
    """An output is missing or cannot be typed."""


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


def _store_outputs(
    spec: JobSpec,
    directory: JobDirectory,
    store: ObjectStore,
    datatypes: DatatypeRegistry,
    stdout: str,
) -> list[OutputReport]:
    overrides = _read_overrides(directory)
    reports = []
    for output in spec.outputs:
        path = directory.output_path(output.name)
        if not path.exists():
            raise OutputError(f"the tool did not write its output '{output.name}'")
        override = overrides.get(output.name, {})
        try:
            datatype = datatypes.get(override.get("ext") or output.ext)
        except DatatypeError as exc:
            raise OutputError(exc.message) from None
        metadata = datatype.compute_metadata(path)
        peek = datatype.make_peek(path)
        checksum = "sha256:" + _sha256(path)
        size = store.put(output.object_key, path)
        reports.append(
            OutputReport(
                name=output.name,
                ext=datatype.ext,
                size=size,
                checksum=checksum,
                metadata=metadata,
                peek=peek,
                info=override.get("info"),
                dataset_name=override.get("name"),
            )
        )
    return reports


def _replace(report: JobReport, **changes: object) -> JobReport:
    return dataclasses.replace(report, **changes)  # type: ignore[arg-type]


def _read_overrides(directory: JobDirectory) -> dict[str, dict[str, str]]:
    try:
        return json.loads(directory.overrides.read_text())
    except FileNotFoundError:
        return {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1].strip()[:500] if lines else ""
