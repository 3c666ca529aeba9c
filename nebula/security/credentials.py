"""Password hashing (argon2) and random tokens stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """Return a random token for an API key or session: 128 bits, as 32 hex digits."""
    return secrets.token_hex(16)


def digest_token(token: str) -> str:
    """Return the digest under which a token is stored; tokens are random, so SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()
