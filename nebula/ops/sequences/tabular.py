"""Conversion between FASTA and tabular: one row per record, one record per row.

FASTA to tabular writes the title column(s), a tab and the whole sequence on one line.
It writes the sequence piece by piece as it reads it, so the sequence is never held in
memory. Tabular to FASTA reads one row at a time.
"""

from __future__ import annotations

from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.reader import InvalidLines, open_output, read_lines
from nebula.ops.sequences.fasta import Header, read_fasta, sequence_info
from nebula.ops.sequences.lengths import check_keep_first


def fasta_to_tabular(
    path: Path, output: Path, title_columns: int, keep_first: int, label: str = "input"
) -> list[str]:
    """Write each record as `title columns<TAB>sequence`; return the job's info lines.

    With one title column the whole title is kept (cut to `keep_first` characters when
    that is not 0). With N > 1 columns the title is split at whitespace into at most N
    columns, padded with empty ones, and only the first (the ID) is cut to `keep_first`.
    """
    if title_columns < 1:
        raise ParameterError(
            "--title-columns",
            f"option --title-columns is the number of columns to split a title into and "
            f"must be 1 or more, got {title_columns}",
        )
    check_keep_first(keep_first, "--keep-first")
    invalid = InvalidLines(label)
    records = 0
    with open_output(output) as out:
        for event in read_fasta(path, invalid):
            if isinstance(event, Header):
                if records:
                    out.write("\n")
                out.write(_title_columns(event.title, title_columns, keep_first))
                out.write("\t")
                records += 1
            else:
                out.write(event.text.strip())
        if records:
            out.write("\n")

    return sequence_info(records, invalid)


def tabular_to_fasta(
    path: Path,
    output: Path,
    title_columns: list[int],
    sequence_column: int,
    label: str = "input",
) -> list[str]:
    """Write one record per data row: `>` the title columns joined by `_`, then the
    sequence column on one line. Rows too short for the columns are skipped and counted.
    Blank lines and `#` lines are not data."""
    if not title_columns:
        raise ParameterError(
            "--title-columns", "option --title-columns needs at least one column number"
        )
    for option, column in [
        *(("--title-columns", column) for column in title_columns),
        ("--sequence-column", sequence_column),
    ]:
        if column < 1:
            raise ParameterError(option, f"column numbers of {option} start at 1, got {column}")
    indexes = [column - 1 for column in title_columns]
    sequence_index = sequence_column - 1
    needed = max(*title_columns, sequence_column)
    invalid = InvalidLines(label)
    records = 0
    with open_output(output) as out:
        for number, text in read_lines(path):
            if not text.strip() or text.startswith("#"):
                continue
            fields = text.split("\t")
            if len(fields) < needed:
                invalid.add(number, f"the row has {len(fields)} columns, {needed} needed")
                continue
            title = "_".join(fields[index] for index in indexes)
            # A title column that already carries FASTA's '>' does not get a second one.
            if title.startswith(">"):
                title = title[1:]
            out.write(f">{title}\n{fields[sequence_index]}\n")
            records += 1

    return sequence_info(records, invalid)


def _title_columns(title: str, count: int, keep_first: int) -> str:
    # A tab inside a title would add a column to the row.
    title = title.replace("\t", " ")
    if count == 1:
        return title[:keep_first] if keep_first else title
    words = title.split(None, count - 1) or [""]
    if keep_first:
        words[0] = words[0][:keep_first]
    words += [""] * (count - len(words))
    return "\t".join(words)
