"""FASTA records whose sequence length lies in a range, written as they were read.

A record can only be kept or dropped once its last line is read, so its lines wait in a
buffer: in memory up to SPILL_SIZE characters, in a temporary file in the working
directory beyond that. Memory therefore stays flat for a chromosome-sized record.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TextIO

from nebula.errors import ParameterError
from nebula.ops.reader import InvalidLines, open_output
from nebula.ops.sequences.fasta import Header, read_fasta

# Characters of one record kept in memory before the record moves to a temporary file.
SPILL_SIZE = 4 << 20


class RecordBuffer:
    """The text of one record, in memory while small and in a temporary file when large."""

    def __init__(self, folder: Path, spill_size: int = SPILL_SIZE) -> None:
        self.folder = folder
        self.spill_size = spill_size
        self._parts: list[str] = []
        self._size = 0
        self._file: TextIO | None = None
        self._spilled = False

    def add(self, text: str) -> None:
        if self._spilled:
            assert self._file is not None
            self._file.write(text)
            return
        self._parts.append(text)
        self._size += len(text)
        if self._size > self.spill_size:
            self._spill()

    def write_to(self, out: TextIO) -> None:
        if not self._spilled:
            out.write("".join(self._parts))
            return
        assert self._file is not None
        self._file.flush()
        self._file.seek(0)
        shutil.copyfileobj(self._file, out)

    def clear(self) -> None:
        self._parts = []
        self._size = 0
        if self._spilled:
            assert self._file is not None
            self._file.seek(0)
            self._file.truncate()
            self._spilled = False

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def _spill(self) -> None:
        if self._file is None:
            # The file has no name on POSIX systems, so nothing is left behind if the job is killed.
            self._file = tempfile.TemporaryFile(
                "w+", encoding="utf-8", errors="surrogateescape", newline="\n", dir=self.folder
            )
        self._file.write("".join(self._parts))
        self._parts = []
        self._spilled = True


def filter_by_length(
    path: Path, output: Path, min_length: int, max_length: int, label: str = "input"
) -> list[str]:
    """Write the records whose length is at least `min_length` and, unless `max_length` is
    0, at most `max_length`; return the job's info lines."""
    check_range(min_length, max_length)
    invalid = InvalidLines(label)
    buffer = RecordBuffer(Path(os.getcwd()))
    records = kept = 0
    in_record = line_open = False
    length = 0
    try:
        with open_output(output) as out:
            for event in read_fasta(path, invalid):
                if isinstance(event, Header):
                    if in_record and _in_range(length, min_length, max_length):
                        buffer.write_to(out)
                        kept += 1
                    buffer.clear()
                    buffer.add(event.line + "\n")
                    in_record = True
                    records += 1
                    length = 0
                else:
                    length += len(event.text.strip())
                    buffer.add(event.text + "\n" if event.ends_line else event.text)
                    line_open = not event.ends_line
            if line_open:
                # The file ended inside a line that filled a whole piece.
                buffer.add("\n")
            if in_record and _in_range(length, min_length, max_length):
                buffer.write_to(out)
                kept += 1
    finally:
        buffer.close()

    upper = "no maximum" if max_length == 0 else f"at most {max_length}"
    info = [f"kept {kept} of {records} sequences of length at least {min_length}, {upper}"]
    if records and not kept:
        info.append("no sequence falls within the length range")
    summary = invalid.summary()
    if summary:
        info.append(summary)
    return info


def check_range(min_length: int, max_length: int) -> None:
    if min_length < 0:
        raise ParameterError(
            "--min-length", f"option --min-length must be 0 or more, got {min_length}"
        )
    if max_length < 0:
        raise ParameterError(
            "--max-length",
            f"option --max-length must be 0 (no maximum) or more, got {max_length}",
        )
    if max_length and max_length < min_length:
        raise ParameterError(
            "--max-length",
            f"option --max-length ({max_length}) is less than --min-length ({min_length}); "
            "set it to 0 for no maximum",
        )


def _in_range(length: int, min_length: int, max_length: int) -> bool:
    return length >= min_length and (max_length == 0 or length <= max_length)
