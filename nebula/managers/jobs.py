"""Jobs as users see them: listing, look-up and cancellation."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from nebula.errors import NotFound
from nebula.managers.actors import Actor
from nebula.model import DatasetState, Job, JobState
from nebula.model.base import utcnow

logger = logging.getLogger(__name__)


def get_job(session: Session, actor: Actor, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or not (actor.is_admin or actor.owns(job.user_id, job.session_id)):
        raise NotFound("job not found")
    return job


def list_jobs(
    session: Session,
    actor: Actor,
    states: Sequence[str] | None = None,
    tool_id: str | None = None,
    history_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
    all_users: bool = False,
    with_details: bool = False,
) -> Sequence[Job]:
    """List the actor's jobs, newest change first; `with_details` also loads their inputs,
    outputs and user, in one query each rather than three per job."""
    query = select(Job).order_by(Job.update_time.desc(), Job.id.desc())
    if with_details:
        query = query.options(
            selectinload(Job.inputs), selectinload(Job.outputs), selectinload(Job.user)
        )
    if not (all_users and actor.is_admin):
        if actor.user is not None:
            query = query.where(Job.user_id == actor.user.id)
        else:
            query = query.where(Job.user_id.is_(None), Job.session_id == actor.session_id)
    if states:
        query = query.where(Job.state.in_([JobState(state) for state in states]))
    if tool_id:
        query = query.where(Job.tool_id == tool_id)
    if history_id is not None:
        query = query.where(Job.history_id == history_id)
    return session.scalars(query.offset(offset).limit(limit)).all()


def cancel_job(session: Session, job: Job) -> bool:
    """Cancel a job; return False when it had already ended.

    A job still in the queue is ended here. A claimed or running job is marked deleting,
    and the handler that holds it kills its process and records the end.
    """
    if job.state.is_terminal:
        return False
    dequeued = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state == JobState.NEW)
        .values(state=JobState.DELETED, end_time=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if dequeued:
        for job_output in job.outputs:
            job_output.history_item.dataset.state = DatasetState.DISCARDED
            job_output.history_item.info = "the job was cancelled"
        logger.info("job %s cancelled while queued", job.id)
    else:
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.state.in_((JobState.QUEUED, JobState.RUNNING)))
            .values(state=JobState.DELETING)
            .execution_options(synchronize_session=False)
        )
        logger.info("job %s cancellation requested from handler %s", job.id, job.handler)
    session.flush()
    session.refresh(job)
    return True
