"""Alembic migrations create the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from nebula.model import Base
from nebula.model.database import is_current, make_engine, upgrade
from tests.support.postgres import fresh_database

EXPECTED_TABLES = {
    "users",
    "api_keys",
    "sessions",
    "histories",
    "datasets",
    "history_items",
    "jobs",
    "job_inputs",
    "job_outputs",
    "job_metrics",
}


def test_upgrade_creates_every_table_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nebula.sqlite'}"

    upgrade(url)

    engine = make_engine(url)
    assert EXPECTED_TABLES <= set(inspect(engine).get_table_names())
    assert is_current(engine)


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nebula.sqlite'}"
    upgrade(url)
    inspector = inspect(make_engine(url))

    for table in Base.metadata.sorted_tables:
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        assert columns == set(table.columns.keys()), table.name


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nebula.sqlite'}"
    upgrade(url)

    with make_engine(url).connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()

    assert mode == "wal"


def test_upgrade_creates_every_table_on_postgresql() -> None:
    with fresh_database() as url:
        upgrade(url)

        engine = make_engine(url)
        tables = set(inspect(engine).get_table_names())
        current = is_current(engine)
        engine.dispose()

    assert EXPECTED_TABLES <= tables
    assert current


def test_upgrade_twice_is_harmless_on_postgresql() -> None:
    with fresh_database() as url:
        upgrade(url)
        upgrade(url)

        engine = make_engine(url)
        current = is_current(engine)
        engine.dispose()

    assert current
