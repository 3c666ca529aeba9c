"""Galaxy's test cases for the interval tools, run the way a user runs them.

Each case's input files are uploaded over HTTP (with the datatype the case gives, or
detected), the tool runs as a job through the handler and the local runner with the
case's parameters, and the downloaded output is compared by the case's rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.conformance import CONFORMANCE_DATA, compare, correct_known_defects, load_cases
from tests.support.server import Api

INTERVAL_TOOLS = (
    "gops_intersect_1", "gops_subtract_1", "gops_merge_1", "gops_cluster_1", "gops_complement_1",
    "gops_concat_1", "gops_coverage_1", "gops_basecoverage_1", "gops_join_1", "subtract_query1",
    "flanking_features_1", "get_flanks1",
)
CASES = load_cases(INTERVAL_TOOLS)


@pytest.fixture(scope="module")
def history_id(api: Api) -> str:
    return api.create_history("conformance")


@pytest.fixture(scope="module")
def uploads() -> dict[tuple[str, str], str]:
    """Datasets already uploaded, by (file, datatype), so cases sharing an input reuse it."""
    return {}


def test_every_interval_tool_has_cases() -> None:
    assert len(CASES) == 41
    assert {case["tool_id"] for case in CASES} == set(INTERVAL_TOOLS)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case_through_the_api(case: dict[str, Any], api: Api, history_id: str, uploads: dict[tuple[str, str], str]) -> None:
    inputs: dict[str, Any] = {
        name: {"src": "hda", "id": _upload(api, history_id, spec, uploads)} for name, spec in case["inputs"].items()
    }
    for name, value in case["params"].items():
        inputs[name] = value["option_value"] if isinstance(value, dict) else value
    ((output_name, expected),) = case["outputs"].items()

    response = api.post("/api/tools", json={"tool_id": case["tool_id"], "history_id": history_id, "inputs": inputs})
    assert response.status_code == 200, response.text
    run = response.json()
    job = api.wait_for_job(run["jobs"][0]["id"])
    assert job["state"] == "ok", f"{job.get('info')}\n{job.get('stderr')}"
    (output,) = [item for item in run["outputs"] if item["output_name"] == output_name]
    actual = api.get(f"/api/datasets/{output['id']}/display").text.splitlines()

    expected_lines = (CONFORMANCE_DATA / expected["file"]).read_text().splitlines()
    compare(case, expected, actual, correct_known_defects(case["id"], expected_lines))


def _upload(api: Api, history_id: str, spec: dict[str, Any], uploads: dict[tuple[str, str], str]) -> str:
    file_type = spec.get("ftype") or "auto"
    key = (spec["file"], file_type)
    if key not in uploads:
        path = CONFORMANCE_DATA / spec["file"]
        with open(path, "rb") as handle:
            response = api.post(
                "/api/tools",
                data={"tool_id": "upload1", "history_id": history_id,
                      "inputs": f'{{"file_type": "{file_type}", "files_0|NAME": "{path.name}"}}'},
                files={"files_0|file_data": (path.name, handle)},
            )
        assert response.status_code == 200, response.text
        run = response.json()
        assert api.wait_for_job(run["jobs"][0]["id"])["state"] == "ok"
        uploads[key] = run["outputs"][0]["id"]
    return uploads[key]
