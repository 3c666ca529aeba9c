"""Tab-separated tables, `tabular`, and the one-pass scan that computes their metadata."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from nebula.datatypes.columns import (
    FLOAT,
    INT,
    STR,
    STRAND_VALUES,
    guess_value_type,
    wider_type,
)
from nebula.datatypes.lines import Head, is_blank, iter_lines
from nebula.datatypes.text import Text


@dataclass(frozen=True)
class TableSummary:
    """Line and column statistics from one pass over a table. Column indexes are 0-based."""

    data_lines: int
    comment_lines: int
    columns: int
    column_types: list[str]
    # Names from the last `#` line before the first data line, when it has one name per
    # column, else None.
    column_names: list[str] | None
    # Columns whose every value is `+`, `-` or `.`.
    strand_columns: frozenset[int]


class Tabular(Text):
    """Tab-separated columns. `#` lines are comments, and the last one before the data may
    name the columns."""

    ext: ClassVar[str] = "tabular"
    parent: ClassVar[str | None] = "txt"
    comment_prefixes: ClassVar[tuple[str, ...]] = ("#",)

    def sniff(self, head: Head) -> bool:
        # Every data line has the same number of columns, at least two.
        rows = self.data_lines_of(head)
        if not rows:
            return False
        counts = {line.count("\t") + 1 for line in rows}
        return len(counts) == 1 and counts.pop() >= 2

    def compute_metadata(self, path: str | Path) -> dict[str, Any]:
        summary = scan_table(path, self)
        return table_metadata(summary)


def table_metadata(summary: TableSummary) -> dict[str, Any]:
    """Return the metadata keys that every tabular datatype shares."""
    return {
        "data_lines": summary.data_lines,
        "comment_lines": summary.comment_lines,
        "columns": summary.columns,
        "column_types": summary.column_types,
        "column_names": summary.column_names,
    }


def scan_table(path: str | Path, datatype: Text) -> TableSummary:
    """Stream a file once and summarise its lines and columns, using the comment rules
    of `datatype`."""
    scanner = _TableScanner(datatype)
    for line in iter_lines(path):
        scanner.add(line)
    return scanner.finish()


def header_line_of(head: Head, datatype: Text) -> str | None:
    """Return the last `#` line before the first data line of a head, if any."""
    header = None
    for line in head.lines:
        if is_blank(line):
            continue
        if not datatype.is_comment(line):
            break
        if line.startswith("#"):
            header = line
    return header


def header_names(line: str) -> list[str] | None:
    """Return the column names of a `#` header line, or None when it contains fewer than two.

    Names are tab-separated, or whitespace-separated when the line has no tab.
    """
    body = line.lstrip("#")
    names = body.split("\t") if "\t" in body else body.split()
    names = [name.strip() for name in names]
    if len(names) < 2 or not all(names):
        return None
    return names


class _TableScanner:
    def __init__(self, datatype: Text) -> None:
        self._is_comment = datatype.is_comment
        self._data_lines = 0
        self._comment_lines = 0
        self._columns = 0
        self._header_line: str | None = None
        self._first_row: list[str] | None = None
        self._types: list[str | None] = []
        # Columns whose type can still widen, and columns containing only strands so far.
        # Both shrink fast, which keeps the per-row work small on long files.
        self._open_columns: list[int] = []
        self._strand_columns: list[int] = []

    def add(self, line: str) -> None:
        if is_blank(line):
            return
        if self._is_comment(line):
            self._comment_lines += 1
            if self._data_lines == 0 and line.startswith("#"):
                self._header_line = line
            return

        self._data_lines += 1
        fields = line.split("\t")
        if len(fields) > self._columns:
            self._columns = len(fields)
        # The first row may be a header without `#`, which is only known once the
        # other rows show what the columns contain.
        if self._first_row is None:
            self._first_row = fields
        else:
            self._fold(fields)

    def finish(self) -> TableSummary:
        if self._first_row is not None and not self._is_header_row(self._first_row):
            self._fold(self._first_row)

        names = header_names(self._header_line) if self._header_line else None
        if names is not None and len(names) != self._columns:
            names = None

        types = self._types + [None] * (self._columns - len(self._types))
        return TableSummary(
            data_lines=self._data_lines,
            comment_lines=self._comment_lines,
            columns=self._columns,
            # A column with only missing values has no evidence of being a number.
            column_types=[column_type or STR for column_type in types],
            column_names=names,
            strand_columns=frozenset(self._strand_columns),
        )

    def _fold(self, fields: list[str]) -> None:
        width = len(fields)
        known = len(self._types)
        if width > known:
            self._types.extend([None] * (width - known))
            self._open_columns.extend(range(known, width))
            self._strand_columns.extend(range(known, width))

        types = self._types
        has_new_str = False
        for index in self._open_columns:
            if index >= width:
                continue
            value = fields[index]
            # guess_value_type calls a value of decimal digits INT, the narrowest type, so
            # such a value only sets a column that has no type yet. Testing for digits is
            # far cheaper than guessing the type.
            if value.isdecimal():
                if types[index] is None:
                    types[index] = INT
                continue
            types[index] = wider_type(types[index], guess_value_type(value))
            has_new_str = has_new_str or types[index] == STR
        if has_new_str:
            self._open_columns = [index for index in self._open_columns if types[index] != STR]

        # The list is rebuilt only on the rare row that removes a column from it.
        for index in self._strand_columns:
            if index < width and fields[index] not in STRAND_VALUES:
                self._strand_columns = [
                    index
                    for index in self._strand_columns
                    if index >= width or fields[index] in STRAND_VALUES
                ]
                break

    def _is_header_row(self, fields: list[str]) -> bool:
        # A header names columns with words, and at least one of those columns contains
        # numbers in every other row.
        own_types = [guess_value_type(value) for value in fields]
        if any(own_type not in (STR, None) for own_type in own_types):
            return False
        return any(
            own_type == STR and index < len(self._types) and self._types[index] in (INT, FLOAT)
            for index, own_type in enumerate(own_types)
        )


class Sam(Tabular):
    """Sequence alignments in SAM text: `@` header lines, then at least 11 tab-separated
    fields per alignment (the last optional tags make the column count vary)."""

    ext: ClassVar[str] = "sam"
    parent: ClassVar[str | None] = "tabular"
    comment_prefixes: ClassVar[tuple[str, ...]] = ("@",)
    _MANDATORY_FIELDS = 11

    def sniff(self, head: Head) -> bool:
        rows = self.data_lines_of(head)
        if not rows:
            return False
        for row in rows:
            fields = row.split("\t")
            if len(fields) < self._MANDATORY_FIELDS:
                return False
            # FLAG, POS, MAPQ and TLEN are integers; POS and MAPQ are never negative.
            flag, position, quality, template_length = fields[1], fields[3], fields[4], fields[8]
            if not (flag.isdigit() and position.isdigit() and quality.isdigit()):
                return False
            if not template_length.lstrip("-").isdigit():
                return False
        return True
