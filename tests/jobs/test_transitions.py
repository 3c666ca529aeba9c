"""Preparing claimed jobs and marking them running, against a real database and toolbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from nebula.datatypes.registry import default_registry
from nebula.jobs.creation import create_tool_job
from nebula.jobs.transitions import JobSettings, mark_running, prepare_jobs
from nebula.managers.actors import Actor
from nebula.model import DatasetState, History, Job, JobState, User
from nebula.model.database import make_engine, make_session_factory, transaction, upgrade
from nebula.objectstore.disk import DiskObjectStore
from nebula.security.ids import IdEncoder
from nebula.tools import ToolBox
from tests.support.server import write_test_panel


@dataclass
class JobSystem:
    sessions: sessionmaker[Session]
    toolbox: ToolBox
    store: DiskObjectStore
    settings: JobSettings


@pytest.fixture
def system(tmp_path: Path) -> Iterator[JobSystem]:
    url = f"sqlite:///{tmp_path / 'nebula.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    yield JobSystem(
        make_session_factory(engine),
        ToolBox.load(write_test_panel(tmp_path)),
        DiskObjectStore(tmp_path / "objects"),
        JobSettings(tmp_path / "jobs", wall_time=60),
    )
    engine.dispose()


def _claimed_sleep_jobs(system: JobSystem, count: int, handler: str = "handler-a") -> list[int]:
    """Create `count` test_sleep jobs and claim them for `handler`, as a scheduling round does."""
    with transaction(system.sessions) as session:
        user = User(email="u@example.org", username="u")
        history = History(user=user, name="h")
        session.add_all([user, history])
        session.flush()
        tool = system.toolbox.get("test_sleep")
        jobs = [
            create_tool_job(
                session, Actor(user), history, tool, {"seconds": 0}, IdEncoder("k"), default_registry()
            )
            for _ in range(count)
        ]
        for job in jobs:
            job.state = JobState.QUEUED
            job.handler = handler
        return [job.id for job in jobs]


def test_prepare_jobs_ends_cancelled_job(system: JobSystem) -> None:
    other, cancelled = _claimed_sleep_jobs(system, 2)
    with transaction(system.sessions) as session:
        session.get(Job, cancelled).state = JobState.DELETING

    with transaction(system.sessions) as session:
        prepared = prepare_jobs(
            session, [other, cancelled], system.toolbox, system.store, system.settings
        )
    with transaction(system.sessions) as session:
        job = session.get(Job, cancelled)
        output_state = job.outputs[0].history_item.dataset.state

    assert [item.spec.job_id for item in prepared] == [other]
    assert job.state == JobState.DELETED
    assert output_state == DatasetState.DISCARDED


def test_prepare_jobs_fails_job_of_missing_tool(system: JobSystem) -> None:
    toolless, other = _claimed_sleep_jobs(system, 2)
    with transaction(system.sessions) as session:
        session.get(Job, toolless).tool_id = "no_such_tool"

    with transaction(system.sessions) as session:
        prepared = prepare_jobs(session, [toolless, other], system.toolbox, system.store, system.settings)
    with transaction(system.sessions) as session:
        failed = session.get(Job, toolless)

    assert [item.spec.job_id for item in prepared] == [other]
    assert failed.state == JobState.ERROR
    assert failed.info.startswith("the job could not be prepared")


def test_mark_running_skips_taken_over_job(system: JobSystem) -> None:
    (job_id,) = _claimed_sleep_jobs(system, 1)
    with transaction(system.sessions) as session:
        (prepared,) = prepare_jobs(session, [job_id], system.toolbox, system.store, system.settings)
    with transaction(system.sessions) as session:
        session.get(Job, job_id).handler = "handler-b"

    with transaction(system.sessions) as session:
        started = mark_running(session, prepared, "local")
    with transaction(system.sessions) as session:
        job = session.get(Job, job_id)

    assert started is False
    assert job.state == JobState.QUEUED
    assert job.handler == "handler-b"
