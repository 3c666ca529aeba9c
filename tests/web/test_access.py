"""Who may see and change what: one user's objects are invisible to another user,
administrators see everything, and API keys authenticate as documented."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.server import Api, NebulaServer
from tests.web.conftest import error_message, hda, register_user, run_tool, run_tool_and_wait

BED = "chr1\t100\t200\tfirst\t0\t+\nchr1\t150\t300\tsecond\t0\t-\nchr2\t10\t20\tthird\t0\t+\n"


@dataclass(frozen=True)
class AliceObjects:
    """Everything alice owns in these tests, as opaque ids."""

    user_id: str
    history_id: str
    dataset_id: str
    job_id: str
    output_id: str
    upload_id: str


@pytest.fixture(scope="module")
def bob(admin_api: Api) -> Api:
    return register_user(admin_api, "bob@example.org")


@pytest.fixture(scope="module")
def bob_history(bob: Api) -> str:
    return bob.create_history("bob's history")


@pytest.fixture(scope="module")
def alice(api: Api) -> AliceObjects:
    history_id = api.create_history("alice's private history")
    dataset = api.upload_text(history_id, BED, name="alice.bed")
    job = run_tool_and_wait(api, history_id, "gops_merge_1", {"input1": hda(dataset["id"])})
    assert job["state"] == "ok", job
    upload = api.post(
        "/api/upload/resumable_upload", headers={"Upload-Length": "4", "Tus-Resumable": "1.0.0"}
    )
    assert upload.status_code == 201, upload.text
    return AliceObjects(
        user_id=api.get("/api/users/current").json()["id"],
        history_id=history_id,
        dataset_id=dataset["id"],
        job_id=job["id"],
        output_id=job["outputs"]["output"]["id"],
        upload_id=upload.headers["Location"].rsplit("/", 1)[1],
    )


@pytest.fixture(scope="module")
def alice_baseline(api: Api, alice: AliceObjects) -> dict[str, Any]:
    """Alice's objects before bob tries anything."""
    return snapshot(api, alice)


def snapshot(api: Api, objects: AliceObjects) -> dict[str, Any]:
    """Record what bob's requests must not change, as alice sees it."""
    history = api.get(f"/api/histories/{objects.history_id}").json()
    dataset = api.get(f"/api/datasets/{objects.dataset_id}").json()
    job = api.get(f"/api/jobs/{objects.job_id}").json()
    contents = api.get(f"/api/histories/{objects.history_id}/contents").json()
    return {
        "history": {
            key: history[key] for key in ("name", "deleted", "purged", "count", "update_time")
        },
        "dataset": {
            key: dataset[key]
            for key in (
                "name",
                "deleted",
                "purged",
                "visible",
                "state",
                "genome_build",
                "update_time",
            )
        },
        "job": {key: job[key] for key in ("state", "update_time")},
        "contents": [(item["id"], item["deleted"], item["visible"]) for item in contents],
        "content": api.get(f"/api/datasets/{objects.dataset_id}/display").text,
        "upload_offset": api.client.head(
            f"/api/upload/resumable_upload/{objects.upload_id}", headers={"Tus-Resumable": "1.0.0"}
        ).headers.get("Upload-Offset"),
    }


# Each entry is (method, path, JSON body). In paths and bodies, {h} is alice's history,
# {d} her dataset, {j} her job, {o} her job's output, {u} her user id, {t} her tus
# upload and {b} bob's own history.
FOREIGN_REQUESTS = [
    ("GET", "/api/histories/{h}", None),
    ("PUT", "/api/histories/{h}", {"name": "taken over"}),
    ("DELETE", "/api/histories/{h}", None),
    ("DELETE", "/api/histories/{h}?purge=true", None),
    ("PUT", "/api/histories/{h}/undelete", None),
    ("GET", "/api/histories/{h}/contents", None),
    ("GET", "/api/histories/{h}/contents/{d}", None),
    ("GET", "/api/histories/{h}/contents/datasets/{d}", None),
    ("PUT", "/api/histories/{h}/contents/{d}", {"name": "taken over", "deleted": True}),
    ("DELETE", "/api/histories/{h}/contents/{d}", None),
    ("DELETE", "/api/histories/{h}/contents/{d}?purge=true", None),
    ("GET", "/api/histories/{h}/contents/{d}/display", None),
    ("GET", "/api/histories/{b}/contents/{d}", None),
    ("PUT", "/api/histories/{b}/contents/{d}", {"visible": False}),
    ("DELETE", "/api/histories/{b}/contents/{d}", None),
    ("GET", "/api/histories/{b}/contents/{d}/display", None),
    ("GET", "/api/datasets/{d}", None),
    ("PUT", "/api/datasets/{d}", {"name": "taken over"}),
    ("DELETE", "/api/datasets/{d}", None),
    ("DELETE", "/api/datasets/{d}?purge=true", None),
    ("GET", "/api/datasets/{d}/display", None),
    ("GET", "/api/datasets/{d}/display?to_ext=bed", None),
    ("GET", "/api/datasets/{o}", None),
    ("GET", "/api/datasets?history_id={h}", None),
    ("GET", "/api/jobs/{j}", None),
    ("DELETE", "/api/jobs/{j}", None),
    ("GET", "/api/jobs/{j}/metrics", None),
    ("GET", "/api/jobs/{j}/inputs", None),
    ("GET", "/api/jobs/{j}/outputs", None),
    ("GET", "/api/jobs?history_id={h}", None),
    ("GET", "/api/histories/{h}/contents?deleted=true", None),
    ("GET", "/api/users/{u}", None),
    ("POST", "/api/users/{u}/api_key", None),
    (
        "POST",
        "/api/tools",
        {
            "tool_id": "gops_merge_1",
            "history_id": "{h}",
            "inputs": {"input1": {"src": "hda", "id": "{o}"}},
        },
    ),
    (
        "POST",
        "/api/tools",
        {"tool_id": "test_sleep", "history_id": "{h}", "inputs": {"seconds": 0}},
    ),
    (
        "POST",
        "/api/tools",
        {
            "tool_id": "upload1",
            "history_id": "{h}",
            "inputs": {"files_0|url_paste": "x\n", "files_0|type": "upload_dataset"},
        },
    ),
    (
        "POST",
        "/api/tools/fetch",
        {
            "history_id": "{h}",
            "targets": [
                {
                    "destination": {"type": "hdas"},
                    "elements": [{"src": "pasted", "paste_content": "x\n"}],
                }
            ],
        },
    ),
    (
        "POST",
        "/api/tools/fetch",
        {
            "history_id": "{b}",
            "targets": [{"destination": {"type": "hdas"}, "elements": [{"src": "files"}]}],
            "files_0|file_data": {"session_id": "{t}", "name": "stolen.txt"},
        },
    ),
    ("HEAD", "/api/upload/resumable_upload/{t}", None),
    ("DELETE", "/api/upload/resumable_upload/{t}", None),
]


def _request_id(request: tuple[str, str, Any]) -> str:
    """Name a request for pytest, telling apart the POSTs that share a path."""
    method, path, body = request
    if method != "POST" or body is None:
        return f"{method} {path}"
    return f"{method} {path} {body.get('tool_id') or body['history_id']}"


@pytest.mark.parametrize(
    ("method", "path", "body"), FOREIGN_REQUESTS, ids=[_request_id(r) for r in FOREIGN_REQUESTS]
)
def test_foreign_objects_not_found_for_bob(
    method: str,
    path: str,
    body: Any,
    api: Api,
    bob: Api,
    bob_history: str,
    alice: AliceObjects,
    alice_baseline: dict[str, Any],
) -> None:
    values = _placeholders(alice, bob_history)

    response = bob.client.request(method, path.format(**values), json=_fill(body, values))

    assert response.status_code == 404, response.text
    if method != "HEAD":
        assert "not found" in error_message(response)
        assert "alice" not in response.text
    assert snapshot(api, alice) == alice_baseline


def test_foreign_tus_upload_cannot_be_appended(
    api: Api, bob: Api, alice: AliceObjects, alice_baseline: dict[str, Any]
) -> None:

    response = bob.client.patch(
        f"/api/upload/resumable_upload/{alice.upload_id}",
        content=b"evil",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )

    assert response.status_code == 404, response.text
    assert snapshot(api, alice) == alice_baseline


def test_foreign_dataset_rejected_as_tool_input(
    api: Api, bob: Api, bob_history: str, alice: AliceObjects, alice_baseline: dict[str, Any]
) -> None:
    jobs_before = bob.get("/api/jobs").json()
    contents_before = bob.get(f"/api/histories/{bob_history}/contents").json()

    response = run_tool(bob, bob_history, "gops_merge_1", {"input1": hda(alice.dataset_id)})

    assert response.status_code in (400, 404), response.text
    message = error_message(response)
    assert "input1" in message or "not found" in message
    if response.status_code == 400:
        assert "input1" in message
    assert bob.get("/api/jobs").json() == jobs_before
    assert bob.get(f"/api/histories/{bob_history}/contents").json() == contents_before
    assert snapshot(api, alice) == alice_baseline


def test_listings_of_bob_omit_alice_objects(
    bob: Api, bob_history: str, alice: AliceObjects
) -> None:
    bob.upload_text(bob_history, "bob's own line\n")

    histories = bob.get("/api/histories").json()
    deleted_histories = bob.get("/api/histories", params={"deleted": "true"}).json()
    jobs = bob.get("/api/jobs").json()
    datasets = bob.get("/api/datasets").json()

    alice_ids = {alice.history_id, alice.dataset_id, alice.output_id, alice.job_id}
    assert [history["id"] for history in histories] == [bob_history]
    assert deleted_histories == []
    assert len(jobs) == 1
    assert {job["id"] for job in jobs}.isdisjoint({alice.job_id})
    assert all(job["history_id"] == bob_history for job in jobs)
    assert len(datasets) == 1
    assert {dataset["id"] for dataset in datasets}.isdisjoint(alice_ids - {alice.history_id})
    assert all(dataset["history_id"] == bob_history for dataset in datasets)


def test_user_listing_of_bob_is_only_bob(bob: Api, alice: AliceObjects) -> None:
    users = bob.get("/api/users").json()

    assert [user["email"] for user in users] == ["bob@example.org"]
    assert alice.user_id not in {user["id"] for user in users}


def test_admin_sees_alice_objects(admin_api: Api, alice: AliceObjects) -> None:
    history = admin_api.get(f"/api/histories/{alice.history_id}")
    dataset = admin_api.get(f"/api/datasets/{alice.dataset_id}")
    job = admin_api.get(f"/api/jobs/{alice.job_id}")
    content = admin_api.get(f"/api/datasets/{alice.dataset_id}/display")
    user = admin_api.get(f"/api/users/{alice.user_id}")

    assert history.status_code == 200
    assert history.json()["name"] == "alice's private history"
    assert dataset.status_code == 200
    assert dataset.json()["name"] == "alice.bed"
    assert job.status_code == 200
    assert job.json()["user_email"] == "alice@example.org"
    assert content.text == BED
    assert user.json()["email"] == "alice@example.org"


def test_request_without_key_rejected(server: NebulaServer, alice: AliceObjects) -> None:
    anonymous = httpx.Client(base_url=server.url)

    responses = [
        anonymous.get("/api/histories"),
        anonymous.get(f"/api/histories/{alice.history_id}"),
        anonymous.get(f"/api/datasets/{alice.dataset_id}/display"),
        anonymous.post("/api/histories", json={"name": "anonymous"}),
    ]

    for response in responses:
        assert response.status_code == 403, response.text
        assert "API key" in error_message(response)


def test_request_with_wrong_key_rejected(server: NebulaServer, alice: AliceObjects) -> None:
    impostor = Api(server.url, "0" * 32)

    response = impostor.get(f"/api/histories/{alice.history_id}")

    assert response.status_code == 403
    assert "invalid" in error_message(response)


def test_key_query_parameter_authenticates(
    server: NebulaServer, api: Api, alice: AliceObjects
) -> None:
    key = api.client.headers["x-api-key"]

    response = httpx.get(f"{server.url}/api/histories/{alice.history_id}", params={"key": key})

    assert response.status_code == 200
    assert response.json()["id"] == alice.history_id


def test_user_creation_requires_admin(bob: Api) -> None:
    response = bob.post(
        "/api/users", json={"email": "mallory@example.org", "password": "secret-password"}
    )

    assert response.status_code == 403
    assert "administrator" in error_message(response)


def test_admin_creates_user(admin_api: Api) -> None:
    response = admin_api.post(
        "/api/users", json={"email": "Carol@Example.org", "password": "secret-password"}
    )

    assert response.status_code == 200, response.text
    user = response.json()
    assert user["model_class"] == "User"
    assert user["email"] == "carol@example.org"
    assert user["username"] == "carol"
    assert user["is_admin"] is False
    assert user["deleted"] is False
    assert isinstance(user["id"], str) and len(user["id"]) == 16
    assert admin_api.get(f"/api/users/{user['id']}").json()["email"] == "carol@example.org"


def test_create_user_duplicate_email_conflict(admin_api: Api) -> None:
    admin_api.post(
        "/api/users", json={"email": "dave@example.org", "password": "secret-password"}
    ).raise_for_status()

    response = admin_api.post(
        "/api/users", json={"email": "dave@example.org", "password": "other-password"}
    )

    assert response.status_code == 409
    assert "dave@example.org" in error_message(response)


def test_create_user_invalid_email_rejected(admin_api: Api) -> None:
    response = admin_api.post(
        "/api/users", json={"email": "not-an-address", "password": "secret-password"}
    )

    assert response.status_code == 400
    assert "not-an-address" in error_message(response)


def test_new_api_key_replaces_old(admin_api: Api, server: NebulaServer) -> None:
    erin = register_user(admin_api, "erin@example.org")
    old_key = erin.client.headers["x-api-key"]
    erin_id = erin.get("/api/users/current").json()["id"]

    response = erin.post(f"/api/users/{erin_id}/api_key")

    assert response.status_code == 200, response.text
    new_key = response.json()
    assert isinstance(new_key, str) and new_key != old_key
    assert erin.get("/api/users/current").status_code == 403
    renewed = Api(server.url, new_key).get("/api/users/current")
    assert renewed.status_code == 200
    assert renewed.json()["email"] == "erin@example.org"


def _placeholders(alice: AliceObjects, bob_history: str) -> dict[str, str]:
    return {
        "h": alice.history_id,
        "d": alice.dataset_id,
        "j": alice.job_id,
        "o": alice.output_id,
        "u": alice.user_id,
        "t": alice.upload_id,
        "b": bob_history,
    }


def _fill(body: Any, values: dict[str, str]) -> Any:
    """Substitute the placeholders in every string of a request body."""
    if isinstance(body, dict):
        return {key: _fill(value, values) for key, value in body.items()}
    if isinstance(body, str):
        return body.format(**values)
    return body
