"""A server killed with SIGKILL leaves no job stuck: on restart every job ends, once."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from nebula.model import Job
from tests.support.server import Api, NebulaServer, create_user

SLOTS = 2


def _job_pids(job_ids: set[int]) -> dict[int, int]:
    """Map job id to the pid of every live process that belongs to one of these jobs."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        for variable in environ:
            if variable.startswith(b"NEBULA_JOB_ID="):
                job_id = int(variable.split(b"=", 1)[1])
                if job_id in job_ids:
                    found[int(entry.name)] = job_id
    return found


def _wait_for_states(
    api: Api, job_ids: list[str], states: set[str], count: int, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = [api.get(f"/api/jobs/{job_id}").json()["state"] for job_id in job_ids]
        if sum(state in states for state in current) >= count:
            return
        time.sleep(0.1)
    raise TimeoutError(f"fewer than {count} jobs reached {states} within {timeout} s")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def servers() -> Iterator[list[NebulaServer]]:
    """Servers a test starts; all are stopped at the end, even when the test fails."""
    started: list[NebulaServer] = []
    yield started
    for server in started:
        server.stop(signal.SIGKILL)


def test_jobs_survive_sigkill_of_the_server(data_dir: Path, servers: list[NebulaServer]) -> None:
    env = {"NEBULA_LOCAL_JOB_SLOTS": str(SLOTS)}
    key = create_user(data_dir, "survivor@example.org", env=env)
    first = NebulaServer(data_dir, extra_env=env)
    servers.append(first)
    first.start()
    api = Api(first.url, key)
    history_id = api.create_history("recovery")
    runs = [
        api.post(
            "/api/tools",
            json={
                "tool_id": "test_sleep",
                "history_id": history_id,
                "inputs": {"seconds": seconds},
            },
        ).json()
        for seconds in (30, 30, 0.2, 0.2, 0.2, 0.2)
    ]
    job_ids = [run["jobs"][0]["id"] for run in runs]
    _wait_for_states(api, job_ids, {"running"}, SLOTS)
    engine = create_engine(f"sqlite:///{data_dir / 'nebula.sqlite'}")
    with Session(engine) as session:
        running_job_ids = set(session.scalars(select(Job.id).where(Job.state == "running")))
    orphans_before = _job_pids(running_job_ids)

    first.stop(signal.SIGKILL)
    orphans_after_kill = _job_pids(running_job_ids)
    second = NebulaServer(data_dir, extra_env=env)
    servers.append(second)
    second.start()
    api = Api(second.url, key)
    # The interrupted jobs run again; once they do, cancel them: they have proved the point.
    _wait_for_states(api, job_ids[:2], {"running"}, 2)
    orphans_after_restart = _job_pids(running_job_ids)
    for job_id in job_ids[:2]:
        api.delete(f"/api/jobs/{job_id}")
    finished = [api.wait_for_job(job_id, timeout=60) for job_id in job_ids]
    contents = api.get(f"/api/histories/{history_id}/contents").json()
    with Session(engine) as session:
        attempts = {job.id: job.attempts for job in session.scalars(select(Job))}
    objects = [path for path in (data_dir / "objects").rglob("*") if path.is_file()]
    second.stop()

    assert len(running_job_ids) == SLOTS
    assert set(orphans_before.values()) == running_job_ids
    assert set(orphans_after_kill.values()) == running_job_ids, (
        "job processes run in their own session"
    )
    assert not set(orphans_after_restart) & set(orphans_before), (
        "recovery kills the orphaned processes"
    )
    assert set(orphans_after_restart.values()) == running_job_ids, "the interrupted jobs run again"
    assert [job["state"] for job in finished] == ["deleted", "deleted", "ok", "ok", "ok", "ok"]
    assert len(contents) == len(runs), "no output dataset is created twice"
    assert sorted(item["hid"] for item in contents) == list(range(1, len(runs) + 1))
    assert all(attempts[job_id] == 2 for job_id in running_job_ids)
    assert len(objects) == 4, "one stored file per successful output"


def test_queued_jobs_run_after_sigkill_and_restart(
    data_dir: Path, servers: list[NebulaServer]
) -> None:
    env = {"NEBULA_LOCAL_JOB_SLOTS": "1"}
    key = create_user(data_dir, "queued@example.org", env=env)
    first = NebulaServer(data_dir, extra_env=env)
    servers.append(first)
    first.start()
    api = Api(first.url, key)
    history_id = api.create_history("queue")
    runs = [
        api.post(
            "/api/tools",
            json={"tool_id": "test_sleep", "history_id": history_id, "inputs": {"seconds": 1}},
        ).json()
        for _ in range(4)
    ]
    job_ids = [run["jobs"][0]["id"] for run in runs]
    _wait_for_states(api, job_ids, {"running"}, 1)

    first.stop(signal.SIGKILL)
    second = NebulaServer(data_dir, extra_env=env)
    servers.append(second)
    second.start()
    api = Api(second.url, key)
    finished = [api.wait_for_job(job_id, timeout=60) for job_id in job_ids]
    outputs = [api.get(f"/api/datasets/{run['outputs'][0]['id']}/display").text for run in runs]
    second.stop()

    assert [job["state"] for job in finished] == ["ok"] * 4
    assert outputs == ["slept 1.0\n"] * 4
