"""Jobs are stopped at the wall-time limit, and the user is told why."""

from __future__ import annotations

import time

import pytest

from tests.support.server import Api


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"NEBULA_JOB_WALL_TIME": "2"}


def test_job_past_wall_time_is_stopped_with_a_message(api: Api) -> None:
    history_id = api.create_history("limits")
    started = time.monotonic()

    run = api.post("/api/tools", json={"tool_id": "test_sleep", "history_id": history_id, "inputs": {"seconds": 30}}).json()
    job = api.wait_for_job(run["jobs"][0]["id"], timeout=60)
    elapsed = time.monotonic() - started
    output = api.get(f"/api/datasets/{run['outputs'][0]['id']}").json()

    assert job["state"] == "error"
    assert "wall-time limit of 2 seconds" in job["info"]
    assert elapsed < 20
    assert output["state"] == "error"
    assert "wall-time limit" in output["misc_info"]
