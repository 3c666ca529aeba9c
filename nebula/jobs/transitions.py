"""The move of a claimed job to running, shared by every runner."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from nebula.errors import NebulaError
from nebula.jobs.finish import fail_job
from nebula.jobs.preparation import build_job_spec
from nebula.jobs.spec import JobSpec
from nebula.model import DatasetState, Job, JobState
from nebula.model.base import utcnow
from nebula.objectstore import ObjectStore
from nebula.tools import ToolBox

logger = logging.getLogger(__name__)


def start_job(
    session: Session,
    job: Job,
    toolbox: ToolBox,
    store: ObjectStore,
    job_working_dir: Path,
    wall_time: float,
    memory_limit_mb: int | None,
    runner: str,
    runner_job_id: str | None = None,
) -> JobSpec | None:
    """Build a queued job's spec and mark it running; None when it must not run.

    A job whose spec cannot be built (a tool that disappeared, a detected input format
    the tool does not accept) is failed with the reason.
    """
    try:
        spec = build_job_spec(
            session, job, toolbox, store, job_working_dir, wall_time, memory_limit_mb
        )
    except NebulaError as exc:
        fail_job(session, job.id, f"the job could not be prepared: {exc.message}")
        return None
    if not mark_running(session, job, spec.command_line, runner, runner_job_id):
        return None
    return spec


def mark_running(
    session: Session, job: Job, command_line: str, runner: str, runner_job_id: str | None = None
) -> bool:
    """Record that a queued job starts; return False when it is no longer queued.

    The update is conditional, so that a cancellation that arrived since the job was read
    is not overwritten.
    """
    started = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state == JobState.QUEUED)
        .values(
            state=JobState.RUNNING,
            command_line=command_line,
            runner=runner,
            runner_job_id=runner_job_id,
            start_time=utcnow(),
            attempts=Job.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not started:
        return False
    for job_output in job.outputs:
        job_output.history_item.dataset.state = DatasetState.RUNNING
    logger.info(
        "job %s running on the %s runner: tool %s, user %s",
        job.id,
        runner,
        job.tool_id,
        job.user_id,
    )
    return True
