"""Turning sanitized parameter text back into the characters the user typed.

Text parameters reach a command with quotes, brackets and a few other characters
replaced by tokens such as `__sq__` (see nebula.tools.sanitize). A tool that needs
those characters, such as a regular expression, maps them back in Python, after the
shell has done its work, never in the command line.
"""

from __future__ import annotations

# Tokens of Galaxy's default sanitizer and the characters they stand for.
TOKENS = {
    "__gt__": ">",
    "__lt__": "<",
    "__sq__": "'",
    "__dq__": '"',
    "__ob__": "[",
    "__cb__": "]",
    "__oc__": "{",
    "__cc__": "}",
    "__at__": "@",
    "__pd__": "#",
    "__cn__": "\n",
    "__cr__": "\r",
    "__tc__": "\t",
}


def restore(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Replace every token in `text` by its character, except the characters in `keep`."""
    for token, character in TOKENS.items():
        if character not in keep:
            text = text.replace(token, character)
    return text
