"""Column type guessing for tab-separated data, with Galaxy's type names.

A column's type is the most general type among its values, in the order
int < float < list < str: a column of ints with one `2.5` is float, and any value that
is neither a number nor a comma-separated list makes the column str.
"""

from __future__ import annotations

import re

INT = "int"
FLOAT = "float"
LIST = "list"
STR = "str"

TYPE_RANK = {INT: 0, FLOAT: 1, LIST: 2, STR: 3}
# Values that mean "no value" in BED, GFF and R output. They leave a column's type as it is.
MISSING_VALUES = frozenset({"", ".", "NA"})
STRAND_VALUES = frozenset({"+", "-", "."})

_INT = re.compile(r"[+-]?\d+")


def guess_value_type(value: str) -> str | None:
    """Return the type name of one field, or None for a missing value."""
    if value in MISSING_VALUES:
        return None
    if _INT.fullmatch(value):
        return INT
    if is_number(value):
        return FLOAT
    if "," in value:
        return LIST
    return STR


def wider_type(current: str | None, new: str | None) -> str | None:
    """Return the more general of two column types, where None means not yet known."""
    if current is None:
        return new
    if new is None:
        return current
    return current if TYPE_RANK[current] >= TYPE_RANK[new] else new


def is_number(value: str) -> bool:
    """Return whether a field is a decimal number, as float() reads it."""
    # float() also accepts digit separators and surrounding spaces, which no table
    # format means as a number.
    if "_" in value or value != value.strip():
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True
