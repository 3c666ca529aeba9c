"""Request-scoped dependencies: the database session and the acting user.

A request is authenticated by an API key or, for the web pages' own calls (tus uploads,
/api/tools/fetch), by the session cookie. The browser sends a cookie on its own, so an
unsafe request authenticated by it must also carry the session's CSRF token in the
X-CSRF-Token header. An API key is never sent implicitly and needs no such token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from nebula.app import NebulaApp
from nebula.errors import AuthenticationRequired, PermissionDenied
from nebula.managers.actors import Actor
from nebula.managers.sessions import actor_for, find_session
from nebula.managers.users import user_for_api_key
from nebula.web.ui.cookies import CSRF_HEADER, SAFE_METHODS, cookie_token, signer_of

API_KEY_HEADER = "x-api-key"
API_KEY_PARAMETER = "key"


def get_nebula(request: Request) -> NebulaApp:
    return request.app.state.nebula


async def _nebula(request: Request) -> NebulaApp:
    # FastAPI runs a plain function dependency in its thread pool, a costly trip for a lookup.
    return get_nebula(request)


async def _db_session(request: Request) -> AsyncIterator[Session]:
    """Yield a session for the request and commit it when the request succeeds.

    FastAPI runs the request's dependencies and its endpoint in separate calls to its
    thread pool, and the session's transaction, with SQLite's write turn or a pooled
    connection, lasts across them. If every pool thread waited for a turn or a
    connection, the requests holding those could never get a thread to finish. So at
    most `session_slots` requests have a session at once, and the others wait here
    without a thread.
    """
    async with request.app.state.session_slots:
        session = get_nebula(request).session_factory()
        try:
            yield session
        except BaseException:
            await run_in_threadpool(_end, session, session.rollback)
            raise
        await run_in_threadpool(_end, session, session.commit)


def _end(session: Session, finish: Callable[[], None]) -> None:
    """End the session's transaction and close it, in one trip to the thread pool."""
    try:
        finish()
    finally:
        session.close()


# scope="function" commits before the response is sent, so a client that reads the
# response and sends the next request always sees what the first one wrote.
DbSession = Annotated[Session, Depends(_db_session, scope="function")]
Nebula = Annotated[NebulaApp, Depends(_nebula)]


def _actor(request: Request, session: DbSession) -> Actor:
    key = request.headers.get(API_KEY_HEADER) or request.query_params.get(API_KEY_PARAMETER)
    if key:
        user = user_for_api_key(session, key)
        if user is None:
            raise AuthenticationRequired("the API key is invalid or has been replaced by a newer one")
        return Actor(user=user)
    actor = _cookie_actor(request, session)
    if actor is not None:
        return actor
    raise AuthenticationRequired("authentication required: send your API key in the x-api-key header or the key parameter")


async def check_credentials(request: Request) -> None:
    """Raise as the actor dependency would, using a session of its own that ends at once."""
    async with request.app.state.session_slots:
        await run_in_threadpool(_check_credentials, request)


def _check_credentials(request: Request) -> None:
    with get_nebula(request).session_factory() as session:
        _actor(request, session)


def _cookie_actor(request: Request, session: Session) -> Actor | None:
    token = cookie_token(request)
    row = find_session(session, token) if token else None
    if token is None or row is None:
        return None
    if request.method not in SAFE_METHODS and not signer_of(request).is_valid_csrf(token, request.headers.get(CSRF_HEADER)):
        raise PermissionDenied(
            "this request is authenticated by the session cookie but lacks a valid X-CSRF-Token header; "
            "reload the page, or send an API key instead"
        )
    return actor_for(row)


def _optional_actor(request: Request, session: DbSession) -> Actor | None:
    try:
        return _actor(request, session)
    except AuthenticationRequired:
        return None


async def _admin(actor: Annotated[Actor, Depends(_actor)]) -> Actor:
    if not actor.is_admin:
        raise PermissionDenied("this action requires an administrator")
    return actor


CurrentActor = Annotated[Actor, Depends(_actor)]
OptionalActor = Annotated[Actor | None, Depends(_optional_actor)]
AdminActor = Annotated[Actor, Depends(_admin)]
