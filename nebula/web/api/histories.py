"""Histories: list, create, show, update, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query
from sqlalchemy import func, select

from nebula.errors import NotFound, RequestError
from nebula.managers import histories as history_manager
from nebula.model import HistoryItem
from nebula.web.api.params import decode_id, parse_bool, parse_filters
from nebula.web.deps import CurrentActor, DbSession, Nebula
from nebula.web.serializers import history_detail, history_summary

router = APIRouter(tags=["histories"])


@router.get("/api/histories")
def list_histories(
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    deleted: str | None = None,
    all: str | None = None,
    view: str | None = None,
    q: list[str] = Query(default=[]),
    qv: list[str] = Query(default=[]),
) -> list[dict[str, Any]]:
    filters = parse_filters(q, qv)
    deleted_filter = parse_bool(filters.pop("deleted", deleted), "deleted", default=False)
    histories = history_manager.list_histories(
        session,
        actor,
        deleted=deleted_filter,
        all_users=bool(parse_bool(all, "all", default=False)),
    )
    name_filter = filters.pop("name", None) or filters.pop("name-eq", None)
    name_contains = filters.pop("name-contains", None)
    filters.pop("purged", None)
    if filters:
        raise RequestError(
            f"unsupported history filters: {', '.join(filters)}; supported: name, name-contains, deleted, purged"
        )
    if name_filter is not None:
        histories = [history for history in histories if history.name == name_filter]
    if name_contains is not None:
        histories = [
            history for history in histories if name_contains.lower() in history.name.lower()
        ]
    counts = _item_counts(session, [history.id for history in histories])
    if view == "detailed":
        return [history_detail(session, history, nebula.ids) for history in histories]
    return [
        history_summary(history, nebula.ids, counts.get(history.id, 0)) for history in histories
    ]


@router.get("/api/histories/most_recently_used")
def most_recently_used(actor: CurrentActor, session: DbSession, nebula: Nebula) -> dict[str, Any]:
    histories = history_manager.list_histories(session, actor, deleted=False)
    if not histories:
        raise NotFound("you have no histories yet")
    return history_detail(session, histories[0], nebula.ids)


@router.post("/api/histories")
def create_history(
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    body: dict[str, Any] = Body(default_factory=dict),
) -> dict[str, Any]:
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise RequestError(f"history name must be a string, got {name!r}")
    history = history_manager.create_history(session, actor, name)
    return history_detail(session, history, nebula.ids)


@router.get("/api/histories/{history_id}")
def show_history(
    history_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula
) -> dict[str, Any]:
    history = history_manager.get_history(
        session, actor, decode_id(nebula.ids, history_id, "history")
    )
    return history_detail(session, history, nebula.ids)


@router.put("/api/histories/{history_id}")
def update_history(
    history_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    body: dict[str, Any] = Body(default_factory=dict),
) -> dict[str, Any]:
    history = history_manager.get_history(
        session, actor, decode_id(nebula.ids, history_id, "history")
    )
    changes = {
        key: value
        for key, value in body.items()
        if key not in ("tags", "published", "importable", "purged")
    }
    history_manager.update_history(session, history, changes)
    return history_detail(session, history, nebula.ids)


@router.delete("/api/histories/{history_id}")
def delete_history(
    history_id: str,
    actor: CurrentActor,
    session: DbSession,
    nebula: Nebula,
    purge: str | None = None,
    body: dict[str, Any] | None = Body(default=None),
) -> dict[str, Any]:
    history = history_manager.get_history(
        session, actor, decode_id(nebula.ids, history_id, "history")
    )
    should_purge = bool(parse_bool(purge, "purge", default=False)) or bool(
        (body or {}).get("purge")
    )
    history_manager.delete_history(session, history, purge=should_purge)
    return history_detail(session, history, nebula.ids)


@router.put("/api/histories/{history_id}/undelete")
@router.post("/api/histories/deleted/{history_id}/undelete")
def undelete_history(
    history_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula
) -> dict[str, Any]:
    history = history_manager.get_history(
        session, actor, decode_id(nebula.ids, history_id, "history")
    )
    history_manager.update_history(session, history, {"deleted": False})
    return history_detail(session, history, nebula.ids)


def _item_counts(session: Any, history_ids: list[int]) -> dict[int, int]:
    if not history_ids:
        return {}
    rows = session.execute(
        select(HistoryItem.history_id, func.count())
        .where(HistoryItem.history_id.in_(history_ids), HistoryItem.deleted.is_(False))
        .group_by(HistoryItem.history_id)
    )
    return dict(rows.all())
