"""Trimming lines, or one tab-separated column, to a range of characters (Galaxy's trimmer).

Positions are 1-based. `start` is the first character kept. A positive `end` is the last
character kept, a negative one the number of characters cut from the end, and 0 keeps
everything after `start`. Lines that start with one of the ignored characters are
written unchanged, and so are the odd-numbered lines (header and '+' lines) of FASTQ.
Empty lines are left out, as Galaxy's tool does.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from nebula.errors import DatatypeError, ParameterError
from nebula.ops.text.lines import iter_lines, open_output


def trim(
    input_path: Path,
    output: Path,
    column: int,
    start: int,
    end: int,
    ignore: Collection[str] = (),
    fastq: bool = False,
) -> list[str]:
    """Trim each line (column 0) or the given 1-based column; return the info lines."""
    if column < 0:
        raise ParameterError("col", f"the column must be 0 (whole line) or more, got {column}")
    if start < 1:
        raise ParameterError("start", f"the start position must be 1 or more, got {start}")
    if end > 0 and end < start:
        raise ParameterError(
            "end", f"the end position {end} lies before the start position {start}"
        )

    trimmed = 0
    with open_output(output) as out:
        for number, line in iter_lines(input_path):
            if not line:
                continue
            # FASTQ mode counts lines as Galaxy's tool does: empty lines count too.
            if (fastq and number % 2 == 1) or line[0] in ignore:
                out.write(line + "\n")
                continue
            if column == 0:
                line = trim_text(line, start, end)
            else:
                fields = line.split("\t")
                if column > len(fields):
                    raise DatatypeError(
                        f"line {number} has {len(fields)} columns, so column {column} "
                        "cannot be trimmed; choose a column every line has, or 0 to "
                        "trim whole lines"
                    )
                fields[column - 1] = trim_text(fields[column - 1], start, end)
                line = "\t".join(fields)
            trimmed += 1
            out.write(line + "\n")
    return [f"Trimmed {trimmed} lines."]


def trim_text(text: str, start: int, end: int) -> str:
    """Return the characters of `text` from `start` to `end` (see the module docstring)."""
    if end > 0:
        return text[start - 1 : end]
    if end < 0:
        # Galaxy slices with len + end even when that is negative, which counts from the
        # end a second time. Here a text shorter than -end becomes empty.
        return text[start - 1 : max(0, len(text) + end)]
    return text[start - 1 :]
