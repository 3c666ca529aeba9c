"""Signed session cookies and the CSRF tokens derived from them."""

from __future__ import annotations

from nebula.web.ui.cookies import SessionSigner


def test_signed_token_round_trips() -> None:
    signer = SessionSigner("secret")

    assert signer.unsign(signer.sign("abc123")) == "abc123"


def test_tampered_token_or_signature_is_rejected() -> None:
    signer = SessionSigner("secret")
    token, signature = signer.sign("abc123").split(".")

    assert signer.unsign(f"abc124.{signature}") is None
    assert signer.unsign(f"{token}.{signature[:-1]}0") is None
    assert signer.unsign(token) is None
    assert signer.unsign("") is None


def test_other_secret_rejects_the_cookie() -> None:
    assert SessionSigner("other").unsign(SessionSigner("secret").sign("abc123")) is None


def test_csrf_token_is_per_session() -> None:
    signer = SessionSigner("secret")
    token = signer.csrf_token("session-one")

    assert signer.is_valid_csrf("session-one", token)
    assert not signer.is_valid_csrf("session-two", token)
    assert not signer.is_valid_csrf("session-one", None)
    assert not signer.is_valid_csrf("session-one", "")
