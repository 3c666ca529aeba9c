"""Decoding opaque ids and Galaxy's loosely typed query parameters."""

from __future__ import annotations

from nebula.errors import NotFound, RequestError
from nebula.managers.datasets import MAX_DATABASE_ID
from nebula.security.ids import IdEncoder


def decode_id(ids: IdEncoder, value: str, kind: str) -> int:
    number = ids.decode(value, kind)
    # Half of all well-formed ids decode above the range of database keys. Such an id
    # names no object, and the database driver would raise OverflowError on it.
    if number > MAX_DATABASE_ID:
        raise NotFound(f"{kind} not found")
    return number


def parse_bool(value: str | bool | None, name: str, default: bool | None = None) -> bool | None:
    """Read a boolean query parameter as Galaxy clients send it (true/false/1/0/yes/no)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    if lowered in ("none", "null", "any"):
        return None
    raise RequestError(f"parameter {name!r} must be true or false, got {value!r}")


def parse_filters(q: list[str], qv: list[str]) -> dict[str, str]:
    """Pair Galaxy's `q=attribute-op&qv=value` filter parameters."""
    if len(q) != len(qv):
        raise RequestError(f"filters need one qv per q; got {len(q)} q and {len(qv)} qv")
    return dict(zip(q, qv, strict=True))


def parse_positive(value: int | None, name: str, maximum: int) -> int | None:
    if value is None:
        return None
    if value < 0:
        raise RequestError(f"parameter {name!r} must be 0 or more, got {value}")
    return min(value, maximum)
