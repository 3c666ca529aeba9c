"""Start a real `nebula serve` process for tests, and talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from nebula.config import BUNDLED_TOOL_PANEL
from nebula.jobs.wakeup import WakeSocketError, remove_stale_socket, wake_socket_path

NEBULA = str(Path(sys.executable).parent / "nebula")
START_TIMEOUT = 120.0
JOB_TOOLS = Path(__file__).resolve().parents[1] / "data" / "job_tools"


def write_test_panel(folder: Path) -> Path:
    """Write a tool panel with every bundled tool plus the job system's test tools."""
    panel = yaml.safe_load(BUNDLED_TOOL_PANEL.read_text())
    for section in panel["sections"]:
        section["tools"] = [
            str((BUNDLED_TOOL_PANEL.parent / path).resolve()) for path in section["tools"]
        ]
    panel["sections"].append(
        {
            "id": "testing",
            "name": "Testing",
            "tools": [
                str(JOB_TOOLS / "sleep.xml"),
                str(JOB_TOOLS / "fail.xml"),
                str(JOB_TOOLS / "configfile.xml"),
            ],
        }
    )
    path = folder / "tool_panel.yml"
    path.write_text(yaml.safe_dump(panel))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_user(
    data_dir: Path, email: str, admin: bool = False, env: dict[str, str] | None = None
) -> str:
    """Create a user with the CLI and return the API key it prints on its last line."""
    command = [NEBULA, "user", "create", email, "--password", "secret-password"]
    if admin:
        command.append("--admin")
    result = subprocess.run(
        command, env=server_env(data_dir, env), capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def server_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
    env["NEBULA_DATA_DIR"] = str(data_dir)
    env["NEBULA_LOG_LEVEL"] = "INFO"
    env["NEBULA_TOOL_PANEL"] = str(write_test_panel(data_dir.parent))
    env.update(extra or {})
    return env


def handler_children(parent: int) -> list[int]:
    """Return the pids of the `nebula handler` processes whose parent is `parent`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and "nebula.cli handler" in command:
            found.append(int(entry.name))
    return found


@dataclass
class NebulaServer:
    """A `nebula serve` subprocess on a free port with its own data folder."""

    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> NebulaServer:
        log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [NEBULA, "serve", "--port", str(self.port)],
            env=server_env(self.data_dir, self.extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"nebula serve exited with {self.process.returncode}; see {log.name}"
                )
            try:
                if httpx.get(self.url + "/api/version", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.process.kill()
        self.process.wait()
        raise RuntimeError(f"nebula serve did not answer within {START_TIMEOUT} s; see {log.name}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # A handler killed with serve leaves its wake-up socket in the temporary folder.
        # Each test's data folder has a socket name of its own, so they would pile up.
        socket_path = wake_socket_path(Path(tempfile.gettempdir()), self.data_dir)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                remove_stale_socket(socket_path)
                break
            except WakeSocketError:
                time.sleep(0.1)  # The handler has not ended yet.


class Api:
    """A thin client that sends one user's API key with every request."""

    def __init__(self, url: str, key: str | None) -> None:
        headers = {"x-api-key": key} if key else {}
        self.client = httpx.Client(base_url=url, headers=headers, timeout=30)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.put(path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request("DELETE", path, **kwargs)

    def create_history(self, name: str = "test history") -> str:
        response = self.post("/api/histories", json={"name": name})
        response.raise_for_status()
        return response.json()["id"]

    def paste(
        self, history_id: str, content: str, file_type: str = "auto", name: str | None = None
    ) -> dict[str, Any]:
        inputs: dict[str, Any] = {
            "file_type": file_type,
            "files_0|url_paste": content,
            "files_0|type": "upload_dataset",
        }
        if name:
            inputs["files_0|NAME"] = name
        response = self.post(
            "/api/tools", json={"tool_id": "upload1", "history_id": history_id, "inputs": inputs}
        )
        response.raise_for_status()
        return response.json()

    def wait_for_job(self, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(f"/api/jobs/{job_id}").json()
            if job["state"] in ("ok", "error", "deleted"):
                return job
            time.sleep(0.1)
        raise TimeoutError(f"job {job_id} did not finish within {timeout} s")

    def wait_for_dataset(self, dataset_id: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dataset = self.get(f"/api/datasets/{dataset_id}").json()
            if dataset["state"] in ("ok", "error", "discarded"):
                return dataset
            time.sleep(0.1)
        raise TimeoutError(f"dataset {dataset_id} did not finish within {timeout} s")

    def upload_text(
        self, history_id: str, content: str, file_type: str = "auto", name: str | None = None
    ) -> dict[str, Any]:
        """Paste content, wait for the upload job and return the finished dataset."""
        response = self.paste(history_id, content, file_type, name)
        self.wait_for_job(response["jobs"][0]["id"])
        return self.get(f"/api/datasets/{response['outputs'][0]['id']}").json()


@dataclass
class NebulaWorker:
    """A `nebula worker` subprocess (a Celery worker) in its own session, so it can be killed whole."""

    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    name: str = "worker"
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.name}.log"

    def start(self, concurrency: int = 2) -> NebulaWorker:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [NEBULA, "worker", "--concurrency", str(concurrency), "--hostname", f"{self.name}@%h"],
            env=server_env(self.data_dir, self.extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"nebula worker exited with {self.process.returncode}; see {self.log_path}"
                )
            if b" ready." in self.log_path.read_bytes():
                return self
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(
            f"nebula worker did not become ready within {START_TIMEOUT} s; see {self.log_path}"
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as a crashed host would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
