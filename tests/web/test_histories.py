"""The histories API: create, list, show, rename, delete, undelete and purge."""

from __future__ import annotations

import pytest
from bioblend.galaxy.objects import GalaxyInstance

from tests.support.server import Api
from tests.web.conftest import error_message

# Keys that BioBlend 1.x reads from a history: its History wrapper reads the detailed
# keys, HistoryPreview (from the listing) the summary keys.
SUMMARY_KEYS = {"id", "name", "deleted", "purged", "annotation", "published", "tags"}
DETAIL_KEYS = SUMMARY_KEYS | {"state", "state_ids", "state_details"}
DATASET_STATES = {
    "new",
    "upload",
    "queued",
    "running",
    "ok",
    "error",
    "paused",
    "setting_metadata",
    "discarded",
    "deferred",
    "failed_metadata",
}


def test_create_returns_detail(api: Api) -> None:
    response = api.post("/api/histories", json={"name": "  Chip-seq peaks  "})

    assert response.status_code == 200, response.text
    history = response.json()
    assert DETAIL_KEYS <= history.keys()
    assert history["name"] == "Chip-seq peaks"
    assert history["model_class"] == "History"
    assert history["deleted"] is False
    assert history["purged"] is False
    assert history["count"] == 0
    assert history["state"] == "new"
    assert history["empty"] is True
    assert history["size"] == 0
    assert history["tags"] == []
    assert history["url"] == f"/api/histories/{history['id']}"
    assert history["contents_url"] == f"/api/histories/{history['id']}/contents"
    assert history["user_id"] == api.get("/api/users/current").json()["id"]


def test_create_without_name_is_unnamed(api: Api) -> None:
    response = api.post("/api/histories", json={})

    assert response.status_code == 200
    assert response.json()["name"] == "Unnamed history"


def test_create_with_non_string_name_rejected(api: Api) -> None:
    response = api.post("/api/histories", json={"name": 42})

    assert response.status_code == 400
    assert "42" in error_message(response)
    assert "name" in error_message(response)


def test_create_with_too_long_name_rejected(api: Api) -> None:
    response = api.post("/api/histories", json={"name": "x" * 256})

    assert response.status_code == 400
    assert "255" in error_message(response)


def test_list_returns_summaries_newest_first(api: Api) -> None:
    first = api.create_history("listing first")
    second = api.create_history("listing second")

    histories = api.get("/api/histories").json()

    ids = [history["id"] for history in histories]
    assert ids.index(second) < ids.index(first)
    for history in histories:
        assert SUMMARY_KEYS <= history.keys()
        assert history["deleted"] is False


def test_list_filters_by_name(api: Api) -> None:
    wanted = api.create_history("filter target")
    api.create_history("filter other")

    exact = api.get("/api/histories", params={"q": "name", "qv": "filter target"}).json()
    contains = api.get("/api/histories", params={"q": "name-contains", "qv": "FILTER"}).json()

    assert [history["id"] for history in exact] == [wanted]
    assert {history["name"] for history in contains} == {"filter target", "filter other"}


def test_list_with_unknown_filter_rejected(api: Api) -> None:
    response = api.get("/api/histories", params={"q": "colour", "qv": "blue"})

    assert response.status_code == 400
    assert "colour" in error_message(response)


def test_list_detailed_view_has_state(api: Api) -> None:
    history_id = api.create_history("detailed listing")

    histories = api.get("/api/histories", params={"view": "detailed"}).json()

    listed = next(history for history in histories if history["id"] == history_id)
    assert DETAIL_KEYS <= listed.keys()


def test_show_counts_datasets_by_state(api: Api) -> None:
    history_id = api.create_history("with data")
    api.upload_text(history_id, "chr1\t10\t20\n")
    api.upload_text(history_id, "chr1\t30\t45\n")

    history = api.get(f"/api/histories/{history_id}").json()

    assert DETAIL_KEYS <= history.keys()
    assert history["state"] == "ok"
    assert history["count"] == 2
    assert history["empty"] is False
    assert history["size"] == 22
    assert history["state_details"]["ok"] == 2
    assert set(history["state_details"]) <= DATASET_STATES
    assert sum(history["state_details"].values()) == 2


def test_rename(api: Api) -> None:
    history_id = api.create_history("old name")

    response = api.put(
        f"/api/histories/{history_id}", json={"name": "new name", "annotation": "notes"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "new name"
    assert response.json()["annotation"] == "notes"
    assert api.get(f"/api/histories/{history_id}").json()["name"] == "new name"


@pytest.mark.parametrize("bad_name", ["", "   ", None, 7])
def test_rename_to_invalid_name_rejected(api: Api, bad_name: object) -> None:
    history_id = api.create_history("keeps its name")

    response = api.put(f"/api/histories/{history_id}", json={"name": bad_name})

    assert response.status_code == 400
    message = error_message(response)
    assert "history name" in message
    assert repr(bad_name) in message
    assert api.get(f"/api/histories/{history_id}").json()["name"] == "keeps its name"


def test_update_of_unknown_attribute_rejected(api: Api) -> None:
    history_id = api.create_history("attributes")

    response = api.put(f"/api/histories/{history_id}", json={"colour": "blue"})

    assert response.status_code == 400
    assert "colour" in error_message(response)
    assert "name" in error_message(response)


def test_update_deleted_with_non_boolean_rejected(api: Api) -> None:
    history_id = api.create_history("boolean")

    response = api.put(f"/api/histories/{history_id}", json={"deleted": "maybe"})

    assert response.status_code == 400
    assert "maybe" in error_message(response)
    assert api.get(f"/api/histories/{history_id}").json()["deleted"] is False


def test_delete_hides_history_from_listing(api: Api) -> None:
    history_id = api.create_history("to delete")

    response = api.delete(f"/api/histories/{history_id}")

    assert response.status_code == 200
    assert response.json()["deleted"] is True
    assert response.json()["purged"] is False
    assert history_id not in {history["id"] for history in api.get("/api/histories").json()}
    deleted = api.get("/api/histories", params={"deleted": "true"}).json()
    assert history_id in {history["id"] for history in deleted}
    assert api.get(f"/api/histories/{history_id}").json()["deleted"] is True


def test_deleted_history_rejects_new_datasets(api: Api) -> None:
    history_id = api.create_history("deleted, no uploads")
    api.delete(f"/api/histories/{history_id}")

    response = api.post(
        "/api/tools",
        json={
            "tool_id": "upload1",
            "history_id": history_id,
            "inputs": {"files_0|url_paste": "a\n", "files_0|type": "upload_dataset"},
        },
    )

    assert response.status_code == 409
    assert "deleted, no uploads" in error_message(response)


def test_undelete(api: Api) -> None:
    history_id = api.create_history("to undelete")
    api.delete(f"/api/histories/{history_id}")

    response = api.put(f"/api/histories/{history_id}/undelete")

    assert response.status_code == 200
    assert response.json()["deleted"] is False
    assert history_id in {history["id"] for history in api.get("/api/histories").json()}


def test_undelete_by_update(api: Api) -> None:
    history_id = api.create_history("undelete by update")
    api.delete(f"/api/histories/{history_id}")

    response = api.put(f"/api/histories/{history_id}", json={"deleted": False})

    assert response.status_code == 200
    assert response.json()["deleted"] is False


def test_purge_removes_datasets(api: Api) -> None:
    history_id = api.create_history("to purge")
    dataset = api.upload_text(history_id, "chr1\t10\t20\n")

    response = api.delete(f"/api/histories/{history_id}", params={"purge": "true"})

    assert response.status_code == 200
    assert response.json()["deleted"] is True
    assert response.json()["purged"] is True
    item = api.get(f"/api/datasets/{dataset['id']}").json()
    assert item["deleted"] is True
    assert item["purged"] is True
    display = api.get(f"/api/datasets/{dataset['id']}/display")
    assert display.status_code == 409
    assert "purged" in error_message(display)
    assert api.get(f"/api/histories/{history_id}/contents").json() == []


def test_purge_with_body_flag(api: Api) -> None:
    history_id = api.create_history("purge by body")

    response = api.delete(f"/api/histories/{history_id}", json={"purge": True})

    assert response.status_code == 200
    assert response.json()["purged"] is True


def test_purged_history_still_shown_as_purged(api: Api) -> None:
    history_id = api.create_history("purged, then shown")
    api.delete(f"/api/histories/{history_id}", params={"purge": "true"})

    response = api.get(f"/api/histories/{history_id}")

    assert response.status_code == 200, response.text
    assert response.json()["purged"] is True
    assert response.json()["deleted"] is True


def test_purged_history_cannot_be_undeleted(api: Api) -> None:
    history_id = api.create_history("purged for good")
    api.delete(f"/api/histories/{history_id}", params={"purge": "true"})

    by_route = api.put(f"/api/histories/{history_id}/undelete")
    by_update = api.put(f"/api/histories/{history_id}", json={"deleted": False})

    assert by_route.status_code == 409
    assert "purged" in error_message(by_route)
    assert by_update.status_code == 409
    assert api.get(f"/api/histories/{history_id}").json()["deleted"] is True


def test_purged_history_rejects_new_datasets(api: Api) -> None:
    history_id = api.create_history("purged, no uploads")
    api.delete(f"/api/histories/{history_id}", params={"purge": "true"})

    response = api.post(
        "/api/tools",
        json={
            "tool_id": "upload1",
            "history_id": history_id,
            "inputs": {"files_0|url_paste": "a\n", "files_0|type": "upload_dataset"},
        },
    )

    assert response.status_code == 409
    assert "purged, no uploads" in error_message(response)


def test_most_recently_used(api: Api) -> None:
    history_id = api.create_history("most recent")

    response = api.get("/api/histories/most_recently_used")

    assert response.status_code == 200
    assert response.json()["id"] == history_id


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_malformed_id_not_found(api: Api, method: str) -> None:
    response = api.client.request(
        method, "/api/histories/nonsense", json={"name": "x"} if method == "PUT" else None
    )

    assert response.status_code == 404
    assert error_message(response) == "history id 'nonsense' is not a valid id"
    assert response.json()["err_code"] == 404001


def test_unknown_id_not_found(api: Api) -> None:
    response = api.get("/api/histories/0123456789abcdef")

    assert response.status_code == 404
    assert error_message(response) == "history not found"


def test_bad_boolean_parameter_rejected(api: Api) -> None:
    response = api.get("/api/histories", params={"deleted": "perhaps"})

    assert response.status_code == 400
    assert "deleted" in error_message(response)
    assert "perhaps" in error_message(response)


def test_bioblend_purges_history(api: Api) -> None:
    """BioBlend's History.delete(purge=True) reloads the history after the purge."""

    gi = GalaxyInstance(str(api.client.base_url), api.client.headers["x-api-key"])
    history = gi.histories.create("purged through BioBlend")
    history_id = history.id

    history.delete(purge=True)

    shown = api.get(f"/api/histories/{history_id}").json()
    assert shown["purged"] is True
    assert history.wrapped["purged"] is True
    assert history.id is None
