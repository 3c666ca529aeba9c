"""Adding the web pages, their static files and their error pages to the application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from nebula.web.ui import (
    accounts,
    dataset_actions,
    dataset_view,
    history_panel,
    pages,
    tool_form,
    upload,
)
from nebula.web.ui.cookies import SessionCookieMiddleware, SessionSigner
from nebula.web.ui.errors import install_page_error_handlers

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def install_ui(app: FastAPI, secret: str) -> None:
    """Add the pages; call after the API's routers and error handlers are installed."""
    app.state.session_signer = SessionSigner(secret)
    app.add_middleware(SessionCookieMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (pages, accounts, history_panel, dataset_actions, dataset_view, tool_form, upload):
        app.include_router(module.router)
    install_page_error_handlers(app)
