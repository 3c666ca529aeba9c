"""Request-scoped dependencies: the database session and the acting user.

A request is authenticated by an API key or, for the web pages' own calls (tus uploads,
/api/tools/fetch), by the session cookie. The browser sends a cookie on its own, so an
unsafe request authenticated by it must also carry the session's CSRF token in the
X-CSRF-Token header. An API key is never sent implicitly and needs no such token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from nebula.app import NebulaApp
from nebula.errors import AuthenticationRequired, PermissionDenied
from nebula.managers.actors import Actor
from nebula.managers.sessions import actor_for, find_session
from nebula.managers.users import user_for_api_key
from nebula.model.database import transaction
from nebula.web.ui.cookies import CSRF_HEADER, SAFE_METHODS, cookie_token, signer_of

API_KEY_HEADER = "x-api-key"
API_KEY_PARAMETER = "key"

T = TypeVar("T")
ResponseType = TypeVar("ResponseType", bound=Response)


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
        request.state.holds_session = True
        try:
            yield session
        except BaseException:
            await run_in_threadpool(_end, session, session.rollback)
            raise
        finally:
            request.state.holds_session = False
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


def authenticate_request(request: Request, session: Session) -> Actor:
    """Return the actor named by the request's API key or, failing that, its session cookie.

    Raises AuthenticationRequired when neither is valid, and PermissionDenied when an
    unsafe request authenticated by the cookie lacks the session's CSRF token.
    """
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


def _actor(request: Request, session: DbSession) -> Actor:
    return authenticate_request(request, session)


async def authenticated_actor(request: Request) -> Actor:
    """Return the request's actor as the actor dependency would, from a session that ends at once.

    An endpoint that streams a request body must use this instead of the dependency,
    whose session lasts until the endpoint returns: on SQLite that session holds the one
    write lock, so a slow client would stall every other writer.
    """
    return await run_in_session(request, partial(authenticate_request, request))


async def run_in_session(request: Request, work: Callable[[Session], T]) -> T:
    """Call `work` with a new session in one trip to the thread pool, then commit and close it.

    An error from `work` or from the commit rolls the transaction back and propagates.
    The session takes one of the `session_slots` that `_db_session` takes, because a
    thread waiting here for SQLite's write turn or a pooled connection would otherwise
    occupy a thread that a request holding a session needs in order to finish.
    """
    if getattr(request.state, "holds_session", False):
        # With one slot on SQLite, the second session would wait for the first forever.
        raise RuntimeError("run_in_session failed: this request already has a database session")
    async with request.app.state.session_slots:
        return await run_in_threadpool(_call_in_transaction, get_nebula(request), work)


def _call_in_transaction(nebula: NebulaApp, work: Callable[[Session], T]) -> T:
    with transaction(nebula.session_factory) as session:
        return work(session)


def wake_handler(request: Request) -> None:
    """Have the in-process job handler, if any, look for new jobs now.

    Call it only after the commit, because a handler that looked earlier would not find
    the new job before its next poll.
    """
    wake = getattr(request.app.state, "wake_handler", None)
    if wake is not None:
        wake()


def wake_handler_after(response: ResponseType, request: Request) -> ResponseType:
    """Wake the in-process job handler once `response` is sent, when the request's session has committed."""

    async def wake() -> None:
        # A coroutine runs in the event loop; a plain function would cost a thread-pool trip.
        wake_handler(request)

    response.background = BackgroundTask(wake)
    return response


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
