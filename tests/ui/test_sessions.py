"""Browser sessions: start, look-up, login with carried-over histories, logout, current history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from nebula.errors import AuthenticationRequired, NotFound
from nebula.managers.actors import Actor
from nebula.managers.datasets import create_items
from nebula.managers.histories import create_history
from nebula.managers.sessions import (
    actor_for,
    authenticate,
    current_history,
    find_session,
    log_in,
    log_out,
    start_session,
    switch_history,
)
from nebula.managers.users import create_user
from nebula.model import History, Job, JobState
from nebula.model.database import make_engine, make_session_factory, upgrade
from nebula.security.credentials import digest_token


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'nebula.sqlite'}"
    upgrade(url)
    session = make_session_factory(make_engine(url))()
    yield session
    session.close()


def test_session_is_found_by_its_token_only(db: Session) -> None:
    started = start_session(db)

    assert find_session(db, started.token) is started.row
    assert find_session(db, "0" * 32) is None
    assert started.row.token_hash == digest_token(started.token)


def test_anonymous_session_gets_a_current_history(db: Session) -> None:
    started = start_session(db)

    history = current_history(db, started.row)

    assert history.session_id == started.row.id
    assert history.user_id is None
    assert started.row.current_history_id == history.id
    assert current_history(db, started.row) is history


def test_login_carries_histories_with_datasets_over(db: Session) -> None:
    user = create_user(db, "carry@example.org", "long password")
    started = start_session(db)
    full = current_history(db, started.row)
    create_items(db, full, [("intervals", "bed", "?")])
    empty = create_history(db, Actor(user=None, session_id=started.row.id), "empty")
    job = Job(session_id=started.row.id, history_id=full.id, tool_id="cat1", tool_version="1", state=JobState.NEW)
    db.add(job)
    db.flush()

    relogged = log_in(db, started.row, user)

    assert relogged.token != started.token
    assert find_session(db, started.token) is None
    assert find_session(db, relogged.token) is started.row
    assert full.user_id == user.id
    assert empty.purged and empty.user_id is None
    db.refresh(job)
    assert job.user_id == user.id
    assert current_history(db, started.row) is full


def test_login_drops_empty_anonymous_history(db: Session) -> None:
    user = create_user(db, "returning@example.org", "long password")
    own = create_history(db, Actor(user=user), "my analysis")
    started = start_session(db)
    current_history(db, started.row)

    log_in(db, started.row, user)

    assert current_history(db, started.row) is own


def test_logout_invalidates_the_session(db: Session) -> None:
    started = start_session(db)

    log_out(db, started.row)

    assert find_session(db, started.token) is None


def test_deleted_user_loses_the_session(db: Session) -> None:
    user = create_user(db, "gone@example.org", "long password")
    started = log_in(db, start_session(db).row, user)
    user.deleted = True
    db.flush()

    assert find_session(db, started.token) is None


def test_authenticate_checks_email_and_password(db: Session) -> None:
    user = create_user(db, "Mixed@Example.org", "long password")

    assert authenticate(db, " mixed@example.org ", "long password") is user
    with pytest.raises(AuthenticationRequired, match="email address or password is incorrect"):
        authenticate(db, "mixed@example.org", "wrong")
    with pytest.raises(AuthenticationRequired, match="email address or password is incorrect"):
        authenticate(db, "nobody@example.org", "long password")


def test_switch_refuses_a_history_of_another_owner(db: Session) -> None:
    mine = start_session(db)
    theirs = start_session(db)
    their_history = current_history(db, theirs.row)

    with pytest.raises(NotFound):
        switch_history(db, mine.row, their_history.id)


def test_deleted_current_history_is_replaced(db: Session) -> None:
    started = start_session(db)
    first = current_history(db, started.row)
    first.deleted = True
    db.flush()

    replacement = current_history(db, started.row)

    assert replacement.id != first.id
    assert not replacement.deleted
    assert actor_for(started.row).owns(replacement.user_id, replacement.session_id)
    assert db.get(History, replacement.id) is replacement
