"""Removing from one dataset every line that occurs in another (Galaxy's subtract_query1).

Lines are compared as text, whole or restricted to a range of tab-separated columns;
blank lines and `#` comment lines take no part.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.reader import open_output, read_lines


def subtract_query(
    input1: Path,
    input2: Path,
    output: Path,
    begin_col: int | None = None,
    end_col: int | None = None,
    ignore_empty_end_cols: bool = False,
) -> list[str]:
    """Write the distinct lines (or column ranges) of input1 that input2 does not contain.

    With only one of `begin_col` and `end_col` (1-based, inclusive), that one column is
    compared; the two are swapped when given in reverse. Lines too short for the range are
    left out. `ignore_empty_end_cols` drops trailing whitespace and empty columns before
    comparing. Output keeps the order of first occurrence in input1. Returns info lines.
    """
    columns = _column_range(begin_col, end_col)
    keys2 = set(_keys(input2, columns, ignore_empty_end_cols, []))
    # Line numbers of input1 lines with too few columns for the range.
    too_short: list[int] = []
    seen: set[str] = set()
    total = removed = 0
    with open_output(output) as out:
        for key in _keys(input1, columns, ignore_empty_end_cols, too_short):
            total += 1
            if key in seen:
                continue
            seen.add(key)
            if key in keys2:
                removed += 1
                continue
            out.write(key + "\n")

    info = f"Removed {removed} of {len(seen)} distinct lines ({total} compared)."
    if columns:
        info += f" Restricted to columns c{columns[0]} through c{columns[1]}."
    lines = [info]
    if too_short:
        lines.append(
            f"skipped {len(too_short)} lines of input1 with fewer than {columns[1]} columns, "
            f"first at line {too_short[0]}"
        )
    return lines


def _column_range(begin_col: int | None, end_col: int | None) -> tuple[int, int] | None:
    if begin_col is None and end_col is None:
        return None
    begin = begin_col if begin_col is not None else end_col
    end = end_col if end_col is not None else begin_col
    assert begin is not None and end is not None
    for name, value in (("begin_col", begin), ("end_col", end)):
        if value < 1:
            raise ParameterError(name, f"{name} must be a column number of 1 or more, got {value}")
    return (min(begin, end), max(begin, end))


def _keys(
    path: Path,
    columns: tuple[int, int] | None,
    ignore_empty_end_cols: bool,
    too_short: list[int],
) -> Iterator[str]:
    for number, text in read_lines(path):
        if not text or text.startswith("#"):
            continue
        if columns:
            fields = text.split("\t")
            if len(fields) < columns[1]:
                too_short.append(number)
                continue
            text = "\t".join(fields[columns[0] - 1 : columns[1]])
        if ignore_empty_end_cols:
            text = text.rstrip()
        yield text
