"""Uploads: pasted text, multipart files, the tus protocol (by hand and with tuspy),
and the fetch API that turns finished tus uploads into datasets."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bioblend.galaxy import GalaxyInstance
from tusclient import client as tus_client

from tests.support.server import Api, NebulaServer
from tests.web.conftest import error_message

TUS_ENDPOINT = "/api/upload/resumable_upload"
TUS_HEADERS = {"Tus-Resumable": "1.0.0"}
BIG_UPLOAD_BYTES = 20 * 1024 * 1024
# Receiving, storing and reading metadata from the upload raised the server's peak RSS by
# about 5 MiB when streamed, and by 40 MiB when the PATCH handler read the body whole
# (measured with this test on a 2-core Linux machine). One whole copy exceeds the limit.
MAX_RSS_GROWTH_BYTES = BIG_UPLOAD_BYTES // 2


@pytest.fixture(scope="module")
def history_id(api: Api) -> str:
    return api.create_history("uploads")


@pytest.mark.parametrize(
    ("content", "expected_ext"),
    [
        ("chr1\t100\t200\tpeak1\t0\t+\nchr2\t300\t400\tpeak2\t5\t-\n", "bed"),
        ("##gff-version 3\nchr1\tsource\tgene\t1\t100\t.\t+\t.\tID=gene1\n", "gff"),
        (">seq1 first\nACGTACGT\nACGT\n>seq2\nTTTT\n", "fasta"),
        ("name\tcount\tmean\nalpha\t2\t1.5\nbeta\t3\t2.5\n", "tabular"),
        ("Some notes about the experiment.\nNothing tabular here.\n", "txt"),
    ],
    ids=["bed", "gff", "fasta", "tabular", "txt"],
)
def test_paste_sniffs_datatype(api: Api, history_id: str, content: str, expected_ext: str) -> None:
    dataset = api.upload_text(history_id, content, name=f"sniffed {expected_ext}")

    assert dataset["state"] == "ok", dataset["misc_info"]
    assert dataset["file_ext"] == expected_ext
    assert dataset["name"] == f"sniffed {expected_ext}"
    assert api.get(f"/api/datasets/{dataset['id']}/display").text == content


def test_paste_with_explicit_type(api: Api, history_id: str) -> None:
    content = "chr1\t100\t200\tpeak1\t0\t+\n"

    dataset = api.upload_text(history_id, content, file_type="tabular")

    assert dataset["state"] == "ok"
    assert dataset["file_ext"] == "tabular"
    assert dataset["metadata_columns"] == 6
    assert "metadata_chromCol" not in dataset


def test_paste_converts_crlf_and_adds_final_newline(api: Api, history_id: str) -> None:
    dataset = api.upload_text(history_id, "first\r\nsecond\r\nthird", file_type="txt")

    content = api.get(f"/api/datasets/{dataset['id']}/display").content

    assert content == b"first\nsecond\nthird\n"
    assert dataset["file_size"] == len(content)


def test_paste_space_to_tab(api: Api, history_id: str) -> None:
    inputs = {
        "file_type": "auto",
        "files_0|type": "upload_dataset",
        "files_0|url_paste": "chr1 100  200\nchr1 300 400\n",
        "files_0|space_to_tab": "Yes",
    }
    response = api.post(
        "/api/tools", json={"tool_id": "upload1", "history_id": history_id, "inputs": inputs}
    )
    job = api.wait_for_job(response.json()["jobs"][0]["id"])

    dataset = api.get(f"/api/datasets/{response.json()['outputs'][0]['id']}").json()
    assert job["state"] == "ok"
    assert (
        api.get(f"/api/datasets/{dataset['id']}/display").text == "chr1\t100\t200\nchr1\t300\t400\n"
    )
    assert dataset["file_ext"] == "bed"


def test_paste_nested_files_list(api: Api, history_id: str) -> None:
    inputs = {
        "file_type": "txt",
        "files": [{"type": "upload_dataset", "url_paste": "nested\n", "NAME": "nested form"}],
    }

    response = api.post(
        "/api/tools", json={"tool_id": "upload1", "history_id": history_id, "inputs": inputs}
    )

    assert response.status_code == 200, response.text
    job = api.wait_for_job(response.json()["jobs"][0]["id"])
    dataset = api.get(f"/api/datasets/{response.json()['outputs'][0]['id']}").json()
    assert job["state"] == "ok"
    assert dataset["name"] == "nested form"
    assert api.get(f"/api/datasets/{dataset['id']}/display").text == "nested\n"


def test_paste_with_unknown_type_rejected(api: Api, history_id: str) -> None:
    response = api.post(
        "/api/tools",
        json={
            "tool_id": "upload1",
            "history_id": history_id,
            "inputs": {
                "file_type": "nosuchformat",
                "files_0|url_paste": "x\n",
                "files_0|type": "upload_dataset",
            },
        },
    )

    assert response.status_code == 400
    message = error_message(response)
    assert "nosuchformat" in message
    assert "bed" in message


def test_paste_of_url_rejected(api: Api, history_id: str) -> None:
    response = api.post(
        "/api/tools",
        json={
            "tool_id": "upload1",
            "history_id": history_id,
            "inputs": {"files_0|url_paste": "https://example.org/a.bed"},
        },
    )

    assert response.status_code == 400
    assert "files_0|url_paste" in error_message(response)
    assert "URL" in error_message(response)


def test_upload_without_content_rejected(api: Api, history_id: str) -> None:
    response = api.post(
        "/api/tools",
        json={"tool_id": "upload1", "history_id": history_id, "inputs": {"file_type": "auto"}},
    )

    assert response.status_code == 400
    assert "files_0|file_data" in error_message(response)


@pytest.mark.parametrize(
    "inputs",
    [
        {"file_type": "auto"},
        {"file_type": "auto", "files_0|type": "upload_dataset", "dbkey": "hg38"},
    ],
    ids=["only-file-type", "with-group-fields"],
)
def test_multipart_file_upload(api: Api, history_id: str, inputs: dict[str, str]) -> None:
    content = b"chr1\t10\t20\r\nchr1\t30\t40\r\n"

    response = api.post(
        "/api/tools",
        data={"tool_id": "upload1", "history_id": history_id, "inputs": json.dumps(inputs)},
        files={"files_0|file_data": ("peaks.bed", content, "application/octet-stream")},
    )

    assert response.status_code == 200, response.text
    job = api.wait_for_job(response.json()["jobs"][0]["id"])
    dataset = api.get(f"/api/datasets/{response.json()['outputs'][0]['id']}").json()
    assert job["state"] == "ok", job
    assert dataset["name"] == "peaks.bed"
    assert dataset["file_ext"] == "bed"
    assert dataset["genome_build"] == inputs.get("dbkey", "?")
    assert (
        api.get(f"/api/datasets/{dataset['id']}/display").content == b"chr1\t10\t20\nchr1\t30\t40\n"
    )


def test_tus_protocol_by_hand(api: Api, history_id: str) -> None:
    content = b"chr1\t100\t200\tfirst\nchr1\t300\t400\tsecond\nchr2\t500\t600\tthird\n"
    chunks = [content[:20], content[20:45], content[45:]]

    options = api.client.options(TUS_ENDPOINT)
    created = api.post(TUS_ENDPOINT, headers={**TUS_HEADERS, "Upload-Length": str(len(content))})
    location = created.headers["Location"]
    offsets = []
    for chunk in chunks:
        offsets.append(int(api.client.head(location, headers=TUS_HEADERS).headers["Upload-Offset"]))
        patched = _patch(api, location, offsets[-1], chunk)
        assert patched.status_code == 204, patched.text
        assert int(patched.headers["Upload-Offset"]) == offsets[-1] + len(chunk)
    head = api.client.head(location, headers=TUS_HEADERS)
    dataset = _fetch_upload(api, history_id, location.rsplit("/", 1)[1], "by-hand.bed")

    assert options.status_code == 204
    assert options.headers["Tus-Version"] == "1.0.0"
    assert "creation" in options.headers["Tus-Extension"].split(",")
    assert created.status_code == 201
    assert location.startswith(TUS_ENDPOINT + "/")
    assert offsets == [0, 20, 45]
    assert head.headers["Upload-Offset"] == str(len(content))
    assert head.headers["Upload-Length"] == str(len(content))
    assert dataset["state"] == "ok", dataset["misc_info"]
    assert dataset["name"] == "by-hand.bed"
    assert dataset["file_ext"] == "bed"
    assert api.get(f"/api/datasets/{dataset['id']}/display").content == content


def test_tus_patch_at_wrong_offset_conflict(api: Api) -> None:
    created = api.post(TUS_ENDPOINT, headers={**TUS_HEADERS, "Upload-Length": "10"})
    location = created.headers["Location"]
    _patch(api, location, 0, b"01234")

    behind = _patch(api, location, 0, b"56789")
    ahead = _patch(api, location, 7, b"789")
    head = api.client.head(location, headers=TUS_HEADERS)

    for response in (behind, ahead):
        assert response.status_code == 409
        assert "5 bytes" in error_message(response)
    assert head.headers["Upload-Offset"] == "5"


def test_tus_patch_beyond_length_rejected(api: Api) -> None:
    created = api.post(TUS_ENDPOINT, headers={**TUS_HEADERS, "Upload-Length": "4"})
    location = created.headers["Location"]

    response = _patch(api, location, 0, b"too long")
    head = api.client.head(location, headers=TUS_HEADERS)

    assert response.status_code == 400
    assert "4 bytes" in error_message(response)
    assert head.headers["Upload-Offset"] == "0"


def test_slow_tus_patch_leaves_database_free(api: Api) -> None:
    """A PATCH whose body arrives slowly keeps no database session open, so other requests go on."""
    created = api.post(TUS_ENDPOINT, headers={**TUS_HEADERS, "Upload-Length": "10"})
    location = created.headers["Location"]
    first_part_sent = threading.Event()
    other_request_done = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b"01234"
        first_part_sent.set()
        other_request_done.wait(timeout=30)
        yield b"56789"

    results: list[httpx.Response] = []
    headers = {**TUS_HEADERS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    patching = threading.Thread(
        target=lambda: results.append(api.client.patch(location, content=slow_body(), headers=headers))
    )
    patching.start()
    assert first_part_sent.wait(timeout=10)
    try:
        other = api.client.post("/api/histories", json={"name": "during a slow upload"}, timeout=10)
    finally:
        other_request_done.set()
        patching.join(timeout=30)

    assert other.status_code == 200, other.text
    assert results[0].status_code == 204, results[0].text
    assert results[0].headers["Upload-Offset"] == "10"


def test_tus_create_without_length_rejected(api: Api) -> None:
    response = api.post(TUS_ENDPOINT, headers=TUS_HEADERS)

    assert response.status_code == 400
    assert "Upload-Length" in error_message(response)


def test_tus_with_tuspy(server: NebulaServer, api: Api, history_id: str) -> None:
    content = b"".join(b">seq%d\nACGTACGTAC\n" % number for number in range(50))
    tus = tus_client.TusClient(
        server.url + TUS_ENDPOINT, headers={"x-api-key": api.client.headers["x-api-key"]}
    )
    uploader = tus.uploader(
        file_stream=io.BytesIO(content), chunk_size=256, metadata={"filename": "sequences.fa"}
    )

    uploader.upload()
    dataset = _fetch_upload(api, history_id, uploader.url.rsplit("/", 1)[1], "sequences.fa")

    assert uploader.offset == len(content)
    assert dataset["state"] == "ok", dataset["misc_info"]
    assert dataset["file_ext"] == "fasta"
    assert dataset["metadata_sequences"] == 50
    assert api.get(f"/api/datasets/{dataset['id']}/display").content == content


def test_bioblend_upload_file(api: Api, history_id: str, tmp_path: Path) -> None:
    """BioBlend uploads through tus and then the fetch API, naming the genome build."""
    path = tmp_path / "peaks.bed"
    path.write_bytes(b"chr1\t10\t20\r\nchr1\t30\t40")
    gi = GalaxyInstance(str(api.client.base_url), key=api.client.headers["x-api-key"])

    response = gi.tools.upload_file(str(path), history_id, dbkey="hg38", chunk_size=16)
    api.wait_for_job(response["jobs"][0]["id"])

    dataset = api.get(f"/api/datasets/{response['outputs'][0]['id']}").json()
    assert dataset["state"] == "ok", dataset["misc_info"]
    assert dataset["name"] == "peaks.bed"
    assert dataset["file_ext"] == "bed"
    assert dataset["genome_build"] == "hg38"
    assert (
        api.get(f"/api/datasets/{dataset['id']}/display").content == b"chr1\t10\t20\nchr1\t30\t40\n"
    )


def test_fetch_of_incomplete_upload_rejected(api: Api, history_id: str) -> None:
    created = api.post(TUS_ENDPOINT, headers={**TUS_HEADERS, "Upload-Length": "10"})
    location = created.headers["Location"]
    _patch(api, location, 0, b"01234")
    session_id = location.rsplit("/", 1)[1]

    response = api.post("/api/tools/fetch", json=_fetch_payload(history_id, session_id, "half.txt"))

    assert response.status_code == 400
    message = error_message(response)
    assert session_id in message
    assert "5 of 10 bytes" in message


def test_fetch_of_unknown_session_not_found(api: Api, history_id: str) -> None:
    response = api.post(
        "/api/tools/fetch", json=_fetch_payload(history_id, "0" * 32, "missing.txt")
    )

    assert response.status_code == 404
    assert "0" * 32 in error_message(response)


def test_fetch_from_url_rejected(api: Api, history_id: str) -> None:
    payload = {
        "history_id": history_id,
        "targets": [
            {
                "destination": {"type": "hdas"},
                "elements": [{"src": "url", "url": "http://127.0.0.1:9/a.bed"}],
            }
        ],
    }

    response = api.post("/api/tools/fetch", json=payload)

    assert response.status_code == 400
    message = error_message(response)
    assert "targets[0].elements[0]" in message
    assert "'url'" in message
    assert "not supported" in message


def test_fetch_pasted(api: Api, history_id: str) -> None:
    payload = {
        "history_id": history_id,
        "targets": [
            {
                "destination": {"type": "hdas"},
                "elements": [
                    {
                        "src": "pasted",
                        "paste_content": "a b c\r\n1 2 3",
                        "name": "table",
                        "ext": "tabular",
                        "space_to_tab": True,
                    },
                    {
                        "src": "pasted",
                        "paste_content": "free text\n",
                        "name": "notes",
                        "dbkey": "hg19",
                    },
                ],
            }
        ],
    }

    response = api.post("/api/tools/fetch", json=payload)

    assert response.status_code == 200, response.text
    job = api.wait_for_job(response.json()["jobs"][0]["id"])
    table, notes = (
        api.get(f"/api/datasets/{output['id']}").json() for output in response.json()["outputs"]
    )
    assert job["state"] == "ok"
    assert (table["name"], table["file_ext"]) == ("table", "tabular")
    assert api.get(f"/api/datasets/{table['id']}/display").text == "a\tb\tc\n1\t2\t3\n"
    assert (notes["name"], notes["file_ext"], notes["genome_build"]) == ("notes", "txt", "hg19")


def test_fetch_with_unsupported_destination_rejected(api: Api, history_id: str) -> None:
    payload = {
        "history_id": history_id,
        "targets": [{"destination": {"type": "library"}, "elements": []}],
    }

    response = api.post("/api/tools/fetch", json=payload)

    assert response.status_code == 400
    assert "'library'" in error_message(response)


def test_big_tus_upload_is_streamed(server: NebulaServer, api: Api, history_id: str) -> None:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status")
    created = api.post(
        TUS_ENDPOINT, headers={**TUS_HEADERS, "Upload-Length": str(BIG_UPLOAD_BYTES)}
    )
    location = created.headers["Location"]
    checksum = hashlib.sha256()
    # Resetting the peak to the current size makes the measurement independent of what
    # earlier tests made the server allocate (Linux: /proc/PID/clear_refs, value 5).
    Path(f"/proc/{server.process.pid}/clear_refs").write_text("5")
    peak_before = _kibibytes(status, "VmHWM")

    patched = api.client.patch(
        location,
        content=_generated_lines(BIG_UPLOAD_BYTES, checksum),
        headers={
            **TUS_HEADERS,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=120,
    )
    dataset = _fetch_upload(api, history_id, location.rsplit("/", 1)[1], "big.bed")
    peak_after = _kibibytes(status, "VmHWM")

    assert patched.status_code == 204, patched.text
    assert patched.headers["Upload-Offset"] == str(BIG_UPLOAD_BYTES)
    assert dataset["state"] == "ok", dataset["misc_info"]
    assert dataset["file_size"] == BIG_UPLOAD_BYTES
    assert dataset["hashes"] == [{"hash_function": "SHA-256", "hash_value": checksum.hexdigest()}]
    assert dataset["file_ext"] == "bed"
    assert dataset["metadata_data_lines"] == BIG_UPLOAD_BYTES // 32
    assert (peak_after - peak_before) * 1024 < MAX_RSS_GROWTH_BYTES, (
        f"peak RSS grew by {peak_after - peak_before} KiB"
    )


def _patch(api: Api, location: str, offset: int, chunk: bytes) -> httpx.Response:
    headers = {
        **TUS_HEADERS,
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }
    return api.client.patch(location, content=chunk, headers=headers)


def _fetch_payload(history_id: str, session_id: str, name: str) -> dict[str, Any]:
    """A fetch request in the shape BioBlend's upload_file sends after a tus upload."""
    return {
        "history_id": history_id,
        "targets": [
            {
                "destination": {"type": "hdas"},
                "elements": [{"src": "files", "name": name, "ext": "auto", "dbkey": "?"}],
            }
        ],
        "files_0|file_data": {"session_id": session_id, "name": name},
    }


def _fetch_upload(api: Api, history_id: str, session_id: str, name: str) -> dict[str, Any]:
    response = api.post("/api/tools/fetch", json=_fetch_payload(history_id, session_id, name))
    assert response.status_code == 200, response.text
    api.wait_for_job(response.json()["jobs"][0]["id"], timeout=120)
    return api.get(f"/api/datasets/{response.json()['outputs'][0]['id']}").json()


def _generated_lines(total: int, checksum: Any) -> Iterator[bytes]:
    """Yield `total` bytes of 32-byte BED lines in 64 KiB blocks, updating `checksum`.

    `total` must be a multiple of 32, so that the content ends with a whole line and the
    upload stores it unchanged.
    """
    assert total % 32 == 0
    lines_per_block = 2048
    for first in range(0, total // 32, lines_per_block):
        count = min(lines_per_block, total // 32 - first)
        block = b"".join(
            b"chr%02d\t%010d\t%09d\tfeat\n" % (n % 22 + 1, n * 100, n * 100 + 50)
            for n in range(first, first + count)
        )
        checksum.update(block)
        yield block


def _kibibytes(status: Path, field: str) -> int:
    for line in status.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(f"{field} is missing from {status}")


def test_bioblend_paste_content_uploads_text(server, api) -> None:
    from bioblend.galaxy import GalaxyInstance

    gi = GalaxyInstance(server.url, key=api.client.headers["x-api-key"])
    history_id = api.create_history("paste with bioblend")

    run = gi.tools.paste_content("chr1\t10\t20\nchr1\t30\t40\n", history_id, file_type="bed")
    job = api.wait_for_job(run["jobs"][0]["id"])
    dataset = api.get(f"/api/datasets/{run['outputs'][0]['id']}").json()

    assert job["state"] == "ok"
    assert dataset["file_ext"] == "bed"
    assert dataset["misc_blurb"] == "2 regions"
