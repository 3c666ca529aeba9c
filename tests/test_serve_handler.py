"""`nebula serve` runs its job handler in a child process, which ends with it."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.support.server import Api, NebulaServer, create_user, handler_children


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            # kill(0) succeeds for a zombie too, so its state in /proc is read instead.
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def _appears_within(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_handler_dies_with_killed_serve(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    key = create_user(data_dir, "child@example.org")
    server = NebulaServer(data_dir).start()
    try:
        assert server.process is not None
        handlers = handler_children(server.process.pid)
        api = Api(server.url, key)
        history_id = api.create_history("child handler")
        run = api.post(
            "/api/tools",
            json={"tool_id": "test_sleep", "history_id": history_id, "inputs": {"seconds": 0}},
        ).json()
        finished = api.wait_for_job(run["jobs"][0]["id"], timeout=30)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        handler_ended = all(_gone_within(pid, 10) for pid in handlers)
    finally:
        server.stop(signal.SIGKILL)

    assert len(handlers) == 1, "serve starts one handler process"
    assert finished["state"] == "ok"
    assert handler_ended, "the handler stops when serve dies, instead of running on alone"


def test_serve_sigterm_stops_handler(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = NebulaServer(data_dir).start()
    assert server.process is not None
    handlers = handler_children(server.process.pid)
    sockets = [
        Path(variable.split("=", 1)[1])
        for pid in handlers
        for variable in Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
        if variable.startswith("NEBULA_HANDLER_WAKE_SOCKET=")
    ]
    # The handler binds its socket once it has loaded, possibly after the web is up.
    sockets_existed = [_appears_within(path, 30) for path in sockets]

    server.stop(signal.SIGTERM)

    assert len(handlers) == 1
    assert server.process.returncode == 0, "serve stops cleanly on SIGTERM"
    assert all(_gone_within(pid, 1) for pid in handlers)
    assert sockets_existed == [True]
    assert not any(path.exists() for path in sockets)
