"""Starting and stopping `nebula serve` on a free loopback port, for the benchmark scripts."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

NEBULA = str(Path(sys.executable).parent / "nebula")


def start_server(
    env: dict[str, str], log_path: Path, timeout: float
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start `nebula serve` with `env` and return its URL once GET /api/version returns 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [NEBULA, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nebula serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(url + "/api/version", timeout=1).status_code == 200:
                return url, process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop_server(process)
    raise RuntimeError(f"nebula serve did not respond within {timeout} s; see {log_path}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server with SIGTERM, and with SIGKILL when it has not ended after 20 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
