"""The per-chromosome indexes, checked against base-by-base answers on random spans."""

from __future__ import annotations

import random

from nebula.ops.index import CoverageIndex, CoveredRuns, OverlapIndex, union
from nebula.ops.reader import ColumnLayout, Interval

LAYOUT = ColumnLayout(0, 1, 2)


def make_row(start: int, end: int, line_number: int) -> Interval:
    return Interval(["chr1", str(start), str(end)], "chr1", start, end, ".", line_number, LAYOUT)


def test_union_joins_touching_and_drops_empty_spans() -> None:
    runs = union([(10, 20), (20, 30), (5, 5), (40, 50), (45, 47)])

    assert runs == [(10, 30), (40, 50)]


def test_covered_runs_agree_with_base_counting() -> None:
    rng = random.Random(7)
    spans = [
        (start, start + rng.randint(0, 30)) for start in (rng.randint(0, 500) for _ in range(60))
    ]
    bases = {position for start, end in spans for position in range(start, end)}
    runs = CoveredRuns(union(spans))

    for _ in range(300):
        start = rng.randint(0, 560)
        end = start + rng.randint(0, 80)
        window = set(range(start, end))
        covered = sorted(window & bases)
        pieces = [p for s, e in runs.pieces(start, end) for p in range(s, e)]
        gaps = [p for s, e in runs.gaps(start, end) for p in range(s, e)]

        assert runs.covered(start, end) == len(covered)
        assert pieces == covered
        assert gaps == sorted(window - bases)


def test_coverage_index_counts_per_chromosome() -> None:
    index = CoverageIndex({"chr1": [(50, 60), (10, 20), (15, 30)], "chr2": [(0, 5)]})

    assert index.covered("chr1", 0, 100) == 30
    assert index.covered("chr1", 25, 55) == 10
    assert index.covered("chr1", 30, 50) == 0
    assert index.covered("chr2", 3, 10) == 2
    assert index.covered("chr3", 0, 100) == 0
    assert index.pieces("chr1", 25, 55) == [(25, 30), (50, 55)]
    assert index.gaps("chr1", 25, 55) == [(30, 50)]


def test_overlap_index_finds_every_overlapping_row() -> None:
    rng = random.Random(11)
    rows = [
        make_row(start, start + rng.randint(0, 200), number)
        for number, start in enumerate(rng.randint(0, 2000) for _ in range(150))
    ]
    index = OverlapIndex(rows)

    for _ in range(200):
        start = rng.randint(0, 2200)
        end = start + rng.randint(0, 100)
        found = index.overlapping("chr1", start, end)
        expected = [row for row in rows if min(row.end, end) > max(row.start, start)]

        assert sorted(row.line_number for row in found) == sorted(
            row.line_number for row in expected
        )
        assert [row.start for row in found] == sorted(row.start for row in found)
