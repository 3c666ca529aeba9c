"""comp1: rows of one table whose key does, or does not, occur in a column of another.

Each row of the first input is written at most once, in its input order. Rows without
the key column never match. Both inputs are sorted by key with the external sort.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from nebula.ops.external_sort import sorted_lines
from nebula.ops.tables.keyed import groups, key_order, result_line, result_order, tag
from nebula.ops.tables.rows import CommentCount, data_lines, open_output


def compare_tables(
    first: Path,
    second: Path,
    output: Path,
    column1: int,
    column2: int,
    matching: bool,
    temp_dir: Path | None = None,
) -> list[str]:
    """Write the rows of `first` that match (or, with matching=False, do not match)."""
    comments = CommentCount()
    written = 0
    with (
        sorted_lines(_keyed(first, column1, comments), key_order, temp_dir=temp_dir) as rows1,
        sorted_lines(_keyed(second, column2, comments), key_order, temp_dir=temp_dir) as rows2,
    ):
        selected = _select(rows1, rows2, matching)
        with sorted_lines(selected, result_order, temp_dir=temp_dir) as results:
            with open_output(output) as handle:
                for tagged in results:
                    handle.write(result_line(tagged) + "\n")
                    written += 1

    which = "matching" if matching else "non-matching"
    info = [f"wrote {written} {which} row{'s' if written != 1 else ''} of input1"]
    summary = comments.summary()
    if summary:
        info.append(summary)
    return info


def _keyed(path: Path, column: int, comments: CommentCount) -> Iterator[str]:
    for number, text in data_lines(path, comments):
        fields = text.split("\t")
        key = fields[column - 1] if column <= len(fields) else ""
        yield tag(key, number, text)


def _select(rows1: Iterator[str], rows2: Iterator[str], matching: bool) -> Iterator[str]:
    keys2 = (key for key, _ in groups(rows2) if key)
    key2 = next(keys2, None)
    for key1, members in groups(rows1):
        while key2 is not None and key2 < key1:
            key2 = next(keys2, None)
        found = bool(key1) and key1 == key2
        if found == matching:
            for row in members:
                yield f"{row.number}\t0\t{row.line}"
