"""Galaxy's own test cases for the bundled tools, run the way a user runs them.

Each case's input files are uploaded over HTTP (with the datatype the case gives, or
detected), the tool runs as a job through the handler and the local runner with the
case's parameters, and the downloaded output is compared by the case's rules: Galaxy's
diff (relaxing only the row order the original tool left arbitrary, as the case notes
say), sim_size, and content assertions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from nebula.tools.testing.verify import Assertion, Expectation, verify_output
from tests.support.conformance import (
    CONFORMANCE_DATA,
    CONFORMANCE_DIR,
    compare,
    correct_known_defects,
)
from tests.support.server import Api

CASES: list[dict[str, Any]] = yaml.safe_load((CONFORMANCE_DIR / "cases.yaml").read_text())


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    # fasta_compute_length reads cached genome lengths through Galaxy's .loc data tables.
    return {"NEBULA_TOOL_DATA_DIR": str(CONFORMANCE_DATA)}


@pytest.fixture(scope="module")
def history_id(api: Api) -> str:
    return api.create_history("conformance")


@pytest.fixture(scope="module")
def uploads() -> dict[tuple[str, str], str]:
    """Datasets already uploaded, by (file, datatype), so cases sharing an input reuse it."""
    return {}


def test_corpus_has_every_case() -> None:
    assert len(CASES) == 89


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case_through_the_api(case: dict[str, Any], api: Api, history_id: str, uploads: dict[tuple[str, str], str]) -> None:
    inputs: dict[str, Any] = {
        name: {"src": "hda", "id": _upload(api, history_id, spec, uploads)} for name, spec in case["inputs"].items()
    }
    for name, value in case["params"].items():
        inputs[name] = _param_value(value)

    response = api.post("/api/tools", json={"tool_id": case["tool_id"], "history_id": history_id, "inputs": inputs})
    assert response.status_code == 200, response.text
    run = response.json()
    job = api.wait_for_job(run["jobs"][0]["id"], timeout=120)
    assert job["state"] == "ok", f"{job.get('info')}\n{job.get('stderr')}"
    produced = {item["output_name"]: item["id"] for item in run["outputs"]}

    for output_name, expected in case["outputs"].items():
        content = api.get(f"/api/datasets/{produced[output_name]}/display").content
        _compare(case, expected, content)


def _compare(case: dict[str, Any], expected: dict[str, Any], content: bytes) -> None:
    rule = expected.get("compare", "diff")
    asserts = [
        Assertion(item["assertion"], {key: str(value) for key, value in item.items() if key != "assertion"})
        for item in expected.get("assert_contents", [])
    ]
    if expected.get("file") and rule == "diff":
        expected_lines = (CONFORMANCE_DATA / expected["file"]).read_text().splitlines()
        compare(case, expected, content.decode().splitlines(), correct_known_defects(case["id"], expected_lines))
        file_expectation = None
    else:
        file_expectation = CONFORMANCE_DATA / expected["file"] if expected.get("file") else None
    expectation = Expectation(
        file=file_expectation, compare=rule, lines_diff=int(expected.get("lines_diff", 0)),
        sort=bool(expected.get("sort")), asserts=asserts,
    )
    problems = verify_output(content, expectation)
    assert not problems, "\n".join(problems)


def _upload(api: Api, history_id: str, spec: dict[str, Any], uploads: dict[tuple[str, str], str]) -> str:
    file_type = spec.get("ftype") or "auto"
    key = (spec["file"], file_type)
    if key not in uploads:
        path = CONFORMANCE_DATA / spec["file"]
        with open(path, "rb") as handle:
            response = api.post(
                "/api/tools",
                data={
                    "tool_id": "upload1",
                    "history_id": history_id,
                    "inputs": json.dumps({"file_type": file_type, "files_0|NAME": path.name}),
                },
                files={"files_0|file_data": (path.name, handle)},
            )
        assert response.status_code == 200, response.text
        run = response.json()
        assert api.wait_for_job(run["jobs"][0]["id"])["state"] == "ok"
        uploads[key] = run["outputs"][0]["id"]
    return uploads[key]


def _param_value(value: Any) -> Any:
    """A select given by its label carries option_value; a boolean given by its false or
    true value carries what it means."""
    if not isinstance(value, dict):
        return value
    if "option_value" in value:
        return value["option_value"]
    return value.get("means", value.get("given"))
