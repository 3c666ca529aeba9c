"""Recording a job's end in the database from the runner's report.

Recording is idempotent: it acts only on a job that is still running (or being
cancelled), and outputs were stored under their datasets' fixed keys, so a job reported
twice (after a crash, or a redelivered Celery task) still ends once, with one copy of
each output.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from nebula.jobs.spec import JobReport
from nebula.model import Dataset, DatasetState, HistoryItem, Job, JobMetric, JobOutput, JobState
from nebula.model.base import utcnow

logger = logging.getLogger(__name__)

INFO_MAX_CHARS = 2000

_JOB_ROWS = select(Job.id, Job.state, Job.tool_id, Job.user_id).where(
    Job.id.in_(bindparam("job_ids", expanding=True))
)
# Locked in id order, so that two handlers recording overlapping batches take the rows in the
# same order and neither waits for a row the other took out of turn.
_JOB_ROWS_FOR_UPDATE = _JOB_ROWS.order_by(Job.id).with_for_update()
_JOB_OUTPUTS = (
    select(JobOutput.job_id, JobOutput.name, HistoryItem.id, HistoryItem.dataset_id)
    .join(HistoryItem, HistoryItem.id == JobOutput.history_item_id)
    .where(JobOutput.job_id.in_(bindparam("job_ids", expanding=True)))
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
    """Write a finished job's report; return its final state, or None if it was not running."""
    return record_reports(session, [report])[0]


def record_reports(session: Session, reports: list[JobReport]) -> list[JobState | None]:
    """Write finished jobs' reports; return each one's final state, None for a job not running.

    The common case, running jobs that ended ok, is written with a few statements for all
    of them together rather than through loaded objects, because it happens once per job
    on the hottest path. A job reported twice in one call is recorded once.
    """
    rows = {
        row.id: row
        for row in session.execute(_jobs_query(session), {"job_ids": [r.job_id for r in reports]})
    }
    end_time = utcnow()
    states: list[JobState | None] = []
    ended_ok: list[JobReport] = []
    for report in reports:
        row = rows.pop(report.job_id, None)
        if row is None or row.state not in (JobState.RUNNING, JobState.DELETING):
            states.append(None)
        elif row.state == JobState.RUNNING and report.ok:
            ended_ok.append(report)
            states.append(JobState.OK)
            _log_end(report.job_id, JobState.OK, row.tool_id, row.user_id, report)
        else:
            states.append(_record_other_end(session, report, end_time))

    recorded = [report for report, state in zip(reports, states, strict=True) if state]
    if recorded:
        session.execute(_ADD_METRIC, [metric for report in recorded for metric in _metrics(report)])
    if ended_ok:
        _store_outputs(session, ended_ok)
        session.execute(_END_OK, [_ok_values(report, end_time) for report in ended_ok])
    return states


def _record_other_end(session: Session, report: JobReport, end_time: datetime) -> JobState:
    """Record the end of a job that failed or was being cancelled, through its loaded object."""
    job = _lock_job(session, report.job_id)
    assert job is not None
    job.exit_code = report.exit_code
    job.stdout = report.stdout
    job.stderr = report.stderr
    job.end_time = end_time
    if job.state == JobState.DELETING:
        mark_cancelled(job)
    else:
        _fail(job, report.info or "the job failed")
    _log_end(job.id, job.state, job.tool_id, job.user_id, report)
    return job.state


def _metrics(report: JobReport) -> list[dict[str, object]]:
    return [
        {"job_id": report.job_id, "name": name, "value": float(value)}
        for name, value in (
            ("runtime_seconds", report.runtime_seconds),
            ("cpu_seconds", report.cpu_seconds),
            ("peak_memory_bytes", report.peak_memory_bytes),
        )
    ]


def _ok_values(report: JobReport, end_time: datetime) -> dict[str, object]:
    return {
        "job_id": report.job_id,
        "job_info": report.info,
        "job_exit_code": report.exit_code,
        "job_stdout": report.stdout,
        "job_stderr": report.stderr,
        "job_end_time": end_time,
    }


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


def _store_outputs(session: Session, reports: list[JobReport]) -> None:
    """Type, describe and mark ok each output item of jobs that ended ok."""
    by_job = {report.job_id: report for report in reports}
    described, renamed, stored = [], [], []
    for job_id, name, item_id, dataset_id in session.execute(
        _JOB_OUTPUTS, {"job_ids": list(by_job)}
    ):
        report = by_job[job_id]
        output = next(output for output in report.outputs if output.name == name)
        described.append(
            {
                "item_id": item_id,
                "item_extension": output.ext,
                "item_metadata": output.metadata,
                "item_peek": output.peek,
                "item_info": (output.info or report.info or "")[:INFO_MAX_CHARS] or None,
            }
        )
        if output.dataset_name:
            renamed.append({"item_id": item_id, "item_name": output.dataset_name})
        stored.append(
            {
                "dataset_id": dataset_id,
                "dataset_size": output.size,
                "dataset_checksum": output.checksum,
            }
        )
    for statement, values in (
        (_DESCRIBE_ITEM, described),
        (_RENAME_ITEM, renamed),
        (_DATASET_OK, stored),
    ):
        if values:
            session.execute(statement, values)


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


def _jobs_query(session: Session):  # type: ignore[no-untyped-def]
    """Return the query for the jobs' states, tools and users; on PostgreSQL it locks the rows."""
    if session.get_bind().dialect.name == "postgresql":
        return _JOB_ROWS_FOR_UPDATE
    return _JOB_ROWS


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
