"""Engines, sessions and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_POOL_SIZE = 40
SQLITE_BUSY_TIMEOUT = 30.0

_thread_role = threading.local()


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """Create an engine; SQLite gets WAL mode and a busy timeout so that threads share it."""
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        # As many connections as the web server's worker threads, so that requests wait on
        # SQLite's lock (busy timeout) rather than time out waiting for the pool.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT},
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_SIZE,
        )
        event.listen(engine, "connect", _configure_sqlite)
        _serve_writers_in_turn(engine, SQLITE_BUSY_TIMEOUT, _writer_lock_path(url))
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def connection_limit(engine: Engine) -> int:
    """Return how many connections the engine's pool gives out at once (size plus overflow)."""
    pool = engine.pool
    # NOTE: a pool without a size (a custom poolclass) is assumed to be as large as ours.
    size = pool.size() if hasattr(pool, "size") else SQLITE_POOL_SIZE
    return 2 * size


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def upgrade(url: str) -> None:
    """Apply every migration not yet applied to the database at `url`."""
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
    config = _alembic_config(url)
    command.upgrade(config, "head")


def is_current(engine: Engine) -> bool:
    """Tell whether the database schema is at the newest migration."""
    script = ScriptDirectory.from_config(_alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current == script.get_current_head()


def _alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would read '%' in a password as a reference.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class WriterQueue:
    """A lock that the threads of one process take in the order they asked for it, with
    the job system's threads ahead of web requests.

    SQLite lets one writer in at a time, and a writer that finds the database locked
    sleeps and retries. Under a steady stream of web requests the sleepers lost nearly
    every race, and the job handler's transactions waited until submissions stopped.
    Waiting in line behind every request in flight was still too slow, because a web
    request keeps its transaction open until it has sent its response. The job system's
    transactions are short and deliver the results that users wait for, so they go
    first. SQLite's own lock still arbitrates between processes.

    Between processes on one SQLite file, WriterLock takes the place of SQLite's busy handler.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._mutex = threading.Lock()
        self._taken = False
        self._first: deque[threading.Event] = deque()
        self._waiting: deque[threading.Event] = deque()

    def acquire(self) -> None:
        with self._mutex:
            if not self._taken:
                self._taken = True
                return
            turn = threading.Event()
            line = self._first if getattr(_thread_role, "goes_first", False) else self._waiting
            line.append(turn)
        if turn.wait(self._timeout):
            return
        with self._mutex:
            if turn in line:
                line.remove(turn)
                raise sqlite3.OperationalError(
                    f"database is locked: no turn to write within {self._timeout:g} seconds"
                )
        # The turn was handed over just as the wait timed out.

    def release(self) -> None:
        with self._mutex:
            if self._first:
                self._first.popleft().set()
            elif self._waiting:
                self._waiting.popleft().set()
            else:
                self._taken = False


class WriterLock:
    """The write turn among the processes on one SQLite file: an flock on a file beside it.

    A writer that finds SQLite's lock taken sleeps in its busy handler, 1 ms at first and
    up to 100 ms, and tries again. With a web process and a job handler process writing
    all the time, the handler slept through most of its turns. A process waiting for an
    flock wakes as soon as the lock is released.

    NOTE: the wait has no timeout. A process that keeps a write transaction open makes the
    others wait until it ends or dies, and the kernel releases the lock of a dead process.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = os.getpid()

    def acquire(self) -> None:
        # A forked child must not share the parent's open file description: the lock
        # belongs to the description, so the two would both hold it at once.
        if self._fd is None or self._pid != os.getpid():
            self._fd = _open_lock_file(self.path)
            self._pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _open_lock_file(path: Path) -> int:
    try:
        # Mode 0666 less the umask, as SQLite creates its own files.
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except PermissionError:
        # Created by another user (root running a command, say): flock needs no write access.
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


# One queue and one lock per database file in this process, however many engines open it:
# two lock descriptors of one process would wait for each other without a timeout.
_writers: dict[Path, tuple[WriterQueue, WriterLock]] = {}
_writers_lock = threading.Lock()


def _writers_of(lock_path: Path | None, timeout: float) -> tuple[WriterQueue, WriterLock | None]:
    if lock_path is None:
        return WriterQueue(timeout), None
    with _writers_lock:
        if lock_path not in _writers:
            _writers[lock_path] = (WriterQueue(timeout), WriterLock(lock_path))
        return _writers[lock_path]


def write_first() -> None:
    """Let the calling thread's SQLite transactions go ahead of web requests (job threads)."""
    _thread_role.goes_first = True


def _serve_writers_in_turn(engine: Engine, timeout: float, lock_path: Path | None) -> None:
    """Start every SQLite transaction as a writer, one thread of one process at a time.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another writer got there first, whatever the busy timeout. Taking the
    write lock at BEGIN makes it wait its turn instead. The turn ends when the DBAPI
    connection commits or rolls back, which the pool also does when a connection comes
    back unfinished. Threads wait in the WriterQueue, and the thread whose turn it is waits
    for the other processes at `lock_path` (None: an in-memory database, one process).
    """
    queue, between_processes = _writers_of(lock_path, timeout)
    holders: set[int] = set()
    dialect = engine.dialect
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def begin(connection: Any) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        queue.acquire()
        if between_processes is not None:
            try:
                between_processes.acquire()
            except BaseException:
                queue.release()
                raise
        holders.add(id(dbapi_connection))
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _end_turn(dbapi_connection)
            raise

    def _end_turn(dbapi_connection: Any) -> None:
        key = id(getattr(dbapi_connection, "dbapi_connection", dbapi_connection))
        if key in holders:
            holders.discard(key)
            if between_processes is not None:
                between_processes.release()
            queue.release()

    def commit(dbapi_connection: Any) -> None:
        try:
            do_commit(dbapi_connection)
        finally:
            _end_turn(dbapi_connection)

    def rollback(dbapi_connection: Any) -> None:
        try:
            do_rollback(dbapi_connection)
        finally:
            _end_turn(dbapi_connection)

    event.listen(engine, "begin", begin)
    # The dialect's own methods are wrapped because the engine's commit and rollback
    # events fire before the statement, and the turn must last until after it.
    dialect.do_commit = commit  # type: ignore[method-assign]
    dialect.do_rollback = rollback  # type: ignore[method-assign]
    event.listen(engine.pool, "close", lambda dbapi_connection, _record: _end_turn(dbapi_connection))
    event.listen(
        engine.pool,
        "invalidate",
        lambda dbapi_connection, _record, _exception: _end_turn(dbapi_connection),
    )


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _writer_lock_path(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.writer-lock").resolve()


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Nebula issues BEGIN itself (see _serve_writers_in_turn), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
