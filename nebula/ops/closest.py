"""Finding the closest non-overlapping feature of each interval (Galaxy's flanking_features).

Features of input2 are indexed per chromosome twice: sorted by end, to find the feature
ending nearest before an interval, and sorted by start, to find the one starting nearest
after it. A feature touching the interval (ending at its start or starting at its end)
counts as non-overlapping, at distance 0.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from pathlib import Path

from nebula.ops.index import group_by_chrom
from nebula.ops.reader import DatasetInput, Interval, TextLine, open_output


class ClosestDirection(enum.Enum):
    """Where to look for the closest feature, relative to the interval's strand."""

    EITHER = "Either"
    BOTH = "Both"
    UPSTREAM = "Upstream"
    DOWNSTREAM = "Downstream"


class FeatureIndex:
    """Features per chromosome, searchable for the nearest one on either side of a span."""

    def __init__(self, features: Iterable[Interval]) -> None:
        self._by_end: dict[str, tuple[list[int], list[Interval]]] = {}
        self._by_start: dict[str, tuple[list[int], list[Interval]]] = {}
        for chrom, rows in group_by_chrom(features).items():
            by_end = sorted(rows, key=lambda row: (row.end, row.line_number))
            by_start = sorted(rows, key=lambda row: (row.start, row.line_number))
            self._by_end[chrom] = ([row.end for row in by_end], by_end)
            self._by_start[chrom] = ([row.start for row in by_start], by_start)

    def has_chrom(self, chrom: str) -> bool:
        return chrom in self._by_end

    def nearest_before(self, chrom: str, position: int) -> Interval | None:
        """Return the feature ending last at or before `position`; the first in file on ties."""
        ends, rows = self._by_end[chrom]
        index = bisect_right(ends, position) - 1
        if index < 0:
            return None
        return rows[bisect_left(ends, ends[index])]

    def nearest_after(self, chrom: str, position: int) -> Interval | None:
        """Return the feature starting first at or after `position`; the first in file on ties."""
        starts, rows = self._by_start[chrom]
        index = bisect_left(starts, position)
        return rows[index] if index < len(rows) else None


def flanking_features(
    input1: DatasetInput,
    input2: DatasetInput,
    output: Path,
    direction: ClosestDirection = ClosestDirection.EITHER,
) -> list[str]:
    """Write each row of input1 joined with its closest non-overlapping feature of input2.

    Upstream and downstream follow the row's strand (unknown strand counts as '+'). With
    Both, the feature on the left comes before the one on the right; with Either, the
    nearer one, the left one on a tie. Rows with no such feature are not written. For a
    GFF input1 the feature is appended as a `closest_feature "..."` attribute; otherwise
    its fields follow the row's. The feature's start is written in input1's coordinate
    convention (1-based for GFF, 0-based otherwise). Returns the info lines for the job.
    """
    index = FeatureIndex(input2.intervals())
    output_is_gff = input1.layout.is_gff
    with open_output(output) as out:
        for record in input1.records():
            if isinstance(record, TextLine):
                out.write(record.text + "\n")
                continue
            if not index.has_chrom(record.chrom):
                continue
            for feature in _closest(index, record, direction):
                out.write(_joined_line(record, feature, output_is_gff) + "\n")
    return [f"Direction: {direction.value}"]


def _closest(index: FeatureIndex, row: Interval, direction: ClosestDirection) -> list[Interval]:
    reverse = row.strand == "-"
    want_left = direction in (ClosestDirection.EITHER, ClosestDirection.BOTH) or (
        (direction is ClosestDirection.UPSTREAM) != reverse
    )
    want_right = direction in (ClosestDirection.EITHER, ClosestDirection.BOTH) or (
        (direction is ClosestDirection.DOWNSTREAM) != reverse
    )
    left = index.nearest_before(row.chrom, row.start) if want_left else None
    right = index.nearest_after(row.chrom, row.end) if want_right else None

    if direction is ClosestDirection.EITHER and left is not None and right is not None:
        return [left] if row.start - left.end <= right.start - row.end else [right]
    return [feature for feature in (left, right) if feature is not None]


def _joined_line(row: Interval, feature: Interval, output_is_gff: bool) -> str:
    feature_text = "\t".join(feature.fields_as(output_is_gff))
    if output_is_gff:
        escaped = feature_text.replace('"', '\\"')
        # Galaxy's tool writes a space after the closing quote; kept so outputs compare equal.
        return f'{row.line()} closest_feature "{escaped}" '
    return f"{row.line()}\t{feature_text}"
