"""Histories: creation, look-up with ownership checks, renaming and deletion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from nebula.errors import Conflict, NotFound, RequestError
from nebula.managers.actors import Actor
from nebula.model import Dataset, History, HistoryItem

MAX_NAME_LENGTH = 255


# Built once: this runs for every dataset a tool or an upload creates. A statement on the
# table, not the mapped class, skips the ORM's bulk-update bookkeeping.
_HISTORIES = cast(Table, History.__table__)
_RESERVE_HIDS = (
    update(_HISTORIES)
    .where(_HISTORIES.c.id == bindparam("history_id"))
    .values(hid_counter=_HISTORIES.c.hid_counter + bindparam("count"))
    .returning(_HISTORIES.c.hid_counter)
)


def create_history(session: Session, actor: Actor, name: str | None = None) -> History:
    history = History(
        user_id=actor.user_id,
        session_id=actor.session_id if actor.user is None else None,
        name=_valid_name(name) if name else "Unnamed history",
    )
    session.add(history)
    session.flush()
    return history


def get_history(session: Session, actor: Actor, history_id: int) -> History:
    """Return a history the actor may see; NotFound otherwise, so ids of others stay secret.

    Purged histories are returned too, with `purged` set, because Galaxy clients reload a
    history after purging it (BioBlend's History.delete does).
    """
    history = session.get(History, history_id)
    if history is None or not (actor.is_admin or actor.owns(history.user_id, history.session_id)):
        raise NotFound("history not found")
    return history


def list_histories(
    session: Session, actor: Actor, deleted: bool | None = False, all_users: bool = False
) -> Sequence[History]:
    query = (
        select(History)
        .where(History.purged.is_(False))
        .order_by(History.update_time.desc(), History.id.desc())
    )
    if not (all_users and actor.is_admin):
        if actor.user is not None:
            query = query.where(History.user_id == actor.user.id)
        else:
            query = query.where(History.user_id.is_(None), History.session_id == actor.session_id)
    if deleted is not None:
        query = query.where(History.deleted.is_(deleted))
    return session.scalars(query).all()


def update_history(session: Session, history: History, changes: dict[str, object]) -> History:
    for key, value in changes.items():
        if key == "name":
            history.name = _valid_name(value)
        elif key == "annotation":
            history.annotation = None if value is None else str(value)
        elif key == "deleted":
            deleted = _as_bool(key, value)
            if not deleted and history.purged:
                raise Conflict(
                    f"history '{history.name}' is purged, so it cannot be undeleted; choose another history"
                )
            history.deleted = deleted
        else:
            raise RequestError(
                f"history attribute {key!r} cannot be changed; changeable: name, annotation, deleted"
            )
    session.flush()
    return history


def delete_history(session: Session, history: History, purge: bool = False) -> History:
    history.deleted = True
    if purge:
        history.purged = True
        session.execute(
            update(HistoryItem)
            .where(HistoryItem.history_id == history.id)
            .values(deleted=True, purged=True)
        )
    session.flush()
    return history


def history_size(session: Session, history_id: int) -> int:
    size = session.scalar(
        select(func.coalesce(func.sum(Dataset.file_size), 0))
        .join(HistoryItem, HistoryItem.dataset_id == Dataset.id)
        .where(HistoryItem.history_id == history_id, HistoryItem.purged.is_(False))
    )
    return int(size or 0)


def state_counts(session: Session, history_id: int) -> dict[str, int]:
    """Return how many visible, undeleted items of the history are in each dataset state."""
    rows = session.execute(
        select(Dataset.state, func.count())
        .join(HistoryItem, HistoryItem.dataset_id == Dataset.id)
        .where(
            HistoryItem.history_id == history_id,
            HistoryItem.deleted.is_(False),
            HistoryItem.visible.is_(True),
        )
        .group_by(Dataset.state)
    )
    return {state.value: count for state, count in rows}


def item_ids_by_state(session: Session, history_id: int) -> dict[str, list[int]]:
    """Return the ids of the history's undeleted items, grouped by dataset state, in hid order."""
    rows = session.execute(
        select(Dataset.state, HistoryItem.id)
        .join(HistoryItem, HistoryItem.dataset_id == Dataset.id)
        .where(HistoryItem.history_id == history_id, HistoryItem.deleted.is_(False))
        .order_by(HistoryItem.hid)
    )
    grouped: dict[str, list[int]] = {}
    for state, item_id in rows:
        grouped.setdefault(state.value, []).append(item_id)
    return grouped


def next_hids(session: Session, history_id: int, count: int) -> list[int]:
    """Reserve `count` consecutive hids with one atomic update, safe across processes."""
    # A table statement does not flush the session first, and the history may be new in it.
    session.flush()
    counter = session.scalar(_RESERVE_HIDS, {"history_id": history_id, "count": count})
    assert counter is not None
    # The statement bypasses the session, so a history already loaded gets the new counter here.
    loaded = session.identity_map.get(identity_key(History, history_id))
    if loaded is not None:
        set_committed_value(loaded, "hid_counter", counter)
    return list(range(counter - count, counter))


def _valid_name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RequestError(f"history name must be a non-empty string, got {value!r}")
    if len(value) > MAX_NAME_LENGTH:
        raise RequestError(
            f"history name is {len(value)} characters long; the maximum is {MAX_NAME_LENGTH}"
        )
    return value.strip()


def _as_bool(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise RequestError(f"{key} must be true or false, got {value!r}")
