"""Recording a job's end in the database from the runner's report.

Recording is idempotent: it acts only on a job that is still running (or being
cancelled), and outputs were stored under their datasets' fixed keys, so a job reported
twice (after a crash, or a redelivered Celery task) still ends once, with one copy of
each output.
"""

from __future__ import annotations

import logging

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from nebula.jobs.spec import JobReport
from nebula.model import Dataset, DatasetState, HistoryItem, Job, JobMetric, JobOutput, JobState
from nebula.model.base import utcnow

logger = logging.getLogger(__name__)

INFO_MAX_CHARS = 2000

_JOB_ROW = select(Job.state, Job.tool_id, Job.user_id).where(Job.id == bindparam("job_id"))
_JOB_ROW_FOR_UPDATE = _JOB_ROW.with_for_update()
_JOB_OUTPUTS = (
    select(JobOutput.name, HistoryItem.id, HistoryItem.dataset_id)
    .join(HistoryItem, HistoryItem.id == JobOutput.history_item_id)
    .where(JobOutput.job_id == bindparam("job_id"))
)

# The statements of the common end are built once, on the tables rather than the mapped
# classes, because the ORM's bulk path and a new statement per call cost more than the writes.
_jobs, _items, _datasets = Job.__table__, HistoryItem.__table__, Dataset.__table__
_ADD_METRIC = insert(JobMetric.__table__)
_END_OK = (
    update(_jobs)
    .where(_jobs.c.id == bindparam("job_id"))
    .values(
        state=JobState.OK,
        info=bindparam("job_info"),
        exit_code=bindparam("job_exit_code"),
        stdout=bindparam("job_stdout"),
        stderr=bindparam("job_stderr"),
        end_time=bindparam("job_end_time"),
    )
)
_DESCRIBE_ITEM = (
    update(_items)
    .where(_items.c.id == bindparam("item_id"))
    .values(
        extension=bindparam("item_extension"),
        metadata=bindparam("item_metadata", type_=_items.c.metadata.type),
        peek=bindparam("item_peek"),
        info=bindparam("item_info"),
    )
)
_RENAME_ITEM = (
    update(_items).where(_items.c.id == bindparam("item_id")).values(name=bindparam("item_name"))
)
_DATASET_OK = (
    update(_datasets)
    .where(_datasets.c.id == bindparam("dataset_id"))
    .values(
        file_size=bindparam("dataset_size"),
        checksum=bindparam("dataset_checksum"),
        state=DatasetState.OK,
    )
)


def record_report(session: Session, report: JobReport) -> JobState | None:
    """Write a finished job's report; return its final state, or None if it was not running.

    The common case, a running job that ended, is written with a few statements rather
    than through loaded objects, because it happens once per job on the hottest path.
    """
    row = session.execute(_job_row_query(session), {"job_id": report.job_id}).first()
    if row is None or row.state not in (JobState.RUNNING, JobState.DELETING):
        return None
    state, tool_id, user_id = row

    end_time = utcnow()
    session.execute(
        _ADD_METRIC,
        [
            {"job_id": report.job_id, "name": name, "value": float(value)}
            for name, value in (
                ("runtime_seconds", report.runtime_seconds),
                ("cpu_seconds", report.cpu_seconds),
                ("peak_memory_bytes", report.peak_memory_bytes),
            )
        ],
    )
    ended = {
        "exit_code": report.exit_code,
        "stdout": report.stdout,
        "stderr": report.stderr,
        "end_time": end_time,
    }
    if state == JobState.DELETING or not report.ok:
        job = _lock_job(session, report.job_id)
        assert job is not None
        for key, value in ended.items():
            setattr(job, key, value)
        if state == JobState.DELETING:
            mark_cancelled(job)
        else:
            _fail(job, report.info or "the job failed")
        _log_end(job.id, job.state, job.tool_id, job.user_id, report)
        return job.state

    _store_outputs(session, report)
    session.execute(
        _END_OK,
        {
            "job_id": report.job_id,
            "job_info": report.info,
            **{f"job_{key}": value for key, value in ended.items()},
        },
    )
    _log_end(report.job_id, JobState.OK, tool_id, user_id, report)
    return JobState.OK


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


def _store_outputs(session: Session, report: JobReport) -> None:
    """Type, describe and mark ok each output item of a successful job."""
    by_name = {output.name: output for output in report.outputs}
    for name, item_id, dataset_id in session.execute(_JOB_OUTPUTS, {"job_id": report.job_id}):
        stored = by_name[name]
        session.execute(
            _DESCRIBE_ITEM,
            {
                "item_id": item_id,
                "item_extension": stored.ext,
                "item_metadata": stored.metadata,
                "item_peek": stored.peek,
                "item_info": (stored.info or report.info or "")[:INFO_MAX_CHARS] or None,
            },
        )
        if stored.dataset_name:
            session.execute(_RENAME_ITEM, {"item_id": item_id, "item_name": stored.dataset_name})
        session.execute(
            _DATASET_OK,
            {
                "dataset_id": dataset_id,
                "dataset_size": stored.size,
                "dataset_checksum": stored.checksum,
            },
        )


def _log_end(
    job_id: int, state: JobState, tool_id: str, user_id: int | None, report: JobReport
) -> None:
    logger.info(
        "job %s finished %s: tool %s, user %s, exit code %s, %.2fs",
        job_id,
        state.value,
        tool_id,
        user_id,
        report.exit_code,
        report.runtime_seconds,
    )


def _job_row_query(session: Session):  # type: ignore[no-untyped-def]
    """Return the query for the job's state, tool and user; on PostgreSQL it locks the row."""
    if session.get_bind().dialect.name == "postgresql":
        return _JOB_ROW_FOR_UPDATE
    return _JOB_ROW


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
