"""A tool may be run on uploads that are still running; formats are checked once detected."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import Api

GENOMIC = Path(__file__).resolve().parents[1] / "data" / "genomic"
FASTA = ">chr1 test\nACGTACGTAC\nGGTTAACC\n"


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"NEBULA_LOCAL_JOB_SLOTS": "1"}


def _occupy_the_slot(api: Api, history_id: str) -> None:
    """Queue a job ahead, so that the uploads that follow are still pending when the tool is run."""
    response = api.post("/api/tools", json={"tool_id": "test_sleep", "history_id": history_id, "inputs": {"seconds": 2}})
    assert response.status_code == 200, response.text


def _run_intersect(api: Api, history_id: str, first: str, second: str) -> dict:
    response = api.post(
        "/api/tools",
        json={"tool_id": "gops_intersect_1", "history_id": history_id,
              "inputs": {"input1": {"src": "hda", "id": first}, "input2": {"src": "hda", "id": second}}},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_tool_runs_on_uploads_still_in_progress(api: Api) -> None:
    history_id = api.create_history("pending")
    _occupy_the_slot(api, history_id)
    exons = api.paste(history_id, (GENOMIC / "exons.bed").read_text())["outputs"][0]
    cpg = api.paste(history_id, (GENOMIC / "cpg.bed").read_text())["outputs"][0]

    run = _run_intersect(api, history_id, exons["id"], cpg["id"])
    job = api.wait_for_job(run["jobs"][0]["id"])
    output = api.get(f"/api/datasets/{run['outputs'][0]['id']}").json()

    assert exons["file_ext"] == "auto"
    assert job["state"] == "ok", job.get("info")
    assert output["file_ext"] == "bed"
    assert output["metadata_data_lines"] == 78


def test_detected_format_that_does_not_suit_the_tool_fails_the_job(api: Api) -> None:
    history_id = api.create_history("pending mismatch")
    _occupy_the_slot(api, history_id)
    sequences = api.paste(history_id, FASTA)["outputs"][0]
    cpg = api.paste(history_id, (GENOMIC / "cpg.bed").read_text())["outputs"][0]

    run = _run_intersect(api, history_id, sequences["id"], cpg["id"])
    job = api.wait_for_job(run["jobs"][0]["id"])
    output = api.get(f"/api/datasets/{run['outputs'][0]['id']}").json()

    assert job["state"] == "error"
    assert "input1" in job["info"]
    assert "'fasta'" in job["info"]
    assert output["state"] == "error"
