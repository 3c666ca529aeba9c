"""Reading one page of a dataset for display, without reading the whole file.

Pages are addressed by byte offsets. A page starts at a line boundary, and the next page
starts where this one stopped reading. So opening page 500 of a large table costs one
seek and 100 lines, not a scan of everything before it. The page before is found by reading
backwards from the offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

ROWS_PER_PAGE = 100
TEXT_CHUNK_BYTES = 64 * 1024
# Longer lines are cut for display; the rest of such a line is skipped, not held in memory.
MAX_LINE_BYTES = 64 * 1024
_BACKWARD_BLOCK = 64 * 1024
# A backward scan stops after this many bytes and offers the first page instead.
_MAX_BACKWARD_BYTES = 16 * 1024 * 1024
_INTERVAL_COLUMN_NAMES = (
    ("chromCol", "chrom"),
    ("startCol", "start"),
    ("endCol", "end"),
    ("strandCol", "strand"),
    ("nameCol", "name"),
)


@dataclass(frozen=True)
class TablePage:
    rows: list[list[str]]
    offset: int
    next_offset: int | None
    previous_offset: int | None


@dataclass(frozen=True)
class TextChunk:
    text: str
    offset: int
    next_offset: int | None


def read_table_page(
    handle: BinaryIO, size: int, offset: int, skip_prefixes: tuple[str, ...] = ("#",), rows: int = ROWS_PER_PAGE
) -> TablePage:
    """Read up to `rows` data lines from `offset`, split on tabs; comment lines are skipped."""
    offset = _clamp(offset, size)
    handle.seek(offset)
    found: list[list[str]] = []
    position = offset
    while len(found) < rows and position < size:
        line, position = _read_line(handle, position)
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        if text and not text.startswith(skip_prefixes):
            found.append(text.split("\t"))
    return TablePage(
        rows=found,
        offset=offset,
        next_offset=position if position < size else None,
        previous_offset=_previous_page_offset(handle, offset, skip_prefixes, rows) if offset > 0 else None,
    )


def read_text_chunk(handle: BinaryIO, size: int, offset: int, chunk_bytes: int = TEXT_CHUNK_BYTES) -> TextChunk:
    """Read about `chunk_bytes` from `offset`, ending at a line break when there is one."""
    offset = _clamp(offset, size)
    handle.seek(offset)
    data = handle.read(chunk_bytes)
    end = offset + len(data)
    if end < size:
        cut = data.rfind(b"\n")
        if cut >= 0:
            data = data[: cut + 1]
            end = offset + cut + 1
    return TextChunk(data.decode("utf-8", errors="replace"), offset, end if end < size else None)


def column_headers(metadata: dict[str, Any], column_count: int) -> list[str]:
    """Name each column: the file's header names, else the interval columns, else c1..cN."""
    names = metadata.get("column_names")
    headers = [f"c{number}" for number in range(1, column_count + 1)]
    if isinstance(names, list) and names:
        for index, name in enumerate(names[:column_count]):
            if name:
                headers[index] = str(name)
        return headers
    for key, name in _INTERVAL_COLUMN_NAMES:
        column = metadata.get(key)
        if isinstance(column, int) and not isinstance(column, bool) and 1 <= column <= column_count:
            headers[column - 1] = name
    return headers


def _read_line(handle: BinaryIO, position: int) -> tuple[bytes, int]:
    """Return one line (cut at MAX_LINE_BYTES) and the offset after its line break."""
    line = handle.readline(MAX_LINE_BYTES)
    position += len(line)
    if line and not line.endswith(b"\n"):
        while True:
            rest = handle.readline(MAX_LINE_BYTES)
            position += len(rest)
            if not rest or rest.endswith(b"\n"):
                break
    return line, position


def _previous_page_offset(handle: BinaryIO, offset: int, skip_prefixes: tuple[str, ...], rows: int) -> int:
    """Return where the page of `rows` data lines that ends at `offset` starts."""
    prefixes = tuple(prefix.encode() for prefix in skip_prefixes)
    buffer = b""
    start = offset
    while start > 0 and offset - start < _MAX_BACKWARD_BYTES:
        block_start = max(0, start - _BACKWARD_BLOCK)
        handle.seek(block_start)
        buffer = handle.read(start - block_start) + buffer
        start = block_start
        # Every line after the first newline of the buffer is complete; the buffer's
        # first line is complete only when the buffer begins the file.
        lines = buffer.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        complete = lines if start == 0 else lines[1:]
        line_starts = _line_starts(offset - sum(len(line) + 1 for line in complete), complete)
        data_starts = [
            line_start for line_start, line in zip(line_starts, complete, strict=True)
            if line.strip(b"\r") and not line.startswith(prefixes)
        ]
        if len(data_starts) >= rows:
            return data_starts[-rows]
    return 0


def _line_starts(first: int, lines: list[bytes]) -> list[int]:
    starts = []
    position = first
    for line in lines:
        starts.append(position)
        position += len(line) + 1
    return starts


def _clamp(offset: int, size: int) -> int:
    return min(max(offset, 0), size)
