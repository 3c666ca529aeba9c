"""Opaque ids: a keyed permutation of database integers, with cached results."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from nebula.errors import NotFound
from nebula.security.ids import MAX_DATABASE_ID, IdEncoder


def _reference_encode(secret: str, value: int) -> str:
    """The permutation written out plainly, to pin the ids that servers already handed out."""
    key = hashlib.sha256(("nebula-ids:" + secret).encode()).digest()
    left, right = value >> 32, value & 0xFFFFFFFF
    for round_number in range(4):
        message = bytes([round_number]) + right.to_bytes(4, "big")
        mixed = int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:4], "big")
        left, right = right, left ^ mixed
    return f"{(left << 32) | right:016x}"


@pytest.mark.parametrize("value", [0, 1, 2, 41, 10_000, 2**31, MAX_DATABASE_ID])
def test_encoding_matches_the_plain_permutation_and_decodes_back(value):
    encoder = IdEncoder("a secret")

    encoded = encoder.encode(value)

    assert encoded == _reference_encode("a secret", value)
    assert encoder.decode(encoded) == value
    # The second call reads the cache and must return the same values.
    assert encoder.encode(value) == encoded
    assert encoder.decode(encoded) == value


def test_different_secrets_give_different_ids():
    assert IdEncoder("one").encode(7) != IdEncoder("two").encode(7)


@pytest.mark.parametrize("text", ["", "xyz", "0123456789abcdeF", "0123456789abcde", 17])
def test_malformed_ids_are_not_found(text):
    with pytest.raises(NotFound, match="dataset id .* is not a valid id"):
        IdEncoder("s").decode(text, "dataset")


def test_ids_beyond_database_range_not_found():
    encoder = IdEncoder("s")
    beyond = encoder.encode(MAX_DATABASE_ID + 1)

    for _ in range(2):
        with pytest.raises(NotFound, match="history not found"):
            encoder.decode(beyond, "history")


def test_values_outside_64_bits_cannot_be_encoded():
    with pytest.raises(ValueError, match="outside 0..2"):
        IdEncoder("s").encode(-1)
