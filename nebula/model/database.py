"""Engines, sessions and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_POOL_SIZE = 40


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """Create an engine; SQLite gets WAL mode and a busy timeout so that threads share it."""
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        # As many connections as the web server's worker threads, so that requests wait on
        # SQLite's lock (busy timeout) rather than time out waiting for the pool.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_SIZE,
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


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


def _begin_immediate(connection: Any) -> None:
    """Start every SQLite transaction as a writer.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another writer got there first, whatever the busy timeout; taking the
    write lock at BEGIN makes it wait its turn instead.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Nebula issues BEGIN itself (see _begin_immediate), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
