"""The move of claimed jobs to running, shared by every runner.

Preparation and start are separate steps. A handler prepares every job it claimed in a
round in one transaction, where one query loads them all. A job is marked running when
its runner takes it. The Celery runner does so as it sends the job to the broker. The
local runner does so in the preparing transaction, for the jobs it starts at once or
within about a quarter of a second. The start time, and with it the time the job waited,
stays close to true.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from nebula.errors import NebulaError
from nebula.jobs.finish import fail_job, mark_cancelled
from nebula.jobs.preparation import build_job_spec, load_claimed_jobs
from nebula.jobs.spec import JobSpec
from nebula.model import Dataset, DatasetState, HistoryItem, Job, JobOutput, JobState
from nebula.model.base import utcnow
from nebula.objectstore import ObjectStore
from nebula.tools import ToolBox

logger = logging.getLogger(__name__)

_INTERNAL_ERROR = (
    "internal error while preparing the job; the administrators can find details in the server log"
)

# Built once, on the tables, because these run once per job and the ORM's bulk-update
# path costs more than the statements themselves.
_jobs, _datasets = Job.__table__, Dataset.__table__
_START = (
    update(_jobs)
    .where(
        _jobs.c.id.in_(bindparam("job_ids", expanding=True)),
        _jobs.c.state == JobState.QUEUED,
        _jobs.c.handler == bindparam("holder"),
    )
    .values(
        state=JobState.RUNNING,
        runner=bindparam("job_runner"),
        runner_job_id=bindparam("job_runner_job_id"),
        start_time=bindparam("job_start_time"),
        attempts=_jobs.c.attempts + 1,
    )
    .returning(_jobs.c.id)
)
_COMMAND_LINE = (
    update(_jobs)
    .where(_jobs.c.id == bindparam("job_id"))
    .values(command_line=bindparam("job_command_line"))
)
_OUTPUTS_STATE = (
    update(_datasets)
    .where(_datasets.c.id.in_(bindparam("dataset_ids", expanding=True)))
    .values(state=bindparam("dataset_state"))
)
_UNSTART = (
    update(_jobs)
    .where(
        _jobs.c.id.in_(bindparam("job_ids", expanding=True)),
        _jobs.c.state == JobState.RUNNING,
        _jobs.c.handler == bindparam("holder"),
    )
    .values(
        state=JobState.NEW,
        handler=None,
        runner=None,
        start_time=None,
        attempts=_jobs.c.attempts - 1,
    )
    .returning(_jobs.c.id)
)
_RELEASE = (
    update(_jobs)
    .where(
        _jobs.c.id.in_(bindparam("job_ids", expanding=True)),
        _jobs.c.state == JobState.QUEUED,
        _jobs.c.handler == bindparam("holder"),
    )
    .values(state=JobState.NEW, handler=None)
)


@dataclass(frozen=True)
class PreparedJob:
    """A claimed job ready to start: its spec, and what its start must update."""

    spec: JobSpec
    output_dataset_ids: list[int]
    user_id: int | None
    handler: str
    """The handler that claimed the job; the job starts only while that handler still has the claim."""


@dataclass(frozen=True)
class JobSettings:
    """The working folder and limits that every job of one runner gets."""

    job_working_dir: Path
    wall_time: float
    memory_limit_mb: int | None = None


def prepare_jobs(
    session: Session, job_ids: list[int], toolbox: ToolBox, store: ObjectStore, settings: JobSettings
) -> list[PreparedJob]:
    """Build the specs of claimed jobs that are still queued, in the order of `job_ids`.

    A job whose spec cannot be built is failed with the reason and left out. A tool that
    disappeared, or a detected input format the tool does not accept, is reported to the
    user; anything else is an internal error. A job cancelled since its claim
    is ended here, since no runner will see it.
    """
    jobs = load_claimed_jobs(session, job_ids)
    prepared = []
    for job_id in job_ids:
        job = jobs.get(job_id)
        if job is not None and job.state == JobState.DELETING:
            cancelled = session.get(Job, job_id)
            assert cancelled is not None
            mark_cancelled(cancelled)
            continue
        if job is None or job.state != JobState.QUEUED or job.handler is None:
            continue
        try:
            with session.begin_nested():
                spec = build_job_spec(
                    session,
                    job,
                    toolbox,
                    store,
                    settings.job_working_dir,
                    settings.wall_time,
                    settings.memory_limit_mb,
                )
        except NebulaError as exc:
            fail_job(session, job.id, f"the job could not be prepared: {exc.message}")
            continue
        except Exception:
            logger.exception("job %s: could not be prepared", job.id)
            fail_job(session, job.id, _INTERNAL_ERROR)
            continue
        dataset_ids = [output.dataset_id for output in job.outputs]
        prepared.append(PreparedJob(spec, dataset_ids, job.user_id, job.handler))
    return prepared


def mark_running(
    session: Session, job: PreparedJob, runner: str, runner_job_id: str | None = None
) -> bool:
    """Record that a prepared job starts; return False when it is no longer queued."""
    return bool(mark_all_running(session, [job], runner, runner_job_id))


def mark_all_running(
    session: Session, jobs: list[PreparedJob], runner: str, runner_job_id: str | None = None
) -> list[PreparedJob]:
    """Record that prepared jobs start, with a few statements for all; return those that do.

    The update is conditional, so that a cancellation that arrived since a job was
    claimed is not overwritten, and a job that another handler took over meanwhile (it
    held this handler for dead) is not started twice.
    """
    started_ids: set[int] = set()
    start_time = utcnow()
    for holder in {job.handler for job in jobs}:
        started_ids.update(
            session.scalars(
                _START,
                {
                    "job_ids": [job.spec.job_id for job in jobs if job.handler == holder],
                    "holder": holder,
                    "job_runner": runner,
                    "job_runner_job_id": runner_job_id,
                    "job_start_time": start_time,
                },
            )
        )
    started = [job for job in jobs if job.spec.job_id in started_ids]
    if not started:
        return []

    session.execute(
        _COMMAND_LINE,
        [{"job_id": job.spec.job_id, "job_command_line": job.spec.command_line} for job in started],
    )
    dataset_ids = [dataset_id for job in started for dataset_id in job.output_dataset_ids]
    if dataset_ids:
        session.execute(
            _OUTPUTS_STATE, {"dataset_ids": dataset_ids, "dataset_state": DatasetState.RUNNING}
        )
    for job in started:
        logger.info(
            "job %s running on the %s runner: tool %s, user %s",
            job.spec.job_id,
            runner,
            job.spec.tool_id,
            job.user_id,
        )
    return started


def unstart_jobs(session: Session, jobs: list[PreparedJob]) -> list[int]:
    """Put jobs marked running that never started back in the queue; return their ids.

    The attempt they were given at their start is taken back, because they never ran.
    """
    returned: list[int] = []
    for holder in {job.handler for job in jobs}:
        job_ids = [job.spec.job_id for job in jobs if job.handler == holder]
        returned += session.scalars(_UNSTART, {"job_ids": job_ids, "holder": holder})
    outputs = [job.output_dataset_ids for job in jobs if job.spec.job_id in returned]
    dataset_ids = [dataset_id for ids in outputs for dataset_id in ids]
    if dataset_ids:
        session.execute(
            _OUTPUTS_STATE, {"dataset_ids": dataset_ids, "dataset_state": DatasetState.QUEUED}
        )
    return returned


def release_jobs(session: Session, job_ids: list[int], handler_id: str) -> None:
    """Give claimed jobs that have not started back to the queue, for any handler to claim."""
    session.execute(_RELEASE, {"job_ids": job_ids, "holder": handler_id})


def return_unsent(session: Session, job_id: int, runner_job_id: str) -> None:
    """Put a job marked running back in the queue when its runner never received it."""
    returned = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.state == JobState.RUNNING,
            Job.runner_job_id == runner_job_id,
        )
        .values(
            state=JobState.NEW,
            handler=None,
            runner=None,
            runner_job_id=None,
            start_time=None,
            attempts=Job.attempts - 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if returned:
        session.execute(
            update(Dataset)
            .where(Dataset.id.in_(_output_dataset_ids(job_id)))
            .values(state=DatasetState.QUEUED)
            .execution_options(synchronize_session=False)
        )


def _output_dataset_ids(job_id: int):  # type: ignore[no-untyped-def]
    return (
        select(HistoryItem.dataset_id)
        .join(JobOutput, JobOutput.history_item_id == HistoryItem.id)
        .where(JobOutput.job_id == job_id)
    )
