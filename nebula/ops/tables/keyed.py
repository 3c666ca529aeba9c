"""Sort-merge building blocks for the tools that match rows of two tables by one column.

Rows are tagged with their key and line number ("key TAB number TAB line"), sorted
externally by (key, number), and walked in key order; results are tagged with the line
numbers they come from and sorted back into the first input's order. Memory stays
bounded by the sort's run size, except for the rows of the second input that share one
key, which a `SpillList` keeps on disk past a limit.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

# Rows of one key of the second input held in memory before they move to a file.
SPILL_BYTES = 32 * 1024 * 1024


class KeyedRow(NamedTuple):
    key: str
    number: int
    line: str


def tag(key: str, number: int, line: str) -> str:
    return f"{key}\t{number}\t{line}"


def untag(tagged: str) -> KeyedRow:
    key, number, line = tagged.split("\t", 2)
    return KeyedRow(key, int(number), line)


def key_order(tagged: str) -> tuple[str, int]:
    key, number, _ = tagged.split("\t", 2)
    return key, int(number)


def result_order(tagged: str) -> tuple[int, int]:
    """Order of results tagged "number1 TAB number2 TAB line": first input's order."""
    first, second, _ = tagged.split("\t", 2)
    return int(first), int(second)


def result_line(tagged: str) -> str:
    return tagged.split("\t", 2)[2]


def groups(tagged_lines: Iterable[str]) -> Iterator[tuple[str, Iterator[KeyedRow]]]:
    """Group key-sorted tagged lines by key."""
    rows = (untag(line) for line in tagged_lines)
    yield from itertools.groupby(rows, key=lambda row: row.key)


class SpillList:
    """Lines kept in memory up to SPILL_BYTES, then in a temporary file, iterable more than once."""

    def __init__(self, temp_dir: Path | None, limit: int = SPILL_BYTES) -> None:
        self._lines: list[str] = []
        self._bytes = 0
        self._limit = limit
        self._temp_dir = temp_dir
        self._file: tempfile._TemporaryFileWrapper[bytes] | None = None

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            if self._file is not None:
                self._file.write(line.encode("utf-8", "surrogateescape") + b"\n")
                continue
            self._lines.append(line)
            self._bytes += len(line)
            if self._bytes > self._limit:
                self._file = tempfile.NamedTemporaryFile(
                    prefix="group-", dir=self._temp_dir or os.getcwd()
                )
                for kept in self._lines:
                    self._file.write(kept.encode("utf-8", "surrogateescape") + b"\n")
                self._lines = []

    def __iter__(self) -> Iterator[str]:
        if self._file is None:
            yield from self._lines
            return
        self._file.flush()
        with open(self._file.name, "rb") as handle:
            for raw in handle:
                yield raw[:-1].decode("utf-8", "surrogateescape")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
