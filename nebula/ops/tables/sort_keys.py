"""Sort keys that order rows as `LC_ALL=C sort -f -t TAB -kN,N[n|g][r]` does.

Galaxy's Sort tool runs GNU sort with one key per chosen column. Each key here returns a
value that compares the way GNU sort compares that field, so that an ordinary Python
sort (in memory or external) gives the same order:

- alphabetical: bytes in the C locale, with ASCII lower case folded to upper case (-f);
- numeric (-n): an optional '-', digits and an optional fraction at the start of the
  field, after blanks; anything else counts as 0;
- general numeric (-g): a floating-point prefix as strtod reads it; fields without a
  number come first, then NaN, then numbers in order.

Descending keys are inverted values, not a reversed comparison, so that several keys
with different directions combine into one tuple. Like GNU sort without -s, rows whose
keys are all equal are ordered by the whole line, ascending.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

_NUMERIC_PREFIX = re.compile(r"[ \t]*(-?)([0-9]*)(?:\.([0-9]*))?")
_GENERAL_PREFIX = re.compile(
    r"[ \t\n\v\f\r]*([+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|inf(?:inity)?|nan))",
    re.IGNORECASE,
)
_FOLD = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Inverting a code point maps it below this sentinel, which then ends every inverted
# string, so that a prefix sorts after the longer strings that start with it.
_TOP = 0x10FFFF


class SortStyle(Enum):
    NUMERIC = "num"
    GENERAL_NUMERIC = "gennum"
    ALPHABETICAL = "alpha"


@dataclass(frozen=True)
class SortColumn:
    """One sort key: a 1-based column, how its values compare, and the direction."""

    column: int
    style: SortStyle
    descending: bool


# NOTE: strings compare by code point, which equals UTF-8 byte order for valid text. An
# undecodable byte (a surrogate escape, U+DC80-U+DCFF) sorts among those code points
# instead of after every valid character as its byte value would in GNU sort.
def fold_case(text: str) -> str:
    """Fold ASCII lower case to upper case, as `sort -f` does in the C locale."""
    return text.translate(_FOLD)


def numeric_value(text: str) -> Any:
    """Return the number GNU `sort -n` reads at the start of a field (0 when none)."""
    if text.isascii() and text.isdigit():
        return int(text)
    match = _NUMERIC_PREFIX.match(text)
    assert match is not None  # every part of the pattern is optional
    sign, whole, fraction = match.groups()
    digits = (whole or "") + (fraction or "")
    if not digits.strip("0"):
        return 0
    literal = f"{sign}{whole or '0'}.{fraction or '0'}"
    # Floats are exact up to 15 significant digits, so longer numbers compare as decimals.
    return float(literal) if len(digits) <= 15 else Decimal(literal)


def general_numeric_value(text: str) -> tuple[int, float]:
    """Return (class, value): class 0 for no number, 1 for NaN, 2 for numbers."""
    match = _GENERAL_PREFIX.match(text)
    if match is None:
        return (0, 0.0)
    value = float(match.group(1))
    if math.isnan(value):
        return (1, 0.0)
    return (2, value)


def invert_text(text: str) -> str:
    """Return a string that sorts in the reverse order of `text` among such strings."""
    return "".join(chr(max(0, _TOP - 1 - ord(char))) for char in text) + chr(_TOP)


def column_key(column: SortColumn) -> Callable[[list[str]], Any]:
    """Return a function from a row's fields to this column's comparable value."""
    index = column.column - 1

    def value_of(fields: list[str]) -> str:
        return fields[index] if index < len(fields) else ""

    if column.style is SortStyle.ALPHABETICAL:
        if column.descending:
            return lambda fields: invert_text(fold_case(value_of(fields)))
        return lambda fields: fold_case(value_of(fields))
    if column.style is SortStyle.NUMERIC:
        if column.descending:
            return lambda fields: -numeric_value(value_of(fields))
        return lambda fields: numeric_value(value_of(fields))
    if column.descending:

        def descending_general(fields: list[str]) -> tuple[int, float]:
            kind, value = general_numeric_value(value_of(fields))
            return (-kind, -value)

        return descending_general
    return lambda fields: general_numeric_value(value_of(fields))


def line_key(columns: Sequence[SortColumn]) -> Callable[[str], tuple[Any, ...]]:
    """Return the sort key of a whole line: each column's value, then the line itself."""
    keys = [column_key(column) for column in columns]

    def key(line: str) -> tuple[Any, ...]:
        fields = line.split("\t")
        return (*[column(fields) for column in keys], line)

    return key
