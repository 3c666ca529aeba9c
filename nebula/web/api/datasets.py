"""Datasets addressed directly by id: show, list, update, delete, display."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from sqlalchemy import select

from nebula.managers import datasets as dataset_manager
from nebula.managers.histories import get_history
from nebula.model import History, HistoryItem
from nebula.web.api.contents import creating_job_id
from nebula.web.api.display import display_item
from nebula.web.api.params import decode_id, parse_bool
from nebula.web.deps import CurrentActor, DbSession, Nebula
from nebula.web.serializers import item_detail, item_summary

router = APIRouter(tags=["datasets"])


@router.get("/api/datasets")
def list_datasets(
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    history_id: str | None = None,
    limit: int = Query(default=500, ge=0, le=5000),
    offset: int = Query(default=0, ge=0),
) -> list[dict[str, Any]]:
    query = (
        select(HistoryItem)
        .join(History, History.id == HistoryItem.history_id)
        .where(HistoryItem.purged.is_(False))
    )
    if history_id is not None:
        history = get_history(session, actor, decode_id(nebula.ids, history_id, "history"))
        query = query.where(HistoryItem.history_id == history.id)
    elif actor.user is not None:
        query = query.where(History.user_id == actor.user.id)
    else:
        query = query.where(History.user_id.is_(None), History.session_id == actor.session_id)
    items = session.scalars(query.order_by(HistoryItem.id.desc()).offset(offset).limit(limit))
    return [item_summary(item, nebula.ids) for item in items]


@router.get("/api/datasets/{dataset_id}")
def show_dataset(
    dataset_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula
) -> dict[str, Any]:
    item = dataset_manager.get_item(session, actor, decode_id(nebula.ids, dataset_id, "dataset"))
    return item_detail(item, nebula.ids, creating_job_id(session, item))


@router.put("/api/datasets/{dataset_id}")
def update_dataset(
    dataset_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    body: dict[str, Any] = Body(default_factory=dict),
) -> dict[str, Any]:
    item = dataset_manager.get_item(session, actor, decode_id(nebula.ids, dataset_id, "dataset"))
    dataset_manager.update_item(session, item, body, nebula.datatypes, nebula.object_store)
    return item_detail(item, nebula.ids, creating_job_id(session, item))


@router.delete("/api/datasets/{dataset_id}")
def delete_dataset(
    dataset_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    purge: str | None = None,
) -> dict[str, Any]:
    item = dataset_manager.get_item(session, actor, decode_id(nebula.ids, dataset_id, "dataset"))
    dataset_manager.delete_item(
        session, item, nebula.object_store, purge=bool(parse_bool(purge, "purge", False))
    )
    return {"id": nebula.ids.encode(item.id), "deleted": item.deleted, "purged": item.purged}


@router.get("/api/datasets/{dataset_id}/display")
def display_dataset(
    dataset_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    to_ext: str | None = None,
    offset: int | None = None,
    ck_size: int | None = None,
    preview: str | None = None,
) -> Response:
    item = dataset_manager.get_item(session, actor, decode_id(nebula.ids, dataset_id, "dataset"))
    return display_item(
        item,
        nebula.object_store,
        to_ext,
        offset,
        ck_size,
        bool(parse_bool(preview, "preview", False)),
    )
