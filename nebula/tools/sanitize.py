"""Sanitizing of parameter text before it reaches a command line.

The default follows the convention of Galaxy tool XML, so tools written for Galaxy keep
working: letters, digits and `` -=_.()/+*^,:?!`` pass through, a few characters are
mapped to `__name__` tokens (a quote becomes `__sq__`, `>` becomes `__gt__`, and so on),
and every other character becomes `X`. After this, no shell metacharacter that starts a
command, a substitution, a redirection or a quote can reach the shell unquoted. The
default set still lets `(`, `)`, `*` and `?` through, as Galaxy's does, so a template
should quote text values (`'$pattern'`) to keep them one word without glob expansion.

A tool can declare its own rules with `<sanitizer>`:

    <sanitizer invalid_char="">
      <valid initial="string.printable"><remove value="&apos;"/></valid>
      <mapping initial="none"><add source="&apos;" target="__sq__"/></mapping>
    </sanitizer>
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

DEFAULT_VALID = frozenset(string.ascii_letters + string.digits + " -=_.()/+*^,:?!")

DEFAULT_MAPPING: dict[str, str] = {
    ">": "__gt__",
    "<": "__lt__",
    "'": "__sq__",
    '"': "__dq__",
    "[": "__ob__",
    "]": "__cb__",
    "{": "__oc__",
    "}": "__cc__",
    "@": "__at__",
    "#": "__pd__",
    "\n": "__cn__",
    "\r": "__cr__",
    "\t": "__tc__",
}

DEFAULT_INVALID_CHAR = "X"

# Names accepted by `<valid initial=...>` and `preset=...`: Nebula's default set plus the
# character classes of Python's `string` module that Galaxy tools refer to by name.
CHARACTER_PRESETS: dict[str, frozenset[str]] = {
    "default": DEFAULT_VALID,
    "none": frozenset(),
    "string.printable": frozenset(string.printable),
    "string.ascii_letters": frozenset(string.ascii_letters),
    "string.letters": frozenset(string.ascii_letters),
    "string.ascii_lowercase": frozenset(string.ascii_lowercase),
    "string.lowercase": frozenset(string.ascii_lowercase),
    "string.ascii_uppercase": frozenset(string.ascii_uppercase),
    "string.uppercase": frozenset(string.ascii_uppercase),
    "string.digits": frozenset(string.digits),
    "string.hexdigits": frozenset(string.hexdigits),
    "string.octdigits": frozenset(string.octdigits),
    "string.punctuation": frozenset(string.punctuation),
    "string.whitespace": frozenset(string.whitespace),
}

MAPPING_PRESETS: dict[str, dict[str, str]] = {"default": DEFAULT_MAPPING, "none": {}}


@dataclass(frozen=True)
class Sanitizer:
    """The characters a parameter keeps, the ones it maps to tokens, and the replacement
    for all others. `enabled=False` comes from `<sanitizer sanitize="False">`."""

    valid: frozenset[str] = DEFAULT_VALID
    mapping: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MAPPING))
    invalid_char: str = DEFAULT_INVALID_CHAR
    enabled: bool = True

    def sanitize(self, text: str) -> str:
        """Return `text` with every character outside the valid set mapped or replaced."""
        if not self.enabled:
            return text
        pieces = []
        for char in text:
            if char in self.valid:
                pieces.append(char)
            elif char in self.mapping:
                pieces.append(self.mapping[char])
            else:
                pieces.append(self.invalid_char)
        return "".join(pieces)


DEFAULT_SANITIZER = Sanitizer()


def sanitize_text(text: str, sanitizer: Sanitizer | None = None) -> str:
    """Sanitize `text` with the parameter's own sanitizer, or the default one."""
    return (sanitizer or DEFAULT_SANITIZER).sanitize(text)
