"""A dataset's row in the history panel: its details and the changes a user makes there.

Every change returns the dataset's row with its details open, and refreshes the panel's
header (state counts and size) out of band. A change that the managers reject returns 422
with the reason shown in the row.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from nebula.errors import Conflict, DatatypeError, NotFound, RequestError
from nebula.managers.datasets import delete_item, get_item, update_item
from nebula.model import HistoryItem
from nebula.web.api.display import display_item
from nebula.web.api.params import decode_id
from nebula.web.ui.context import Page, PageContext
from nebula.web.ui.history_panel import build_panel
from nebula.web.ui.history_queries import creating_job

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

# Abstract datatypes that no file should be labelled with.
_HIDDEN_EXTENSIONS = frozenset({"data"})


@router.get("/datasets/{dataset_id}/details", response_class=HTMLResponse)
def details(dataset_id: str, ctx: Page) -> HTMLResponse:
    item = _item(ctx, dataset_id)
    return ctx.render("history/_details.html", **details_values(ctx, item))


@router.post("/datasets/{dataset_id}/rename", response_class=HTMLResponse)
def rename(dataset_id: str, ctx: Page, name: Annotated[str, Form()] = "") -> HTMLResponse:
    return _change(ctx, dataset_id, {"name": name})


@router.post("/datasets/{dataset_id}/datatype", response_class=HTMLResponse)
def change_datatype(dataset_id: str, ctx: Page, extension: Annotated[str, Form()] = "") -> HTMLResponse:
    return _change(ctx, dataset_id, {"datatype": extension})


@router.post("/datasets/{dataset_id}/delete", response_class=HTMLResponse)
def delete(dataset_id: str, ctx: Page) -> HTMLResponse:
    item = _item(ctx, dataset_id)
    delete_item(ctx.db, item, ctx.nebula.object_store)
    return _row(ctx, item)


@router.post("/datasets/{dataset_id}/undelete", response_class=HTMLResponse)
def undelete(dataset_id: str, ctx: Page) -> HTMLResponse:
    return _change(ctx, dataset_id, {"deleted": False})


@router.get("/datasets/{dataset_id}/download")
def download(dataset_id: str, ctx: Page) -> Response:
    item = _item(ctx, dataset_id)
    return display_item(item, ctx.nebula.object_store, to_ext=item.extension)


def details_values(ctx: PageContext, item: HistoryItem, error: str | None = None) -> dict[str, Any]:
    extensions = [ext for ext in ctx.nebula.datatypes.extensions() if ext not in _HIDDEN_EXTENSIONS]
    metadata = sorted((key, _metadata_text(value)) for key, value in (item.metadata_ or {}).items() if value is not None)
    return {"item": item, "job": creating_job(ctx.db, item), "metadata": metadata, "extensions": extensions, "error": error}


def _change(ctx: PageContext, dataset_id: str, changes: dict[str, object]) -> HTMLResponse:
    item = _item(ctx, dataset_id)
    try:
        update_item(ctx.db, item, changes, ctx.nebula.datatypes, ctx.nebula.object_store)
    except (RequestError, Conflict, DatatypeError) as exc:
        # Each change is checked before anything is written, so nothing needs undoing.
        logger.info("change of dataset %s rejected for session %s: %s", item.id, ctx.browser.id, exc.message)
        return _row(ctx, item, error=exc.message, status_code=422)
    return _row(ctx, item)


def _row(ctx: PageContext, item: HistoryItem, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    panel = build_panel(ctx, item.history)
    return ctx.render(
        "history/_row_changed.html", status_code=status_code, panel=panel, details=True, **details_values(ctx, item, error)
    )


def _item(ctx: PageContext, dataset_id: str) -> HistoryItem:
    item = get_item(ctx.db, ctx.actor, decode_id(ctx.nebula.ids, dataset_id, "dataset"))
    if item.purged:
        # Purged datasets are hidden from the panel; their ids behave like unknown ones.
        raise NotFound(f"dataset {dataset_id} not found; it may have been purged")
    return item


def _metadata_text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    return str(value)
