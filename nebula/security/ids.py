"""Opaque ids: database integers encoded by a keyed permutation, so URLs reveal no counts.

A four-round Feistel network over 64 bits with HMAC-SHA256 as the round function is a
pseudorandom permutation: every id maps to one 16-hex-digit string and back, and without
the key the strings cannot be enumerated. Galaxy's ids have the same length.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from nebula.errors import NotFound

_HEX_ID = re.compile(r"^[0-9a-f]{16}$")
_ROUNDS = 4
# Database integer keys are signed 64-bit; larger values are no id of ours.
MAX_DATABASE_ID = (1 << 63) - 1
_HALF_MASK = 0xFFFFFFFF
# A job list or a history's state ids encodes hundreds of ids per response, four HMACs
# each. Servers mostly hand out the same recent ids, so results are cached.
_CACHED_IDS = 65536


class IdEncoder:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("nebula-ids:" + secret).encode()).digest()
        self._encode_cached = lru_cache(maxsize=_CACHED_IDS)(self._encode)
        self._decode_cached = lru_cache(maxsize=_CACHED_IDS)(self._decode)

    def encode(self, value: int) -> str:
        return self._encode_cached(value)

    def decode(self, encoded: str, kind: str = "object") -> int:
        """Return the integer id, raising NotFound for a string that is no id of ours."""
        if not isinstance(encoded, str) or not _HEX_ID.match(encoded):
            raise NotFound(f"{kind} id {encoded!r} is not a valid id")
        decoded = self._decode_cached(encoded)
        if decoded > MAX_DATABASE_ID:
            # Well formed, so to the client it is an id that names nothing.
            raise NotFound(f"{kind} not found")
        return decoded

    def _encode(self, value: int) -> str:
        if not 0 <= value < 1 << 64:
            raise ValueError(f"id {value} is outside 0..2^64")
        left, right = value >> 32, value & _HALF_MASK
        for round_number in range(_ROUNDS):
            left, right = right, left ^ self._round(round_number, right)
        return f"{(left << 32) | right:016x}"

    def _decode(self, encoded: str) -> int:
        value = int(encoded, 16)
        left, right = value >> 32, value & _HALF_MASK
        for round_number in reversed(range(_ROUNDS)):
            left, right = right ^ self._round(round_number, left), left
        return (left << 32) | right

    def _round(self, round_number: int, half: int) -> int:
        message = bytes([round_number]) + half.to_bytes(4, "big")
        return int.from_bytes(hmac.digest(self._key, message, "sha256")[:4], "big")
