"""Reading interval datasets line by line, the way Galaxy's interval tools read them.

A dataset is a tab-separated file whose chromosome, start, end and (optional) strand
columns are given explicitly, as Galaxy's dataset metadata gives them to a tool. Lines
that start with `#`, `track` or `browser` are header lines and are handed on unchanged. A
data line that cannot be read is skipped and counted, so that one bad row does not fail a
whole job; the count and the first reason end up in the job's info line.

Inside the package every interval is 0-based and half-open. GFF/GTF rows (1-based,
closed) are converted on reading; `Interval.with_bounds` converts back on writing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from nebula.errors import DatatypeError, NotFound, ParameterError

# Rows whose end lies past this coordinate are skipped as invalid. Binary genome formats
# (bigBed, 2bit) store positions as unsigned 32-bit integers, so no supported assembly
# has a chromosome longer than this.
# NOTE: a few sequenced chromosomes (lungfish, some conifers) are longer than 4 Gb; their
# distal rows would be skipped and reported.
MAX_COORDINATE = 2**32 - 1

HEADER_WORDS = ("track", "browser")
UNKNOWN_STRAND = "."
# Keeps the info line short when a reason quotes a long field.
_REASON_LIMIT = 200


@dataclass(frozen=True)
class ColumnLayout:
    """Where the interval fields of a row are: 0-based column indexes."""

    chrom: int
    start: int
    end: int
    strand: int | None = None
    is_gff: bool = False
    # Number of columns a row needs for chrom, start and end, computed once because every
    # row is checked against it.
    needed_columns: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needed_columns", max(self.chrom, self.start, self.end) + 1)

    @property
    def width(self) -> int:
        """Number of columns needed to hold chrom, start, end (and strand)."""
        indexes = [self.chrom, self.start, self.end]
        if self.strand is not None:
            indexes.append(self.strand)
        return max(indexes) + 1

    def describe(self) -> str:
        """Render the layout as the 1-based `--cols` value that produced it."""
        strand = 0 if self.strand is None else self.strand + 1
        return f"{self.chrom + 1},{self.start + 1},{self.end + 1},{strand}"


GFF_LAYOUT = ColumnLayout(chrom=0, start=3, end=4, strand=6, is_gff=True)


class TextLine:
    """A header, comment or blank line, written to the output as it was read."""

    __slots__ = ("text", "line_number")

    def __init__(self, text: str, line_number: int) -> None:
        self.text = text
        self.line_number = line_number


class Interval:
    """One data row: its fields as read and its interval in 0-based, half-open form."""

    __slots__ = ("fields", "chrom", "start", "end", "strand", "line_number", "layout")

    def __init__(
        self,
        fields: list[str],
        chrom: str,
        start: int,
        end: int,
        strand: str,
        line_number: int,
        layout: ColumnLayout,
    ) -> None:
        self.fields = fields
        self.chrom = chrom
        self.start = start
        self.end = end
        self.strand = strand
        self.line_number = line_number
        self.layout = layout

    def line(self) -> str:
        return "\t".join(self.fields)

    def with_bounds(self, start: int, end: int) -> Interval:
        """Return a copy moved to [start, end), with the row's own coordinate fields rewritten."""
        fields = list(self.fields)
        offset = 1 if self.layout.is_gff else 0
        fields[self.layout.start] = str(start + offset)
        fields[self.layout.end] = str(end)
        return Interval(fields, self.chrom, start, end, self.strand, self.line_number, self.layout)

    def fields_as(self, is_gff: bool) -> list[str]:
        """Return the fields with the start written in GFF (1-based) or BED (0-based) form."""
        if is_gff == self.layout.is_gff:
            return self.fields
        fields = list(self.fields)
        fields[self.layout.start] = str(self.start + 1 if is_gff else self.start)
        return fields

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass
class InvalidLines:
    """Counts the skipped data lines of one input and keeps the first reason."""

    label: str
    count: int = 0
    valid: int = 0
    first_line: int = 0
    first_reason: str = ""

    def add(self, line_number: int, reason: str) -> None:
        if self.count == 0:
            self.first_line = line_number
            self.first_reason = reason[:_REASON_LIMIT]
        self.count += 1

    def summary(self) -> str | None:
        """Return the one-line report for the job's info, or None when nothing was skipped."""
        if self.count == 0:
            return None
        noun = "line" if self.count == 1 else "lines"
        return (
            f"skipped {self.count} invalid {noun} of {self.label}, "
            f"first at line {self.first_line}: {self.first_reason}"
        )

    def check_usable(self, layout: ColumnLayout) -> None:
        """Raise when every data line was invalid.

        A few bad rows are skipped, as Galaxy's tools do, but a dataset of which no row
        can be read points at wrong column settings, and an empty result would hide that.
        """
        if self.count and not self.valid:
            raise DatatypeError(
                f"none of the {self.count} data lines of {self.label} could be read "
                f"(line {self.first_line}: {self.first_reason}); check the column settings "
                f"(chrom,start,end,strand = {layout.describe()}) and the dataset's format"
            )


@dataclass
class DatasetInput:
    """An input file, how to read it, and what was skipped while reading it."""

    path: Path
    layout: ColumnLayout
    label: str
    invalid: InvalidLines = field(init=False)

    def __post_init__(self) -> None:
        self.invalid = InvalidLines(self.label)

    def records(self) -> Iterator[Interval | TextLine]:
        """Yield the header lines and readable data rows in file order."""
        return read_records(self.path, self.layout, self.invalid)

    def intervals(self) -> Iterator[Interval]:
        """Yield only the readable data rows."""
        for record in self.records():
            if isinstance(record, Interval):
                yield record


def parse_columns(value: str, option: str) -> ColumnLayout:
    """Parse a `--cols` value: 1-based chrom,start,end[,strand]; strand 0, '' or None = none."""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) not in (3, 4):
        raise ParameterError(
            option,
            f"option {option} must be CHROM,START,END[,STRAND] (1-based column numbers), "
            f"got '{value}'",
        )
    numbers: list[int] = []
    for name, part in zip(("chrom", "start", "end", "strand"), parts, strict=False):
        number = _parse_column_number(part, name, option, value)
        if number == 0 and name != "strand":
            raise ParameterError(
                option, f"the {name} column in {option} must be 1 or more, got '{value}'"
            )
        numbers.append(number)
    strand = numbers[3] - 1 if len(numbers) == 4 and numbers[3] > 0 else None
    layout = ColumnLayout(numbers[0] - 1, numbers[1] - 1, numbers[2] - 1, strand)
    if len({layout.chrom, layout.start, layout.end}) != 3:
        raise ParameterError(
            option, f"chrom, start and end in {option} must be different columns, got '{value}'"
        )
    return layout


def open_text(path: Path) -> TextIO:
    """Open an input for reading; undecodable bytes are carried through unchanged."""
    try:
        return open(path, encoding="utf-8", errors="surrogateescape", newline="")
    except FileNotFoundError:
        raise NotFound(f"input file '{path}' does not exist") from None
    except IsADirectoryError:
        raise NotFound(f"input '{path}' is a directory, not a file") from None


def open_output(path: Path) -> TextIO:
    """Open the output for writing with '\\n' line ends."""
    return open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n")


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, text without its CR/LF line end)."""
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            yield number, line.rstrip("\r\n")


def is_header(text: str) -> bool:
    """Tell whether a line is a comment or a UCSC `track`/`browser` line."""
    if text.startswith("#"):
        return True
    first_word = text.split(None, 1)[0] if text.strip() else ""
    return first_word in HEADER_WORDS


def read_records(
    path: Path, layout: ColumnLayout, invalid: InvalidLines
) -> Iterator[Interval | TextLine]:
    """Yield the lines of an interval dataset as TextLine or Interval, skipping bad rows."""
    # This loop runs once per line of every interval job. It reads the file itself, without
    # the extra generator of read_lines, and tests for a common data line with cheap prefix
    # checks before the exact blank and header tests.
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n")
            if not _is_plain_data(text):
                if not text.strip():
                    # Galaxy's interval reader turns a blank line into an empty comment,
                    # written as '#', so that the output keeps the line and has no empty
                    # record in it.
                    yield TextLine("#", number)
                    continue
                if is_header(text):
                    yield TextLine(text, number)
                    continue
            fields = text.split("\t")
            try:
                interval = parse_interval(fields, layout, number)
            except ValueError as error:
                invalid.add(number, str(error))
                continue
            invalid.valid += 1
            yield interval


def parse_interval(fields: list[str], layout: ColumnLayout, line_number: int) -> Interval:
    """Build an Interval from a row; raise ValueError with the reason when it is invalid."""
    needed = layout.needed_columns
    if len(fields) < needed:
        raise ValueError(f"the row has {len(fields)} columns, at least {needed} needed")

    chrom = fields[layout.chrom].strip()
    if not chrom:
        raise ValueError(f"the chromosome (column {layout.chrom + 1}) is empty")
    start_text = fields[layout.start]
    end_text = fields[layout.end]
    # Coordinates of plain ASCII digits, by far the most common, need no stripping and are
    # well-formed, so they skip the exact parser and the cost of calling it.
    if start_text.isdigit() and end_text.isdigit() and start_text.isascii() and end_text.isascii():
        start = int(start_text)
        end = int(end_text)
    else:
        start = _parse_coordinate(start_text, "start")
        end = _parse_coordinate(end_text, "end")
    if layout.is_gff:
        if start < 1:
            raise ValueError(f"GFF start {start} is less than 1")
        start -= 1
    if end < start:
        start_in_file = start + 1 if layout.is_gff else start
        raise ValueError(f"end {end} is less than start {start_in_file}")
    if end > MAX_COORDINATE:
        raise ValueError(f"end {end} is larger than {MAX_COORDINATE}, the largest supported")

    strand = UNKNOWN_STRAND
    if layout.strand is not None and layout.strand < len(fields):
        value = fields[layout.strand].strip()
        if value in ("+", "-"):
            strand = value
        elif layout.is_gff:
            # Galaxy reads GFF rows with an unknown strand as '+' and writes them that way;
            # its recorded outputs for GFF inputs show the rewritten field.
            strand = "+"
            fields[layout.strand] = "+"
    return Interval(fields, chrom, start, end, strand, line_number, layout)


def _is_plain_data(text: str) -> bool:
    # The ASCII characters after '#' include no whitespace, so a line starting with one of
    # them, and not with 'track' or 'browser', is neither blank nor a header. Other lines
    # may still be data, so read_records tests them exactly.
    return "#" < text[:1] < "\x80" and not text.startswith(HEADER_WORDS)


def _parse_column_number(part: str, name: str, option: str, value: str) -> int:
    if name == "strand" and part in ("", "None"):
        return 0
    if not part.isdigit():
        raise ParameterError(
            option,
            f"the {name} column in {option} must be a column number, got '{part}' in '{value}'",
        )
    return int(part)


def _parse_coordinate(text: str, name: str) -> int:
    value = text.strip()
    if value.isascii() and value.isdigit():
        return int(value)
    if value.startswith("-") and value[1:].isascii() and value[1:].isdigit():
        raise ValueError(f"{name} {value} is negative")
    quoted = value if len(value) <= 40 else value[:40] + "..."
    raise ValueError(f"{name} '{quoted}' is not an integer")
