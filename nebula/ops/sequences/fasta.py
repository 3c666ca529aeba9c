"""Reading FASTA files in bounded pieces, the way Galaxy's FASTA tools read them.

A record is a `>` header line followed by sequence lines. Blank lines and lines that
start with `#` are skipped, as Galaxy's FASTA tools skip them. A sequence line is read
in pieces of at most PIECE_SIZE characters, so a chromosome stored on one unwrapped line
is never held in memory whole. Sequence lines before the first header belong to no
record; they are skipped and counted in the job's info.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from nebula.ops.reader import InvalidLines, open_text

# Characters read at a time from one line.
# NOTE: a header line longer than this is cut to its first PIECE_SIZE characters.
PIECE_SIZE = 1 << 20
_LINE_ENDS = "\r\n"


@dataclass(frozen=True, slots=True)
class Header:
    """A `>` line: `title` is the text after `>` without surrounding whitespace."""

    title: str
    line: str
    line_number: int


@dataclass(frozen=True, slots=True)
class SequencePiece:
    """Part or all of one sequence line, as read, without its line end.

    `ends_line` is False when the line continues in the next piece.
    """

    text: str
    line_number: int
    ends_line: bool


def read_fasta(path: Path, invalid: InvalidLines) -> Iterator[Header | SequencePiece]:
    """Yield the headers and sequence pieces of a FASTA file in file order."""
    with open_text(path) as handle:
        yield from _parse(_pieces(handle), invalid)


def sequence_info(records: int, invalid: InvalidLines) -> list[str]:
    """Return the job's info lines: the number of records written and what was skipped."""
    info = ["1 sequence" if records == 1 else f"{records} sequences"]
    summary = invalid.summary()
    if summary:
        info.append(summary)
    return info


def _parse(
    pieces: Iterator[tuple[int, str, bool, bool]], invalid: InvalidLines
) -> Iterator[Header | SequencePiece]:
    seen_header = False
    skipping_line = False

    for number, text, starts_line, ends_line in pieces:
        if not starts_line:
            # The rest of a long line: sequence continues, a header or comment is cut.
            if not skipping_line:
                yield SequencePiece(text, number, ends_line)
            continue

        skipping_line = False
        content = text.lstrip()
        if not content and ends_line:
            continue
        if content.startswith("#"):
            skipping_line = True
            continue
        if content.startswith(">"):
            seen_header = True
            skipping_line = True
            yield Header(content[1:].strip(), text, number)
            continue
        if not seen_header:
            invalid.add(number, "sequence line before the first '>' header")
            skipping_line = True
            continue
        yield SequencePiece(text, number, ends_line)


def _pieces(handle: TextIO) -> Iterator[tuple[int, str, bool, bool]]:
    """Yield (line number, text, starts a line, ends a line) with line ends removed."""
    number = 0
    starts_line = True
    while True:
        piece = handle.readline(PIECE_SIZE)
        if not piece:
            return
        if starts_line:
            number += 1
        ends_line = piece[-1] in _LINE_ENDS or len(piece) < PIECE_SIZE
        yield number, piece.rstrip(_LINE_ENDS), starts_line, ends_line
        starts_line = ends_line
