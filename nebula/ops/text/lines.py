"""Reading text datasets line by line, and splitting lines into fields as Galaxy's tools do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from nebula.errors import NotFound, ParameterError

# Galaxy's field delimiter option values (Cut1, ChangeCase) and the separator each one
# means: one character, or a run of whitespace for `Sp`.
FIELD_SEPARATORS = {"T": "\t", "Sp": None, "Dt": ".", "C": ",", "D": "-", "U": "_", "P": "|"}
_WHITESPACE_RUN = re.compile(r"\s+")
_COLUMN_TOKEN = re.compile(r"c?(\d+)(?:-c?(\d+))?", re.IGNORECASE)


def open_input(path: Path, newline: str = "\n") -> TextIO:
    """Open a text input; by default only '\\n' ends a line. Undecodable bytes pass
    through as surrogates, so they are written back unchanged."""
    try:
        return open(path, encoding="utf-8", errors="surrogateescape", newline=newline)
    except FileNotFoundError:
        raise NotFound(f"input file '{path}' does not exist") from None
    except IsADirectoryError:
        raise NotFound(f"input '{path}' is a directory, not a file") from None


def open_output(path: Path) -> TextIO:
    """Open an output for writing with '\\n' line ends."""
    return open(path, "w", encoding="utf-8", errors="surrogateescape", newline="\n")


def strip_line_end(line: str) -> str:
    """Return `line` without its '\\n' or '\\r\\n' end."""
    if line.endswith("\n"):
        line = line[:-1]
    if line.endswith("\r"):
        line = line[:-1]
    return line


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, text without its line end) for every line."""
    with open_input(path) as handle:
        for number, line in enumerate(handle, start=1):
            yield number, strip_line_end(line)


def count_noun(count: int, noun: str) -> str:
    """Return '1 line' or '3 lines'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def perl_split(line: str, delimiter: str) -> list[str]:
    """Split like Perl's `split /re/, $line`, which Galaxy's Cut1 and ChangeCase use.

    `delimiter` is a key of FIELD_SEPARATORS. Trailing empty fields are dropped, so
    'a\\tb\\t\\t' has two fields and an empty line has none. A leading empty field (the
    line starts with the separator) is kept.
    """
    separator = FIELD_SEPARATORS[delimiter]
    fields = _WHITESPACE_RUN.split(line) if separator is None else line.split(separator)
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def parse_column_list(value: str, parameter: str) -> list[int]:
    """Parse Galaxy's column list 'c1,c4,c2-c3' into 1-based column numbers, in order.

    Whitespace is ignored, the 'c' is optional and ranges run from their first to their
    last column, both included.
    """
    text = re.sub(r"\s+", "", value)
    columns: list[int] = []
    for token in text.split(","):
        if not token:
            continue
        match = _COLUMN_TOKEN.fullmatch(token)
        if match is None:
            raise ParameterError(
                parameter,
                f"'{token}' in the column list '{value}' is not a column; write columns "
                "as c1,c4 or ranges as c2-c5",
            )
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        if first < 1:
            raise ParameterError(
                parameter, f"column numbers start at 1 (c1), got '{token}' in '{value}'"
            )
        if last < first:
            raise ParameterError(
                parameter,
                f"the range '{token}' in '{value}' runs backwards; write it as c{last}-c{first}",
            )
        columns.extend(range(first, last + 1))
    if not columns:
        raise ParameterError(
            parameter, f"no columns given in '{value}'; write columns as c1,c4 or c2-c5"
        )
    return columns
