"""The move of a claimed job to running, shared by every runner."""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from nebula.model import DatasetState, Job, JobState
from nebula.model.base import utcnow

logger = logging.getLogger(__name__)


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
