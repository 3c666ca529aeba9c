"""The start page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from nebula.web.ui.context import Page
from nebula.web.ui.history_panel import build_panel

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(ctx: Page, show_deleted: bool = False) -> HTMLResponse:
    return ctx.render("index.html", panel=build_panel(ctx, show_deleted=show_deleted))
