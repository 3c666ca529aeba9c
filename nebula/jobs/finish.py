"""Recording a job's end: outputs into the object store, metadata, states and metrics.

Finishing is idempotent: it acts only on a job that is still running, and the object
store replaces an object whole under the same key, so a job finished twice (after a
crash, or a redelivered task) still ends with one copy of each output.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nebula.datatypes import DatatypeRegistry
from nebula.errors import DatatypeError
from nebula.jobs.execution import ExecutionResult
from nebula.jobs.workdir import JobDirectory, read_tail
from nebula.model import DatasetState, Job, JobMetric, JobState
from nebula.model.base import utcnow
from nebula.objectstore import ObjectStore
from nebula.tools import Tool

logger = logging.getLogger(__name__)

STREAM_TAIL_BYTES = 64 * 1024
INFO_MAX_CHARS = 2000


@dataclass(frozen=True)
class Outcome:
    state: JobState
    info: str | None = None


def finish_job(
    session: Session,
    job_id: int,
    result: ExecutionResult,
    directory: JobDirectory,
    store: ObjectStore,
    datatypes: DatatypeRegistry,
    wall_time: float,
    tool: Tool | None = None,
) -> JobState | None:
    """Store the outputs of a finished process and record the job's final state.

    Returns the final state, or None when the job was no longer running (already
    finished, or recovered by another handler), in which case nothing is written.
    """
    job = _lock_job(session, job_id)
    if job is None or job.state not in (JobState.RUNNING, JobState.DELETING):
        return None

    job.exit_code = result.exit_code
    job.stdout = read_tail(directory.stdout, STREAM_TAIL_BYTES)
    job.stderr = read_tail(directory.stderr, STREAM_TAIL_BYTES)
    job.end_time = utcnow()
    _record_metrics(job, result)

    if job.state == JobState.DELETING:
        _discard_outputs(job)
        job.state = JobState.DELETED
        logger.info("job %s cancelled (tool %s, user %s)", job.id, job.tool_id, job.user_id)
        return job.state

    outcome = _judge(job, result, wall_time, tool)
    if outcome.state == JobState.OK:
        outcome = _store_outputs(job, directory, store, datatypes)
    if outcome.state != JobState.OK:
        _fail_outputs(job, outcome.info or "the job failed")
    job.state = outcome.state
    job.info = outcome.info
    logger.info(
        "job %s finished %s: tool %s, user %s, exit code %s, %.2fs",
        job.id, job.state.value, job.tool_id, job.user_id, result.exit_code, result.runtime_seconds,
    )
    return job.state


def fail_job(session: Session, job_id: int, message: str) -> None:
    """Mark a job and its outputs as failed, with a message for the user."""
    job = _lock_job(session, job_id)
    if job is None or job.state.is_terminal:
        return
    job.state = JobState.ERROR
    job.info = message
    job.end_time = utcnow()
    _fail_outputs(job, message)
    logger.warning("job %s failed: %s", job.id, message)


def _judge(job: Job, result: ExecutionResult, wall_time: float, tool: Tool | None) -> Outcome:
    if result.killed:
        return Outcome(JobState.ERROR, "the job was stopped by the server")
    if result.timed_out:
        return Outcome(JobState.ERROR, f"the job exceeded the wall-time limit of {wall_time:g} seconds and was stopped")
    if tool is not None:
        verdict = tool.check_results(result.exit_code, job.stdout or "", job.stderr or "")
        if verdict.failed:
            reason = "; ".join(verdict.messages) or _last_line(job.stderr) or "no message"
            if verdict.out_of_memory:
                return Outcome(JobState.ERROR, f"the job ran out of memory: {reason}")
            return Outcome(JobState.ERROR, f"the tool reported an error (exit code {result.exit_code}): {_detail(job, reason)}")
        return Outcome(JobState.OK)
    if result.exit_code != 0:
        reason = _last_line(job.stderr) or _last_line(job.stdout) or "no message"
        if result.exit_code < 0:
            return Outcome(JobState.ERROR, f"the job was killed by signal {-result.exit_code}: {reason}")
        return Outcome(JobState.ERROR, f"the tool failed with exit code {result.exit_code}: {reason}")
    return Outcome(JobState.OK)


def _store_outputs(job: Job, directory: JobDirectory, store: ObjectStore, datatypes: DatatypeRegistry) -> Outcome:
    overrides = _read_overrides(directory)
    info = (job.stdout or "").strip()[:INFO_MAX_CHARS] or None
    for job_output in job.outputs:
        item = job_output.history_item
        path = directory.output_path(job_output.name)
        if not path.exists():
            return Outcome(JobState.ERROR, f"the tool did not write its output '{job_output.name}'")
        override = overrides.get(job_output.name, {})
        try:
            datatype = datatypes.get(override.get("ext") or item.extension)
        except DatatypeError as exc:
            return Outcome(JobState.ERROR, exc.message)

        item.extension = datatype.ext
        item.metadata_ = datatype.compute_metadata(path)
        item.peek = datatype.make_peek(path)
        item.info = override.get("info") or info
        if override.get("name"):
            item.name = str(override["name"])
        dataset = item.dataset
        dataset.checksum = "sha256:" + _sha256(path)
        dataset.file_size = store.put(dataset.object_key, path)
        dataset.state = DatasetState.OK
    return Outcome(JobState.OK)


def _fail_outputs(job: Job, message: str) -> None:
    for job_output in job.outputs:
        item = job_output.history_item
        item.info = message[:INFO_MAX_CHARS]
        item.dataset.state = DatasetState.ERROR


def _discard_outputs(job: Job) -> None:
    for job_output in job.outputs:
        job_output.history_item.dataset.state = DatasetState.DISCARDED
        job_output.history_item.info = "the job was cancelled"


def _record_metrics(job: Job, result: ExecutionResult) -> None:
    job.metrics = [
        JobMetric(name="runtime_seconds", value=result.runtime_seconds),
        JobMetric(name="cpu_seconds", value=result.cpu_seconds),
        JobMetric(name="peak_memory_bytes", value=float(result.peak_memory_bytes)),
    ]


def _lock_job(session: Session, job_id: int) -> Job | None:
    query = select(Job).where(Job.id == job_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


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


def _detail(job: Job, reason: str) -> str:
    """Add the last line of stderr to a rule's description, which alone rarely says what went wrong."""
    last = _last_line(job.stderr)
    return f"{reason}: {last}" if last and last not in reason else reason


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1].strip()[:500] if lines else ""
