"""External merge sort of text lines with bounded memory.

Lines are collected until their estimated size reaches `run_bytes`; each full batch is
sorted in memory and written to a run file in a temporary folder. The runs are then
merged with a heap, at most `MAX_FAN_IN` at a time, so that neither memory nor the number
of open files grows with the input. Input that fits in one batch never touches the disk.

The sort is stable: lines with equal keys come out in the order they went in. Keys are
computed again when runs are read back, so run files hold only the lines themselves.
Lines must not contain a newline; run files are written and read as bytes, so a lone
carriage return or an undecodable byte (carried as a surrogate escape) survives unchanged.
"""

from __future__ import annotations

import heapq
import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Estimated bytes held per run. Python's per-string and per-key objects make the resident
# size a small multiple of this (an estimate), and join1 keeps up to three sorts open.
DEFAULT_RUN_BYTES = 32 * 1024 * 1024
# Per-line allowance for the str object and its key, added to the text length when a run's
# size is estimated.
LINE_OVERHEAD_BYTES = 120
# Runs merged at once. More runs are merged in several passes.
MAX_FAN_IN = 64
_ENCODING = "utf-8"
_ERRORS = "surrogateescape"

SortKey = Callable[[str], Any]


@contextmanager
def sorted_lines(
    lines: Iterable[str],
    key: SortKey,
    *,
    temp_dir: Path | str | None = None,
    run_bytes: int = DEFAULT_RUN_BYTES,
) -> Iterator[Iterator[str]]:
    """Sort `lines` by `key` and yield an iterator over the sorted lines.

    Run files live in a temporary folder inside `temp_dir` (default: the current
    directory, which for a job is its working directory), removed when the context exits.
    """
    batch: list[str] = []
    batch_bytes = 0
    folder: Path | None = None
    runs: list[Path] = []
    try:
        for line in lines:
            batch.append(line)
            batch_bytes += len(line) + LINE_OVERHEAD_BYTES
            if batch_bytes >= run_bytes:
                if folder is None:
                    folder = Path(tempfile.mkdtemp(prefix="sort-", dir=temp_dir or os.getcwd()))
                runs.append(_write_run(sorted(batch, key=key), folder, len(runs)))
                batch, batch_bytes = [], 0
        batch.sort(key=key)

        if not runs:
            yield iter(batch)
            return
        assert folder is not None
        if batch:
            runs.append(_write_run(batch, folder, len(runs)))
            batch = []
        runs = _reduce_runs(runs, key, folder)
        readers = [_read_run(run) for run in runs]
        try:
            yield heapq.merge(*readers, key=key)
        finally:
            for reader in readers:
                reader.close()
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def sort_file(
    lines: Iterable[str],
    output: Path,
    key: SortKey,
    *,
    temp_dir: Path | str | None = None,
    run_bytes: int = DEFAULT_RUN_BYTES,
) -> int:
    """Sort `lines` by `key` into `output`, one line each with '\\n', and return the line count."""
    count = 0
    with sorted_lines(lines, key, temp_dir=temp_dir, run_bytes=run_bytes) as ordered:
        with open(output, "w", encoding=_ENCODING, errors=_ERRORS, newline="\n") as handle:
            for line in ordered:
                handle.write(line)
                handle.write("\n")
                count += 1
    return count


def _write_run(lines: Iterable[str], folder: Path, number: int) -> Path:
    path = folder / f"run-{number:06d}"
    with open(path, "wb") as handle:
        for line in lines:
            handle.write(line.encode(_ENCODING, _ERRORS))
            handle.write(b"\n")
    return path


class _RunReader:
    """Lines of one run file, read lazily. The file closes when exhausted or closed."""

    def __init__(self, path: Path) -> None:
        self._handle = open(path, "rb")

    def __iter__(self) -> _RunReader:
        return self

    def __next__(self) -> str:
        raw = self._handle.readline()
        if not raw:
            self._handle.close()
            raise StopIteration
        return raw[:-1].decode(_ENCODING, _ERRORS)

    def close(self) -> None:
        self._handle.close()


def _read_run(path: Path) -> _RunReader:
    return _RunReader(path)


def _reduce_runs(runs: list[Path], key: SortKey, folder: Path) -> list[Path]:
    """Merge groups of runs until at most MAX_FAN_IN remain."""
    counter = itertools.count(len(runs))
    while len(runs) > MAX_FAN_IN:
        merged: list[Path] = []
        for start in range(0, len(runs), MAX_FAN_IN):
            group = runs[start : start + MAX_FAN_IN]
            if len(group) == 1:
                merged.append(group[0])
                continue
            readers = [_read_run(run) for run in group]
            try:
                merged.append(_write_run(heapq.merge(*readers, key=key), folder, next(counter)))
            finally:
                for reader in readers:
                    reader.close()
            for run in group:
                run.unlink()
        runs = merged
    return runs
