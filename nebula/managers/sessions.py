"""Browser sessions: starting one, logging in and out, and the session's current history.

A session row is named by a random token that only the browser keeps. The database stores
the token's SHA-256 digest, so a copy of the database cannot be used to take over a
session. Any web process can serve any request, because all session state is in the row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nebula.errors import AuthenticationRequired, NotFound
from nebula.managers.actors import Actor
from nebula.managers.histories import create_history
from nebula.model import History, HistoryItem, Job, User
from nebula.model import Session as BrowserSession
from nebula.security.credentials import digest_token, new_token, verify_password

logger = logging.getLogger(__name__)

LOGIN_FAILED = "the email address or password is incorrect"


@dataclass(frozen=True)
class StartedSession:
    """A new or re-keyed session row and the token in clear, which only the cookie keeps."""

    row: BrowserSession
    token: str


def start_session(session: Session) -> StartedSession:
    """Create an anonymous session."""
    token = new_token()
    row = BrowserSession(token_hash=digest_token(token))
    session.add(row)
    session.flush()
    return StartedSession(row, token)


def find_session(session: Session, token: str) -> BrowserSession | None:
    """Return the valid session named by `token`, or None (unknown, logged out, or its user deleted)."""
    row = session.scalar(
        select(BrowserSession).where(BrowserSession.token_hash == digest_token(token), BrowserSession.is_valid.is_(True))
    )
    if row is None or (row.user is not None and row.user.deleted):
        return None
    return row


def actor_for(row: BrowserSession) -> Actor:
    return Actor(user=row.user, session_id=row.id)


def authenticate(session: Session, email: str, password: str) -> User:
    """Return the user with this email and password, or raise AuthenticationRequired.

    The message does not say which of the two was wrong, so the form cannot be used to
    find out which email addresses have accounts.
    """
    user = session.scalar(select(User).where(User.email == email.strip().lower(), User.deleted.is_(False)))
    if user is None or not verify_password(user.password_hash, password):
        raise AuthenticationRequired(LOGIN_FAILED)
    return user


def log_in(session: Session, row: BrowserSession, user: User) -> StartedSession:
    """Attach `user` to the session and give the session a new token.

    The anonymous visitor's histories that have datasets, and the jobs that made them,
    move to the user. Empty anonymous histories are purged instead of cluttering the
    user's list. The new token stops anyone who learnt the old one (a fixated cookie)
    from riding on the login.
    """
    carried = _carry_histories_over(session, row.id, user)
    session.execute(
        update(Job).where(Job.session_id == row.id, Job.user_id.is_(None)).values(user_id=user.id)
    )

    row.user_id = user.id
    row.user = user
    # An empty anonymous history was purged above, and the user's newest history replaces it.
    if row.current_history_id not in carried:
        row.current_history_id = None
    token = new_token()
    row.token_hash = digest_token(token)
    session.flush()
    logger.info("session %s logged in as user %s; %d anonymous histories carried over", row.id, user.id, len(carried))
    return StartedSession(row, token)


def log_out(session: Session, row: BrowserSession) -> None:
    row.is_valid = False
    session.flush()
    logger.info("session %s logged out (user %s)", row.id, row.user_id)


def current_history(session: Session, row: BrowserSession) -> History:
    """Return the session's current history, choosing or creating one when it has none.

    A history that was deleted, or no longer belongs to the session's owner, is replaced
    by the owner's most recently updated history, or by a new one.
    """
    actor = actor_for(row)
    history = session.get(History, row.current_history_id) if row.current_history_id else None
    if history is not None and _is_usable(history, actor):
        return history

    history = _most_recent_history(session, actor)
    if history is None:
        history = create_history(session, actor)
    row.current_history_id = history.id
    session.flush()
    return history


def switch_history(session: Session, row: BrowserSession, history_id: int) -> History:
    """Make a history of the session's owner the current one, or raise NotFound for any other."""
    history = session.get(History, history_id)
    if history is None or not _is_usable(history, actor_for(row)):
        raise NotFound("history not found; it may have been deleted")
    row.current_history_id = history.id
    session.flush()
    return history


def _carry_histories_over(session: Session, session_id: int, user: User) -> set[int]:
    anonymous = session.scalars(
        select(History).where(History.session_id == session_id, History.user_id.is_(None))
    ).all()
    carried = set()
    for history in anonymous:
        has_items = session.scalar(select(HistoryItem.id).where(HistoryItem.history_id == history.id).limit(1))
        if has_items is None:
            history.deleted = True
            history.purged = True
        else:
            history.user_id = user.id
            carried.add(history.id)
    return carried


def _is_usable(history: History, actor: Actor) -> bool:
    return not history.deleted and not history.purged and actor.owns(history.user_id, history.session_id)


def _most_recent_history(session: Session, actor: Actor) -> History | None:
    query = select(History).where(History.deleted.is_(False), History.purged.is_(False))
    if actor.user is not None:
        query = query.where(History.user_id == actor.user.id)
    else:
        query = query.where(History.user_id.is_(None), History.session_id == actor.session_id)
    return session.scalar(query.order_by(History.update_time.desc(), History.id.desc()).limit(1))
