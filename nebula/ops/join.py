"""Joining the rows of two interval datasets side by side where they overlap."""

from __future__ import annotations

import enum
from pathlib import Path

from nebula.ops.index import OverlapIndex
from nebula.ops.reader import DatasetInput, Interval, TextLine, open_output

FILL_VALUE = "."


class JoinFill(enum.Enum):
    """Which unmatched rows a join keeps; the values are Galaxy's option values."""

    NONE = "none"
    # Galaxy's names: "right" keeps every row of the first dataset, "left" every row of
    # the second one.
    RIGHT = "right"
    LEFT = "left"
    BOTH = "both"


def join(
    input1: DatasetInput,
    input2: DatasetInput,
    output: Path,
    min_overlap: int = 1,
    fill: JoinFill = JoinFill.NONE,
) -> None:
    """Write each pair of rows (input1 fields, then input2 fields) overlapping by `min_overlap`.

    Pairs follow input1's order, then input2's start. A kept unmatched input1 row gets '.'
    for the input2 fields; kept unmatched input2 rows come last, sorted by chromosome and
    start, with '.' for the input1 fields. A `min_overlap` below 1 still needs 1 base.
    """
    needed = max(min_overlap, 1)
    keep_rows1 = fill in (JoinFill.RIGHT, JoinFill.BOTH)
    keep_rows2 = fill in (JoinFill.LEFT, JoinFill.BOTH)
    rows2 = list(input2.intervals())
    index = OverlapIndex(rows2)
    width2 = max((len(row.fields) for row in rows2), default=input2.layout.width)
    width1 = 0
    matched2: set[int] = set()

    with open_output(output) as out:
        for record in input1.records():
            if isinstance(record, TextLine):
                out.write(record.text + "\n")
                continue
            width1 = max(width1, len(record.fields))
            matches = [
                row
                for row in index.overlapping(record.chrom, record.start, record.end)
                if _overlap(record, row) >= needed
            ]
            for row in matches:
                matched2.add(row.line_number)
                out.write(f"{record.line()}\t{row.line()}\n")
            if not matches and keep_rows1:
                out.write("\t".join([*record.fields, *[FILL_VALUE] * width2]) + "\n")

        if keep_rows2:
            filler = [FILL_VALUE] * (width1 or input1.layout.width)
            for chrom in sorted(index.rows):
                for row in index.rows[chrom]:
                    if row.line_number not in matched2:
                        out.write("\t".join([*filler, *row.fields]) + "\n")


def _overlap(first: Interval, second: Interval) -> int:
    return min(first.end, second.end) - max(first.start, second.start)
