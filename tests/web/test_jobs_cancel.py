"""Cancelling jobs with DELETE /api/jobs/{id}: running, queued and finished jobs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nebula.security.ids import IdEncoder
from tests.support.server import Api, NebulaServer
from tests.web.conftest import run_tool, wait_until

# With one slot, a second job stays queued while the first one runs.
SLOTS = "1"
CANCEL_TIMEOUT = 5.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NebulaServer]:
    data_dir = tmp_path_factory.mktemp("nebula") / "data"
    data_dir.mkdir()
    running = NebulaServer(data_dir, extra_env={"NEBULA_LOCAL_JOB_SLOTS": SLOTS}).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def history_id(api: Api) -> str:
    return api.create_history("cancelling")


@pytest.fixture(scope="module")
def ids(server: NebulaServer) -> IdEncoder:
    """The server's id encoder, to find a job's processes by its database id."""
    return IdEncoder((server.data_dir / "secret_key").read_text().strip())


def start_sleep(api: Api, history_id: str, seconds: float) -> dict[str, Any]:
    response = run_tool(api, history_id, "test_sleep", {"seconds": seconds})
    assert response.status_code == 200, response.text
    return response.json()


def job_processes(job_number: int) -> list[int]:
    """Return the pids of running processes whose environment carries this job's id."""
    marker = f"NEBULA_JOB_ID={job_number}".encode()
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                pids.append(int(environ.parent.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pids


def sleep_processes(job_number: int) -> list[int]:
    """Return the pids of this job's `sleep` commands that are still alive."""
    found = []
    for pid in job_processes(job_number):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            state = next(
                line
                for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("State:")
            )
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
        if command[0] == b"sleep" and "zombie" not in state:
            found.append(pid)
    return found


def job_state(api: Api, job_id: str) -> str:
    return api.get(f"/api/jobs/{job_id}").json()["state"]


def test_cancel_running_job_kills_process(api: Api, history_id: str, ids: IdEncoder) -> None:
    started = start_sleep(api, history_id, 60)
    job_id = started["jobs"][0]["id"]
    job_number = ids.decode(job_id)
    wait_until(
        lambda: job_state(api, job_id) == "running" and bool(sleep_processes(job_number)),
        15,
        "the sleep job starting",
    )

    response = api.delete(f"/api/jobs/{job_id}")
    wait_until(
        lambda: job_state(api, job_id) == "deleted",
        CANCEL_TIMEOUT,
        "the cancelled job reaching state deleted",
    )
    wait_until(lambda: not sleep_processes(job_number), CANCEL_TIMEOUT, "the sleep process ending")

    job = api.get(f"/api/jobs/{job_id}").json()
    output = api.get(f"/api/datasets/{started['outputs'][0]['id']}").json()
    assert response.status_code == 200
    assert response.json() is True
    assert job["state"] == "deleted"
    assert job["end_time"] is not None
    assert output["state"] == "discarded"
    assert job_processes(job_number) == []


def test_cancel_queued_job_never_runs(api: Api, history_id: str, ids: IdEncoder) -> None:
    running = start_sleep(api, history_id, 60)
    running_id = running["jobs"][0]["id"]
    wait_until(lambda: job_state(api, running_id) == "running", 15, "the first sleep job starting")
    queued = start_sleep(api, history_id, 60)
    queued_id = queued["jobs"][0]["id"]

    state_before = job_state(api, queued_id)
    response = api.delete(f"/api/jobs/{queued_id}")
    job = api.get(f"/api/jobs/{queued_id}").json()
    api.delete(f"/api/jobs/{running_id}")
    wait_until(
        lambda: job_state(api, running_id) == "deleted", CANCEL_TIMEOUT, "the running job ending"
    )

    output = api.get(f"/api/datasets/{queued['outputs'][0]['id']}").json()
    assert state_before in ("new", "queued")
    assert response.json() is True
    assert job["state"] == "deleted"
    assert output["state"] == "discarded"
    assert job_state(api, queued_id) == "deleted"
    assert api.get(f"/api/jobs/{queued_id}").json()["start_time"] is None
    assert api.get(f"/api/jobs/{queued_id}").json()["command_line"] is None
    assert job_processes(ids.decode(queued_id)) == []


def test_cancel_finished_job_changes_nothing(api: Api, history_id: str) -> None:
    started = start_sleep(api, history_id, 0)
    job_id = started["jobs"][0]["id"]
    finished = api.wait_for_job(job_id)

    response = api.delete(f"/api/jobs/{job_id}")

    after = api.get(f"/api/jobs/{job_id}").json()
    output = api.get(f"/api/datasets/{started['outputs'][0]['id']}").json()
    assert finished["state"] == "ok"
    assert response.status_code == 200
    assert response.json() is False
    assert after["state"] == "ok"
    assert after["update_time"] == finished["update_time"]
    assert output["state"] == "ok"
    assert api.get(f"/api/datasets/{output['id']}/display").text == "slept 0.0\n"


def test_cancel_twice_returns_false(api: Api, history_id: str) -> None:
    started = start_sleep(api, history_id, 60)
    job_id = started["jobs"][0]["id"]
    # NOTE: a cancellation sent while the runner marks the job running can be overwritten
    # by that write (lost update on SQLite), so this test cancels a job that already runs.
    wait_until(lambda: job_state(api, job_id) == "running", 15, "the sleep job starting")
    first = api.delete(f"/api/jobs/{job_id}")
    wait_until(
        lambda: job_state(api, job_id) == "deleted", CANCEL_TIMEOUT, "the cancelled job ending"
    )

    second = api.delete(f"/api/jobs/{job_id}")

    assert first.json() is True
    assert second.json() is False
    assert job_state(api, job_id) == "deleted"
