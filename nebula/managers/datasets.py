"""History items (datasets as they appear in a history): look-up, listing, edits, deletion."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from nebula.datatypes import DatatypeRegistry
from nebula.errors import Conflict, NotFound, RequestError
from nebula.managers.actors import Actor
from nebula.managers.histories import get_history, next_hids
from nebula.model import Dataset, DatasetState, History, HistoryItem
from nebula.model.rows import insert_loaded
from nebula.objectstore import ObjectStore, new_object_key

MAX_NAME_LENGTH = 255
# Primary keys are signed 64-bit integers (SQLite INTEGER, PostgreSQL BIGINT). Decoded
# opaque ids span 64 unsigned bits, and the drivers raise OverflowError above this value.
MAX_DATABASE_ID = 2**63 - 1


def get_item(session: Session, actor: Actor, item_id: int) -> HistoryItem:
    if item_id > MAX_DATABASE_ID:
        raise NotFound("dataset not found")
    item = session.get(HistoryItem, item_id)
    if item is None:
        raise NotFound("dataset not found")
    history = item.history
    if not (actor.is_admin or actor.owns(history.user_id, history.session_id)):
        raise NotFound("dataset not found")
    return item


def list_items(
    session: Session,
    history: History,
    deleted: bool | None = None,
    visible: bool | None = None,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> Sequence[HistoryItem]:
    query = select(HistoryItem).where(
        HistoryItem.history_id == history.id, HistoryItem.purged.is_(False)
    )
    if deleted is not None:
        query = query.where(HistoryItem.deleted.is_(deleted))
    if visible is not None:
        query = query.where(HistoryItem.visible.is_(visible))
    query = query.order_by(HistoryItem.hid.desc() if newest_first else HistoryItem.hid).offset(
        offset
    )
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def create_items(
    session: Session, history: History, specs: Sequence[tuple[str, str]], dbkey: str = "?"
) -> list[HistoryItem]:
    """Create queued datasets named and typed by `specs` (name, extension), with fresh hids.

    Each row is written at once with its own INSERT, because tool requests, the hottest
    path, create items: they come back loaded and need no flush.
    """
    hids = next_hids(session, history.id, len(specs))
    items = []
    for hid, (name, extension) in zip(hids, specs, strict=True):
        dataset = insert_loaded(
            session, Dataset(object_key=new_object_key(), state=DatasetState.QUEUED)
        )
        item = HistoryItem(
            history_id=history.id,
            dataset_id=dataset.id,
            hid=hid,
            name=name,
            extension=extension,
            dbkey=dbkey,
            metadata_={},
        )
        items.append(insert_loaded(session, item, dataset=dataset, history=history))
    return items


def copy_item(session: Session, source: HistoryItem, history: History) -> HistoryItem:
    """Add `source` to `history` as a new item that shares its stored dataset.

    No file is copied: both items point at one Dataset row, so the copy follows the
    source's state and a purge removes the file only when no unpurged item still uses it.
    The caller checks that the actor may read `source` and write to `history`.
    """
    if source.purged:
        raise Conflict(
            f"dataset {source.hid} ('{source.name}') is purged, so it cannot be copied; choose another dataset"
        )
    (hid,) = next_hids(session, history.id, 1)
    copy = HistoryItem(
        history=history,
        dataset=source.dataset,
        hid=hid,
        name=source.name,
        extension=source.extension,
        dbkey=source.dbkey,
        metadata_=dict(source.metadata_ or {}),
        peek=source.peek,
        info=source.info,
    )
    session.add(copy)
    session.flush()
    return copy


def update_item(
    session: Session,
    item: HistoryItem,
    changes: dict[str, object],
    datatypes: DatatypeRegistry,
    store: ObjectStore,
) -> HistoryItem:
    for key, value in changes.items():
        if key == "name":
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LENGTH:
                raise RequestError(
                    f"dataset name must be 1 to {MAX_NAME_LENGTH} characters, got {value!r}"
                )
            item.name = value.strip()
        elif key in ("deleted", "visible"):
            if not isinstance(value, bool):
                raise RequestError(f"{key} must be true or false, got {value!r}")
            if key == "deleted" and not value and item.purged:
                raise Conflict("a purged dataset cannot be undeleted")
            setattr(item, key, value)
        elif key in ("genome_build", "dbkey"):
            item.dbkey = str(value)
        elif key in ("file_ext", "extension", "datatype"):
            change_extension(item, str(value), datatypes, store)
        elif key in ("annotation", "tags", "purged"):
            # Accepted for Galaxy compatibility; purging goes through DELETE ?purge=true.
            continue
        else:
            raise RequestError(
                f"dataset attribute {key!r} cannot be changed; changeable: name, deleted, visible, genome_build, file_ext"
            )
    session.flush()
    return item


def change_extension(
    item: HistoryItem, extension: str, datatypes: DatatypeRegistry, store: ObjectStore
) -> None:
    """Set a new datatype and recompute the metadata it defines."""
    datatype = datatypes.get(extension)
    if item.dataset.state != DatasetState.OK:
        raise Conflict(
            f"the datatype of dataset {item.hid} can only be changed once it is ok, it is {item.dataset.state.value}"
        )
    path = store.local_path(item.dataset.object_key)
    item.extension = datatype.ext
    item.metadata_ = datatype.compute_metadata(path)
    item.peek = datatype.make_peek(path)


def delete_item(
    session: Session, item: HistoryItem, store: ObjectStore, purge: bool = False
) -> HistoryItem:
    item.deleted = True
    if purge:
        item.purged = True
        dataset = item.dataset
        still_used = session.scalar(
            select(HistoryItem.id).where(
                HistoryItem.dataset_id == dataset.id,
                HistoryItem.id != item.id,
                HistoryItem.purged.is_(False),
            )
        )
        if still_used is None and dataset.state.is_terminal:
            store.delete(dataset.object_key)
            dataset.purged = True
    session.flush()
    return item


def history_for_write(session: Session, actor: Actor, history_id: int) -> History:
    history = get_history(session, actor, history_id)
    if history.purged:
        raise Conflict(f"history '{history.name}' is purged; choose another history")
    if history.deleted:
        raise Conflict(
            f"history '{history.name}' is deleted; undelete it or choose another history"
        )
    return history
