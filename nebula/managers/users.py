"""Users and API keys: creation, look-up and authentication."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from nebula.errors import Conflict, RequestError
from nebula.model import ApiKey, Dataset, History, HistoryItem, User
from nebula.security.credentials import digest_token, hash_password, new_token

# Deliberately loose: one @, no spaces, a dot in the domain. Delivery is the real check.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[a-z0-9._-]{3,255}$")
MIN_PASSWORD_LENGTH = 6


def create_user(
    session: Session,
    email: str,
    password: str | None = None,
    username: str | None = None,
    is_admin: bool = False,
) -> User:
    """Create a user; raises RequestError for a malformed value and Conflict for a taken one."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise RequestError(f"email {email!r} is not a valid email address")
    username = (username or _username_from_email(email)).strip().lower()
    if not _USERNAME.match(username):
        raise RequestError(
            f"username {username!r} is invalid: use 3 to 255 lowercase letters, digits, '.', '_' or '-'"
        )
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise RequestError(f"password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email!r} already exists")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"a user with username {username!r} already exists")

    user = User(
        email=email,
        username=username,
        password_hash=hash_password(password) if password else None,
        is_admin=is_admin,
    )
    session.add(user)
    session.flush()
    return user


def create_api_key(session: Session, user: User) -> str:
    """Issue a new API key for `user`, retiring the old ones; return the key in clear."""
    session.execute(update(ApiKey).where(ApiKey.user_id == user.id).values(deleted=True))
    key = new_token()
    session.add(ApiKey(user_id=user.id, key_hash=digest_token(key)))
    session.flush()
    return key


# Built once, because every API request looks its caller up with it.
_USER_FOR_KEY_HASH = (
    select(User)
    .join(ApiKey, ApiKey.user_id == User.id)
    .where(
        ApiKey.key_hash == bindparam("key_hash"), ApiKey.deleted.is_(False), User.deleted.is_(False)
    )
)


def user_for_api_key(session: Session, key: str) -> User | None:
    return session.scalar(_USER_FOR_KEY_HASH, {"key_hash": digest_token(key)})


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def disk_usage(session: Session, user: User) -> int:
    """Return the bytes of the datasets in the user's histories that are not purged."""
    query = select(func.coalesce(func.sum(Dataset.file_size), 0)).where(
        Dataset.id.in_(
            select(HistoryItem.dataset_id)
            .join(History, History.id == HistoryItem.history_id)
            .where(History.user_id == user.id, HistoryItem.purged.is_(False))
        )
    )
    return int(session.scalar(query) or 0)


def _username_from_email(email: str) -> str:
    local = re.sub(r"[^a-z0-9._-]", "-", email.split("@", 1)[0].lower())
    return local if len(local) >= 3 else f"{local}-user"
