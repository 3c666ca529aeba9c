"""Sequences: the abstract `sequence` and `fasta`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from nebula.datatypes.lines import Head, is_blank, iter_lines
from nebula.datatypes.text import Text

# Residue letters, `*` for a stop, and `-`, `.` and `~` for alignment gaps.
_SEQUENCE_LINE = re.compile(r"[A-Za-z*.~-]+")


class Sequence(Text):
    """Any format of biological sequences. It only groups concrete formats."""

    ext: ClassVar[str] = "sequence"
    parent: ClassVar[str | None] = "txt"
    is_abstract: ClassVar[bool] = True

    def sniff(self, head: Head) -> bool:
        return False


class Fasta(Sequence):
    """FASTA: a `>` header line per sequence, then its residues on any number of lines.

    Lines starting with `;` are comments, as in the original FASTA format.
    """

    ext: ClassVar[str] = "fasta"
    parent: ClassVar[str | None] = "sequence"
    is_abstract: ClassVar[bool] = False
    comment_prefixes: ClassVar[tuple[str, ...]] = (";",)

    def sniff(self, head: Head) -> bool:
        # The byte limit may cut a long sequence line, whose start still counts.
        lines = list(head.lines)
        if head.partial_line is not None:
            lines.append(head.partial_line)
        lines = [line.strip() for line in lines if not is_blank(line) and not self.is_comment(line)]
        if not lines or not lines[0].startswith(">"):
            return False

        residue_lines = [line for line in lines if not line.startswith(">")]
        return bool(residue_lines) and all(_SEQUENCE_LINE.fullmatch(line) for line in residue_lines)

    def compute_metadata(self, path: str | Path) -> dict[str, Any]:
        data_lines = 0
        comment_lines = 0
        sequences = 0
        for line in iter_lines(path):
            if is_blank(line):
                continue
            if self.is_comment(line):
                comment_lines += 1
                continue
            data_lines += 1
            if line.startswith(">"):
                sequences += 1
        return {"data_lines": data_lines, "comment_lines": comment_lines, "sequences": sequences}
