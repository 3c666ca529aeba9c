"""Viewing a dataset in the browser: tables page by page, other text chunk by chunk."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from nebula.datatypes import DatatypeRegistry
from nebula.errors import Conflict, DatatypeError, NotFound
from nebula.managers.datasets import get_item
from nebula.model import DatasetState, HistoryItem
from nebula.web.api.params import decode_id
from nebula.web.ui.context import Page
from nebula.web.ui.dataset_actions import details_values
from nebula.web.ui.dataset_pages import (
    ROWS_PER_PAGE,
    column_headers,
    read_table_page,
    read_text_chunk,
)
from nebula.web.ui.history_panel import build_panel

router = APIRouter(include_in_schema=False)

BINARY_EXTENSIONS = frozenset({"data", "binary"})
# Lines that interval formats treat as comments, besides '#'.
INTERVAL_COMMENT_PREFIXES = ("#", "track ", "browser ")


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def view(dataset_id: str, ctx: Page, offset: int = Query(default=0, ge=0), row: int = Query(default=1, ge=1)) -> HTMLResponse:
    item = get_item(ctx.db, ctx.actor, decode_id(ctx.nebula.ids, dataset_id, "dataset"))
    if item.purged or item.dataset.purged:
        raise NotFound(f"dataset {item.hid} ('{item.name}') has been purged; its content is gone")
    values: dict[str, Any] = {"item": item, "item_id": dataset_id, "panel": build_panel(ctx), **_job_values(ctx, item)}
    if item.dataset.state != DatasetState.OK:
        return ctx.render("datasets/view.html", mode="unfinished", **values)

    store = ctx.nebula.object_store
    key = item.dataset.object_key
    if not store.exists(key):
        raise Conflict(f"the file of dataset {item.hid} ('{item.name}') is missing from storage; ask the administrators")
    size = store.size(key)
    mode = _display_mode(item, ctx.nebula.datatypes)
    if mode == "binary":
        return ctx.render("datasets/view.html", mode=mode, size=size, **values)

    with store.open(key) as handle:
        if mode == "table":
            prefixes = INTERVAL_COMMENT_PREFIXES if _is_a(item, "interval", ctx.nebula.datatypes) else ("#",)
            page = read_table_page(handle, size, offset, prefixes)
            width = max([int(item.metadata_.get("columns") or 0), *(len(cells) for cells in page.rows)])
            column_names = column_headers(item.metadata_ or {}, width)
            return ctx.render(
                "datasets/view.html", mode=mode, page=page, column_names=column_names, width=width, first_row=row,
                rows_per_page=ROWS_PER_PAGE, size=size, **values,
            )
        chunk = read_text_chunk(handle, size, offset)
    return ctx.render("datasets/view.html", mode="text", chunk=chunk, size=size, **values)


def _display_mode(item: HistoryItem, datatypes: DatatypeRegistry) -> str:
    if item.extension in BINARY_EXTENSIONS:
        return "binary"
    if _is_a(item, "tabular", datatypes):
        return "table"
    return "text"


def _is_a(item: HistoryItem, parent: str, datatypes: DatatypeRegistry) -> bool:
    try:
        return datatypes.is_subtype(item.extension, parent)
    except DatatypeError:
        return False


def _job_values(ctx: Page, item: HistoryItem) -> dict[str, Any]:
    values = details_values(ctx, item)
    return {"job": values["job"], "metadata": values["metadata"]}
