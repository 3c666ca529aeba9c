"""Operations that measure how much of each row of input1 the intervals of input2 cover.

intersect, subtract and coverage stream input1 and hold only the union of input2 in
memory. Overlap is counted in bases covered by the union of input2, so two input2 rows
over the same bases count once, and a zero-length row covers nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.gff import GffFeature, group_features
from nebula.ops.index import CoverageIndex
from nebula.ops.reader import DatasetInput, Interval, TextLine, open_output

Unit = Interval | GffFeature


def intersect(
    input1: DatasetInput,
    input2: DatasetInput,
    output: Path,
    min_overlap: int = 1,
    pieces: bool = False,
) -> None:
    """Write the rows of input1 covered by input2 for at least `min_overlap` bases.

    With `pieces`, each such row is cut down to the parts that input2 covers, one output
    row per part. GFF input1 is tested per transcript and written with all its rows.
    """
    _check_min_overlap(min_overlap)
    index = CoverageIndex(input2.intervals())
    with open_output(output) as out:
        for unit in _units(input1):
            if isinstance(unit, TextLine):
                out.write(unit.text + "\n")
                continue
            if index.covered(unit.chrom, unit.start, unit.end) < min_overlap:
                continue
            for row in _rows(unit):
                if not pieces:
                    out.write(row.line() + "\n")
                    continue
                for start, end in index.pieces(row.chrom, row.start, row.end):
                    out.write(row.with_bounds(start, end).line() + "\n")


def subtract(
    input1: DatasetInput,
    input2: DatasetInput,
    output: Path,
    min_overlap: int = 1,
    pieces: bool = False,
) -> None:
    """Write the rows of input1 that input2 covers for fewer than `min_overlap` bases.

    With `pieces`, a row that is covered enough is not dropped but cut down to the parts
    that input2 does not cover.
    """
    _check_min_overlap(min_overlap)
    index = CoverageIndex(input2.intervals())
    with open_output(output) as out:
        for unit in _units(input1):
            if isinstance(unit, TextLine):
                out.write(unit.text + "\n")
                continue
            if index.covered(unit.chrom, unit.start, unit.end) < min_overlap:
                for row in _rows(unit):
                    out.write(row.line() + "\n")
                continue
            if not pieces:
                continue
            for row in _rows(unit):
                for start, end in index.gaps(row.chrom, row.start, row.end):
                    out.write(row.with_bounds(start, end).line() + "\n")


def coverage(input1: DatasetInput, input2: DatasetInput, output: Path) -> None:
    """Append to each row of input1 the bases input2 covers and that count over its length."""
    index = CoverageIndex(input2.intervals())
    with open_output(output) as out:
        for record in input1.records():
            if isinstance(record, TextLine):
                out.write(record.text + "\n")
                continue
            covered = index.covered(record.chrom, record.start, record.end)
            fraction = covered / record.length if record.length else 0.0
            out.write(f"{record.line()}\t{covered}\t{fraction}\n")


def base_coverage(input1: DatasetInput, output: Path) -> None:
    """Write the number of bases covered by the union of all rows, as one line."""
    index = CoverageIndex(input1.intervals())
    total = sum(runs.total for runs in index.chroms.values())
    with open_output(output) as out:
        out.write(f"{total}\n")


def _units(dataset: DatasetInput) -> Iterator[Unit | TextLine]:
    if dataset.layout.is_gff:
        return group_features(dataset.records())
    return dataset.records()


def _rows(unit: Unit) -> list[Interval]:
    return unit.members if isinstance(unit, GffFeature) else [unit]


def _check_min_overlap(min_overlap: int) -> None:
    if min_overlap < 1:
        raise ParameterError(
            "min", f"the minimum overlap must be an integer of 1 or more, got {min_overlap}"
        )
