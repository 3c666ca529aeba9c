"""Preparing claimed jobs and marking them running, against a real database and toolbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nebula.datatypes.registry import default_registry
from nebula.jobs.creation import create_tool_job
from nebula.jobs.finish import record_reports
from nebula.jobs.spec import JobReport, OutputReport
from nebula.jobs.transitions import JobSettings, mark_running, prepare_jobs
from nebula.managers.actors import Actor
from nebula.model import DatasetState, History, Job, JobMetric, JobState, User
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


def test_prepared_spec_names_inputs_and_outputs(system: JobSystem) -> None:
    (job_id,) = _claimed_sleep_jobs(system, 1)

    with transaction(system.sessions) as session:
        (prepared,) = prepare_jobs(session, [job_id], system.toolbox, system.store, system.settings)
        job = session.get(Job, job_id)
        outputs = [(link.name, link.history_item.dataset.object_key) for link in job.outputs]
        dataset_ids = [link.history_item.dataset_id for link in job.outputs]

    assert outputs
    assert [(output.name, output.object_key) for output in prepared.spec.outputs] == outputs
    assert prepared.output_dataset_ids == dataset_ids
    assert prepared.spec.job_dir == str(system.settings.job_working_dir / f"{job_id % 1000:03d}" / str(job_id))


def _report(job_id: int, output_names: list[str], ok: bool = True) -> JobReport:
    return JobReport(
        job_id=job_id,
        ok=ok,
        exit_code=0 if ok else 3,
        stdout="",
        stderr="" if ok else "broken\n",
        info=None if ok else "the tool failed with exit code 3: broken",
        runtime_seconds=0.5,
        cpu_seconds=0.25,
        peak_memory_bytes=1024,
        outputs=[
            OutputReport(name=name, ext="txt", size=4, checksum="sha256:x", metadata={}, peek="done")
            for name in output_names
        ]
        if ok
        else [],
    )


def test_reports_recorded_together_end_each_job_once(system: JobSystem) -> None:
    first, second, failing = _claimed_sleep_jobs(system, 3)
    with transaction(system.sessions) as session:
        prepared = prepare_jobs(session, [first, second, failing], system.toolbox, system.store, system.settings)
        for job in prepared:
            mark_running(session, job, "local")
    names = [output.name for output in prepared[0].spec.outputs]

    with transaction(system.sessions) as session:
        states = record_reports(
            session,
            [_report(first, names), _report(second, names), _report(first, names), _report(failing, names, ok=False)],
        )
    with transaction(system.sessions) as session:
        jobs = {job_id: session.get(Job, job_id) for job_id in (first, second, failing)}
        ended = {
            job_id: (job.state, [link.history_item.dataset.state for link in job.outputs])
            for job_id, job in jobs.items()
        }
        sizes = [link.history_item.dataset.file_size for link in jobs[second].outputs]
        failing_info = jobs[failing].info
        metrics = session.scalar(select(func.count()).select_from(JobMetric))

    assert states == [JobState.OK, JobState.OK, None, JobState.ERROR]
    assert ended[first] == (JobState.OK, [DatasetState.OK] * len(names))
    assert ended[second] == (JobState.OK, [DatasetState.OK] * len(names))
    assert ended[failing] == (JobState.ERROR, [DatasetState.ERROR] * len(names))
    assert sizes == [4] * len(names)
    assert failing_info == "the tool failed with exit code 3: broken"
    assert metrics == 9
