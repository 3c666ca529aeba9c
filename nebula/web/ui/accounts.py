"""Registering, logging in and logging out from the web pages."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from nebula.errors import AuthenticationRequired, Conflict, RequestError
from nebula.managers.sessions import authenticate, log_in, log_out
from nebula.managers.users import create_user
from nebula.model import User
from nebula.web.ui.context import Page, PageContext
from nebula.web.ui.cookies import queue_cookie_removal, queue_session_cookie

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(ctx: Page) -> HTMLResponse:
    return ctx.render("account/login.html", email="", error=None)


@router.post("/login", response_model=None)
def login(
    ctx: Page, email: Annotated[str, Form()] = "", password: Annotated[str, Form()] = ""
) -> HTMLResponse | RedirectResponse:
    try:
        user = authenticate(ctx.db, email, password)
    except AuthenticationRequired as exc:
        # The email is not logged: a mistyped password is sometimes typed into that field.
        logger.info("login failed for session %s", ctx.browser.id)
        return ctx.render("account/login.html", status_code=401, email=email, error=exc.message)
    return _logged_in(ctx, user)


@router.get("/register", response_class=HTMLResponse)
def register_page(ctx: Page) -> HTMLResponse:
    return ctx.render("account/register.html", email="", username="", error=None)


@router.post("/register", response_model=None)
def register(
    ctx: Page,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    values: dict[str, Any] = {"email": email, "username": username}
    if password != confirm:
        return ctx.render("account/register.html", status_code=400, error="the two passwords differ; type the same password twice", **values)
    if not password:
        return ctx.render("account/register.html", status_code=400, error="a password is required to log in to the web pages", **values)
    try:
        user = create_user(ctx.db, email, password, username.strip() or None)
    except (RequestError, Conflict) as exc:
        logger.info("registration rejected for session %s: %s", ctx.browser.id, exc.message)
        return ctx.render("account/register.html", status_code=exc.status_code, error=exc.message, **values)
    logger.info("user %s registered from the web pages", user.id)
    return _logged_in(ctx, user)


@router.post("/logout")
def logout(ctx: Page) -> RedirectResponse:
    log_out(ctx.db, ctx.browser)
    queue_cookie_removal(ctx.request)
    return RedirectResponse("/", status_code=303)


def _logged_in(ctx: PageContext, user: User) -> RedirectResponse:
    started = log_in(ctx.db, ctx.browser, user)
    queue_session_cookie(ctx.request, started)
    return RedirectResponse("/", status_code=303)
