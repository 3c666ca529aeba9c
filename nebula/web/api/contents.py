"""History contents: list, show, update, delete and display of a history's datasets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from nebula.errors import NotFound, RequestError
from nebula.managers import datasets as dataset_manager
from nebula.managers.actors import Actor
from nebula.managers.histories import get_history
from nebula.model import HistoryItem, JobOutput
from nebula.security.ids import IdEncoder
from nebula.web.api.display import display_item
from nebula.web.api.params import decode_id, parse_bool, parse_filters
from nebula.web.deps import CurrentActor, DbSession, Nebula
from nebula.web.serializers import item_detail, item_summary

router = APIRouter(tags=["history contents"])

MAX_PAGE = 5000


@router.get("/api/histories/{history_id}/contents")
def list_contents(
    history_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    deleted: str | None = None,
    visible: str | None = None,
    details: str | None = None,
    limit: int | None = Query(default=None, ge=0),
    offset: int = Query(default=0, ge=0),
    q: list[str] = Query(default=[]),
    qv: list[str] = Query(default=[]),
) -> list[dict[str, Any]]:
    history = get_history(session, actor, decode_id(nebula.ids, history_id, "history"))
    filters = parse_filters(q, qv)
    items = dataset_manager.list_items(
        session,
        history,
        deleted=parse_bool(filters.get("deleted", deleted), "deleted"),
        visible=parse_bool(filters.get("visible", visible), "visible"),
        limit=min(limit, MAX_PAGE) if limit is not None else None,
        offset=offset,
    )
    if "name" in filters:
        items = [item for item in items if item.name == filters["name"]]
    if details == "all":
        return [item_detail(item, nebula.ids, creating_job_id(session, item)) for item in items]
    return [item_summary(item, nebula.ids) for item in items]


@router.post("/api/histories/{history_id}/contents")
def copy_content(
    history_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    body: dict[str, Any] = Body(default_factory=dict),
) -> dict[str, Any]:
    """Copy a dataset the actor may read into this history, as Galaxy's
    `{"source": "hda", "content": ID, "type": "dataset"}` request does."""
    source_kind = body.get("source")
    content_type = body.get("type", "dataset")
    if source_kind != "hda":
        raise RequestError(f"copy source must be 'hda' (a history dataset), got {source_kind!r}")
    if content_type != "dataset":
        raise RequestError(f"copy type must be 'dataset', got {content_type!r}")
    content = body.get("content")
    if not isinstance(content, str) or not content:
        raise RequestError(f"copy content must be the id of a dataset, got {content!r}")
    history = dataset_manager.history_for_write(
        session, actor, decode_id(nebula.ids, history_id, "history")
    )
    source = dataset_manager.get_item(session, actor, decode_id(nebula.ids, content, "dataset"))
    copy = dataset_manager.copy_item(session, source, history)
    return item_detail(copy, nebula.ids)


@router.get("/api/histories/{history_id}/contents/{item_id}")
@router.get("/api/histories/{history_id}/contents/datasets/{item_id}")
def show_content(
    history_id: str, item_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula
) -> dict[str, Any]:
    item = _item_in_history(session, actor, nebula.ids, history_id, item_id)
    return item_detail(item, nebula.ids, creating_job_id(session, item))


@router.put("/api/histories/{history_id}/contents/{item_id}")
@router.put("/api/histories/{history_id}/contents/datasets/{item_id}")
def update_content(
    history_id: str,
    item_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    body: dict[str, Any] = Body(default_factory=dict),
) -> dict[str, Any]:
    item = _item_in_history(session, actor, nebula.ids, history_id, item_id)
    dataset_manager.update_item(session, item, body, nebula.datatypes, nebula.object_store)
    return item_detail(item, nebula.ids, creating_job_id(session, item))


@router.delete("/api/histories/{history_id}/contents/{item_id}")
@router.delete("/api/histories/{history_id}/contents/datasets/{item_id}")
def delete_content(
    history_id: str,
    item_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    purge: str | None = None,
    body: dict[str, Any] | None = Body(default=None),
) -> dict[str, Any]:
    item = _item_in_history(session, actor, nebula.ids, history_id, item_id)
    should_purge = bool(parse_bool(purge, "purge", default=False)) or bool(
        (body or {}).get("purge")
    )
    dataset_manager.delete_item(session, item, nebula.object_store, purge=should_purge)
    return {"id": nebula.ids.encode(item.id), "deleted": item.deleted, "purged": item.purged}


@router.get("/api/histories/{history_id}/contents/{item_id}/display")
def display_content(
    history_id: str,
    item_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    to_ext: str | None = None,
    offset: int | None = None,
    ck_size: int | None = None,
    preview: str | None = None,
) -> Response:
    item = _item_in_history(session, actor, nebula.ids, history_id, item_id)
    return display_item(
        item,
        nebula.object_store,
        to_ext,
        offset,
        ck_size,
        bool(parse_bool(preview, "preview", False)),
    )


def creating_job_id(session: Session, item: HistoryItem) -> int | None:
    return session.scalar(
        select(JobOutput.job_id).where(JobOutput.history_item_id == item.id).limit(1)
    )


def _item_in_history(
    session: Session, actor: Actor, ids: IdEncoder, history_id: str, item_id: str
) -> HistoryItem:
    history = get_history(session, actor, decode_id(ids, history_id, "history"))
    item = dataset_manager.get_item(session, actor, decode_id(ids, item_id, "dataset"))
    if item.history_id != history.id:
        raise NotFound("dataset not found in this history")
    return item
