"""Handler heartbeats: which handlers are alive, and which jobs are held by dead ones.

A handler is dead when its heartbeat is older than the configured timeout, or at once
when it ran on this host and its process no longer exists (a server restarted after a
crash need not wait for the timeout).
"""

from __future__ import annotations

import datetime
import os
import socket

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nebula.model import Job, JobHandlerRecord, JobState
from nebula.model.base import utcnow

HELD_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.DELETING)


def register(session: Session, name: str) -> None:
    now = utcnow()
    record = session.get(JobHandlerRecord, name)
    if record is None:
        session.add(
            JobHandlerRecord(
                name=name,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                start_time=now,
                heartbeat_time=now,
            )
        )
    else:
        record.hostname, record.pid, record.start_time, record.heartbeat_time = (
            socket.gethostname(),
            os.getpid(),
            now,
            now,
        )


def beat(session: Session, name: str) -> None:
    record = session.get(JobHandlerRecord, name)
    if record is None:
        register(session, name)
    else:
        record.heartbeat_time = utcnow()


def unregister(session: Session, name: str) -> None:
    session.execute(delete(JobHandlerRecord).where(JobHandlerRecord.name == name))


def dead_handlers(session: Session, own_name: str, dead_after: float) -> list[str]:
    """Return the names of handlers that hold jobs but are no longer alive."""
    holders = set(
        session.scalars(
            select(Job.handler)
            .where(Job.state.in_(HELD_STATES), Job.handler.is_not(None))
            .distinct()
        )
    )
    holders.discard(own_name)
    if not holders:
        return []
    cutoff = utcnow() - datetime.timedelta(seconds=dead_after)
    records = {
        record.name: record
        for record in session.scalars(
            select(JobHandlerRecord).where(JobHandlerRecord.name.in_(holders))
        )
    }
    hostname = socket.gethostname()
    dead = []
    for name in sorted(holders):
        record = records.get(name)
        if record is None or record.heartbeat_time < cutoff:
            dead.append(name)
        elif record.hostname == hostname and not _pid_exists(record.pid):
            dead.append(name)
    return dead


def claim_dead_handler(session: Session, name: str) -> bool:
    """Take the right to recover `name`'s jobs; on PostgreSQL only one survivor gets it."""
    query = select(JobHandlerRecord).where(JobHandlerRecord.name == name)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
        if (
            session.scalar(query) is None
            and session.scalar(select(JobHandlerRecord.name).where(JobHandlerRecord.name == name))
            is not None
        ):
            return False
    session.execute(delete(JobHandlerRecord).where(JobHandlerRecord.name == name))
    return True


def is_local(session: Session, name: str) -> bool:
    """Tell whether handler `name` ran on this host, so its job processes can be seen here."""
    record = session.get(JobHandlerRecord, name)
    if record is not None:
        return record.hostname == socket.gethostname()
    return name.rsplit(".", 1)[0] == socket.gethostname()


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """Tell whether the process has ended but not been reaped (Linux; False elsewhere).

    A handler that `nebula serve` started outlives a killed serve as a zombie until its
    new parent reaps it, which a container's first process may never do.
    """
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")
