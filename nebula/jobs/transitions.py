"""The move of claimed jobs to running, shared by every runner.

Preparation and start are separate steps: a handler prepares every job it claimed in a
round in one transaction (one query loads them all), and a job is marked running only
when a runner really starts it, so that its start time, and with it the time it waited,
stays true.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from nebula.errors import NebulaError
from nebula.jobs.finish import fail_job
from nebula.jobs.preparation import JOB_WITH_DATASETS, build_job_spec
from nebula.jobs.spec import JobSpec
from nebula.model import Dataset, DatasetState, Job, JobState
from nebula.model.base import utcnow
from nebula.objectstore import ObjectStore
from nebula.tools import ToolBox

logger = logging.getLogger(__name__)

_START = (
    update(Job)
    .where(Job.id == bindparam("job_id"), Job.state == JobState.QUEUED)
    .values(
        state=JobState.RUNNING,
        command_line=bindparam("command_line"),
        runner=bindparam("runner"),
        runner_job_id=bindparam("runner_job_id"),
        start_time=bindparam("start_time"),
        attempts=Job.attempts + 1,
    )
    .execution_options(synchronize_session=False)
)
_OUTPUTS_RUNNING = (
    update(Dataset)
    .where(Dataset.id.in_(bindparam("dataset_ids", expanding=True)))
    .values(state=DatasetState.RUNNING)
    .execution_options(synchronize_session=False)
)


@dataclass(frozen=True)
class PreparedJob:
    """A claimed job ready to start: its spec, and what its start must update."""

    spec: JobSpec
    output_dataset_ids: list[int]
    user_id: int | None


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

    A job whose spec cannot be built (a tool that disappeared, a detected input format
    the tool does not accept) is failed with the reason and left out.
    """
    jobs = {
        job.id: job
        for job in session.scalars(
            select(Job).where(Job.id.in_(job_ids)).options(*JOB_WITH_DATASETS)
        )
    }
    prepared = []
    for job_id in job_ids:
        job = jobs.get(job_id)
        if job is None or job.state != JobState.QUEUED:
            continue
        try:
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
        dataset_ids = [job_output.history_item.dataset_id for job_output in job.outputs]
        prepared.append(PreparedJob(spec, dataset_ids, job.user_id))
    return prepared


def mark_running(
    session: Session, job: PreparedJob, runner: str, runner_job_id: str | None = None
) -> bool:
    """Record that a prepared job starts; return False when it is no longer queued.

    The update is conditional, so that a cancellation that arrived since the job was
    claimed is not overwritten.
    """
    started = session.execute(
        _START,
        {
            "job_id": job.spec.job_id,
            "command_line": job.spec.command_line,
            "runner": runner,
            "runner_job_id": runner_job_id,
            "start_time": utcnow(),
        },
    ).rowcount  # type: ignore[attr-defined]
    if not started:
        return False
    if job.output_dataset_ids:
        session.execute(_OUTPUTS_RUNNING, {"dataset_ids": job.output_dataset_ids})
    logger.info(
        "job %s running on the %s runner: tool %s, user %s",
        job.spec.job_id,
        runner,
        job.spec.tool_id,
        job.user_id,
    )
    return True
