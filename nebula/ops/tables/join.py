"""join1: join two tables side by side on equal values of one column each.

Every pair of rows with equal keys is written as the first row, a tab and the second
row, in the first input's order (pairs of one first row in the second input's order).
Options keep the first input's rows that have no partner or no key, fill empty or
missing columns, and join the header lines. Both inputs are sorted by key with the
external sort and merged, so memory does not grow with the inputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nebula.ops.external_sort import sorted_lines
from nebula.ops.tables.keyed import (
    SpillList,
    groups,
    key_order,
    result_line,
    result_order,
    tag,
)
from nebula.ops.tables.rows import CommentCount, is_comment, open_output, read_lines


@dataclass(frozen=True)
class FillOptions:
    """Values for empty or missing columns of each side. None leaves that side as it is.

    Unjoined rows of the first input are always filled when filling is on; joined rows
    only with `fill_joined`.
    """

    first: tuple[str, ...] | None = None
    second: tuple[str, ...] | None = None
    fill_joined: bool = False


@dataclass(frozen=True)
class JoinOptions:
    keep_unmatched: bool = False
    keep_partial: bool = False
    header: bool = False
    fill: FillOptions = field(default_factory=FillOptions)


@dataclass
class _Counts:
    joined: int = 0
    unmatched: int = 0
    partial: int = 0


def join_tables(
    first: Path,
    second: Path,
    output: Path,
    column1: int,
    column2: int,
    options: JoinOptions,
    temp_dir: Path | None = None,
) -> list[str]:
    """Join `first` and `second` on 1-based columns and return the job's info lines."""
    counts = _Counts()
    comments = CommentCount()
    headers: dict[str, str] = {}

    with open_output(output) as handle:
        with (
            sorted_lines(
                _keyed(first, column1, options.header, comments, headers, "first"),
                key_order,
                temp_dir=temp_dir,
            ) as rows1,
            sorted_lines(
                _keyed(second, column2, options.header, comments, headers, "second"),
                key_order,
                temp_dir=temp_dir,
            ) as rows2,
        ):
            if "first" in headers:
                header = headers["first"]
                if "second" in headers:
                    header += "\t" + headers["second"].lstrip("#")
                handle.write(header + "\n")
            pairs = _merge(rows1, rows2, options, counts, temp_dir)
            with sorted_lines(pairs, result_order, temp_dir=temp_dir) as results:
                for tagged in results:
                    handle.write(result_line(tagged) + "\n")

    info = [f"joined {counts.joined} pair{'s' if counts.joined != 1 else ''} of rows"]
    if counts.unmatched:
        info.append(f"kept {counts.unmatched} rows of input1 without a partner")
    if counts.partial:
        info.append(f"kept {counts.partial} rows of input1 without a value in column {column1}")
    summary = comments.summary()
    if summary:
        info.append(summary)
    return info


def fill_row(line: str, values: tuple[str, ...] | None) -> str:
    """Replace empty fields by their column's value and add missing columns."""
    if values is None:
        return line
    fields = line.split("\t")
    filled = [
        value if value or index >= len(values) else values[index]
        for index, value in enumerate(fields)
    ]
    filled.extend(values[len(fields) :])
    return "\t".join(filled)


def _keyed(
    path: Path,
    column: int,
    has_header: bool,
    comments: CommentCount,
    headers: dict[str, str],
    side: str,
) -> Iterator[str]:
    """Yield "key TAB number TAB line" for each data line; keyless rows get key ''."""
    for number, text in read_lines(path):
        if has_header and number == 1:
            headers[side] = text
            continue
        # Galaxy's join reads `#` lines as rows. They are skipped here, so that a header
        # never joins or appears as an unmatched row.
        if not text.strip() or is_comment(text):
            comments.count += 1
            continue
        fields = text.split("\t")
        key = fields[column - 1] if column <= len(fields) else ""
        yield tag(key, number, text)


def _merge(
    rows1: Iterator[str],
    rows2: Iterator[str],
    options: JoinOptions,
    counts: _Counts,
    temp_dir: Path | None,
) -> Iterator[str]:
    """Yield results tagged "number1 TAB number2 TAB line" in key order."""
    fill = options.fill
    groups2 = groups(rows2)
    key2, members2 = next(groups2, (None, iter(())))
    for key1, members1 in groups(rows1):
        if key1 == "":
            # An empty key is no key at all, as in Galaxy's tool: these rows are partial.
            for row in members1:
                if options.keep_partial:
                    counts.partial += 1
                    yield f"{row.number}\t0\t{_unjoined(row.line, fill)}"
            continue
        while key2 is not None and (key2 == "" or key2 < key1):
            key2, members2 = next(groups2, (None, iter(())))
        if key2 != key1:
            for row in members1:
                if options.keep_unmatched:
                    counts.unmatched += 1
                    yield f"{row.number}\t0\t{_unjoined(row.line, fill)}"
            continue

        partners = SpillList(temp_dir)
        try:
            partners.extend(f"{row.number}\t{row.line}" for row in members2)
            for row in members1:
                left = fill_row(row.line, fill.first) if fill.fill_joined else row.line
                for partner in partners:
                    number2, line2 = partner.split("\t", 1)
                    right = fill_row(line2, fill.second) if fill.fill_joined else line2
                    counts.joined += 1
                    yield f"{row.number}\t{number2}\t{left}\t{right}"
        finally:
            partners.close()
        key2, members2 = next(groups2, (None, iter(())))


def _unjoined(line: str, fill: FillOptions) -> str:
    left = fill_row(line, fill.first)
    if fill.second is None:
        return left
    return left + "\t" + fill_row("", fill.second)
