"""Count1: how often each value, or combination of values, of chosen columns occurs.

The chosen values of every row are sorted with the external sort and counted in one
pass over the sorted stream, so memory stays bounded even when most combinations are
distinct. Output rows are ordered as `sort -f` orders the values.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

from nebula.ops.external_sort import sorted_lines
from nebula.ops.tables.rows import CommentCount, InvalidLines, data_lines, open_output
from nebula.ops.tables.sort_keys import fold_case

# Galaxy's delimiter codes. None splits on runs of whitespace.
DELIMITERS: dict[str, str | None] = {
    "T": "\t",
    "Sp": None,
    "Dt": ".",
    "C": ",",
    "D": "-",
    "U": "_",
    "P": "|",
}


def count_values(
    source: Path,
    output: Path,
    columns: Sequence[int],
    delimiter: str | None = "\t",
    temp_dir: Path | None = None,
) -> list[str]:
    """Write "count TAB value(s)" for each distinct combination of the 1-based columns."""
    invalid = InvalidLines("input")
    comments = CommentCount()
    needed = max(columns)

    def keys() -> Iterator[str]:
        for number, text in data_lines(source, comments):
            fields = text.split(delimiter)
            if len(fields) < needed:
                invalid.add(number, f"the row has {len(fields)} columns, column {needed} is needed")
                continue
            invalid.valid += 1
            yield "\t".join(fields[column - 1] for column in columns)

    distinct = 0
    with open_output(output) as handle:
        with sorted_lines(keys(), lambda key: (fold_case(key), key), temp_dir=temp_dir) as ordered:
            for key, members in itertools.groupby(ordered):
                handle.write(f"{sum(1 for _ in members)}\t{key}\n")
                distinct += 1

    info = [
        f"counted {invalid.valid} rows: {distinct} distinct value{'s' if distinct != 1 else ''}"
    ]
    for line in (invalid.summary(), comments.summary()):
        if line:
            info.append(line)
    return info
