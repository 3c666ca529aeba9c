"""Genomic intervals: `interval` (columns located by a header or by position) and `bed`.

Both use 0-based, half-open coordinates. Column numbers in metadata are 1-based, as in
Galaxy, so that tools can pass them straight to parameters such as `c2`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from nebula.datatypes.columns import STR, is_number
from nebula.datatypes.lines import Head
from nebula.datatypes.tabular import (
    TableSummary,
    Tabular,
    header_line_of,
    header_names,
    scan_table,
    table_metadata,
)

# Header names, lower-cased, that locate each interval column. The first match wins.
CHROM_NAMES = frozenset({"chrom", "chr", "chromosome", "seqname", "seqid", "contig"})
START_NAMES = frozenset({"start", "chromstart", "txstart", "begin"})
END_NAMES = frozenset({"end", "chromend", "txend", "stop"})
STRAND_NAMES = frozenset({"strand"})
NAME_NAMES = frozenset({"name", "id"})

BED_MAX_COLUMNS = 12

_COORDINATE = re.compile(r"\d+")
_RGB = re.compile(r"\d+(,\d+){2}")
_INT_LIST = re.compile(r"(\d+,)*\d+,?")


@dataclass(frozen=True)
class IntervalColumns:
    """1-based column numbers of an interval file, None where the file has no such column.

    The field names are Galaxy's metadata keys.
    """

    chromCol: int
    startCol: int
    endCol: int
    strandCol: int | None = None
    nameCol: int | None = None


class Interval(Tabular):
    """Tab-separated rows with a chromosome, start and end column anywhere.

    A `#` header line naming the columns (chrom, start, end, strand, name and their
    common synonyms) locates them. Without one, columns 1, 2 and 3 are chrom, start and
    end, column 4 the name when it contains words and column 6 the strand when it
    contains only `+`, `-` and `.`.
    """

    ext: ClassVar[str] = "interval"
    parent: ClassVar[str | None] = "tabular"
    comment_words: ClassVar[tuple[str, ...]] = ("track", "browser")

    def sniff(self, head: Head) -> bool:
        rows = self.data_lines_of(head)
        if not rows:
            return False

        header = header_line_of(head, self)
        names = header_names(header) if header else None
        if names is not None and len(names) != rows[0].count("\t") + 1:
            names = None
        located = columns_from_names(names) if names else None
        has_header = located is not None
        if located is None:
            located = IntervalColumns(chromCol=1, startCol=2, endCol=3)
        chrom, start, end = located.chromCol - 1, located.startCol - 1, located.endCol - 1

        all_chroms_numeric = True
        for line in rows:
            fields = line.split("\t")
            if len(fields) <= max(chrom, start, end):
                return False
            if not _is_chrom(fields[chrom]):
                return False
            if not _is_coordinate_pair(fields[start], fields[end]):
                return False
            all_chroms_numeric = all_chroms_numeric and is_number(fields[chrom])

        # Without a header, rows whose chrom, start and end are all numbers are far more
        # often a table of counts than intervals on numbered chromosomes, so such files
        # are not called interval.
        return has_header or not all_chroms_numeric

    def compute_metadata(self, path: str | Path) -> dict[str, Any]:
        summary = scan_table(path, self)
        return table_metadata(summary) | asdict(self.locate_columns(summary))

    def locate_columns(self, summary: TableSummary) -> IntervalColumns:
        """Locate the interval columns of a scanned file, from its header or by position."""
        if summary.column_names is not None:
            located = columns_from_names(summary.column_names)
            if located is not None:
                return located

        columns = summary.columns
        name_col = None
        if columns >= 4 and summary.column_types[3] == STR and 3 not in summary.strand_columns:
            name_col = 4
        strand_col = 6 if columns >= 6 and 5 in summary.strand_columns else None
        return IntervalColumns(
            chromCol=1, startCol=2, endCol=3, strandCol=strand_col, nameCol=name_col
        )


class Bed(Interval):
    """UCSC BED: chrom, start and end in columns 1 to 3, then up to nine optional
    columns (name, score, strand, thickStart, thickEnd, itemRgb, blockCount, blockSizes,
    blockStarts), each checked when sniffing."""

    ext: ClassVar[str] = "bed"
    parent: ClassVar[str | None] = "interval"

    def sniff(self, head: Head) -> bool:
        rows = self.data_lines_of(head)
        return bool(rows) and all(_is_bed_row(line.split("\t")) for line in rows)

    def locate_columns(self, summary: TableSummary) -> IntervalColumns:
        columns = summary.columns
        return IntervalColumns(
            chromCol=1,
            startCol=2,
            endCol=3,
            strandCol=6 if columns >= 6 else None,
            nameCol=4 if columns >= 4 else None,
        )


def columns_from_names(names: list[str]) -> IntervalColumns | None:
    """Locate interval columns from header names, or return None unless chrom, start and
    end are all named."""
    found: dict[str, int] = {}
    roles = (
        ("chromCol", CHROM_NAMES),
        ("startCol", START_NAMES),
        ("endCol", END_NAMES),
        ("strandCol", STRAND_NAMES),
        ("nameCol", NAME_NAMES),
    )
    for number, name in enumerate(names, start=1):
        for role, synonyms in roles:
            if role not in found and name.lower() in synonyms:
                found[role] = number
                break

    if not {"chromCol", "startCol", "endCol"} <= found.keys():
        return None
    return IntervalColumns(**found)


def _is_chrom(value: str) -> bool:
    return bool(value) and not any(char.isspace() for char in value)


def _is_coordinate_pair(start: str, end: str) -> bool:
    if not (_COORDINATE.fullmatch(start) and _COORDINATE.fullmatch(end)):
        return False
    return int(start) <= int(end)


def _is_bed_row(fields: list[str]) -> bool:
    count = len(fields)
    if not 3 <= count <= BED_MAX_COLUMNS:
        return False
    if not _is_chrom(fields[0]) or not _is_coordinate_pair(fields[1], fields[2]):
        return False

    # Column 4, the name, may contain anything.
    checks = (
        (4, _is_score),
        (5, lambda value: value in ("+", "-", ".")),
        (6, _COORDINATE.fullmatch),
        (7, _COORDINATE.fullmatch),
        (8, lambda value: _RGB.fullmatch(value) or _COORDINATE.fullmatch(value)),
        (9, _COORDINATE.fullmatch),
        (10, _INT_LIST.fullmatch),
        (11, _INT_LIST.fullmatch),
    )
    if not all(check(fields[index]) for index, check in checks if index < count):
        return False

    # blockSizes and blockStarts contain one value per block.
    block_lists = fields[10:12]
    if block_lists:
        block_count = int(fields[9])
        if any(len(values.rstrip(",").split(",")) != block_count for values in block_lists):
            return False
    return True


def _is_score(value: str) -> bool:
    # The UCSC BED format defines an integer from 0 to 1000, but BED files in the wild
    # carry floats and `.` in this column too.
    return value == "." or is_number(value)
