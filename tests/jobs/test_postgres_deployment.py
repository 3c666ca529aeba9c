"""Several job handlers and a web tier on one PostgreSQL database, as in production."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bioblend.galaxy import GalaxyInstance
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from nebula.model import Job
from tests.support.postgres import fresh_database
from tests.support.server import NEBULA, Api, NebulaServer, create_user, server_env

GENOMIC = Path(__file__).resolve().parents[1] / "data" / "genomic"


@dataclass
class Deployment:
    api: Api
    key: str
    server: NebulaServer
    handlers: dict[str, subprocess.Popen[bytes]]
    url: str
    env: dict[str, str]

    def start_handler(self, name: str) -> None:
        log = open(self.server.data_dir.parent / f"{name}.log", "ab")
        self.handlers[name] = subprocess.Popen(
            [NEBULA, "handler", "--name", name],
            env=server_env(self.server.data_dir, self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def jobs(self) -> list[Job]:
        engine = create_engine(self.url)
        with Session(engine) as session:
            jobs = list(session.scalars(select(Job).order_by(Job.id)))
        engine.dispose()
        return jobs


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    data_dir = tmp_path_factory.mktemp("postgres") / "data"
    data_dir.mkdir()
    with fresh_database() as url:
        env = {
            "NEBULA_DATABASE_URL": url,
            "NEBULA_RUN_HANDLER": "false",
            "NEBULA_LOCAL_JOB_SLOTS": "2",
            "NEBULA_HANDLER_HEARTBEAT_INTERVAL": "0.5",
            "NEBULA_HANDLER_DEAD_AFTER": "3",
        }
        subprocess.run(
            [NEBULA, "db", "upgrade"],
            env=server_env(data_dir, env),
            check=True,
            capture_output=True,
        )
        key = create_user(data_dir, "pg@example.org", admin=True, env=env)
        server = NebulaServer(data_dir, extra_env=env).start()
        running = Deployment(Api(server.url, key), key, server, {}, url, env)
        running.start_handler("handler-a")
        running.start_handler("handler-b")
        yield running
        for process in running.handlers.values():
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        server.stop()


def test_bioblend_intersect_on_postgresql(deployment: Deployment, tmp_path: Path) -> None:
    gi = GalaxyInstance(deployment.server.url, key=deployment.key)
    history = gi.histories.create_history("postgres")
    exons = gi.tools.upload_file(str(GENOMIC / "exons.bed"), history["id"])["outputs"][0]
    cpg = gi.tools.upload_file(str(GENOMIC / "cpg.bed"), history["id"])["outputs"][0]

    run = gi.tools.run_tool(
        history["id"],
        "gops_intersect_1",
        {"input1": {"src": "hda", "id": exons["id"]}, "input2": {"src": "hda", "id": cpg["id"]}},
    )
    job = deployment.api.wait_for_job(run["jobs"][0]["id"], timeout=120)
    output = deployment.api.get(f"/api/datasets/{run['outputs'][0]['id']}").json()

    assert job["state"] == "ok", job.get("info")
    assert output["metadata_data_lines"] == 78


def test_each_job_runs_exactly_once_across_two_handlers(deployment: Deployment) -> None:
    history_id = deployment.api.create_history("many")
    runs = [
        deployment.api.post(
            "/api/tools",
            json={"tool_id": "test_sleep", "history_id": history_id, "inputs": {"seconds": 0.2}},
        ).json()
        for _ in range(24)
    ]
    finished = [deployment.api.wait_for_job(run["jobs"][0]["id"], timeout=120) for run in runs]
    contents = deployment.api.get(f"/api/histories/{history_id}/contents").json()
    sleep_jobs = [job for job in deployment.jobs() if job.tool_id == "test_sleep"]

    assert [job["state"] for job in finished] == ["ok"] * 24
    assert len(contents) == 24
    assert all(job.attempts == 1 for job in sleep_jobs)
    assert {job.handler for job in sleep_jobs} == {"handler-a", "handler-b"}


def test_jobs_of_a_killed_handler_are_taken_over(deployment: Deployment) -> None:
    history_id = deployment.api.create_history("takeover")
    runs = [
        deployment.api.post(
            "/api/tools",
            json={"tool_id": "test_sleep", "history_id": history_id, "inputs": {"seconds": 3}},
        ).json()
        for _ in range(4)
    ]
    job_ids = [run["jobs"][0]["id"] for run in runs]
    deadline = time.monotonic() + 60
    victims: list[Job] = []
    while not victims and time.monotonic() < deadline:
        victims = [
            job
            for job in deployment.jobs()
            if job.handler == "handler-a"
            and job.state.value == "running"
            and job.tool_id == "test_sleep"
        ]
        time.sleep(0.1)
    assert victims, "handler-a never ran one of the jobs"

    deployment.handlers["handler-a"].send_signal(signal.SIGKILL)
    deployment.handlers["handler-a"].wait()
    finished = [deployment.api.wait_for_job(job_id, timeout=120) for job_id in job_ids]
    after = {job.id: job for job in deployment.jobs()}
    deployment.start_handler("handler-a")

    assert [job["state"] for job in finished] == ["ok"] * 4
    assert all(after[job.id].handler == "handler-b" for job in victims)
    assert all(after[job.id].attempts == 2 for job in victims)
