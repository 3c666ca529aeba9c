"""Reading tab-separated tables line by line, with Galaxy's treatment of comment lines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nebula.ops.reader import InvalidLines, open_output, read_lines

__all__ = [
    "InvalidLines",
    "CommentCount",
    "data_lines",
    "field",
    "is_comment",
    "open_output",
    "read_lines",
]


def is_comment(text: str) -> bool:
    """Tell whether a line is a `#` comment, which the table tools never read as data."""
    return text.startswith("#")


@dataclass
class CommentCount:
    """Number of comment and blank lines passed over while reading."""

    count: int = 0

    def summary(self) -> str | None:
        """Return the info line for the skipped lines, or None when there were none."""
        if not self.count:
            return None
        noun = "line" if self.count == 1 else "lines"
        return f"skipped {self.count} comment or blank {noun}"


def data_lines(path: Path, comments: CommentCount | None = None) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) of the non-blank, non-comment lines, counting the others."""
    for number, text in read_lines(path):
        if not text.strip() or is_comment(text):
            if comments is not None:
                comments.count += 1
            continue
        yield number, text


def field(fields: list[str], column: int) -> str | None:
    """Return the 1-based column of a row, or None when the row is shorter."""
    return fields[column - 1] if column <= len(fields) else None
