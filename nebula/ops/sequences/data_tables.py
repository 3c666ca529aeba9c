"""Galaxy data tables: the `.loc` files that list a server's locally cached genomes.

A `.loc` file is tab-separated, one entry a line, `#` lines are comments. Nebula reads
two of Galaxy's standard tables from one folder, the tool data folder: `__dbkeys__`
(dbkeys.loc: build key, display name, path of a chromosome length file) and `all_fasta`
(all_fasta.loc: key, build key, display name, path of a FASTA file). As in Galaxy,
`${__HERE__}` in a path stands for the folder of the `.loc` file, and a relative path is
read from that folder too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nebula.errors import DatatypeError, NotFound, ParameterError
from nebula.ops.reader import read_lines

HERE_VARIABLE = "${__HERE__}"
# Keeps the error for an unknown key short on servers with hundreds of genomes.
_LISTED_KEYS = 20


@dataclass(frozen=True)
class DataTable:
    """One Galaxy data table: its name, its `.loc` file and the names of its columns."""

    name: str
    file_name: str
    columns: tuple[str, ...]
    path_column: str


DBKEYS = DataTable("__dbkeys__", "dbkeys.loc", ("value", "name", "len_path"), "len_path")
ALL_FASTA = DataTable("all_fasta", "all_fasta.loc", ("value", "dbkey", "name", "path"), "path")


def find_table_file(table: DataTable, key: str, tool_data: Path | None, option: str) -> Path:
    """Return the file that the entry `key` of `table` points at.

    Raises ParameterError when no tool data folder is given, NotFound when the table or
    the key is missing, and DatatypeError when the entry is malformed.
    """
    if tool_data is None:
        raise ParameterError(
            option,
            f"option {option} reads the Galaxy data table {table.name} ({table.file_name}) "
            "from the tool data folder given by --tool-data, and none was given: this "
            "server has no locally cached genomes, so use sequences from a history instead",
        )
    loc_file = tool_data / table.file_name
    if not loc_file.is_file():
        raise NotFound(
            f"data table {table.name} has no file {loc_file}; the tool data folder must "
            f"contain {table.file_name} with the columns {', '.join(table.columns)}"
        )

    known: list[str] = []
    for number, text in read_lines(loc_file):
        if not text.strip() or text.startswith("#"):
            continue
        fields = text.split("\t")
        if fields[0] != key:
            known.append(fields[0])
            continue
        if len(fields) < len(table.columns):
            raise DatatypeError(
                f"line {number} of {loc_file} has {len(fields)} columns, but data table "
                f"{table.name} needs {len(table.columns)}: {', '.join(table.columns)}"
            )
        return _resolve(fields[table.columns.index(table.path_column)], loc_file.parent)

    listed = ", ".join(known[:_LISTED_KEYS]) or "none"
    more = f" and {len(known) - _LISTED_KEYS} more" if len(known) > _LISTED_KEYS else ""
    raise NotFound(f"genome '{key}' is not in data table {table.name}; known: {listed}{more}")


def _resolve(text: str, here: Path) -> Path:
    path = Path(text.strip().replace(HERE_VARIABLE, str(here)))
    return path if path.is_absolute() else here / path
