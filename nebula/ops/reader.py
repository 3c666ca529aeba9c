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

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
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
# A line starting with one of these characters is a data line, so the reading loop skips
# the exact blank and header tests for it. The set is the ASCII characters after '#', none
# of them whitespace, without 't' and 'b' so that `track` and `browser` lines get the exact
# test. A line starting with anything else may still be data.
_DATA_LINE_STARTS = frozenset(map(chr, range(ord("#") + 1, 0x80))) - {"t", "b"}
# Characters read at a time by the interval reader's line splitter.
_CHUNK_SIZE = 1 << 16

# A 0-based, half-open [start, end) on one chromosome.
Span = tuple[int, int]
# A test of a valid row's chrom, start and end that decides whether the row is kept.
RowFilter = Callable[[str, int, int], bool]


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

    def records(self, select: RowFilter | None = None) -> Iterator[Interval | TextLine]:
        """Yield the header lines and readable data rows in file order.

        With `select`, only the rows it accepts are yielded; see read_records.
        """
        return read_records(self.path, self.layout, self.invalid, select)

    def intervals(self) -> Iterator[Interval]:
        """Yield only the readable data rows."""
        for record in self.records():
            if isinstance(record, Interval):
                yield record

    def spans(self) -> dict[str, list[Span]]:
        """Return the readable rows as spans per chromosome; see read_spans."""
        return read_spans(self.path, self.layout, self.invalid)


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


def split_lines(handle: TextIO, chunk_size: int = _CHUNK_SIZE) -> Iterator[str]:
    """Yield the lines of a file opened by open_text, without their line ends.

    The lines are those that iterating over the file gives, ended by '\\n', '\\r\\n' or a
    lone '\\r', but the file is read and split a chunk at a time, which costs less per line.
    """
    return chain.from_iterable(_line_chunks(handle, chunk_size))


def is_header(text: str) -> bool:
    """Tell whether a line is a comment or a UCSC `track`/`browser` line."""
    if text.startswith("#"):
        return True
    first_word = text.split(None, 1)[0] if text.strip() else ""
    return first_word in HEADER_WORDS


def read_records(
    path: Path, layout: ColumnLayout, invalid: InvalidLines, select: RowFilter | None = None
) -> Iterator[Interval | TextLine]:
    """Yield the lines of an interval dataset as TextLine or Interval, skipping bad rows.

    With `select`, a valid row becomes an Interval and is yielded only when
    `select(chrom, start, end)` is true. The rows it rejects still count as valid. A caller
    that keeps few of the rows passes it so that the others cost no Interval.
    """
    # This loop runs once per line of every interval job. It takes its lines from
    # split_lines, which is cheaper than iterating over the file, and tests for a common
    # data line with a cheap first-character check before the exact blank and header tests.
    with open_text(path) as handle:
        for number, text in enumerate(split_lines(handle), start=1):
            if text[:1] not in _DATA_LINE_STARTS:
                text_line = _text_line(text, number)
                if text_line is not None:
                    yield text_line
                    continue
            fields = text.split("\t")
            try:
                chrom, start, end = parse_span(fields, layout)
            except ValueError as error:
                invalid.add(number, str(error))
                continue
            invalid.valid += 1
            if select is None or select(chrom, start, end):
                yield _build_interval(fields, layout, number, chrom, start, end)


def read_spans(path: Path, layout: ColumnLayout, invalid: InvalidLines) -> dict[str, list[Span]]:
    """Read the [start, end) of every valid row, per chromosome in file order.

    The rows are read, checked and counted by read_records, so bad rows are skipped and
    reported exactly as for every other operation, but no Interval is built.
    """
    spans: defaultdict[str, list[Span]] = defaultdict(list)

    def add_span(chrom: str, start: int, end: int) -> bool:
        spans[chrom].append((start, end))
        return False

    # Only header lines come out, because add_span rejects every row.
    for _ in read_records(path, layout, invalid, add_span):
        pass
    return dict(spans)


def parse_interval(fields: list[str], layout: ColumnLayout, line_number: int) -> Interval:
    """Build an Interval from a row; raise ValueError with the reason when it is invalid."""
    chrom, start, end = parse_span(fields, layout)
    return _build_interval(fields, layout, line_number, chrom, start, end)


def parse_span(fields: list[str], layout: ColumnLayout) -> tuple[str, int, int]:
    """Check a row and return its chrom, start and end (0-based, half-open).

    This is the one check of a row's interval that every reader uses. It raises ValueError
    with the reason when the row is invalid.
    """
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
    return chrom, start, end


def _build_interval(
    fields: list[str], layout: ColumnLayout, line_number: int, chrom: str, start: int, end: int
) -> Interval:
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


def _text_line(text: str, line_number: int) -> TextLine | None:
    """Return a blank or header line as the TextLine to write, or None for a data line."""
    if not text.strip():
        # Galaxy's interval reader turns a blank line into an empty comment, written as
        # '#', so that the output keeps the line and has no empty record in it.
        return TextLine("#", line_number)
    if is_header(text):
        return TextLine(text, line_number)
    return None


def _line_chunks(handle: TextIO, chunk_size: int) -> Iterator[list[str]]:
    # Pieces of a line whose end has not been read yet. They are joined once, when the line
    # ends, so that a line spanning many chunks costs no repeated copying.
    pending: list[str] = []
    while chunk := handle.read(chunk_size):
        if "\n" not in chunk and "\r" not in chunk:
            pending.append(chunk)
            continue
        text = "".join(pending) + chunk
        # A final '\r' waits for the next chunk, which may start with the '\n' of a '\r\n'.
        final_cr = "\r" if text.endswith("\r") else ""
        lines = _split_at_line_ends(text.removesuffix(final_cr))
        pending = [lines.pop() + final_cr]
        yield lines

    # At the end of the file a final '\r' ends its line, and an empty last piece means that
    # the file ended with a line end.
    lines = _split_at_line_ends("".join(pending))
    if not lines[-1]:
        lines.pop()
    yield lines


def _split_at_line_ends(text: str) -> list[str]:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


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
