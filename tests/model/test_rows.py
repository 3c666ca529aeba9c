"""insert_loaded: one INSERT per new row, and the object attached as if a query loaded it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from nebula.model import Base, Dataset, DatasetState, History, HistoryItem, User
from nebula.model.rows import insert_loaded


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def _count_statements(session: Session) -> list[str]:
    statements: list[str] = []
    event.listen(
        session.get_bind(),
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_: statements.append(statement),
    )
    return statements


def test_insert_fills_defaults_and_leaves_nothing_to_flush(session: Session) -> None:
    statements = _count_statements(session)

    dataset = insert_loaded(session, Dataset(object_key="dataset_a", state=DatasetState.QUEUED))

    assert len(statements) == 1
    assert statements[0].startswith("INSERT INTO datasets")
    assert dataset.id is not None
    assert dataset.purged is False
    assert dataset.create_time is not None
    assert dataset in session
    assert not session.new
    assert not session.dirty


def test_related_objects_are_read_without_queries(session: Session) -> None:
    user = User(email="a@example.org", username="a")
    history = History(user=user, name="h")
    session.add(history)
    session.flush()
    dataset = insert_loaded(session, Dataset(object_key="dataset_b", state=DatasetState.QUEUED))
    statements = _count_statements(session)

    item = insert_loaded(
        session,
        HistoryItem(history_id=history.id, dataset_id=dataset.id, hid=1, name="out", extension="bed"),
        dataset=dataset,
        history=history,
    )

    assert len(statements) == 1
    assert item.dataset is dataset
    assert item.history is history
    assert item.dbkey == "?"
    assert item.visible is True
    assert len(statements) == 1


def test_inserted_row_is_in_the_database(session: Session) -> None:
    dataset = insert_loaded(session, Dataset(object_key="dataset_c", state=DatasetState.QUEUED))
    session.commit()

    stored = session.execute(select(Dataset.object_key, Dataset.state).where(Dataset.id == dataset.id)).one()

    assert stored == ("dataset_c", DatasetState.QUEUED)
