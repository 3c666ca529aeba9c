"""In-memory per-chromosome indexes of a second dataset.

`CoverageIndex` keeps the union of a dataset's intervals as sorted disjoint runs with
prefix sums, so "how many bases of [start, end) are covered" is two binary searches.
`OverlapIndex` keeps the rows themselves, sorted by start with a running maximum of their
ends, for operations that need every overlapping row (join).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from itertools import accumulate

from nebula.ops.reader import Interval, Span


def union(spans: Iterable[Span]) -> list[Span]:
    """Merge spans into sorted disjoint runs; touching spans join, empty spans vanish."""
    runs: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if runs and start <= runs[-1][1]:
            if end > runs[-1][1]:
                runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def group_by_chrom(intervals: Iterable[Interval]) -> dict[str, list[Interval]]:
    """Collect intervals per chromosome, keeping file order within each."""
    groups: dict[str, list[Interval]] = {}
    for interval in intervals:
        groups.setdefault(interval.chrom, []).append(interval)
    return groups


class CoveredRuns:
    """The bases of one chromosome covered by a set of intervals."""

    def __init__(self, runs: list[Span]) -> None:
        self.starts = [start for start, _ in runs]
        self.ends = [end for _, end in runs]
        # cumulative[k] is the number of bases in runs 0..k-1.
        self.cumulative = [0, *accumulate(end - start for start, end in runs)]

    @property
    def total(self) -> int:
        return self.cumulative[-1]

    def covered(self, start: int, end: int) -> int:
        """Count the covered bases in [start, end)."""
        # The same search as _overlapping, written out because intersect and subtract
        # call this once per row of input1. Runs are sorted and disjoint, so when run `first`
        # does not reach into [start, end), no run does. That test spares the second search
        # for every row that nothing covers.
        first = bisect_right(self.ends, start)
        if first == len(self.starts) or self.starts[first] >= end:
            return 0
        stop = bisect_left(self.starts, end, first)
        count = self.cumulative[stop] - self.cumulative[first]
        count -= max(0, start - self.starts[first])
        count -= max(0, self.ends[stop - 1] - end)
        return count

    def pieces(self, start: int, end: int) -> list[Span]:
        """Return the covered parts of [start, end)."""
        first, stop = self._overlapping(start, end)
        return [(max(start, self.starts[k]), min(end, self.ends[k])) for k in range(first, stop)]

    def gaps(self, start: int, end: int) -> list[Span]:
        """Return the parts of [start, end) that no run covers."""
        gaps: list[Span] = []
        position = start
        for piece_start, piece_end in self.pieces(start, end):
            if piece_start > position:
                gaps.append((position, piece_start))
            position = piece_end
        if position < end:
            gaps.append((position, end))
        return gaps

    def _overlapping(self, start: int, end: int) -> tuple[int, int]:
        # Runs first..stop-1 are those with end > start and start < end.
        return bisect_right(self.ends, start), bisect_left(self.starts, end)


class CoverageIndex:
    """Covered runs per chromosome of a whole dataset."""

    def __init__(self, spans: Mapping[str, Iterable[Span]]) -> None:
        """Index the spans of each chromosome, as DatasetInput.spans returns them."""
        self.chroms = {
            chrom: CoveredRuns(union(chrom_spans)) for chrom, chrom_spans in spans.items()
        }

    def covered(self, chrom: str, start: int, end: int) -> int:
        runs = self.chroms.get(chrom)
        return runs.covered(start, end) if runs else 0

    def pieces(self, chrom: str, start: int, end: int) -> list[Span]:
        runs = self.chroms.get(chrom)
        return runs.pieces(start, end) if runs else []

    def gaps(self, chrom: str, start: int, end: int) -> list[Span]:
        runs = self.chroms.get(chrom)
        return runs.gaps(start, end) if runs else ([(start, end)] if end > start else [])


class OverlapIndex:
    """The rows of a dataset per chromosome, searchable for rows overlapping a span."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.rows: dict[str, list[Interval]] = {}
        self._starts: dict[str, list[int]] = {}
        self._max_ends: dict[str, list[int]] = {}
        for chrom, rows in group_by_chrom(intervals).items():
            rows.sort(key=lambda row: (row.start, row.end, row.line_number))
            self.rows[chrom] = rows
            self._starts[chrom] = [row.start for row in rows]
            self._max_ends[chrom] = list(accumulate((row.end for row in rows), max))

    def overlapping(self, chrom: str, start: int, end: int) -> list[Interval]:
        """Return the rows sharing at least one base with [start, end), sorted by start."""
        rows = self.rows.get(chrom)
        if not rows or end <= start:
            return []
        starts = self._starts[chrom]
        max_ends = self._max_ends[chrom]
        found: list[Interval] = []
        # Walk left from the last row starting before `end`; once no row up to here ends
        # after `start`, none further left can overlap either.
        # NOTE: one very long early row keeps the running maximum high, so the walk can
        # then visit most rows of the chromosome (slow, still correct).
        index = bisect_left(starts, end) - 1
        while index >= 0 and max_ends[index] > start:
            row = rows[index]
            if row.end > start and row.end > row.start:
                found.append(row)
            index -= 1
        found.reverse()
        return found
