"""Genomic features: `gff` (GFF version 2 and later) and its stricter form `gtf`.

Both use 1-based, closed coordinates in columns 4 and 5, so tools that read them as
intervals convert to half-open themselves.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar

from nebula.datatypes.columns import is_number
from nebula.datatypes.interval import IntervalColumns
from nebula.datatypes.lines import Head
from nebula.datatypes.tabular import Tabular, scan_table, table_metadata

GFF_COLUMN_NAMES = (
    "seqname",
    "source",
    "feature",
    "start",
    "end",
    "score",
    "strand",
    "frame",
    "attributes",
)
GFF_COLUMN_TYPES = ("str", "str", "str", "int", "int", "float", "str", "str", "str")
GFF_COLUMNS = IntervalColumns(chromCol=1, startCol=4, endCol=5, strandCol=7)

_COORDINATE = re.compile(r"\d+")
# One GTF attribute: a key, then a quoted string or a bare token, then `;` or the end.
_GTF_ATTRIBUTE = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_.]*)\s+("[^"]*"|[^\s;"]+)\s*(;|$)')


class Gff(Tabular):
    """Nine tab-separated columns: seqname, source, feature, start, end, score, strand,
    frame and attributes. `##gff-version` and other `#` lines are comments."""

    ext: ClassVar[str] = "gff"
    parent: ClassVar[str | None] = "tabular"
    comment_words: ClassVar[tuple[str, ...]] = ("track", "browser")

    def sniff(self, head: Head) -> bool:
        rows = self.data_lines_of(head)
        return bool(rows) and all(_is_gff_row(line.split("\t")) for line in rows)

    def compute_metadata(self, path: str | Path) -> dict[str, Any]:
        summary = scan_table(path, self)
        metadata = table_metadata(summary)

        # The format fixes the meaning of the first nine columns, whatever values a
        # particular file contains (a score column of only `.` is still float).
        columns = summary.columns
        fixed = min(columns, len(GFF_COLUMN_TYPES))
        metadata["column_types"] = list(GFF_COLUMN_TYPES[:fixed]) + summary.column_types[fixed:]
        metadata["column_names"] = (
            list(GFF_COLUMN_NAMES[:columns]) if columns <= len(GFF_COLUMN_NAMES) else None
        )
        return metadata | asdict(GFF_COLUMNS)


class Gtf(Gff):
    """GFF whose attributes are `key "value";` pairs with a gene_id on every line and a
    transcript_id on every line except `gene` features."""

    ext: ClassVar[str] = "gtf"
    parent: ClassVar[str | None] = "gff"

    def sniff(self, head: Head) -> bool:
        if not super().sniff(head):
            return False
        for line in self.data_lines_of(head):
            fields = line.split("\t")
            if len(fields) < 9:
                return False
            keys = _gtf_attribute_keys(fields[8])
            if keys is None or "gene_id" not in keys:
                return False
            # Ensembl and GENCODE write gene lines without a transcript_id.
            if fields[2] != "gene" and "transcript_id" not in keys:
                return False
        return True


def _is_gff_row(fields: list[str]) -> bool:
    if len(fields) not in (8, 9):
        return False
    seqname, _source, _feature, start, end, score, strand, frame = fields[:8]
    if not seqname or not (_COORDINATE.fullmatch(start) and _COORDINATE.fullmatch(end)):
        return False
    if int(start) > int(end):
        return False
    if score != "." and not is_number(score):
        return False
    return strand in ("+", "-", ".", "?") and frame in (".", "0", "1", "2")


def _gtf_attribute_keys(text: str) -> set[str] | None:
    """Return the keys of a GTF attribute column, or None when it is not in GTF syntax."""
    keys = set()
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _GTF_ATTRIBUTE.match(text, position)
        if match is None or match.end() == position:
            return None
        keys.add(match.group(1))
        position = match.end()
    return keys or None
