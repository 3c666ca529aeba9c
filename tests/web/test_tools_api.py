"""The tools and jobs APIs: the panel, one tool's description, parameter checks, failing
jobs, job listings and metrics, and the OpenAPI document."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from nebula.jobs.workdir import SPARE_FOLDER, JobDirectory
from nebula.security.ids import IdEncoder
from tests.support.server import Api, NebulaServer
from tests.web.conftest import error_message, hda, run_tool, run_tool_and_wait

FIRST = "chr1\t100\t200\ta\t0\t+\nchr1\t500\t600\tb\t0\t-\nchr2\t100\t200\tc\t0\t+\n"
SECOND = "chr1\t150\t250\nchr2\t1000\t2000\n"


@pytest.fixture(scope="module")
def history_id(api: Api) -> str:
    return api.create_history("tools")


@pytest.fixture(scope="module")
def first(api: Api, history_id: str) -> dict[str, Any]:
    return api.upload_text(history_id, FIRST, name="first.bed")


@pytest.fixture(scope="module")
def second(api: Api, history_id: str) -> dict[str, Any]:
    return api.upload_text(history_id, SECOND, name="second.bed")


@pytest.fixture(scope="module")
def fasta(api: Api, history_id: str) -> dict[str, Any]:
    return api.upload_text(history_id, ">seq\nACGT\n", name="reads.fa")


@pytest.fixture(scope="module")
def intersect_job(
    api: Api, history_id: str, first: dict[str, Any], second: dict[str, Any]
) -> dict[str, Any]:
    job = run_tool_and_wait(
        api,
        history_id,
        "gops_intersect_1",
        {"input1": hda(first["id"]), "input2": hda(second["id"])},
    )
    assert job["state"] == "ok", job
    return job


@pytest.fixture(scope="module")
def failed_job(api: Api, history_id: str, second: dict[str, Any]) -> dict[str, Any]:
    return run_tool_and_wait(api, history_id, "test_fail", {"input": hda(second["id"])})


def test_panel_lists_sections(api: Api) -> None:
    response = api.get("/api/tools")

    assert response.status_code == 200
    sections = {section["name"]: section for section in response.json()}
    assert "Operate on genomic intervals" in sections
    intervals = sections["Operate on genomic intervals"]
    assert intervals["model_class"] == "ToolSection"
    assert intervals["id"] == "intervals"
    tool_ids = {element["id"] for element in intervals["elems"]}
    assert {"gops_intersect_1", "gops_subtract_1", "gops_merge_1"} <= tool_ids
    assert {"upload1"} == {element["id"] for element in sections["Get data"]["elems"]}


def test_tool_list_without_panel_is_flat(api: Api) -> None:
    tools = api.get("/api/tools", params={"in_panel": "false"}).json()

    ids = [tool["id"] for tool in tools]
    assert all(tool["model_class"] == "Tool" for tool in tools)
    assert {"upload1", "gops_intersect_1", "test_sleep", "test_fail"} <= set(ids)
    assert len(ids) == len(set(ids))


def test_tool_search(api: Api) -> None:
    found = api.get("/api/tools", params={"q": "intersect"}).json()

    assert "gops_intersect_1" in found
    assert "gops_merge_1" not in found


def test_tool_by_id_parameter(api: Api) -> None:
    tools = api.get("/api/tools", params={"tool_id": "gops_merge_1"}).json()

    assert [tool["id"] for tool in tools] == ["gops_merge_1"]


def test_show_tool_with_io_details(api: Api) -> None:
    response = api.get("/api/tools/gops_intersect_1", params={"io_details": "true"})

    assert response.status_code == 200
    tool = response.json()
    inputs = {parameter["name"]: parameter for parameter in tool["inputs"]}
    assert tool["id"] == "gops_intersect_1"
    assert tool["panel_section_name"] == "Operate on genomic intervals"
    assert {"input1", "input2", "min", "returntype"} <= inputs.keys()
    assert inputs["input1"]["type"] == "data"
    assert inputs["min"]["type"] == "integer"
    assert inputs["min"]["min"] == 1
    assert inputs["returntype"]["type"] == "select"
    assert [option[1] for option in inputs["returntype"]["options"]] == ["", "-p"]
    assert [output["name"] for output in tool["outputs"]] == ["output"]


def test_show_tool_without_io_details_omits_inputs(api: Api) -> None:
    tool = api.get("/api/tools/gops_intersect_1").json()

    assert tool["name"] == "Intersect"
    assert "inputs" not in tool


def test_unknown_tool_not_found(api: Api, history_id: str) -> None:
    shown = api.get("/api/tools/no_such_tool")
    run = run_tool(api, history_id, "no_such_tool", {})

    for response in (shown, run):
        assert response.status_code == 404
        assert "no_such_tool" in error_message(response)


@pytest.mark.parametrize(
    ("inputs", "parameter", "value"),
    [
        ({"min": "abc"}, "min", "'abc'"),
        ({"min": 0}, "min", "0"),
        ({"min": "-5"}, "min", "'-5'"),
        ({"min": 1.5}, "min", "1.5"),
        ({"returntype": "-x"}, "returntype", "'-x'"),
    ],
    ids=["min-text", "min-zero", "min-negative", "min-fraction", "returntype-unknown"],
)
def test_invalid_parameter_rejected(
    api: Api,
    history_id: str,
    first: dict[str, Any],
    second: dict[str, Any],
    inputs: dict[str, Any],
    parameter: str,
    value: str,
) -> None:
    jobs_before = len(api.get("/api/jobs").json())
    request = {"input1": hda(first["id"]), "input2": hda(second["id"]), **inputs}

    response = run_tool(api, history_id, "gops_intersect_1", request)

    assert response.status_code == 400, response.text
    message = error_message(response)
    assert f"'{parameter}'" in message
    assert value in message
    assert "gops_intersect_1" in message
    assert response.json()["err_data"]["parameter"] == parameter
    assert len(api.get("/api/jobs").json()) == jobs_before


def test_dataset_of_wrong_format_rejected(
    api: Api, history_id: str, fasta: dict[str, Any], second: dict[str, Any]
) -> None:
    response = run_tool(
        api,
        history_id,
        "gops_intersect_1",
        {"input1": hda(fasta["id"]), "input2": hda(second["id"])},
    )

    assert response.status_code == 400, response.text
    message = error_message(response)
    assert "'input1'" in message
    assert "fasta" in message
    assert response.json()["err_data"]["parameter"] == "input1"


def test_missing_data_input_rejected(api: Api, history_id: str, first: dict[str, Any]) -> None:
    response = run_tool(api, history_id, "gops_intersect_1", {"input1": hda(first["id"])})

    assert response.status_code == 400, response.text
    assert "'input2'" in error_message(response)


def test_dataset_id_beyond_database_range_rejected(
    server: NebulaServer, api: Api, history_id: str, second: dict[str, Any]
) -> None:
    encoder = IdEncoder((server.data_dir / "secret_key").read_text().strip())
    beyond = encoder.encode(2**64 - 1)

    response = run_tool(
        api, history_id, "gops_intersect_1", {"input1": hda(beyond), "input2": hda(second["id"])}
    )

    assert response.status_code in (400, 404), response.text
    assert beyond in error_message(response)


@pytest.mark.parametrize(
    "style",
    ["object", "values-list", "text-values"],
)
def test_data_input_styles_accepted(
    api: Api, history_id: str, first: dict[str, Any], second: dict[str, Any], style: str
) -> None:
    """Galaxy clients send a dataset reference as an object or wrapped in `values`, and
    numbers and options as text."""
    if style == "object":
        inputs: dict[str, Any] = {"input1": hda(first["id"]), "input2": hda(second["id"])}
    elif style == "values-list":
        inputs = {
            "input1": {"values": [hda(first["id"])]},
            "input2": {"values": [hda(second["id"])]},
        }
    else:
        inputs = {
            "input1": hda(first["id"]),
            "input2": hda(second["id"]),
            "min": "1",
            "returntype": "",
        }

    job = run_tool_and_wait(api, history_id, "gops_intersect_1", inputs)

    assert job["state"] == "ok", job
    output = api.get(f"/api/datasets/{job['outputs']['output']['id']}/display").text
    assert output == "chr1\t100\t200\ta\t0\t+\n"


def test_tool_run_response_shape(api: Api, history_id: str, first: dict[str, Any]) -> None:
    response = run_tool(api, history_id, "gops_merge_1", {"input1": hda(first["id"])})

    assert response.status_code == 200
    body = response.json()
    assert {"outputs", "jobs", "output_collections", "implicit_collections"} <= body.keys()
    assert len(body["jobs"]) == 1
    assert body["jobs"][0]["tool_id"] == "gops_merge_1"
    assert body["outputs"][0]["output_name"] == "output"
    assert body["outputs"][0]["history_id"] == history_id
    assert body["outputs"][0]["name"] == "Merge on data 1"
    api.wait_for_job(body["jobs"][0]["id"])


def test_intersect_job_details(
    api: Api, intersect_job: dict[str, Any], first: dict[str, Any], second: dict[str, Any]
) -> None:
    inputs = api.get(f"/api/jobs/{intersect_job['id']}/inputs").json()
    outputs = api.get(f"/api/jobs/{intersect_job['id']}/outputs").json()

    assert intersect_job["tool_id"] == "gops_intersect_1"
    assert intersect_job["exit_code"] == 0
    assert intersect_job["inputs"]["input1"]["id"] == first["id"]
    assert intersect_job["inputs"]["input2"]["id"] == second["id"]
    assert intersect_job["command_line"]
    assert intersect_job["start_time"] is not None
    assert intersect_job["end_time"] is not None
    assert {(entry["name"], entry["dataset"]["id"]) for entry in inputs} == {
        ("input1", first["id"]),
        ("input2", second["id"]),
    }
    assert outputs == [
        {
            "name": "output",
            "dataset": {"id": intersect_job["outputs"]["output"]["id"], "src": "hda"},
        }
    ]


def test_job_metrics_of_finished_job(api: Api, intersect_job: dict[str, Any]) -> None:
    metrics = api.get(f"/api/jobs/{intersect_job['id']}/metrics").json()

    by_name = {metric["name"]: metric for metric in metrics}
    assert {"runtime_seconds", "cpu_seconds", "peak_memory_bytes"} <= by_name.keys()
    assert float(by_name["runtime_seconds"]["raw_value"]) > 0
    assert float(by_name["cpu_seconds"]["raw_value"]) >= 0
    assert float(by_name["peak_memory_bytes"]["raw_value"]) > 0
    assert by_name["runtime_seconds"]["value"].endswith("seconds")
    assert intersect_job["job_metrics"] == metrics


def test_failing_job_records_error(api: Api, failed_job: dict[str, Any]) -> None:
    output = api.get(f"/api/datasets/{failed_job['outputs']['output']['id']}").json()

    assert failed_job["state"] == "error"
    assert failed_job["exit_code"] == 3
    assert "something went wrong in step 2" in failed_job["stderr"]
    assert "input line count: 2" in failed_job["stdout"]
    assert output["state"] == "error"
    assert "exit code 3" in output["misc_info"]
    assert "something went wrong in step 2" in output["misc_info"]


def test_failed_output_rejected_as_input(
    api: Api, history_id: str, failed_job: dict[str, Any]
) -> None:
    response = run_tool(
        api, history_id, "gops_merge_1", {"input1": hda(failed_job["outputs"]["output"]["id"])}
    )

    assert response.status_code == 400
    assert "'input1'" in error_message(response)
    assert "error" in error_message(response)


def test_job_list_filters(
    api: Api, history_id: str, intersect_job: dict[str, Any], failed_job: dict[str, Any]
) -> None:
    other_history = api.create_history("other jobs")
    other = run_tool_and_wait(api, other_history, "test_sleep", {"seconds": 0})

    ok_jobs = api.get("/api/jobs", params={"state": "ok"}).json()
    error_jobs = api.get("/api/jobs", params={"state": "error"}).json()
    ok_or_error = api.get("/api/jobs", params={"state": "ok,error"}).json()
    intersects = api.get("/api/jobs", params={"tool_id": "gops_intersect_1"}).json()
    in_history = api.get("/api/jobs", params={"history_id": history_id}).json()
    in_other = api.get("/api/jobs", params={"history_id": other_history}).json()
    everything = api.get("/api/jobs").json()

    def ids(jobs: list[dict[str, Any]]) -> set[str]:
        return {job["id"] for job in jobs}

    assert all(job["state"] == "ok" for job in ok_jobs)
    assert intersect_job["id"] in ids(ok_jobs)
    assert ids(error_jobs) == {failed_job["id"]}
    assert ids(ok_or_error) == ids(ok_jobs) | ids(error_jobs)
    assert all(job["tool_id"] == "gops_intersect_1" for job in intersects)
    assert intersect_job["id"] in ids(intersects)
    assert all(job["history_id"] == history_id for job in in_history)
    assert {intersect_job["id"], failed_job["id"]} <= ids(in_history)
    assert ids(in_other) == {other["id"]}
    assert ids(everything) >= ids(in_history) | ids(in_other)
    for job in everything:
        assert {"id", "state", "tool_id", "history_id", "update_time"} <= job.keys()


def test_job_list_with_unknown_state_rejected(api: Api) -> None:
    response = api.get("/api/jobs", params={"state": "sleeping"})

    assert response.status_code == 400
    assert "'sleeping'" in error_message(response)
    assert "running" in error_message(response)


def test_malformed_job_id_not_found(api: Api) -> None:
    response = api.get("/api/jobs/nonsense")

    assert response.status_code == 404
    assert error_message(response) == "job id 'nonsense' is not a valid id"


def test_tool_request_without_tool_id_rejected(api: Api, history_id: str) -> None:
    response = api.post("/api/tools", json={"history_id": history_id, "inputs": {}})

    assert response.status_code == 400
    assert "tool_id" in error_message(response)


def test_tool_request_with_non_json_body_rejected(api: Api) -> None:
    response = api.post(
        "/api/tools", content=b"tool_id=cat1", headers={"content-type": "text/plain"}
    )

    assert response.status_code == 400
    assert "JSON" in error_message(response)


def test_openapi_document_served(api: Api) -> None:
    response = api.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Nebula"
    assert {"/api/histories", "/api/tools", "/api/tools/fetch", "/api/jobs/{job_id}"} <= document[
        "paths"
    ].keys()


def test_version(api: Api) -> None:
    response = api.get("/api/version")

    assert response.status_code == 200
    assert response.json()["version_major"] == "24.1"


def test_configfile_reaches_the_job(api: Api, history_id: str) -> None:
    job = run_tool_and_wait(api, history_id, "test_configfile", {"name": "Ada"})

    output = api.get(f"/api/datasets/{job['outputs']['output']['id']}/display").text

    assert job["state"] == "ok", job.get("info")
    assert output == "Hello, Ada!\n"


def _job_folder(server: NebulaServer, encoded_job_id: str) -> Path:
    encoder = IdEncoder((server.data_dir / "secret_key").read_text().strip())
    return JobDirectory.for_job(server.data_dir / "jobs", encoder.decode(encoded_job_id, "job")).root


def _wait_until_gone(path: Path, timeout: float = 10.0) -> bool:
    # The runner cleans up after it records the end, so the folder may outlive the ok state briefly.
    deadline = time.monotonic() + timeout
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not path.exists()


def test_own_command_folder_becomes_spare(
    server: NebulaServer, api: Api, history_id: str, first: dict[str, Any], second: dict[str, Any]
) -> None:
    job = run_tool_and_wait(
        api, history_id, "gops_intersect_1", {"input1": hda(first["id"]), "input2": hda(second["id"])}
    )

    assert job["state"] == "ok"
    assert _wait_until_gone(_job_folder(server, job["id"]))
    spares = list((server.data_dir / "jobs" / SPARE_FOLDER).iterdir())
    assert len(spares) >= 1
    assert all(list((spare / "outputs").iterdir()) == [] for spare in spares)


def test_failed_job_keeps_its_folder(server: NebulaServer, failed_job: dict[str, Any]) -> None:
    assert failed_job["state"] == "error"
    assert _job_folder(server, failed_job["id"]).is_dir()


def test_bash_tool_folder_is_removed_not_reused(
    server: NebulaServer, api: Api, history_id: str, first: dict[str, Any], second: dict[str, Any]
) -> None:
    spares = server.data_dir / "jobs" / SPARE_FOLDER
    intersect = run_tool_and_wait(
        api, history_id, "gops_intersect_1", {"input1": hda(first["id"]), "input2": hda(second["id"])}
    )
    assert _wait_until_gone(_job_folder(server, intersect["id"]))
    before = len(list(spares.iterdir()))

    job = run_tool_and_wait(api, history_id, "test_sleep", {"seconds": 0})

    assert job["state"] == "ok"
    assert _wait_until_gone(_job_folder(server, job["id"]))
    # The job took a spare folder for its directory, and its end removed it.
    assert before >= 1
    assert len(list(spares.iterdir())) == before - 1
