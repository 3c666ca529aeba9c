"""Bounded reading of dataset files: the head for sniffing and peeks, and a line stream.

Datasets can be many gigabytes, so nothing here loads a whole file: `read_head` reads at
most a fixed number of bytes, and `iter_lines` keeps at most one capped line in memory.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

HEAD_BYTES = 1024 * 1024
HEAD_LINES = 1000
# A line longer than this is cut when streamed. Long enough for wide tables (a VCF row
# with thousands of samples), short enough to keep memory flat for an unwrapped FASTA
# chromosome on one line.
MAX_LINE_BYTES = 16 * 1024 * 1024
# Share of characters in the head that may be undecodable or control characters before
# the content counts as binary. Compressed or other binary data scores far above it, text
# in a legacy 8-bit encoding stays below it.
BINARY_CHAR_RATIO = 0.1

_BOM = "\ufeff"
# Control characters other than tab, LF, VT, FF and CR, DEL, and the replacement character
# that stands for bytes which are not UTF-8.
_SUSPICIOUS_CHAR = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")


@dataclass(frozen=True)
class Head:
    """The first lines of a file, with line endings removed."""

    lines: list[str]
    # The last line when the byte limit cut it short, else None.
    partial_line: str | None
    is_binary: bool
    # True when the file contains more than `lines` and `partial_line` show.
    is_truncated: bool


def read_head(path: str | Path, max_bytes: int = HEAD_BYTES, max_lines: int = HEAD_LINES) -> Head:
    """Read and split the first `max_bytes` bytes of a file, keeping at most `max_lines`."""
    with open(path, "rb") as handle:
        raw = handle.read(max_bytes)
        is_truncated = len(raw) == max_bytes and handle.read(1) != b""

    if b"\0" in raw:
        return Head(lines=[], partial_line=None, is_binary=True, is_truncated=is_truncated)

    # The byte limit can split a multi-byte character, which must not count as invalid.
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(raw, final=not is_truncated)
    if _looks_binary(text):
        return Head(lines=[], partial_line=None, is_binary=True, is_truncated=is_truncated)

    text = text.removeprefix(_BOM)
    pieces = text.split("\n")
    last = pieces.pop()
    partial_line = None
    if last and is_truncated:
        partial_line = last.rstrip("\r")
    elif last:
        pieces.append(last)
    lines = [piece.rstrip("\r") for piece in pieces]

    if len(lines) > max_lines:
        lines = lines[:max_lines]
        partial_line = None
        is_truncated = True
    return Head(lines=lines, partial_line=partial_line, is_binary=False, is_truncated=is_truncated)


def iter_lines(path: str | Path) -> Iterator[str]:
    """Yield each line of a text file without its line ending (LF or CRLF).

    A last line without a newline is yielded like any other. Lines longer than
    MAX_LINE_BYTES are cut to that length and the rest of the line is skipped unread into
    memory. Bytes that are not valid UTF-8 become U+FFFD, so any 8-bit text can be counted.

    NOTE: a table row cut this way counts only the columns within its first MAX_LINE_BYTES.
    """
    with open(path, "rb") as handle:
        is_first = True
        while True:
            raw = handle.readline(MAX_LINE_BYTES)
            if not raw:
                return
            if not raw.endswith(b"\n"):
                _skip_rest_of_line(handle)

            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if is_first:
                line = line.removeprefix(_BOM)
                is_first = False
            yield line


def is_blank(line: str) -> bool:
    return not line.strip()


def _skip_rest_of_line(handle: BinaryIO) -> None:
    while True:
        chunk = handle.readline(MAX_LINE_BYTES)
        if not chunk or chunk.endswith(b"\n"):
            return


def _looks_binary(text: str) -> bool:
    suspicious = len(_SUSPICIOUS_CHAR.findall(text))
    return suspicious > BINARY_CHAR_RATIO * len(text)
