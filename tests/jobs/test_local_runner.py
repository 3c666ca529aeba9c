"""The local runner's recorder thread and shutdown, against a real database and jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from nebula.datatypes.registry import default_registry
from nebula.jobs.creation import create_tool_job
from nebula.jobs.handler import JobHandler
from nebula.jobs.runners.local import LocalRunner, LocalRunnerConfig
from nebula.jobs.scheduler import ShareLimits
from nebula.managers.actors import Actor
from nebula.model import History, Job, JobState, User
from nebula.model.database import make_engine, make_session_factory, transaction, upgrade
from nebula.objectstore.disk import DiskObjectStore
from nebula.security.ids import IdEncoder
from nebula.tools import ToolBox
from tests.support.server import write_test_panel


class FlakySessions:
    """A session factory that fails, as during a database outage, while `down` is set."""

    def __init__(self, real: sessionmaker[Session]) -> None:
        self.real = real
        self.down = threading.Event()

    def __call__(self) -> Session:
        if self.down.is_set():
            raise OperationalError("connect", {}, Exception("the database is down"))
        return self.real()


@dataclass
class Setup:
    sessions: FlakySessions
    toolbox: ToolBox
    store: DiskObjectStore
    folder: Path

    def runner(self, slots: int) -> LocalRunner:
        config = LocalRunnerConfig(slots, self.folder / "jobs", wall_time=60)
        sessions: sessionmaker[Session] = self.sessions  # type: ignore[assignment]
        return LocalRunner(config, sessions, self.toolbox, self.store, default_registry())


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    url = f"sqlite:///{tmp_path / 'nebula.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    yield Setup(
        FlakySessions(make_session_factory(engine)),
        ToolBox.load(write_test_panel(tmp_path)),
        DiskObjectStore(tmp_path / "objects"),
        tmp_path,
    )
    engine.dispose()


def claimed_sleep_jobs(setup: Setup, count: int, seconds: float) -> list[int]:
    """Create test_sleep jobs claimed by handler `h`, as a scheduling round leaves them."""
    with transaction(setup.sessions.real) as session:
        user = User(email=f"u{time.monotonic_ns()}@example.org", username=f"u{time.monotonic_ns()}")
        history = History(user=user, name="h")
        session.add_all([user, history])
        session.flush()
        tool = setup.toolbox.get("test_sleep")
        registry = default_registry()
        jobs = [
            create_tool_job(
                session, Actor(user), history, tool, {"seconds": seconds}, IdEncoder("k"), registry
            )
            for _ in range(count)
        ]
        for job in jobs:
            job.state = JobState.QUEUED
            job.handler = "h"
        session.flush()
        return [job.id for job in jobs]


def job_states(setup: Setup, job_ids: list[int]) -> list[tuple[JobState, int]]:
    with transaction(setup.sessions.real) as session:
        jobs = [session.get(Job, job_id) for job_id in job_ids]
        return [(job.state, job.attempts) for job in jobs]


def wait_for(condition: Callable[[], bool], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_recorder_survives_database_outage(setup: Setup) -> None:
    runner = setup.runner(slots=2)
    try:
        (during,) = claimed_sleep_jobs(setup, 1, 1)
        runner.submit([during])
        # The job ends while the database is away, so its end cannot be written at once.
        setup.sessions.down.set()
        time.sleep(2.5)
        setup.sessions.down.clear()
        (after,) = claimed_sleep_jobs(setup, 1, 0)
        runner.submit([after])

        both_ok = wait_for(
            lambda: [state for state, _ in job_states(setup, [during, after])] == [JobState.OK] * 2
        )

        assert both_ok, job_states(setup, [during, after])
        assert wait_for(lambda: runner.free_slots() >= 2)
    finally:
        setup.sessions.down.clear()
        runner.shutdown()


def test_shutdown_returns_jobs_that_never_ran(setup: Setup) -> None:
    runner = setup.runner(slots=1)
    # Known short jobs wait in the runner's own queue beyond its one slot.
    for _ in range(3):
        runner._runtimes.add("test_sleep", 0.01)
    sessions: sessionmaker[Session] = setup.sessions  # type: ignore[assignment]
    limits = ShareLimits(per_user=100, per_anonymous=100)
    handler = JobHandler("h", sessions, runner, limits, 0.2, job_working_dir=setup.folder / "jobs")
    first, *queued = claimed_sleep_jobs(setup, 4, 2)
    runner.submit([first, *queued])
    assert wait_for(lambda: job_states(setup, [first])[0][0] == JobState.RUNNING)
    time.sleep(0.3)

    handler.stop()

    # The job that ran was interrupted and counts an attempt; the others never ran.
    assert job_states(setup, [first]) == [(JobState.NEW, 1)]
    assert job_states(setup, queued) == [(JobState.NEW, 0)] * len(queued)
