"""Operations that rebuild the regions of one dataset: merge, complement and cluster.

They read the whole dataset, so their output is grouped per chromosome. Galaxy's tools
wrote chromosomes in an order that came from a hash table; these write them sorted by
name (plain string order, as `sort -k1,1` does), then by start.
"""

from __future__ import annotations

import enum
from pathlib import Path

from nebula.errors import DatatypeError, ParameterError
from nebula.ops.index import Span, group_by_chrom, union
from nebula.ops.reader import (
    ColumnLayout,
    DatasetInput,
    Interval,
    TextLine,
    open_output,
    read_lines,
)

# The chromosome length Galaxy's interval operations assume when the genome build has no
# length table (bx-python's bitset size, 2**29).
DEFAULT_CHROM_LENGTH = 536_870_912


class ClusterOutput(enum.Enum):
    """What cluster writes for each cluster; the values are Galaxy's option values."""

    MERGED = "1"
    FILTERED = "2"
    GROUPED = "3"
    SMALLEST = "4"
    LARGEST = "5"


def merge(input1: DatasetInput, output: Path, three_columns: bool = False) -> None:
    """Write each run of bases covered by at least one row, once.

    Header lines come first. Rows are written in the input's column layout with '.' in
    the other columns, or as chrom, start, end when `three_columns` is set.
    """
    headers, spans = _read_spans(input1)
    with open_output(output) as out:
        for header in headers:
            out.write(header.text + "\n")
        for chrom in sorted(spans):
            for start, end in union(spans[chrom]):
                if three_columns:
                    out.write(f"{chrom}\t{start}\t{end}\n")
                else:
                    out.write(_region_line(input1.layout, chrom, start, end) + "\n")


def complement(
    input1: DatasetInput,
    output: Path,
    all_chroms: bool = False,
    lengths: Path | None = None,
) -> None:
    """Write the gaps between the rows of each chromosome, from 0 to the chromosome's end.

    Chromosome ends come from `lengths` (a tab-separated chrom/length file) or default to
    536,870,912. With `all_chroms`, chromosomes of the length file that have no rows are
    written whole.
    """
    chrom_lengths = read_chrom_lengths(lengths) if lengths else {}
    _, spans = _read_spans(input1)
    chroms = set(spans)
    if all_chroms:
        chroms.update(chrom_lengths)
    layout = input1.layout
    with open_output(output) as out:
        for chrom in sorted(chroms):
            chrom_end = chrom_lengths.get(chrom, DEFAULT_CHROM_LENGTH)
            position = 0
            for start, end in union(spans.get(chrom, [])):
                if start >= chrom_end:
                    break
                if start > position:
                    out.write(_region_line(layout, chrom, position, start, strand="+") + "\n")
                position = end
            if position < chrom_end:
                out.write(_region_line(layout, chrom, position, chrom_end, strand="+") + "\n")


def cluster(
    input1: DatasetInput,
    output: Path,
    distance: int = 1,
    min_regions: int = 2,
    mode: ClusterOutput = ClusterOutput.MERGED,
) -> None:
    """Find groups of rows lying at most `distance` bases apart with `min_regions` members.

    A row joins a cluster when the gap between its start and the furthest end of the
    cluster so far is at most `distance` bases (a negative distance requires overlap).
    """
    if min_regions < 1:
        raise ParameterError(
            "minregions",
            f"the minimum number of intervals per cluster must be 1 or more, got {min_regions}",
        )
    records = list(input1.records())
    rows_by_chrom = group_by_chrom(record for record in records if isinstance(record, Interval))
    clusters = [
        members
        for chrom in sorted(rows_by_chrom)
        for members in _find_clusters(rows_by_chrom[chrom], distance)
        if len(members) >= min_regions
    ]

    with open_output(output) as out:
        if mode is ClusterOutput.MERGED:
            for members in clusters:
                start = min(row.start for row in members)
                end = max(row.end for row in members)
                out.write(_region_line(input1.layout, members[0].chrom, start, end) + "\n")
        elif mode is ClusterOutput.FILTERED:
            member_lines = {row.line_number for members in clusters for row in members}
            for record in records:
                if isinstance(record, TextLine):
                    out.write(record.text + "\n")
                elif record.line_number in member_lines:
                    out.write(record.line() + "\n")
        elif mode is ClusterOutput.GROUPED:
            for members in clusters:
                for row in sorted(members, key=lambda row: row.line_number):
                    out.write(row.line() + "\n")
        else:
            for members in clusters:
                out.write(_pick_member(members, mode).line() + "\n")


def read_chrom_lengths(path: Path) -> dict[str, int]:
    """Read a chromosome length file: chrom and length separated by a tab, one per line."""
    lengths: dict[str, int] = {}
    for number, text in read_lines(path):
        if not text.strip() or text.startswith("#"):
            continue
        fields = text.split("\t")
        if len(fields) < 2 or not fields[1].strip().isdigit():
            raise DatatypeError(
                f"line {number} of chromosome length file '{path}' must be "
                f"'chrom<TAB>length', got '{text[:80]}'"
            )
        lengths[fields[0].strip()] = int(fields[1])
    return lengths


def _read_spans(dataset: DatasetInput) -> tuple[list[TextLine], dict[str, list[Span]]]:
    headers: list[TextLine] = []
    spans: dict[str, list[Span]] = {}
    for record in dataset.records():
        if isinstance(record, TextLine):
            headers.append(record)
        else:
            spans.setdefault(record.chrom, []).append((record.start, record.end))
    return headers, spans


def _find_clusters(rows: list[Interval], distance: int) -> list[list[Interval]]:
    clusters: list[list[Interval]] = []
    cluster_end = 0
    for row in sorted(rows, key=lambda row: (row.start, row.end, row.line_number)):
        if clusters and row.start - cluster_end <= distance:
            clusters[-1].append(row)
            cluster_end = max(cluster_end, row.end)
        else:
            clusters.append([row])
            cluster_end = row.end
    return clusters


def _pick_member(members: list[Interval], mode: ClusterOutput) -> Interval:
    # Ties go to the row that comes first in the file.
    in_file_order = sorted(members, key=lambda row: row.line_number)
    if mode is ClusterOutput.SMALLEST:
        return min(in_file_order, key=lambda row: row.length)
    return max(in_file_order, key=lambda row: row.length)


def _region_line(
    layout: ColumnLayout, chrom: str, start: int, end: int, strand: str | None = None
) -> str:
    """Build a new row in the input's column layout, with '.' in every other column."""
    width = max(layout.chrom, layout.start, layout.end) + 1
    fields = ["."] * width
    fields[layout.chrom] = chrom
    fields[layout.start] = str(start + 1 if layout.is_gff else start)
    fields[layout.end] = str(end)
    # Galaxy sets the strand only where the strand column lies among these columns.
    if strand is not None and layout.strand is not None and layout.strand < width:
        fields[layout.strand] = strand
    return "\t".join(fields)
