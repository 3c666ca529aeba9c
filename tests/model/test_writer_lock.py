"""Processes on one SQLite file take turns to write through the flock beside it."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import text

from nebula.model.database import make_engine, make_session_factory, transaction

# Holds the write lock of the database named on the command line until stdin closes.
_HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("holding", flush=True)
sys.stdin.read()
"""


def test_writer_lock_delays_other_writers(tmp_path: Path) -> None:
    database = tmp_path / "nebula.sqlite"
    engine = make_engine(f"sqlite:///{database}")
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        session.execute(text("CREATE TABLE counter (value INTEGER)"))

    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, f"{database}.writer-lock"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    assert holder.stdout.readline().strip() == "holding"
    written = threading.Event()

    def write() -> None:
        with transaction(sessions) as session:
            session.execute(text("INSERT INTO counter VALUES (1)"))
        written.set()

    writer = threading.Thread(target=write)
    writer.start()
    waited = not written.wait(0.5)
    holder.stdin.close()
    holder.wait(timeout=10)
    writer.join(timeout=10)

    with transaction(sessions) as session:
        rows = session.execute(text("SELECT count(*) FROM counter")).scalar_one()
    engine.dispose()
    assert waited, "the write began while another process held the lock"
    assert written.is_set(), "the write went ahead once the other process let go"
    assert rows == 1

