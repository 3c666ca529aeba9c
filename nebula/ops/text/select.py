"""Keeping the first or last lines of a dataset, or dropping its first lines.

Galaxy's Show beginning1, Show tail1 and Remove beginning1 run `head`, `tail` and a
line-skipping script; every line counts, comment lines included. With `header`, the first
line is written in addition to the selected lines and is not counted among them.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

from nebula.errors import ParameterError
from nebula.ops.text.lines import count_noun, iter_lines, open_input, open_output, strip_line_end

_BLOCK_SIZE = 1 << 16


def head(input_path: Path, output: Path, count: int, header: bool = False) -> list[str]:
    """Write the first `count` lines (plus the header line when `header` is set)."""
    _check_count(count, "lineNum", minimum=1)
    limit = count + 1 if header else count
    written = 0
    with open_output(output) as out:
        if limit:
            for number, line in iter_lines(input_path):
                out.write(line + "\n")
                written = number
                if number >= limit:
                    break
    return [f"Wrote the first {count_noun(written, 'line')}."]


def remove_beginning(input_path: Path, output: Path, count: int) -> list[str]:
    """Write every line after the first `count` lines."""
    _check_count(count, "num_lines", minimum=0)
    written = 0
    with open_output(output) as out:
        for number, line in iter_lines(input_path):
            if number > count:
                out.write(line + "\n")
                written += 1
    return [f"Removed the first {count_noun(count, 'line')}; wrote {written}."]


def tail(input_path: Path, output: Path, count: int, header: bool = False) -> list[str]:
    """Write the last `count` lines, after the first line when `header` is set.

    The file is scanned backwards from its end, so only the selected lines are read.
    """
    _check_count(count, "lineNum", minimum=1)
    with open_input(input_path) as text_handle:
        handle = text_handle.buffer
        header_line = handle.readline() if header else b""
        start = _start_of_last_lines(handle, count, floor=len(header_line))
        handle.seek(start)
        written = 0
        with open_output(output) as out:
            if header_line:
                out.write(strip_line_end(_decode(header_line)) + "\n")
            reader = io.TextIOWrapper(
                handle, encoding="utf-8", errors="surrogateescape", newline="\n"
            )
            for line in reader:
                out.write(strip_line_end(line) + "\n")
                written += 1
            reader.detach()
    return [f"Wrote the last {count_noun(written, 'line')}."]


def _start_of_last_lines(handle: BinaryIO, count: int, floor: int) -> int:
    """Return the byte offset at which the last `count` lines start, `floor` at the least."""
    end = handle.seek(0, os.SEEK_END)
    if end <= floor:
        return end
    handle.seek(end - 1)
    # A line end as the last byte closes the last line; it does not start another one.
    newlines_needed = count + 1 if handle.read(1) == b"\n" else count
    position = end
    while position > floor:
        block_start = max(floor, position - _BLOCK_SIZE)
        handle.seek(block_start)
        block = handle.read(position - block_start)
        index = len(block)
        while True:
            index = block.rfind(b"\n", 0, index)
            if index < 0:
                break
            newlines_needed -= 1
            if newlines_needed == 0:
                return block_start + index + 1
        position = block_start
    return floor


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _check_count(count: int, parameter: str, minimum: int) -> None:
    if count < minimum:
        raise ParameterError(
            parameter, f"the number of lines must be {minimum} or more, got {count}"
        )
