"""`nebula tool-test`: run tools' XML tests through a temporary Nebula server.

Each test goes the way a user's request goes: its input files are uploaded over HTTP,
the tool runs as a job through the handler and the local runner, and the outputs are
downloaded and compared by the test's rules.
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
import uvicorn

from nebula.app import build_app
from nebula.config import Settings
from nebula.managers.users import create_api_key, create_user
from nebula.model.database import transaction
from nebula.tools import Tool, ToolBox
from nebula.tools.testing.verify import Assertion, Expectation, verify_output
from nebula.tools.tool_tests import TestInputFile, ToolTest
from nebula.web.app import create_app

JOB_TIMEOUT = 300.0
_SOURCE_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TEST_DATA_DIRS = (
    Path(__file__).resolve().parents[1] / "bundled" / "test-data",
    _SOURCE_ROOT / "tests" / "data" / "conformance" / "data",
    _SOURCE_ROOT / "tests" / "data" / "tools",
)


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # a result record, not a pytest test class

    tool_id: str
    number: int
    passed: bool
    seconds: float
    problems: tuple[str, ...] = ()


def run_tool_tests(
    settings: Settings,
    tool_ids: Sequence[str],
    run_all: bool = False,
    test_data_dirs: Sequence[Path] = (),
    out: TextIO = sys.stdout,
) -> int:
    """Run the tests and print one line per test and a total; return the exit status."""
    toolbox = ToolBox.load(settings.tool_panel)
    tools = list(toolbox.tools()) if run_all else [toolbox.get(tool_id) for tool_id in tool_ids]
    results: list[TestResult] = []
    with (
        tempfile.TemporaryDirectory(prefix="nebula-tool-test-") as folder,
        _temporary_server(settings, Path(folder)) as client,
    ):
        for tool in tools:
            if not tool.tests:
                print(f"SKIP {tool.id}: the tool has no tests", file=out)
                continue
            for number, test in enumerate(tool.tests, start=1):
                result = run_one_test(
                    client, tool, number, test, [*test_data_dirs, *_tool_data_dirs(tool)]
                )
                results.append(result)
                status = "PASS" if result.passed else "FAIL"
                print(f"{status} {tool.id} test {number} ({result.seconds:.1f} s)", file=out)
                for problem in result.problems:
                    print("    " + problem.replace("\n", "\n    "), file=out)
    passed = sum(result.passed for result in results)
    print(f"{passed} passed, {len(results) - passed} failed", file=out)
    return 0 if passed == len(results) else 1


def run_one_test(
    client: httpx.Client, tool: Tool, number: int, test: ToolTest, data_dirs: Sequence[Path]
) -> TestResult:
    started = time.monotonic()
    try:
        problems = _run(client, tool, number, test, data_dirs)
    except (TestSetupError, httpx.HTTPError, TimeoutError) as exc:
        problems = [str(exc)]
    return TestResult(tool.id, number, not problems, time.monotonic() - started, tuple(problems))


class TestSetupError(Exception):
    __test__ = False


def _run(
    client: httpx.Client, tool: Tool, number: int, test: ToolTest, data_dirs: Sequence[Path]
) -> list[str]:
    history_id = _check(client.post("/api/histories", json={"name": f"{tool.id} test {number}"}))[
        "id"
    ]
    inputs: dict[str, Any] = {}
    uploaded: dict[tuple[str, str | None], str] = {}
    for name, value in test.inputs.items():
        values = value if isinstance(value, list) else [value]
        if values and all(isinstance(item, TestInputFile) for item in values):
            ids = [_upload(client, history_id, item, data_dirs, uploaded) for item in values]
            references = [{"src": "hda", "id": dataset_id} for dataset_id in ids]
            inputs[name] = references[0] if len(references) == 1 else {"values": references}
        else:
            inputs[name] = value

    response = client.post(
        "/api/tools", json={"tool_id": tool.id, "history_id": history_id, "inputs": inputs}
    )
    if response.status_code != 200:
        if test.expect_failure:
            return []
        return [f"the run request was rejected: {_error_text(response)}"]
    run = response.json()
    job = _wait_for_job(client, run["jobs"][0]["id"])
    if test.expect_failure:
        return (
            []
            if job["state"] == "error"
            else [f"the job ended {job['state']}, but the test expects a failure"]
        )
    if job["state"] != "ok":
        return [
            f"the job ended {job['state']}: {job.get('info') or ''}\n{(job.get('stderr') or '').strip()[-2000:]}"
        ]

    outputs = {output["output_name"]: output["id"] for output in run["outputs"]}
    problems = []
    for name, expected in test.outputs.items():
        if name not in outputs:
            problems.append(f"the tool has no output named {name!r}")
            continue
        content = client.get(f"/api/datasets/{outputs[name]}/display")
        if content.status_code != 200:
            problems.append(f"output {name!r} could not be downloaded: {_error_text(content)}")
            continue
        expectation = Expectation(
            file=_find_file(expected.file, data_dirs) if expected.file else None,
            compare=expected.compare,
            lines_diff=expected.lines_diff,
            sort=expected.sort,
            asserts=[
                Assertion(assertion.kind, dict(assertion.attributes))
                for assertion in expected.asserts
            ],
        )
        problems.extend(
            f"output {name!r}: {problem}" for problem in verify_output(content.content, expectation)
        )
    return problems


def _upload(
    client: httpx.Client,
    history_id: str,
    item: TestInputFile,
    data_dirs: Sequence[Path],
    uploaded: dict[tuple[str, str | None], str],
) -> str:
    key = (item.file, item.ftype)
    if key in uploaded:
        return uploaded[key]
    path = _find_file(item.file, data_dirs)
    payload = {
        "file_type": item.ftype or "auto",
        "dbkey": item.dbkey or "?",
        "files_0|NAME": path.name,
    }
    with open(path, "rb") as handle:
        response = client.post(
            "/api/tools",
            data={"tool_id": "upload1", "history_id": history_id, "inputs": json.dumps(payload)},
            files={"files_0|file_data": (path.name, handle)},
        )
    run = _check(response)
    job = _wait_for_job(client, run["jobs"][0]["id"])
    if job["state"] != "ok":
        raise TestSetupError(f"upload of {path.name} failed: {job.get('info')}")
    uploaded[key] = run["outputs"][0]["id"]
    return uploaded[key]


def _wait_for_job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT
    delay = 0.05
    while time.monotonic() < deadline:
        job = _check(client.get(f"/api/jobs/{job_id}"))
        if job["state"] in ("ok", "error", "deleted"):
            return job
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)
    raise TimeoutError(f"job {job_id} did not finish within {JOB_TIMEOUT:g} seconds")


def _find_file(name: str, data_dirs: Sequence[Path]) -> Path:
    for folder in data_dirs:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(folder) for folder in data_dirs)
    raise TestSetupError(f"test data file {name!r} not found; searched {searched}")


def _tool_data_dirs(tool: Tool) -> list[Path]:
    return [Path(tool.path).parent / "test-data", *DEFAULT_TEST_DATA_DIRS]


def _check(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise TestSetupError(
            f"{response.request.method} {response.request.url.path} failed: {_error_text(response)}"
        )
    return response.json()


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json().get("err_msg"))
    except ValueError:
        return f"HTTP {response.status_code}"


@contextmanager
def _temporary_server(settings: Settings, folder: Path) -> Iterator[httpx.Client]:
    """Serve Nebula from a throw-away data folder on a free port, with its own job handler."""
    port = _free_port()
    test_settings = settings.model_copy(
        update={
            "data_dir": folder,
            "database_url": None,
            "object_store_dir": None,
            "job_working_dir": None,
            "upload_dir": None,
            "secret_key": None,
            "host": "127.0.0.1",
            "port": port,
        }
    )
    nebula = build_app(test_settings, migrate=True)
    with transaction(nebula.session_factory) as session:
        user = create_user(session, "tool-tester@example.org", is_admin=True)
        key = create_api_key(session, user)

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(nebula, run_handler=True), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, name="tool-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the temporary Nebula server did not start")
        time.sleep(0.05)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"x-api-key": key}, timeout=60
        ) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
