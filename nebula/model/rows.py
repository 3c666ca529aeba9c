"""Writing new rows with one plain INSERT each, and handing them back as loaded objects.

A session flush sorts and tracks every pending object, which costs more than the rows
themselves when a request writes a handful of new rows. Here each row is inserted with a
statement built once per table, the database returns the whole row, and the object joins
the session as if a query had loaded it: nothing is left for the next flush to write.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from nebula.model.base import Base

Row = TypeVar("Row", bound=Base)


def insert_loaded(session: Session, row: Row, **related: Any) -> Row:
    """Insert a new object's row and attach the object to the session as loaded.

    Column attributes that were not set get their defaults from the INSERT. `related`
    sets relationships (an object, or a list for a collection) as loaded, without history,
    so reading them later issues no query.
    """
    mapper = inspect(type(row))
    values = {
        prop.columns[0].key: row.__dict__[prop.key]
        for prop in mapper.column_attrs
        if prop.key in row.__dict__
    }
    written = session.execute(_insert_returning(mapper.local_table), values).one()

    for prop in mapper.column_attrs:
        set_committed_value(row, prop.key, written._mapping[prop.columns[0]])
    for name, value in related.items():
        set_committed_value(row, name, value)
    make_transient_to_detached(row)
    # NOTE: a loaded back-populated collection (History.items) does not get the row, and a
    # rollback leaves the object in the session. No caller relies on either yet.
    session.add(row)
    return row


@cache
def _insert_returning(table: Table) -> Insert:
    return insert(table).returning(*table.columns)
