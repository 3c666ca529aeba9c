"""Concatenating two interval datasets into the layout of the first."""

from __future__ import annotations

from pathlib import Path

from nebula.ops.reader import DatasetInput, Interval, TextLine, open_output

FILL_VALUE = "."
DEFAULT_STRAND = "+"


def concat(
    input1: DatasetInput, input2: DatasetInput, output: Path, same_format: bool = True
) -> None:
    """Write the rows of input1, then those of input2.

    With `same_format`, input2 rows are copied as they are. Otherwise each is rebuilt in
    input1's column layout: chrom, start, end and strand (unknown strand written as '+')
    in input1's columns, '.' in every other column, as many columns as input1's rows have.
    """
    width1 = 0
    with open_output(output) as out:
        for record in input1.records():
            if isinstance(record, Interval):
                width1 = max(width1, len(record.fields))
            out.write(_text(record) + "\n")

        width = width1 or input1.layout.width
        for record in input2.records():
            if isinstance(record, TextLine) or same_format:
                out.write(_text(record) + "\n")
            else:
                out.write(_relayout(record, input1, width) + "\n")


def _text(record: Interval | TextLine) -> str:
    return record.text if isinstance(record, TextLine) else record.line()


def _relayout(row: Interval, target: DatasetInput, width: int) -> str:
    layout = target.layout
    fields = [FILL_VALUE] * max(width, layout.width)
    fields[layout.chrom] = row.chrom
    fields[layout.start] = str(row.start + 1 if layout.is_gff else row.start)
    fields[layout.end] = str(row.end)
    if layout.strand is not None:
        fields[layout.strand] = row.strand if row.strand in ("+", "-") else DEFAULT_STRAND
    return "\t".join(fields)
