"""One BED row built from parameters: chrom, start, end, name, score 0 and strand."""

from __future__ import annotations

import enum
import re
from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.reader import open_output

_WHITESPACE = re.compile(r"\s+")


class Strand(enum.StrEnum):
    """Galaxy's option values for the strand and the BED symbol each stands for."""

    PLUS = "plus"
    MINUS = "minus"

    @property
    def symbol(self) -> str:
        return "+" if self is Strand.PLUS else "-"


def create_interval(
    output: Path, chrom: str, start: int, end: int, name: str, strand: Strand
) -> list[str]:
    """Write the row; whitespace in the name becomes `_`, as in Galaxy's tool."""
    if not chrom or _WHITESPACE.search(chrom):
        raise ParameterError(
            "--chrom", f"the chromosome must be one word without spaces or tabs, got '{chrom}'"
        )
    if start < 0:
        raise ParameterError("--start", f"the start must be 0 or more, got {start}")
    if end < start:
        raise ParameterError(
            "--end", f"the end ({end}) must not be less than the start ({start})"
        )
    name = _WHITESPACE.sub("_", name.strip())
    if not name:
        raise ParameterError("--name", "the name must not be empty")
    with open_output(output) as out:
        out.write(f"{chrom}\t{start}\t{end}\t{name}\t0\t{strand.symbol}\n")
    return [f"{chrom}:{start}-{end} ({strand.symbol}), {end - start} bases"]
