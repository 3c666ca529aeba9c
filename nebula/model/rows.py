"""Writing new rows with one plain INSERT each, and handing them back as loaded objects.

A session flush sorts and tracks every pending object, and an object's constructor fires
an event per attribute. For a request that writes a handful of rows, both cost more than
the rows themselves. Here the column values, defaults included, are computed in Python,
and the row is inserted with a statement built once per table that returns only what
the database chose (the primary key). The object is then built from those values and
joins the session as if a query had loaded it, so nothing is left for the next flush.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from nebula.model.base import Base

Row = TypeVar("Row", bound=Base)


def insert_row(session: Session, model: type[Row], values: Mapping[str, Any], **related: Any) -> Row:
    """Insert a row of `model` and return it as a loaded object of the session.

    `values` are keyed by attribute name; columns left out get their Python default, or
    None. Columns only the database can fill (the primary key, server defaults) come back
    from the INSERT. `related` sets relationships (an object, or a list for a
    collection) as loaded, so reading them later issues no query. The object keeps the
    values given, not copies, so a JSON column's dict is the caller's.
    """
    plan = _plan(model)
    unknown = values.keys() - plan.keys
    if unknown:
        raise TypeError(f"{model.__name__} has no column attribute {', '.join(sorted(unknown))}")

    attributes = dict(values)
    parameters = {}
    for key, column_key, default in plan.columns:
        if key not in attributes:
            attributes[key] = default() if default is not None else None
        parameters[column_key] = attributes[key]
    for key, column_key in plan.returned:
        if key in attributes:
            parameters[column_key] = attributes[key]
    written = session.execute(plan.statement, parameters).one()
    attributes.update(zip((key for key, _ in plan.returned), written, strict=True))

    row = plan.new_instance()
    # The attributes go straight into the instance's dict, as a query's loader puts them.
    row.__dict__.update(attributes)
    for name, value in related.items():
        set_committed_value(row, name, value)
    make_transient_to_detached(row)
    # NOTE: a loaded back-populated collection (History.items) does not get the row, and a
    # rollback leaves the object in the session. No caller relies on either yet.
    session.add(row)
    return row


class _InsertPlan:
    """The statement and column defaults insert_row uses for one model, worked out once."""

    def __init__(self, model: type[Base]) -> None:
        mapper = inspect(model)
        self.new_instance: Callable[[], Any] = mapper.class_manager.new_instance
        self.keys = {prop.key for prop in mapper.column_attrs}
        self.columns: list[tuple[str, str, Callable[[], Any] | None]] = []
        # Columns the database fills, by attribute and column name; a value given is sent.
        self.returned: list[tuple[str, str]] = []
        returned = []
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            default = column.default
            if column.primary_key or (default is None and column.server_default is not None):
                returned.append(column)
                self.returned.append((prop.key, column.key))
            else:
                self.columns.append((prop.key, column.key, _python_default(default)))
        self.statement: Insert = insert(cast(Table, mapper.local_table)).returning(*returned)


def _python_default(default: Any) -> Callable[[], Any] | None:
    if default is None:
        return None
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if default.is_callable:
        # SQLAlchemy wraps a column's default function to take an execution context; none
        # of Nebula's defaults reads it.
        function = default.arg
        return lambda: function(None)
    raise TypeError(f"column default {default!r} is computed by SQL, which insert_row does not support")


@cache
def _plan(model: type[Base]) -> _InsertPlan:
    return _InsertPlan(model)
