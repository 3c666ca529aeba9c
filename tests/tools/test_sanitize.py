"""Default and per-parameter sanitizing of text values."""

from __future__ import annotations

from nebula.tools.sanitize import DEFAULT_SANITIZER, Sanitizer, sanitize_text


def test_default_keeps_letters_digits_and_safe_punctuation():
    text = "chr1 -=_.()/+*^,:?! ABCxyz019"

    assert sanitize_text(text) == text


def test_default_maps_quotes_brackets_and_whitespace_controls():
    mapped = sanitize_text("'\"<>[]{}@#\n\r\t")

    assert (
        mapped == "__sq____dq____lt____gt____ob____cb____oc____cc____at____pd____cn____cr____tc__"
    )


def test_default_replaces_shell_metacharacters():
    assert sanitize_text(";$`|&\\%~") == "XXXXXXXX"


def test_custom_sanitizer_and_disabled_sanitizer():
    only_letters = Sanitizer(valid=frozenset("ab"), mapping={}, invalid_char="")
    disabled = Sanitizer(enabled=False)

    assert only_letters.sanitize("a;b c") == "ab"
    assert disabled.sanitize("a;b") == "a;b"
    assert DEFAULT_SANITIZER.sanitize("a;b") == "aXb"
