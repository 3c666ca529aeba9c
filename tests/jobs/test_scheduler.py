"""Fair-share claiming of jobs from the job table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nebula.jobs.scheduler import ShareLimits, claim_jobs, fail_jobs_with_failed_inputs
from nebula.model import Dataset, DatasetState, History, HistoryItem, Job, JobInput, JobState, User
from nebula.model import Session as BrowserSession
from nebula.model.database import make_engine, make_session_factory, transaction, upgrade
from tests.support.postgres import fresh_database

LIMITS = ShareLimits(per_user=4, per_anonymous=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """The same scheduling rules on both databases Nebula supports."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'nebula.sqlite'}"
        upgrade(url)
        engine = make_engine(url)
        yield make_session_factory(engine)
        engine.dispose()
        return
    with fresh_database() as url:
        upgrade(url)
        engine = make_engine(url)
        yield make_session_factory(engine)
        engine.dispose()


def _user_with_history(session: Session, email: str) -> tuple[User, History]:
    user = User(email=email, username=email.split("@")[0])
    history = History(user=user, name="h")
    session.add_all([user, history])
    session.flush()
    return user, history


def _queue(
    session: Session, user: User | None, history: History, count: int, session_id: int | None = None
) -> list[int]:
    jobs = [
        Job(
            user_id=user.id if user else None,
            session_id=session_id,
            history_id=history.id,
            tool_id="t",
            tool_version="1",
            params={},
        )
        for _ in range(count)
    ]
    session.add_all(jobs)
    session.flush()
    return [job.id for job in jobs]


def _queue_with_input(
    session: Session, user: User, history: History, object_key: str, state: DatasetState
) -> int:
    """Queue one job whose input dataset is in `state`; return its id."""
    dataset = Dataset(object_key=object_key, state=state)
    item = HistoryItem(
        history=history, dataset=dataset, hid=1, name="in", extension="bed", metadata_={}
    )
    session.add(item)
    (job_id,) = _queue(session, user, history, 1)
    session.flush()
    session.add(JobInput(job_id=job_id, name="input1", history_item_id=item.id))
    return job_id


def _owners(session: Session, job_ids: list[int]) -> Counter[int | None]:
    return Counter(session.scalars(select(Job.user_id).where(Job.id.in_(job_ids))))


def test_single_job_of_second_user_is_claimed_in_the_first_round(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        heavy, heavy_history = _user_with_history(session, "heavy@example.org")
        light, light_history = _user_with_history(session, "light@example.org")
        _queue(session, heavy, heavy_history, 10_000)
        (single,) = _queue(session, light, light_history, 1)

    with transaction(sessions) as session:
        claimed = claim_jobs(session, "handler-a", slots=2, limits=LIMITS)

    assert single in claimed
    assert len(claimed) == 2


def test_slots_are_shared_evenly_between_users(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        users = [_user_with_history(session, f"user{n}@example.org") for n in range(3)]
        for user, history in users:
            _queue(session, user, history, 50)

    with transaction(sessions) as session:
        claimed = claim_jobs(session, "handler-a", slots=6, limits=LIMITS)
        per_user = _owners(session, claimed)

    assert sorted(per_user.values()) == [2, 2, 2]


def test_user_with_fewest_running_jobs_goes_first(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        busy, busy_history = _user_with_history(session, "busy@example.org")
        idle, idle_history = _user_with_history(session, "idle@example.org")
        for job_id in _queue(session, busy, busy_history, 3):
            session.get(Job, job_id).state = JobState.RUNNING
        _queue(session, busy, busy_history, 5)
        _queue(session, idle, idle_history, 5)

    with transaction(sessions) as session:
        claimed = claim_jobs(session, "handler-a", slots=3, limits=LIMITS)
        per_user = _owners(session, claimed)

    # idle gets slots until it has as many running as busy (3), busy gets the tie-break.
    assert per_user[idle.id] >= 2


def test_per_user_limit_is_enforced(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        user, history = _user_with_history(session, "greedy@example.org")
        _queue(session, user, history, 20)

    with transaction(sessions) as session:
        first = claim_jobs(session, "handler-a", slots=10, limits=LIMITS)
    with transaction(sessions) as session:
        second = claim_jobs(session, "handler-a", slots=10, limits=LIMITS)

    assert len(first) == LIMITS.per_user
    assert second == []


def test_anonymous_sessions_have_their_own_limit(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        browser = BrowserSession(token_hash="0" * 64)
        session.add(browser)
        session.flush()
        history = History(name="anonymous", session_id=browser.id)
        session.add(history)
        session.flush()
        _queue(session, None, history, 5, session_id=browser.id)

    with transaction(sessions) as session:
        claimed = claim_jobs(session, "handler-a", slots=10, limits=LIMITS)

    assert len(claimed) == LIMITS.per_anonymous


def test_claimed_jobs_record_state_and_handler(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        user, history = _user_with_history(session, "u@example.org")
        _queue(session, user, history, 2)

    with transaction(sessions) as session:
        claimed = claim_jobs(session, "handler-a", slots=2, limits=LIMITS)
    with transaction(sessions) as session:
        jobs = [session.get(Job, job_id) for job_id in claimed]

    assert {job.state for job in jobs} == {JobState.QUEUED}
    assert {job.handler for job in jobs} == {"handler-a"}


def test_job_waits_until_its_input_is_ok(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        user, history = _user_with_history(session, "u@example.org")
        job_id = _queue_with_input(session, user, history, "dataset_pending", DatasetState.RUNNING)

    with transaction(sessions) as session:
        while_running = claim_jobs(session, "handler-a", slots=1, limits=LIMITS)
    with transaction(sessions) as session:
        session.scalar(
            select(Dataset).where(Dataset.object_key == "dataset_pending")
        ).state = DatasetState.OK
    with transaction(sessions) as session:
        once_ok = claim_jobs(session, "handler-a", slots=1, limits=LIMITS)

    assert while_running == []
    assert once_ok == [job_id]


def test_job_with_failed_input_is_reported(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        user, history = _user_with_history(session, "u@example.org")
        job_id = _queue_with_input(session, user, history, "dataset_failed", DatasetState.ERROR)

    with transaction(sessions) as session:
        failed = fail_jobs_with_failed_inputs(session)
        claimed = claim_jobs(session, "handler-a", slots=1, limits=LIMITS)

    assert failed == [job_id]
    assert claimed == []


def test_a_job_is_claimed_by_only_one_handler(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        user, history = _user_with_history(session, "u@example.org")
        _queue(session, user, history, 3)

    with transaction(sessions) as session:
        first = claim_jobs(session, "handler-a", slots=3, limits=LIMITS)
    with transaction(sessions) as session:
        second = claim_jobs(session, "handler-b", slots=3, limits=LIMITS)

    assert len(first) == 3
    assert second == []


def test_claim_skips_owner_without_ready_job(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        waiting, waiting_history = _user_with_history(session, "waiting@example.org")
        ready, ready_history = _user_with_history(session, "ready@example.org")
        blocked = _queue_with_input(session, waiting, waiting_history, "dataset_uploading", DatasetState.RUNNING)
        ready_jobs = _queue(session, ready, ready_history, 3)
    idle_owners: set[int] = set()

    with transaction(sessions) as session:
        claimed = claim_jobs(session, "handler-a", slots=1, limits=LIMITS, idle_owners=idle_owners)

    assert claimed == [ready_jobs[0]]
    assert blocked not in claimed
    assert idle_owners == {waiting.id}
