"""Helpers shared by the HTTP API tests: more users, tool runs and error bodies."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.server import Api

POLL_SECONDS = 0.05


@pytest.fixture(scope="module")
def api(admin_api: Api) -> Api:
    """An ordinary user, alice@example.org, created through the API."""
    return register_user(admin_api, "alice@example.org")


def register_user(admin_api: Api, email: str) -> Api:
    """Create a user through the API as the administrator and return a client for them.

    The API is faster than the `nebula user create` subprocess, which imports Nebula in a
    new interpreter. That matters because every test module starts its own server.
    """
    created = admin_api.post("/api/users", json={"email": email, "password": "secret-password"})
    created.raise_for_status()
    key = admin_api.post(f"/api/users/{created.json()['id']}/api_key")
    key.raise_for_status()
    return Api(str(admin_api.client.base_url), key.json())


def hda(dataset_id: str) -> dict[str, str]:
    return {"src": "hda", "id": dataset_id}


def run_tool(api: Api, history_id: str, tool_id: str, inputs: dict[str, Any]) -> httpx.Response:
    return api.post(
        "/api/tools", json={"tool_id": tool_id, "history_id": history_id, "inputs": inputs}
    )


def run_tool_and_wait(
    api: Api, history_id: str, tool_id: str, inputs: dict[str, Any]
) -> dict[str, Any]:
    """Run a tool, wait for its job and return the job's full description."""
    response = run_tool(api, history_id, tool_id, inputs)
    assert response.status_code == 200, response.text
    return api.wait_for_job(response.json()["jobs"][0]["id"])


def error_message(response: httpx.Response) -> str:
    """Return the err_msg of a Galaxy-shaped error body, failing if the body has none."""
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("err_msg"), str), response.text
    return body["err_msg"]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds, and raise TimeoutError naming `what` if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
