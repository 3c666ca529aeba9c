"""Measure the web process's CPU per POST /api/tools, with no job handler running.

The thousand-users benchmark runs every part of a deployment at once, and on a 2-CPU VM
its figures move by a fifth from run to run. This script isolates the web tier. It makes
a temporary data folder and an administrator with `nebula user create`, starts `nebula
serve`, uploads exons.bed and cpg.bed, and stops the server. Then it starts `nebula serve`
again without a job handler, so each request only queues its job, and sends R requests
for gops_intersect_1 on the two datasets, C at a time, after W warm-up requests. It prints
the web process's CPU per request, read from /proc, and the requests per second.

    .venv/bin/python benchmarks/tool_requests.py
    .venv/bin/python benchmarks/tool_requests.py --requests 5000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from local_server import NEBULA, start_server, stop_server

REPOSITORY = Path(__file__).resolve().parent.parent
GENOMIC_DATA = REPOSITORY / "tests" / "data" / "genomic"
START_TIMEOUT = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests (default 2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument(
        "--warm-up", type=int, default=200, help="requests sent before measuring (default 200)"
    )
    args = parser.parse_args()
    if sys.platform != "linux":
        parser.error("the CPU time is read from /proc, so this script runs on Linux only")

    with tempfile.TemporaryDirectory(prefix="nebula-tool-requests-") as folder:
        data_dir = Path(folder) / "data"
        env = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
        env.update({"NEBULA_DATA_DIR": str(data_dir), "NEBULA_LOG_LEVEL": "WARNING"})
        created = subprocess.run(
            [NEBULA, "user", "create", "bench@example.org", "--password", "bench-password", "--admin"],
            env=env, capture_output=True, text=True, check=True,
        )
        key = created.stdout.strip().splitlines()[-1]

        url, server = start_server(env, Path(folder) / "setup.log", START_TIMEOUT)
        try:
            body = _tool_request(url, key)
        finally:
            stop_server(server)

        url, server = start_server(
            {**env, "NEBULA_RUN_HANDLER": "false"}, Path(folder) / "serve.log", START_TIMEOUT
        )
        try:
            asyncio.run(_send(url, key, body, args.warm_up, args.concurrency))
            cpu_before = _cpu_seconds(server.pid)
            began = time.monotonic()
            asyncio.run(_send(url, key, body, args.requests, args.concurrency))
            elapsed = time.monotonic() - began
            cpu = _cpu_seconds(server.pid) - cpu_before
        finally:
            stop_server(server)

    print(f"requests            {args.requests}, {args.concurrency} in flight")
    print(f"web CPU per request {cpu / args.requests * 1000:.2f} ms")
    print(f"requests per second {args.requests / elapsed:.0f}")
    return 0


def _tool_request(url: str, key: str) -> dict[str, Any]:
    """Upload the two inputs, wait until both are ok and return the tool request's body."""
    with httpx.Client(base_url=url, headers={"x-api-key": key}, timeout=60) as client:
        history_id = client.post("/api/histories", json={"name": "tool requests"}).json()["id"]
        dataset_ids = [
            _upload(client, history_id, GENOMIC_DATA / name) for name in ("exons.bed", "cpg.bed")
        ]
    return {
        "tool_id": "gops_intersect_1",
        "history_id": history_id,
        "inputs": {
            "input1": {"src": "hda", "id": dataset_ids[0]},
            "input2": {"src": "hda", "id": dataset_ids[1]},
        },
    }


def _upload(client: httpx.Client, history_id: str, path: Path) -> str:
    inputs = {
        "file_type": "bed",
        "files_0|url_paste": path.read_text(),
        "files_0|type": "upload_dataset",
    }
    response = client.post(
        "/api/tools", json={"tool_id": "upload1", "history_id": history_id, "inputs": inputs}
    )
    response.raise_for_status()
    dataset_id = response.json()["outputs"][0]["id"]
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        state = client.get(f"/api/datasets/{dataset_id}").json()["state"]
        if state == "ok":
            return dataset_id
        if state in ("error", "discarded"):
            raise RuntimeError(f"the upload of {path} ended in state {state}")
        time.sleep(0.1)
    raise RuntimeError(f"the upload of {path} did not finish within {START_TIMEOUT} s")


async def _send(url: str, key: str, body: dict[str, Any], count: int, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, connector=connector, headers={"x-api-key": key}) as client:

        async def one() -> None:
            async with gate, client.post("/api/tools", json=body) as response:
                text = await response.text()
                if response.status != 200:
                    raise RuntimeError(f"POST /api/tools failed with {response.status}: {text}")

        await asyncio.gather(*(one() for _ in range(count)))


def _cpu_seconds(pid: int) -> float:
    """Return the user and system CPU of one process, without its children (the handler)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())
