"""The context of every page request: the browser session, the actor, the current history,
the CSRF token, and template rendering with them.

The dependency starts an anonymous session for a visitor without a valid cookie. For an
unsafe method it first checks the CSRF token, sent by htmx in the X-CSRF-Token header or
by a plain form in the `csrf_token` field, so a forged cross-site form changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from nebula.app import NebulaApp
from nebula.errors import PermissionDenied
from nebula.managers.actors import Actor
from nebula.managers.sessions import actor_for, current_history, find_session, start_session
from nebula.model import History
from nebula.model import Session as BrowserSession
from nebula.web.deps import DbSession, Nebula
from nebula.web.serializers import nice_size
from nebula.web.ui.cookies import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    cookie_token,
    queue_session_cookie,
    signer_of,
)

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
CSRF_REJECTED = (
    "the form was rejected because its security token is missing or out of date "
    "(it may have been sent from another site, or before you logged in or out); reload the page and try again"
)

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["nice_size"] = nice_size


@dataclass
class PageContext:
    request: Request
    db: Session
    nebula: NebulaApp
    browser: BrowserSession
    token: str
    _history: History | None = field(default=None, repr=False)

    @property
    def actor(self) -> Actor:
        return actor_for(self.browser)

    @property
    def history(self) -> History:
        """The session's current history, created on first use."""
        if self._history is None:
            self._history = current_history(self.db, self.browser)
        return self._history

    @property
    def csrf_token(self) -> str:
        return signer_of(self.request).csrf_token(self.token)

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def encode(self, value: int) -> str:
        return self.nebula.ids.encode(value)

    def render(
        self, template: str, status_code: int = 200, response_headers: dict[str, str] | None = None, **values: Any
    ) -> HTMLResponse:
        values.setdefault("ctx", self)
        return templates.TemplateResponse(self.request, template, values, status_code=status_code, headers=response_headers)


async def _submitted_csrf_token(request: Request) -> str | None:
    """Read an unsafe request's whole form, then return the CSRF token it carries.

    The form is read even when the token comes in a header, because page_context takes a
    database session next, and a slow upload must not keep one while its body arrives.
    Starlette keeps the parsed form for the route. A body that is not a form is not read.
    """
    if request.method in SAFE_METHODS:
        return None
    form = await request.form()
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        field_value = form.get(CSRF_FIELD)
        given = field_value if isinstance(field_value, str) else None
    return given


def page_context(
    # The form is read first. A request keeps one of the few database sessions from the
    # moment it gets one, and a slow upload must not keep it while its body arrives.
    given_csrf: Annotated[str | None, Depends(_submitted_csrf_token)], request: Request, db: DbSession, nebula: Nebula
) -> PageContext:
    token = cookie_token(request)
    row = find_session(db, token) if token else None
    if request.method not in SAFE_METHODS:
        if token is None or row is None or not signer_of(request).is_valid_csrf(token, given_csrf):
            raise PermissionDenied(CSRF_REJECTED)
    if token is None or row is None:
        started = start_session(db)
        queue_session_cookie(request, started)
        row, token = started.row, started.token
    return PageContext(request, db, nebula, row, token)


Page = Annotated[PageContext, Depends(page_context)]
