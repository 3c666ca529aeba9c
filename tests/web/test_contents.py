"""The history contents and datasets APIs: listing with filters, show, update, delete,
purge and display."""

from __future__ import annotations

from typing import Any

import pytest
from bioblend.galaxy import GalaxyInstance

from nebula.security.ids import IdEncoder
from tests.support.server import Api, NebulaServer
from tests.web.conftest import error_message, run_tool

# Keys that BioBlend 1.x reads. HistoryContentInfo reads the listing, HistoryDatasetAssociation
# (with Dataset) reads show, and datasets.download_dataset reads download_url.
SUMMARY_KEYS = {"id", "name", "type", "deleted", "state", "visible"}
DETAIL_KEYS = SUMMARY_KEYS | {
    "data_type",
    "file_ext",
    "file_size",
    "genome_build",
    "misc_info",
    "annotation",
    "purged",
    "tags",
    "download_url",
}
BED = "chr1\t100\t200\tfirst\t0\t+\nchr1\t150\t300\tsecond\t0\t-\nchr2\t10\t20\tthird\t0\t+\n"
COLUMNS = "chr1\t100\t200\nchr1\t150\t300\n"


@pytest.fixture
def history_id(api: Api) -> str:
    return api.create_history("contents")


@pytest.fixture
def bed(api: Api, history_id: str) -> dict[str, Any]:
    """A fresh dataset for a test that changes it."""
    return api.upload_text(history_id, BED, name="regions.bed")


@pytest.fixture(scope="module")
def shared_history(api: Api) -> str:
    return api.create_history("read-only contents")


@pytest.fixture(scope="module")
def shared_bed(api: Api, shared_history: str) -> dict[str, Any]:
    """A dataset for tests that only read it, or whose requests must be rejected."""
    return api.upload_text(shared_history, BED, name="regions.bed")


def test_list_returns_summaries_in_hid_order(api: Api, history_id: str) -> None:
    first = api.upload_text(history_id, BED, name="one")
    second = api.upload_text(history_id, "plain text\n", name="two")

    contents = api.get(f"/api/histories/{history_id}/contents").json()

    assert [item["id"] for item in contents] == [first["id"], second["id"]]
    assert [item["hid"] for item in contents] == [1, 2]
    for item in contents:
        assert SUMMARY_KEYS <= item.keys()
        assert item["type"] == "file"
        assert item["history_content_type"] == "dataset"
        assert item["history_id"] == history_id
        assert item["state"] == "ok"
    assert contents[0]["extension"] == "bed"
    assert contents[1]["extension"] == "txt"


def test_list_filters_deleted_and_visible(api: Api, history_id: str) -> None:
    kept = api.upload_text(history_id, BED, name="kept")
    deleted = api.upload_text(history_id, BED, name="deleted")
    hidden = api.upload_text(history_id, BED, name="hidden")
    api.delete(f"/api/histories/{history_id}/contents/{deleted['id']}")
    api.put(f"/api/histories/{history_id}/contents/{hidden['id']}", json={"visible": False})
    url = f"/api/histories/{history_id}/contents"

    everything = api.get(url).json()
    not_deleted = api.get(url, params={"deleted": "false"}).json()
    only_deleted = api.get(url, params={"deleted": "true"}).json()
    only_visible = api.get(url, params={"visible": "true"}).json()
    only_hidden = api.get(url, params={"visible": "false"}).json()
    by_q = api.get(
        url, params=[("q", "deleted"), ("qv", "false"), ("q", "visible"), ("qv", "true")]
    ).json()

    def names(items: list[dict[str, Any]]) -> set[str]:
        return {item["name"] for item in items}

    assert names(everything) == {"kept", "deleted", "hidden"}
    assert names(not_deleted) == {"kept", "hidden"}
    assert names(only_deleted) == {"deleted"}
    assert names(only_visible) == {"kept", "deleted"}
    assert names(only_hidden) == {"hidden"}
    assert names(by_q) == {"kept"}
    assert kept["id"] in {item["id"] for item in by_q}


def test_list_with_details_returns_detail(
    api: Api, shared_history: str, shared_bed: dict[str, Any]
) -> None:
    contents = api.get(
        f"/api/histories/{shared_history}/contents", params={"details": "all"}
    ).json()

    assert len(contents) == 1
    assert DETAIL_KEYS <= contents[0].keys()
    assert contents[0]["metadata_data_lines"] == 3


def test_list_with_unbalanced_filters_rejected(api: Api, shared_history: str) -> None:
    response = api.get(f"/api/histories/{shared_history}/contents", params={"q": "deleted"})

    assert response.status_code == 400
    assert "qv" in error_message(response)


def test_show_returns_detail_with_metadata(
    api: Api, shared_history: str, shared_bed: dict[str, Any]
) -> None:
    response = api.get(f"/api/histories/{shared_history}/contents/{shared_bed['id']}")

    assert response.status_code == 200
    item = response.json()
    assert DETAIL_KEYS <= item.keys()
    assert item["name"] == "regions.bed"
    assert item["file_ext"] == "bed"
    assert item["data_type"] == "bed"
    assert item["file_size"] == len(BED)
    assert item["genome_build"] == "?"
    assert item["misc_blurb"] == "3 regions"
    assert item["metadata_chromCol"] == 1
    assert item["metadata_startCol"] == 2
    assert item["metadata_endCol"] == 3
    assert item["metadata_strandCol"] == 6
    assert item["metadata"]["data_lines"] == 3
    assert item["peek"].startswith("chr1\t100\t200")
    assert item["download_url"] == f"/api/datasets/{shared_bed['id']}/display"
    assert item["creating_job"] is not None
    assert api.get(f"/api/datasets/{shared_bed['id']}").json() == item


def test_update_name_visible_genome_build(api: Api, history_id: str, bed: dict[str, Any]) -> None:
    url = f"/api/histories/{history_id}/contents/{bed['id']}"

    response = api.put(url, json={"name": "renamed", "visible": False, "genome_build": "hg38"})

    assert response.status_code == 200, response.text
    item = api.get(url).json()
    assert response.json() == item
    assert item["name"] == "renamed"
    assert item["visible"] is False
    assert item["genome_build"] == "hg38"


def test_update_through_datasets_route(api: Api, bed: dict[str, Any]) -> None:
    response = api.put(f"/api/datasets/{bed['id']}", json={"name": "renamed by id"})

    assert response.status_code == 200, response.text
    assert api.get(f"/api/datasets/{bed['id']}").json()["name"] == "renamed by id"


def test_update_deleted_and_back(api: Api, history_id: str, bed: dict[str, Any]) -> None:
    url = f"/api/histories/{history_id}/contents/{bed['id']}"

    deleted = api.put(url, json={"deleted": True}).json()
    undeleted = api.put(url, json={"deleted": False}).json()

    assert deleted["deleted"] is True
    assert undeleted["deleted"] is False
    assert api.get(url).json()["deleted"] is False


def test_update_file_ext_recomputes_metadata(api: Api, history_id: str) -> None:
    table = api.upload_text(history_id, COLUMNS, file_type="tabular", name="columns")
    url = f"/api/histories/{history_id}/contents/{table['id']}"

    response = api.put(url, json={"file_ext": "bed"})

    assert table["file_ext"] == "tabular"
    assert "metadata_chromCol" not in table
    assert response.status_code == 200, response.text
    item = api.get(url).json()
    assert item["file_ext"] == "bed"
    assert item["metadata_chromCol"] == 1
    assert item["metadata_startCol"] == 2
    assert item["metadata_endCol"] == 3
    assert item["metadata_data_lines"] == 2
    assert item["misc_blurb"] == "2 regions"


@pytest.mark.parametrize(
    ("changes", "expected_words"),
    [
        ({"name": ""}, ["name", "''"]),
        ({"name": "   "}, ["name", "'   '"]),
        ({"name": "x" * 256}, ["name", "255"]),
        ({"visible": "no"}, ["visible", "'no'"]),
        ({"deleted": 1}, ["deleted", "1"]),
        ({"file_ext": "nosuchformat"}, ["nosuchformat"]),
        ({"colour": "blue"}, ["colour", "name"]),
    ],
    ids=[
        "empty-name",
        "blank-name",
        "long-name",
        "visible-text",
        "deleted-number",
        "unknown-ext",
        "unknown-attribute",
    ],
)
def test_update_with_invalid_value_rejected(
    api: Api,
    shared_history: str,
    shared_bed: dict[str, Any],
    changes: dict[str, Any],
    expected_words: list[str],
) -> None:
    url = f"/api/histories/{shared_history}/contents/{shared_bed['id']}"

    response = api.put(url, json=changes)

    assert response.status_code == 400, response.text
    message = error_message(response)
    for word in expected_words:
        assert word in message
    after = api.get(url).json()
    assert (after["name"], after["visible"], after["deleted"], after["file_ext"]) == (
        "regions.bed",
        True,
        False,
        "bed",
    )


def test_delete_keeps_content(api: Api, history_id: str, bed: dict[str, Any]) -> None:
    response = api.delete(f"/api/histories/{history_id}/contents/{bed['id']}")

    assert response.status_code == 200
    assert response.json() == {"id": bed["id"], "deleted": True, "purged": False}
    assert api.get(f"/api/datasets/{bed['id']}/display").text == BED


def test_purge_through_contents_route(api: Api, history_id: str, bed: dict[str, Any]) -> None:
    response = api.delete(
        f"/api/histories/{history_id}/contents/{bed['id']}", params={"purge": "true"}
    )

    assert response.status_code == 200
    assert response.json() == {"id": bed["id"], "deleted": True, "purged": True}
    item = api.get(f"/api/histories/{history_id}/contents/{bed['id']}").json()
    assert item["purged"] is True
    assert item["deleted"] is True
    history = api.get(f"/api/histories/{history_id}").json()
    assert history["size"] == 0


def test_purge_through_datasets_route(api: Api, bed: dict[str, Any]) -> None:
    response = api.delete(f"/api/datasets/{bed['id']}", params={"purge": "true"})

    assert response.status_code == 200
    assert response.json()["purged"] is True


def test_purge_with_body_flag(api: Api, history_id: str, bed: dict[str, Any]) -> None:
    """BioBlend's delete_dataset(purge=True) sends the flag in the body."""
    response = api.delete(f"/api/histories/{history_id}/contents/{bed['id']}", json={"purge": True})

    assert response.status_code == 200
    assert response.json()["purged"] is True


def test_display_of_purged_dataset_conflict(api: Api, history_id: str, bed: dict[str, Any]) -> None:
    api.delete(f"/api/datasets/{bed['id']}", params={"purge": "true"})

    by_id = api.get(f"/api/datasets/{bed['id']}/display")
    by_contents = api.get(f"/api/histories/{history_id}/contents/{bed['id']}/display")

    for response in (by_id, by_contents):
        assert response.status_code == 409
        message = error_message(response)
        assert "purged" in message
        assert "regions.bed" in message


def test_purged_dataset_cannot_be_undeleted(api: Api, history_id: str, bed: dict[str, Any]) -> None:
    api.delete(f"/api/datasets/{bed['id']}", params={"purge": "true"})

    response = api.put(f"/api/histories/{history_id}/contents/{bed['id']}", json={"deleted": False})

    assert response.status_code == 409
    assert "purged" in error_message(response)


def test_purged_dataset_rejected_as_tool_input(
    api: Api, history_id: str, bed: dict[str, Any]
) -> None:
    api.delete(f"/api/datasets/{bed['id']}", params={"purge": "true"})

    response = run_tool(
        api, history_id, "gops_merge_1", {"input1": {"src": "hda", "id": bed["id"]}}
    )

    assert response.status_code in (400, 404), response.text
    message = error_message(response)
    assert "input1" in message
    assert bed["id"] in message


def test_display_whole(api: Api, shared_history: str, shared_bed: dict[str, Any]) -> None:
    response = api.get(f"/api/histories/{shared_history}/contents/{shared_bed['id']}/display")

    assert response.status_code == 200
    assert response.text == BED
    assert response.headers["content-type"].startswith("text/plain")
    assert "content-disposition" not in response.headers


@pytest.mark.parametrize(
    ("offset", "ck_size"), [(0, 10), (5, 7), (len(BED) - 4, 100), (len(BED), 10), (0, 10_000)]
)
def test_display_chunk(api: Api, shared_bed: dict[str, Any], offset: int, ck_size: int) -> None:
    response = api.get(
        f"/api/datasets/{shared_bed['id']}/display", params={"offset": offset, "ck_size": ck_size}
    )

    assert response.status_code == 200
    assert response.content == BED.encode()[offset : offset + ck_size]
    assert response.headers["content-length"] == str(len(response.content))


@pytest.mark.parametrize("params", [{"offset": -1}, {"ck_size": 0}, {"offset": "first"}])
def test_display_with_invalid_range_rejected(
    api: Api, shared_bed: dict[str, Any], params: dict[str, Any]
) -> None:
    response = api.get(f"/api/datasets/{shared_bed['id']}/display", params=params)

    assert response.status_code == 400
    message = error_message(response)
    assert any(name in message for name in params)


def test_display_to_ext_is_attachment(
    api: Api, shared_history: str, shared_bed: dict[str, Any]
) -> None:
    by_contents = api.get(
        f"/api/histories/{shared_history}/contents/{shared_bed['id']}/display",
        params={"to_ext": "bed"},
    )
    by_id = api.get(f"/api/datasets/{shared_bed['id']}/display", params={"to_ext": "bed"})

    for response in (by_contents, by_id):
        assert response.status_code == 200
        assert response.content == BED.encode()
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert disposition == 'attachment; filename="Nebula1-_regions.bed.bed"'


def test_bioblend_downloads_dataset(api: Api, shared_bed: dict[str, Any], tmp_path: Any) -> None:
    gi = GalaxyInstance(str(api.client.base_url), key=api.client.headers["x-api-key"])

    content = gi.datasets.download_dataset(shared_bed["id"])
    path = gi.datasets.download_dataset(
        shared_bed["id"], file_path=str(tmp_path), use_default_filename=True
    )

    assert content == BED.encode()
    assert open(path, encoding="utf-8").read() == BED


def test_display_of_unfinished_dataset_conflict(api: Api, history_id: str) -> None:
    response = run_tool(api, history_id, "test_sleep", {"seconds": 30})
    output_id = response.json()["outputs"][0]["id"]
    job_id = response.json()["jobs"][0]["id"]

    display = api.get(f"/api/datasets/{output_id}/display")
    change = api.put(f"/api/datasets/{output_id}", json={"file_ext": "tabular"})
    api.delete(f"/api/jobs/{job_id}")

    assert display.status_code == 409
    assert "no content" in error_message(display)
    assert change.status_code == 409
    assert "once it is ok" in error_message(change)


@pytest.mark.parametrize(
    "path",
    [
        "/api/datasets/nonsense",
        "/api/datasets/nonsense/display",
        "/api/histories/{history}/contents/nonsense",
        "/api/histories/{history}/contents/nonsense/display",
    ],
)
def test_malformed_dataset_id_not_found(api: Api, shared_history: str, path: str) -> None:
    response = api.get(path.format(history=shared_history))

    assert response.status_code == 404
    assert error_message(response) == "dataset id 'nonsense' is not a valid id"


def test_malformed_history_id_in_contents_not_found(api: Api, shared_bed: dict[str, Any]) -> None:
    response = api.get(f"/api/histories/nonsense/contents/{shared_bed['id']}")

    assert response.status_code == 404
    assert error_message(response) == "history id 'nonsense' is not a valid id"


def test_dataset_of_other_history_not_found(api: Api, shared_bed: dict[str, Any]) -> None:
    other_history = api.create_history("other")

    response = api.get(f"/api/histories/{other_history}/contents/{shared_bed['id']}")

    assert response.status_code == 404
    assert "not found in this history" in error_message(response)


def test_unknown_dataset_id_not_found(api: Api) -> None:
    response = api.get("/api/datasets/0123456789abcdef")

    assert response.status_code == 404
    assert error_message(response) == "dataset not found"


@pytest.mark.parametrize("number", [2**63 - 1, 2**63, 2**64 - 1])
@pytest.mark.parametrize(
    "path",
    [
        "/api/datasets/{id}",
        "/api/datasets/{id}/display",
        "/api/histories/{history}/contents/{id}",
        "/api/histories/{id}",
        "/api/histories/{id}/contents",
        "/api/jobs/{id}",
        "/api/users/{id}",
    ],
)
def test_id_beyond_database_range_not_found(
    server: NebulaServer, api: Api, shared_history: str, path: str, number: int
) -> None:
    """Well-formed ids can decode to integers that no database key can hold."""
    encoded = IdEncoder((server.data_dir / "secret_key").read_text().strip()).encode(number)

    response = api.get(path.format(id=encoded, history=shared_history))

    assert response.status_code == 404, response.text
    assert error_message(response).endswith("not found")


def test_datasets_listing_filters_by_history(
    api: Api, history_id: str, bed: dict[str, Any]
) -> None:
    other_history = api.create_history("other listing")
    other = api.upload_text(other_history, "x\n")

    in_history = api.get("/api/datasets", params={"history_id": history_id}).json()
    everywhere = api.get("/api/datasets").json()

    assert [item["id"] for item in in_history] == [bed["id"]]
    assert {bed["id"], other["id"]} <= {item["id"] for item in everywhere}
