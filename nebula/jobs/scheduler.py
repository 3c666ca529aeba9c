"""Fair-share claiming of new jobs from the job table.

Each round a handler claims as many jobs as its runner has free slots. Owners (a user,
or an anonymous session) are served in order of how few jobs they have running, one job
at a time, so a user with ten thousand queued jobs gets one slot per round like everyone
else, and no owner exceeds its limit of running jobs. A job is claimed with a conditional
UPDATE (`state = 'new'` still true), so two handlers can never both claim it; on PostgreSQL
`FOR UPDATE SKIP LOCKED` also keeps handlers from waiting on each other's candidates.
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from nebula.model import Dataset, DatasetState, HistoryItem, Job, JobInput, JobState

logger = logging.getLogger(__name__)

RUNNING_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.DELETING)
_FAILED_INPUT_STATES = (DatasetState.ERROR, DatasetState.DISCARDED)


@dataclass(frozen=True)
class ShareLimits:
    """Running jobs allowed at once per registered user and per anonymous session."""

    per_user: int
    per_anonymous: int


def owner_key():  # type: ignore[no-untyped-def]
    """SQL expression naming a job's owner: the user id, or minus the session id when anonymous."""
    return func.coalesce(Job.user_id, -Job.session_id)


def claim_jobs(session: Session, handler_id: str, slots: int, limits: ShareLimits) -> list[int]:
    """Claim up to `slots` ready jobs fairly for `handler_id`; return their ids (committed by the caller)."""
    if slots <= 0:
        return []
    owner = owner_key()
    running = dict(
        session.execute(
            select(owner, func.count()).where(Job.state.in_(RUNNING_STATES)).group_by(owner)
        ).all()
    )
    waiting = session.execute(
        select(owner, func.min(Job.user_id), func.min(Job.id))
        .where(Job.state == JobState.NEW, _inputs_ready())
        .group_by(owner)
    ).all()

    # Owners with equally few running jobs are served by how long their oldest job has
    # waited, so that no owner wins every tie (ordering ties by owner id starved new users).
    heap = []
    for owner_id, user_id, oldest_job_id in waiting:
        limit = limits.per_user if user_id is not None else limits.per_anonymous
        count = running.get(owner_id, 0)
        if count < limit:
            heap.append((count, oldest_job_id, owner_id, limit))
    heapq.heapify(heap)

    claimed: list[int] = []
    last_seen: dict[int, int] = {}
    while heap and len(claimed) < slots:
        count, oldest_job_id, owner_id, limit = heapq.heappop(heap)
        job_id = _claim_next(session, handler_id, owner_id, last_seen.get(owner_id, 0))
        if job_id is None:
            continue
        claimed.append(job_id)
        last_seen[owner_id] = job_id
        if count + 1 < limit:
            heapq.heappush(heap, (count + 1, job_id + 1, owner_id, limit))
    return claimed


def fail_jobs_with_failed_inputs(session: Session) -> list[int]:
    """Mark new jobs whose input dataset failed as errors; return their ids."""
    failed_input = (
        select(JobInput.id)
        .join(HistoryItem, HistoryItem.id == JobInput.history_item_id)
        .join(Dataset, Dataset.id == HistoryItem.dataset_id)
        .where(JobInput.job_id == Job.id, Dataset.state.in_(_FAILED_INPUT_STATES))
    )
    job_ids = list(
        session.scalars(
            select(Job.id).where(Job.state == JobState.NEW, exists(failed_input)).limit(500)
        )
    )
    return job_ids


def _inputs_ready():  # type: ignore[no-untyped-def]
    """SQL condition: every input dataset of the job is ok."""
    item = aliased(HistoryItem)
    pending = (
        select(JobInput.id)
        .join(item, item.id == JobInput.history_item_id)
        .join(Dataset, Dataset.id == item.dataset_id)
        .where(JobInput.job_id == Job.id, Dataset.state != DatasetState.OK)
    )
    return ~exists(pending)


def _claim_next(session: Session, handler_id: str, owner_id: int, after_id: int) -> int | None:
    candidates = (
        select(Job.id)
        .where(
            and_(
                owner_key() == owner_id,
                Job.state == JobState.NEW,
                Job.id > after_id,
                _inputs_ready(),
            )
        )
        .order_by(Job.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=Job)
    job_id = session.scalar(candidates)
    if job_id is None:
        return None
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.NEW)
        .values(state=JobState.QUEUED, handler=handler_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    logger.debug("handler %s claimed job %s for owner %s", handler_id, job_id, owner_id)
    return job_id
