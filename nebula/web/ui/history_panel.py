"""The history panel: its newest page of datasets, older pages on demand, and live states.

The panel shows the newest PAGE_SIZE datasets, and older ones load as the reader scrolls.
So a history of thousands of datasets opens as fast as a small one. While any shown
dataset is not in a final state, the panel polls a fragment. The request carries the ids
of the datasets still being watched (hidden `watch` inputs in their rows) and the highest
hid shown. The response replaces the rows of those datasets, prepends datasets created
since, refreshes the state counts, and turns polling off once nothing is left to watch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from nebula.errors import RequestError
from nebula.managers.datasets import list_items
from nebula.managers.histories import (
    create_history,
    get_history,
    history_size,
    state_counts,
    update_history,
)
from nebula.managers.sessions import switch_history
from nebula.model import DatasetState, History, HistoryItem
from nebula.web.api.params import decode_id
from nebula.web.ui.context import Page, PageContext
from nebula.web.ui.history_queries import history_summaries

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
POLL_SECONDS = 1
STATE_ORDER = tuple(state.value for state in DatasetState)


@dataclass
class PanelView:
    history: History
    history_id: str
    items: Sequence[HistoryItem]
    counts: dict[str, int]
    size: int
    next_offset: int | None
    max_hid: int
    show_deleted: bool = False
    error: str | None = None
    state_order: tuple[str, ...] = STATE_ORDER
    poll_seconds: int = POLL_SECONDS
    watching: bool = field(init=False)

    def __post_init__(self) -> None:
        self.watching = any(not item.state.is_terminal for item in self.items)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def build_panel(ctx: PageContext, history: History | None = None, offset: int = 0, show_deleted: bool = False) -> PanelView:
    """Read one page of the panel: PAGE_SIZE items from `offset`, newest first."""
    history = history or ctx.history
    items = list_items(
        ctx.db, history, deleted=None if show_deleted else False, visible=True,
        limit=PAGE_SIZE + 1, offset=offset, newest_first=True,
    )
    has_more = len(items) > PAGE_SIZE
    return PanelView(
        history=history,
        history_id=ctx.encode(history.id),
        items=items[:PAGE_SIZE],
        counts=state_counts(ctx.db, history.id),
        size=history_size(ctx.db, history.id),
        next_offset=offset + PAGE_SIZE if has_more else None,
        max_hid=history.hid_counter - 1,
        show_deleted=show_deleted,
    )


@router.get("/history/panel", response_class=HTMLResponse)
def panel(ctx: Page, show_deleted: bool = False) -> HTMLResponse:
    return ctx.render("history/panel.html", panel=build_panel(ctx, show_deleted=show_deleted))


@router.get("/history/items", response_class=HTMLResponse)
def older_items(ctx: Page, history: str, offset: int = Query(ge=0), show_deleted: bool = False) -> HTMLResponse:
    shown = get_history(ctx.db, ctx.actor, decode_id(ctx.nebula.ids, history, "history"))
    return ctx.render("history/_older.html", panel=build_panel(ctx, shown, offset, show_deleted))


@router.get("/history/poll", response_class=HTMLResponse)
def poll(
    ctx: Page,
    history: str,
    max_hid: int = Query(ge=0),
    watch: Annotated[list[str] | None, Query()] = None,
    show_deleted: bool = False,
) -> HTMLResponse:
    shown = get_history(ctx.db, ctx.actor, decode_id(ctx.nebula.ids, history, "history"))
    watched_ids = [decode_id(ctx.nebula.ids, item_id, "dataset") for item_id in (watch or [])]
    changed = _items_by_id(ctx, shown, watched_ids)
    new_items = _items_after(ctx, shown, max_hid, show_deleted)

    view = build_panel(ctx, shown, show_deleted=show_deleted)
    # Polling goes on while a watched or newly shown dataset is unfinished.
    view.items = [*changed, *new_items]
    view.watching = any(not item.state.is_terminal for item in view.items)
    return ctx.render("history/_poll.html", panel=view, changed=changed, new_items=new_items)


@router.post("/history/new")
def new_history(ctx: Page, name: Annotated[str, Form()] = "") -> RedirectResponse:
    history = create_history(ctx.db, ctx.actor, name.strip() or None)
    switch_history(ctx.db, ctx.browser, history.id)
    return RedirectResponse("/", status_code=303)


@router.post("/history/switch")
def switch(ctx: Page, history: Annotated[str, Form()]) -> RedirectResponse:
    switch_history(ctx.db, ctx.browser, decode_id(ctx.nebula.ids, history, "history"))
    return RedirectResponse("/", status_code=303)


@router.post("/history/rename", response_model=None)
def rename_history(ctx: Page, history: Annotated[str, Form()], name: Annotated[str, Form()] = "") -> HTMLResponse | RedirectResponse:
    shown = get_history(ctx.db, ctx.actor, decode_id(ctx.nebula.ids, history, "history"))
    error = None
    try:
        update_history(ctx.db, shown, {"name": name})
    except RequestError as exc:
        logger.info("rename of history %s rejected for session %s: %s", shown.id, ctx.browser.id, exc.message)
        error = exc.message
    if not ctx.is_htmx:
        if error:
            raise RequestError(error)
        return RedirectResponse("/", status_code=303)
    view = build_panel(ctx, shown)
    view.error = error
    return ctx.render("history/_header.html", status_code=422 if error else 200, panel=view, oob=False)


@router.get("/histories", response_class=HTMLResponse)
def histories(ctx: Page) -> HTMLResponse:
    current = ctx.history
    summaries = history_summaries(ctx.db, ctx.actor)
    return ctx.render("histories.html", summaries=summaries, current_id=current.id, panel=build_panel(ctx))


def _items_by_id(ctx: PageContext, history: History, item_ids: list[int]) -> list[HistoryItem]:
    if not item_ids:
        return []
    query = select(HistoryItem).where(HistoryItem.history_id == history.id, HistoryItem.id.in_(item_ids))
    return list(ctx.db.scalars(query.order_by(HistoryItem.hid.desc())).unique())


def _items_after(ctx: PageContext, history: History, max_hid: int, show_deleted: bool) -> list[HistoryItem]:
    query = select(HistoryItem).where(
        HistoryItem.history_id == history.id,
        HistoryItem.hid > max_hid,
        HistoryItem.visible.is_(True),
        HistoryItem.purged.is_(False),
    )
    if not show_deleted:
        query = query.where(HistoryItem.deleted.is_(False))
    return list(ctx.db.scalars(query.order_by(HistoryItem.hid.desc())).unique())
