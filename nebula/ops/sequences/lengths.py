"""Sequence lengths of a FASTA file: one `title<TAB>length` row per record.

Only the running length of the current record is kept, so memory stays flat whatever
the length of a sequence.
"""

from __future__ import annotations

import enum
import shutil
from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.reader import InvalidLines, open_output
from nebula.ops.sequences.fasta import Header, read_fasta, sequence_info


class TitleMode(enum.StrEnum):
    """How much of a FASTA title to keep; the values are Galaxy's parameter values."""

    ID_AND_DESCRIPTION = "id_and_desc"
    ID_ONLY = "id_only"


def compute_lengths(
    path: Path, output: Path, keep_first: int, title_mode: TitleMode, label: str = "input"
) -> list[str]:
    """Write `title<TAB>length` for each record; return the job's info lines.

    The title is cut to its first word when `title_mode` is ID_ONLY, then to
    `keep_first` characters (0 keeps it whole).
    """
    check_keep_first(keep_first, "--keep-first")
    invalid = InvalidLines(label)
    records = 0
    title: str | None = None
    length = 0
    with open_output(output) as out:
        for event in read_fasta(path, invalid):
            if isinstance(event, Header):
                if title is not None:
                    out.write(f"{title}\t{length}\n")
                title = shape_title(event.title, keep_first, title_mode)
                length = 0
                records += 1
            else:
                length += len(event.text.strip())
        if title is not None:
            out.write(f"{title}\t{length}\n")

    return sequence_info(records, invalid)


def copy_length_file(source: Path, output: Path) -> list[str]:
    """Copy a prebuilt chromosome length file unchanged, as Galaxy's tool does."""
    with open(source, "rb") as handle, open(output, "wb") as out:
        shutil.copyfileobj(handle, out)
    return [f"copied the length file {source.name}"]


def shape_title(title: str, keep_first: int, title_mode: TitleMode) -> str:
    """Cut a title as the parameters ask; tabs become spaces so the row keeps two columns."""
    if title_mode is TitleMode.ID_ONLY:
        words = title.split(None, 1)
        title = words[0] if words else ""
    if keep_first:
        title = title[:keep_first]
    return title.replace("\t", " ")


def check_keep_first(keep_first: int, option: str) -> None:
    if keep_first < 0:
        raise ParameterError(
            option,
            f"option {option} is the number of title characters to keep and must be 0 "
            f"(keep all) or more, got {keep_first}",
        )
