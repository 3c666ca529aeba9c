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
from nebula.ops.reader import DatasetInput, Interval, RowFilter, TextLine, open_output

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
    index = CoverageIndex(input2.spans())

    def is_covered(chrom: str, start: int, end: int) -> bool:
        return index.covered(chrom, start, end) >= min_overlap

    with open_output(output) as out:
        for unit in _selected_units(input1, is_covered):
            if isinstance(unit, TextLine):
                out.write(unit.text + "\n")
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
    index = CoverageIndex(input2.spans())

    def is_kept_whole(chrom: str, start: int, end: int) -> bool:
        return index.covered(chrom, start, end) < min_overlap

    # With pieces every row is written, whole or in parts.
    select = None if pieces else is_kept_whole
    with open_output(output) as out:
        for unit in _selected_units(input1, select):
            if isinstance(unit, TextLine):
                out.write(unit.text + "\n")
                continue
            if is_kept_whole(unit.chrom, unit.start, unit.end):
                for row in _rows(unit):
                    out.write(row.line() + "\n")
                continue
            # Reached only with pieces, because without them select has dropped this unit.
            for row in _rows(unit):
                for start, end in index.gaps(row.chrom, row.start, row.end):
                    out.write(row.with_bounds(start, end).line() + "\n")


def coverage(input1: DatasetInput, input2: DatasetInput, output: Path) -> None:
    """Append to each row of input1 the bases input2 covers and that count over its length."""
    index = CoverageIndex(input2.spans())
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
    index = CoverageIndex(input1.spans())
    total = sum(runs.total for runs in index.chroms.values())
    with open_output(output) as out:
        out.write(f"{total}\n")


def _selected_units(dataset: DatasetInput, select: RowFilter | None) -> Iterator[Unit | TextLine]:
    """Yield the header lines and the units whose chrom, start and end `select` accepts.

    Without `select`, every unit is yielded.
    """
    if not dataset.layout.is_gff:
        # The reader tests each row before building it, so rejected rows cost no Interval.
        return dataset.records(select)
    units = group_features(dataset.records())
    if select is None:
        return units
    # A transcript is kept or dropped as a whole, so its rows are grouped before the test.
    return (
        unit
        for unit in units
        if isinstance(unit, TextLine) or select(unit.chrom, unit.start, unit.end)
    )


def _rows(unit: Unit) -> list[Interval]:
    return unit.members if isinstance(unit, GffFeature) else [unit]


def _check_min_overlap(min_overlap: int) -> None:
    if min_overlap < 1:
        raise ParameterError(
            "min", f"the minimum overlap must be an integer of 1 or more, got {min_overlap}"
        )
