"""insert_row: one INSERT per new row, and the object attached as if a query loaded it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from nebula.model import Base, Dataset, DatasetState, History, HistoryItem, User
from nebula.model.rows import insert_row


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

    dataset = insert_row(session, Dataset, {"object_key": "dataset_a", "state": DatasetState.QUEUED})

    assert dataset.id is not None
    assert dataset.purged is False
    assert dataset.create_time is not None
    assert dataset.file_size is None
    assert len(statements) == 1
    assert statements[0].startswith("INSERT INTO datasets")
    assert dataset in session
    assert not session.new
    assert not session.dirty


def test_related_objects_are_read_without_queries(session: Session) -> None:
    user = User(email="a@example.org", username="a")
    history = History(user=user, name="h")
    session.add(history)
    session.flush()
    dataset = insert_row(session, Dataset, {"object_key": "dataset_b", "state": DatasetState.QUEUED})
    statements = _count_statements(session)

    item = insert_row(
        session,
        HistoryItem,
        {"history_id": history.id, "dataset_id": dataset.id, "hid": 1, "name": "out", "extension": "bed"},
        dataset=dataset,
        history=history,
    )

    assert len(statements) == 1
    assert item.dataset is dataset
    assert item.history is history
    assert item.dbkey == "?"
    assert item.visible is True
    assert item.metadata_ == {}
    assert len(statements) == 1


def test_inserted_row_is_in_the_database(session: Session) -> None:
    dataset = insert_row(session, Dataset, {"object_key": "dataset_c", "state": DatasetState.QUEUED})
    session.commit()

    stored = session.execute(
        select(Dataset.object_key, Dataset.state, Dataset.purged, Dataset.create_time).where(
            Dataset.id == dataset.id
        )
    ).one()

    assert stored == ("dataset_c", DatasetState.QUEUED, False, dataset.create_time)


def test_changes_to_an_inserted_row_are_flushed(session: Session) -> None:
    dataset = insert_row(session, Dataset, {"object_key": "dataset_d", "state": DatasetState.QUEUED})
    statements = _count_statements(session)

    dataset.state = DatasetState.OK
    session.flush()

    assert len(statements) == 1
    assert statements[0].startswith("UPDATE datasets")
    session.expire_all()
    assert session.get(Dataset, dataset.id).state == DatasetState.OK


def test_unknown_attribute_is_refused(session: Session) -> None:
    with pytest.raises(TypeError, match="Dataset has no column attribute colour"):
        insert_row(session, Dataset, {"object_key": "dataset_e", "colour": "red"})
