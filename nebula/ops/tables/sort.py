"""Sort1: sort a table on one or more columns, comment lines first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from nebula.ops.external_sort import sorted_lines
from nebula.ops.tables.rows import CommentCount, is_comment, open_output, read_lines
from nebula.ops.tables.sort_keys import SortColumn, line_key


def sort_table(
    source: Path, output: Path, columns: Sequence[SortColumn], temp_dir: Path | None = None
) -> list[str]:
    """Write the `#` lines of `source` in file order, then its other lines sorted.

    Blank lines are dropped, as Galaxy's tool drops them. Returns the job's info lines.
    """
    blanks = CommentCount()
    sorted_count = 0
    with open_output(output) as handle:

        def data(lines: Iterator[tuple[int, str]]) -> Iterator[str]:
            # Comment lines are written as they are met, before any sorted line.
            for _, text in lines:
                if not text.strip():
                    blanks.count += 1
                elif is_comment(text):
                    handle.write(text + "\n")
                else:
                    yield text

        with sorted_lines(data(read_lines(source)), line_key(columns), temp_dir=temp_dir) as rows:
            for text in rows:
                handle.write(text + "\n")
                sorted_count += 1

    info = [f"sorted {sorted_count} line{'s' if sorted_count != 1 else ''}"]
    if blanks.count:
        info.append(f"dropped {blanks.count} blank line{'s' if blanks.count != 1 else ''}")
    return info
