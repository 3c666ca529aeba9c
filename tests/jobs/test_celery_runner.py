"""The Celery runner with real brokers: Redis and RabbitMQ on this machine."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nebula.config import load_settings
from nebula.security.ids import IdEncoder
from tests.support.server import Api, NebulaServer, NebulaWorker, create_user
from tests.support.services import require_service

GENOMIC = Path(__file__).resolve().parents[1] / "data" / "genomic"
BROKERS = {
    "redis": ("redis://127.0.0.1:6379/0", 6379),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", 5672),
}


@dataclass
class Deployment:
    api: Api
    server: NebulaServer
    worker: NebulaWorker
    env: dict[str, str]


@pytest.fixture(scope="module", params=sorted(BROKERS))
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """A server whose handler dispatches to Celery, and one worker; both on a private queue."""
    url, port = BROKERS[request.param]
    require_service(request.param, "127.0.0.1", port)
    data_dir = tmp_path_factory.mktemp(f"celery-{request.param}") / "data"
    data_dir.mkdir()
    env = {
        "NEBULA_RUNNER": "celery",
        "NEBULA_CELERY_BROKER_URL": url,
        "NEBULA_CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/1",
        "NEBULA_CELERY_QUEUE": f"nebula-test-{uuid.uuid4().hex[:8]}",
        "NEBULA_CELERY_VISIBILITY_TIMEOUT": "5",
    }
    key = create_user(data_dir, "celery@example.org", env=env)
    server = NebulaServer(data_dir, extra_env=env).start()
    worker = NebulaWorker(data_dir, extra_env=env, name=f"first-{request.param}").start()
    running = Deployment(Api(server.url, key), server, worker, env)
    yield running
    running.worker.stop()
    server.stop()


def _job_processes(job_id: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"NEBULA_JOB_ID={job_id}".encode() in (entry / "environ").read_bytes().split(
                    b"\0"
                ):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def test_intersect_runs_on_a_celery_worker(deployment: Deployment) -> None:
    api = deployment.api
    history_id = api.create_history("celery")
    exons = api.upload_text(history_id, (GENOMIC / "exons.bed").read_text())
    cpg = api.upload_text(history_id, (GENOMIC / "cpg.bed").read_text())

    run = api.post(
        "/api/tools",
        json={
            "tool_id": "gops_intersect_1",
            "history_id": history_id,
            "inputs": {
                "input1": {"src": "hda", "id": exons["id"]},
                "input2": {"src": "hda", "id": cpg["id"]},
            },
        },
    ).json()
    job = api.wait_for_job(run["jobs"][0]["id"])
    output = api.get(f"/api/datasets/{run['outputs'][0]['id']}").json()

    assert exons["state"] == "ok"
    assert job["state"] == "ok", job.get("info")
    assert job["job_runner_name"] == "celery"
    assert output["metadata_data_lines"] == 78
    assert output["file_ext"] == "bed"
    assert _job_folders(deployment) == []


def _job_folders(deployment: Deployment) -> list[Path]:
    """Return the job folders left in the deployment's job working folder: those of failed jobs."""
    return sorted((deployment.server.data_dir / "jobs").glob("[0-9][0-9][0-9]/*"))


def test_worker_killed_mid_job_still_ends_ok_once(deployment: Deployment) -> None:
    history_id = deployment.api.create_history("worker crash")
    run = deployment.api.post(
        "/api/tools",
        json={"tool_id": "test_sleep", "history_id": history_id, "inputs": {"seconds": 4}},
    ).json()
    job_id = run["jobs"][0]["id"]
    number = _integer_id(deployment.server, job_id)

    deadline = time.monotonic() + 30
    while not _job_processes(number) and time.monotonic() < deadline:
        time.sleep(0.05)
    started = bool(_job_processes(number))
    deployment.worker.kill()
    deployment.worker = NebulaWorker(
        deployment.server.data_dir, extra_env=deployment.env, name=f"second-{uuid.uuid4().hex[:6]}"
    ).start()
    finished = deployment.api.wait_for_job(job_id, timeout=90)
    contents = deployment.api.get(f"/api/histories/{history_id}/contents").json()
    text = deployment.api.get(f"/api/datasets/{run['outputs'][0]['id']}/display").text
    worker_log = deployment.worker.log_path.read_text()

    assert started, "the job never started on the first worker"
    assert finished["state"] == "ok", finished.get("info")
    assert len(contents) == 1, "no second output for the redelivered job"
    assert text == "slept 4.0\n"
    assert f"job {number}: running on worker" in worker_log, (
        "the second worker ran the redelivered job"
    )


def _integer_id(server: NebulaServer, encoded: str) -> int:
    settings = load_settings(environ={"NEBULA_DATA_DIR": str(server.data_dir)})
    return IdEncoder(settings.resolved_secret_key()).decode(encoded)
