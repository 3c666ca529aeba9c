"""Copying a dataset into a history: POST /api/histories/{id}/contents with source 'hda'."""

from __future__ import annotations

from typing import Any

import pytest
from bioblend.galaxy import GalaxyInstance

from tests.support.server import Api, NebulaServer
from tests.web.conftest import error_message, register_user

BED = "chr1\t100\t200\tfirst\t0\t+\nchr1\t150\t300\tsecond\t0\t-\nchr2\t10\t20\tthird\t0\t+\n"


@pytest.fixture(scope="module")
def source_history(api: Api) -> str:
    return api.create_history("copy source")


@pytest.fixture(scope="module")
def source(api: Api, source_history: str) -> dict[str, Any]:
    return api.upload_text(source_history, BED, file_type="bed", name="regions.bed")


@pytest.fixture(scope="module")
def bob(admin_api: Api) -> Api:
    return register_user(admin_api, "bob@example.org")


def copy(api: Api, history_id: str, dataset_id: str, **overrides: Any) -> Any:
    body = {"source": "hda", "content": dataset_id, "type": "dataset", **overrides}
    return api.post(f"/api/histories/{history_id}/contents", json=body)


def test_copy_keeps_attributes_and_content(api: Api, source: dict[str, Any]) -> None:
    target = api.create_history("copy target")

    response = copy(api, target, source["id"])

    assert response.status_code == 200, response.text
    copied = response.json()
    assert copied["id"] != source["id"]
    assert copied["history_id"] == target
    assert copied["hid"] == 1
    assert copied["state"] == "ok"
    for key in ("name", "extension", "genome_build", "metadata", "peek", "misc_info", "dataset_id"):
        assert copied[key] == source[key], key
    assert api.get(f"/api/datasets/{copied['id']}/display").text == BED


def test_copy_takes_next_hid(api: Api, source: dict[str, Any]) -> None:
    target = api.create_history("hids")
    api.upload_text(target, "text\n", name="first")

    copied = copy(api, target, source["id"]).json()

    assert copied["hid"] == 2
    listed = api.get(f"/api/histories/{target}/contents").json()
    assert [item["hid"] for item in listed] == [1, 2]


def test_copy_leaves_source_unchanged(
    api: Api, source: dict[str, Any], source_history: str
) -> None:
    target = api.create_history("unchanged")

    copy(api, target, source["id"])

    source_now = api.get(f"/api/histories/{source_history}/contents/{source['id']}").json()
    assert source_now["history_id"] == source_history
    assert source_now["hid"] == source["hid"]


def test_purging_copy_keeps_source_file(api: Api, source: dict[str, Any]) -> None:
    target = api.create_history("purge copy")
    copied = copy(api, target, source["id"]).json()

    purged = api.delete(
        f"/api/histories/{target}/contents/{copied['id']}", params={"purge": "true"}
    )

    assert purged.status_code == 200, purged.text
    assert api.get(f"/api/datasets/{source['id']}/display").text == BED


def test_purged_source_is_rejected(api: Api, source_history: str) -> None:
    doomed = api.upload_text(source_history, BED, name="doomed.bed")
    api.delete(f"/api/histories/{source_history}/contents/{doomed['id']}", params={"purge": "true"})
    target = api.create_history("from purged")

    response = copy(api, target, doomed["id"])

    assert response.status_code == 409
    assert "is purged, so it cannot be copied" in error_message(response)


def test_other_users_dataset_is_not_found(bob: Api, source: dict[str, Any]) -> None:
    target = bob.create_history("bob's")

    response = copy(bob, target, source["id"])

    assert response.status_code == 404
    assert bob.get(f"/api/histories/{target}/contents").json() == []


def test_copy_into_other_users_history_is_not_found(
    api: Api, bob: Api, source: dict[str, Any]
) -> None:
    bobs_history = bob.create_history("not alice's")

    response = copy(api, bobs_history, source["id"])

    assert response.status_code == 404
    assert bob.get(f"/api/histories/{bobs_history}/contents").json() == []


def test_admin_copies_any_users_dataset(admin_api: Api, source: dict[str, Any]) -> None:
    target = admin_api.create_history("admin's")

    response = copy(admin_api, target, source["id"])

    assert response.status_code == 200, response.text
    assert admin_api.get(f"/api/datasets/{response.json()['id']}/display").text == BED


def test_copy_into_deleted_history_is_rejected(api: Api, source: dict[str, Any]) -> None:
    target = api.create_history("deleted target")
    api.delete(f"/api/histories/{target}")

    response = copy(api, target, source["id"])

    assert response.status_code == 409
    assert "is deleted" in error_message(response)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"source": "library"}, "copy source must be 'hda'"),
        ({"type": "dataset_collection"}, "copy type must be 'dataset'"),
        ({"content": None}, "copy content must be the id of a dataset"),
        ({"content": 7}, "copy content must be the id of a dataset"),
    ],
)
def test_invalid_copy_request_is_rejected(
    api: Api, source: dict[str, Any], overrides: dict[str, Any], expected: str
) -> None:
    target = api.create_history("invalid")

    response = copy(api, target, source["id"], **overrides)

    assert response.status_code == 400
    assert expected in error_message(response)


def test_unknown_dataset_id_is_not_found(api: Api) -> None:
    target = api.create_history("unknown")

    response = copy(api, target, "0123456789abcdef")

    assert response.status_code == 404
    assert api.get(f"/api/histories/{target}/contents").json() == []


def test_bioblend_copy_dataset(server: NebulaServer, api: Api, source: dict[str, Any]) -> None:
    key = api.client.headers["x-api-key"]
    gi = GalaxyInstance(server.url, key=key)
    target = gi.histories.create_history("bioblend copy")["id"]

    copied = gi.histories.copy_dataset(target, source["id"])

    assert copied["name"] == "regions.bed"
    assert gi.datasets.download_dataset(copied["id"]).decode() == BED
