"""Tool requests in this process: waking the handler, credentials, and `run_in_session`.

POST /api/tools and /api/tools/fetch go to Nebula's own application, on a SQLite database
in a temporary folder, through httpx's ASGI transport, so that a test can watch the
database from inside a request. No job handler runs, so the queued jobs stay queued.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from nebula.app import NebulaApp, build_app
from nebula.config import load_settings
from nebula.errors import RequestError
from nebula.managers.actors import Actor
from nebula.managers.histories import create_history
from nebula.managers.sessions import actor_for, start_session
from nebula.managers.users import create_api_key, create_user
from nebula.model import History
from nebula.model.database import transaction
from nebula.web.app import create_app
from nebula.web.deps import run_in_session
from nebula.web.ui.cookies import COOKIE_NAME, CSRF_HEADER

PASTED_BED = "chr1\t100\t200\n"


@dataclass(frozen=True)
class Owners:
    """A user's API key and an anonymous browser session's token, each with a history."""

    api_key: str
    user_history_id: str
    session_token: str
    session_history_id: str


@pytest.fixture(scope="module")
def nebula(tmp_path_factory: pytest.TempPathFactory) -> NebulaApp:
    data_dir = tmp_path_factory.mktemp("nebula") / "data"
    return build_app(load_settings(environ={"NEBULA_DATA_DIR": str(data_dir)}), migrate=True)


@pytest.fixture(scope="module")
def owners(nebula: NebulaApp) -> Owners:
    with transaction(nebula.session_factory) as session:
        user = create_user(session, "owner@example.org", "secret-password")
        api_key = create_api_key(session, user)
        user_history = create_history(session, Actor(user=user), "tool requests")
        started = start_session(session)
        session_history = create_history(session, actor_for(started.row), "visitor's requests")
    return Owners(
        api_key=api_key,
        user_history_id=nebula.ids.encode(user_history.id),
        session_token=started.token,
        session_history_id=nebula.ids.encode(session_history.id),
    )


@pytest.fixture
def app(nebula: NebulaApp) -> FastAPI:
    """A new application for each test, because tests replace its wake_handler, and its
    session slots (an asyncio.Semaphore) bind to the first event loop that waits on them."""
    return create_app(nebula, run_handler=False)


def paste_request(history_id: str) -> dict[str, Any]:
    return {
        "tool_id": "upload1",
        "history_id": history_id,
        "inputs": {"files_0|url_paste": PASTED_BED, "files_0|NAME": "pasted.bed"},
    }


def fetch_request(history_id: str) -> dict[str, Any]:
    element = {"src": "pasted", "paste_content": PASTED_BED, "name": "fetched.bed"}
    return {
        "history_id": history_id,
        "targets": [{"destination": {"type": "hdas"}, "elements": [element]}],
    }


def post(app: FastAPI, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    """Send one JSON POST to `app` in this process, as a client on the network would."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://nebula.test") as client:
            return await client.post(path, json=body, headers=headers)

    return asyncio.run(send())


def cookie_headers(app: FastAPI, token: str, with_csrf: bool) -> dict[str, str]:
    signer = app.state.session_signer
    headers = {"cookie": f"{COOKIE_NAME}={signer.sign(token)}"}
    if with_csrf:
        headers[CSRF_HEADER] = signer.csrf_token(token)
    return headers


def count_jobs(nebula: NebulaApp) -> int:
    """Count the committed jobs.

    The SQLite file is read with a connection of its own, because a session of the
    engine would wait for the write turn that a request in progress may still hold.
    """
    with closing(sqlite3.connect(nebula.engine.url.database)) as connection:
        return connection.execute("SELECT count(*) FROM jobs").fetchone()[0]


def bare_request(app: FastAPI) -> Request:
    return Request({"type": "http", "app": app, "headers": []})


@pytest.mark.parametrize(
    ("path", "make_body"),
    [("/api/tools", paste_request), ("/api/tools/fetch", fetch_request)],
    ids=["upload1", "fetch"],
)
def test_handler_woken_after_commit(
    app: FastAPI, nebula: NebulaApp, owners: Owners, path: str, make_body: Any
) -> None:
    jobs_before = count_jobs(nebula)
    jobs_seen_when_woken: list[int] = []
    app.state.wake_handler = lambda: jobs_seen_when_woken.append(count_jobs(nebula))

    response = post(app, path, make_body(owners.user_history_id), {"x-api-key": owners.api_key})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert len(response.json()["jobs"]) == 1
    assert jobs_seen_when_woken == [jobs_before + 1]


def test_failed_request_does_not_wake_handler(
    app: FastAPI, nebula: NebulaApp, owners: Owners
) -> None:
    woken: list[bool] = []
    app.state.wake_handler = lambda: woken.append(True)
    body = {"tool_id": "upload1", "history_id": owners.user_history_id, "inputs": {}}

    response = post(app, "/api/tools", body, {"x-api-key": owners.api_key})

    assert response.status_code == 400
    assert response.json()["err_code"] == 400008
    assert woken == []


def test_tool_run_without_credentials_rejected(app: FastAPI, owners: Owners) -> None:
    response = post(app, "/api/tools", paste_request(owners.user_history_id), {})

    assert response.status_code == 403
    assert response.json() == {
        "err_msg": "authentication required: send your API key in the x-api-key header or the key parameter",
        "err_code": 403001,
    }


def test_tool_run_with_unknown_key_rejected(app: FastAPI, owners: Owners) -> None:
    response = post(
        app, "/api/tools", paste_request(owners.user_history_id), {"x-api-key": "0" * 32}
    )

    assert response.status_code == 403
    assert response.json()["err_code"] == 403001
    assert "API key is invalid" in response.json()["err_msg"]


def test_tool_run_by_cookie_needs_csrf_token(
    app: FastAPI, nebula: NebulaApp, owners: Owners
) -> None:
    jobs_before = count_jobs(nebula)
    body = paste_request(owners.session_history_id)

    without_token = post(
        app, "/api/tools", body, cookie_headers(app, owners.session_token, with_csrf=False)
    )
    with_token = post(
        app, "/api/tools", body, cookie_headers(app, owners.session_token, with_csrf=True)
    )

    assert without_token.status_code == 403
    assert without_token.json()["err_code"] == 403002
    assert "X-CSRF-Token" in without_token.json()["err_msg"]
    assert with_token.status_code == 200, with_token.text
    assert with_token.json()["outputs"][0]["history_id"] == owners.session_history_id
    assert count_jobs(nebula) == jobs_before + 1


def test_run_in_session_commits_and_returns(app: FastAPI, nebula: NebulaApp) -> None:
    def add_history(session: Session) -> int:
        history = History(name="committed by run_in_session")
        session.add(history)
        session.flush()
        return history.id

    history_id = asyncio.run(run_in_session(bare_request(app), add_history))

    with nebula.session_factory() as session:
        assert session.get(History, history_id) is not None


def test_run_in_session_rolls_back_on_error(app: FastAPI, nebula: NebulaApp) -> None:
    def add_history_then_fail(session: Session) -> None:
        session.add(History(name="rolled back by run_in_session"))
        session.flush()
        raise RequestError("the work failed after writing")

    with pytest.raises(RequestError, match="failed after writing"):
        asyncio.run(run_in_session(bare_request(app), add_history_then_fail))

    with nebula.session_factory() as session:
        left = session.scalar(
            select(History).where(History.name == "rolled back by run_in_session")
        )
    assert left is None


def test_run_in_session_holds_a_session_slot(app: FastAPI) -> None:
    app.state.session_slots = asyncio.Semaphore(1)

    slot_held_during_work = asyncio.run(
        run_in_session(bare_request(app), lambda session: app.state.session_slots.locked())
    )

    assert slot_held_during_work is True
    assert not app.state.session_slots.locked()


def test_run_in_session_rejects_nested_session(app: FastAPI) -> None:
    request = bare_request(app)
    request.state.holds_session = True

    with pytest.raises(RuntimeError, match="already has a database session"):
        asyncio.run(run_in_session(request, lambda session: None))

    assert not app.state.session_slots.locked()


def test_upload_page_wakes_handler_after_commit(
    app: FastAPI, nebula: NebulaApp, owners: Owners
) -> None:
    jobs_before = count_jobs(nebula)
    jobs_seen_when_woken: list[int] = []
    app.state.wake_handler = lambda: jobs_seen_when_woken.append(count_jobs(nebula))
    signer = app.state.session_signer
    form = {
        "paste": PASTED_BED,
        "paste_name": "pasted on the page.bed",
        "csrf_token": signer.csrf_token(owners.session_token),
    }
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://nebula.test") as client:
            cookie = {"cookie": f"{COOKIE_NAME}={signer.sign(owners.session_token)}"}
            return await client.post("/upload", data=form, headers=cookie)

    response = asyncio.run(send())

    assert response.status_code == 303, response.text
    assert jobs_seen_when_woken == [jobs_before + 1]
