"""Recording a job's end in the database from the runner's report.

Recording is idempotent: it acts only on a job that is still running (or being
cancelled), and outputs were stored under their datasets' fixed keys, so a job reported
twice (after a crash, or a redelivered Celery task) still ends once, with one copy of
each output.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nebula.jobs.spec import JobReport
from nebula.model import DatasetState, HistoryItem, Job, JobMetric, JobOutput, JobState
from nebula.model.base import utcnow

logger = logging.getLogger(__name__)

INFO_MAX_CHARS = 2000


def record_report(session: Session, report: JobReport) -> JobState | None:
    """Write a finished job's report; return its final state, or None if it was not running."""
    job = _lock_job(session, report.job_id)
    if job is None or job.state not in (JobState.RUNNING, JobState.DELETING):
        return None

    job.exit_code = report.exit_code
    job.stdout = report.stdout
    job.stderr = report.stderr
    job.end_time = utcnow()
    job.metrics = [
        JobMetric(name="runtime_seconds", value=report.runtime_seconds),
        JobMetric(name="cpu_seconds", value=report.cpu_seconds),
        JobMetric(name="peak_memory_bytes", value=float(report.peak_memory_bytes)),
    ]

    if job.state == JobState.DELETING:
        mark_cancelled(job)
        return job.state

    if report.ok:
        by_name = {output.name: output for output in report.outputs}
        for job_output in job.outputs:
            stored = by_name[job_output.name]
            item = job_output.history_item
            item.extension = stored.ext
            item.metadata_ = stored.metadata
            item.peek = stored.peek
            item.info = (stored.info or report.info or "")[:INFO_MAX_CHARS] or None
            if stored.dataset_name:
                item.name = stored.dataset_name
            item.dataset.file_size = stored.size
            item.dataset.checksum = stored.checksum
            item.dataset.state = DatasetState.OK
        job.state = JobState.OK
        job.info = report.info
    else:
        _fail(job, report.info or "the job failed")
    logger.info(
        "job %s finished %s: tool %s, user %s, exit code %s, %.2fs",
        job.id,
        job.state.value,
        job.tool_id,
        job.user_id,
        report.exit_code,
        report.runtime_seconds,
    )
    return job.state


def fail_job(session: Session, job_id: int, message: str) -> None:
    """Mark a job and its outputs as failed, with a message for the user."""
    job = _lock_job(session, job_id)
    if job is None or job.state.is_terminal:
        return
    job.end_time = utcnow()
    _fail(job, message)
    logger.warning("job %s failed: %s", job.id, message)


def mark_cancelled(job: Job) -> None:
    job.state = JobState.DELETED
    job.end_time = job.end_time or utcnow()
    for job_output in job.outputs:
        job_output.history_item.dataset.state = DatasetState.DISCARDED
        job_output.history_item.info = "the job was cancelled"
    logger.info("job %s cancelled (tool %s, user %s)", job.id, job.tool_id, job.user_id)


def _fail(job: Job, message: str) -> None:
    job.state = JobState.ERROR
    job.info = message
    for job_output in job.outputs:
        job_output.history_item.info = message[:INFO_MAX_CHARS]
        job_output.history_item.dataset.state = DatasetState.ERROR


def _lock_job(session: Session, job_id: int) -> Job | None:
    query = (
        select(Job)
        .where(Job.id == job_id)
        .options(
            selectinload(Job.outputs)
            .joinedload(JobOutput.history_item)
            .joinedload(HistoryItem.dataset)
        )
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)
