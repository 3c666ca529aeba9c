"""Subcommands of `nebula-ops` for the genomic interval tools.

Only the standard library is imported here; each subcommand imports its operation module
when it runs, so that starting `nebula-ops` stays cheap.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

FORMATS = ("interval", "bed", "gff", "gtf", "gff3")
GFF_FORMATS = ("gff", "gtf", "gff3")
CLUSTER_MODES = {
    "1": "1",
    "2": "2",
    "3": "3",
    "4": "4",
    "5": "5",
    "merged": "1",
    "filtered": "2",
    "grouped": "3",
    "smallest": "4",
    "largest": "5",
}


def register(commands: Any) -> None:
    """Add the interval subcommands to `nebula-ops`'s subparsers.

    Column numbers are 1-based; a strand column of 0 means the data has none.
    """

    def add(
        name: str, help_text: str, handler: Callable[..., Any], inputs: int
    ) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        for number in range(1, inputs + 1):
            command.add_argument(f"input{number}", type=Path, help=f"input dataset {number}")
        command.add_argument("output", type=Path, help="output file")
        for number in range(1, inputs + 1):
            _add_layout_options(command, number)
        command.set_defaults(handler=handler)
        return command

    intersect = add("intersect", "Rows of input1 that overlap input2.", _run_intersect, 2)
    _add_overlap_options(intersect, "report only the overlapping parts of each row")
    subtract = add("subtract", "Rows of input1 that do not overlap input2.", _run_subtract, 2)
    _add_overlap_options(subtract, "report the parts of each row that input2 does not cover")

    merge = add("merge", "Union of the rows of a dataset.", _run_merge, 1)
    merge.add_argument("--three-columns", action="store_true", help="write chrom, start, end only")

    cluster = add("cluster", "Clusters of nearby rows.", _run_cluster, 1)
    cluster.add_argument(
        "--distance", type=int, default=1, help="maximum gap in bases between rows of a cluster"
    )
    cluster.add_argument(
        "--min-regions", type=int, default=2, help="minimum number of rows in a cluster"
    )
    cluster.add_argument(
        "--mode",
        choices=list(CLUSTER_MODES),
        default="merged",
        help="output: merged extents (1), member rows in file order (2), member rows "
        "grouped by cluster (3), smallest (4) or largest (5) member of each cluster",
    )

    complement = add("complement", "Gaps between the rows of a dataset.", _run_complement, 1)
    complement.add_argument(
        "--all",
        action="store_true",
        help="also write whole chromosomes of --lengths that have no rows",
    )
    complement.add_argument(
        "--lengths",
        type=Path,
        help="tab-separated chrom/length file; chromosomes default to 536870912 bases",
    )

    concat = add("concat", "Rows of input1 followed by rows of input2.", _run_concat, 2)
    concat.add_argument(
        "--same-format",
        action="store_true",
        help="copy input2 rows unchanged instead of rebuilding them in input1's layout",
    )

    add("coverage", "Bases of each input1 row covered by input2.", _run_coverage, 2)
    add("basecoverage", "Number of bases covered by a dataset.", _run_base_coverage, 1)

    join = add("join", "Pairs of overlapping rows side by side.", _run_join, 2)
    join.add_argument("--min", type=int, default=1, help="minimum overlap in bases")
    join.add_argument(
        "--fill",
        choices=["none", "right", "left", "both"],
        default="none",
        help="keep unmatched rows: 'right' those of input1, 'left' those of input2, or both",
    )

    flanking = add(
        "flanking-features",
        "Closest non-overlapping feature of input2 for each row of input1.",
        _run_flanking_features,
        2,
    )
    flanking.add_argument(
        "--direction", choices=["Either", "Both", "Upstream", "Downstream"], default="Either"
    )

    flanks = add("get-flanks", "Flanking regions of each row.", _run_get_flanks, 1)
    flanks.add_argument("--region", choices=["whole", "start", "end"], default="whole")
    flanks.add_argument(
        "--direction", choices=["Upstream", "Downstream", "Both"], default="Upstream"
    )
    flanks.add_argument(
        "--offset",
        type=int,
        default=0,
        help="bases to move the flanks downstream (negative: upstream)",
    )
    flanks.add_argument("--size", type=int, default=50, help="flank length in bases")

    query = commands.add_parser(
        "subtract-query",
        help="Lines of input1 that input2 does not contain.",
        description="Lines of input1 that input2 does not contain, compared as text.",
    )
    query.add_argument("input1", type=Path)
    query.add_argument("input2", type=Path)
    query.add_argument("output", type=Path)
    query.add_argument("--begin-col", type=_column_number, help="first compared column (N or cN)")
    query.add_argument("--end-col", type=_column_number, help="last compared column (N or cN)")
    query.add_argument(
        "--ignore-empty-end-cols",
        action="store_true",
        help="ignore trailing empty columns and whitespace when comparing",
    )
    query.set_defaults(handler=_run_subtract_query)


def _add_layout_options(command: argparse.ArgumentParser, number: int) -> None:
    command.add_argument(
        f"--cols{number}",
        metavar="CHROM,START,END,STRAND",
        help=f"1-based columns of input{number}; strand 0, empty or None when there is none "
        "(default for GFF: 1,4,5,7)",
    )
    command.add_argument(
        f"--format{number}",
        choices=FORMATS,
        default="interval",
        help=f"datatype of input{number}; GFF/GTF coordinates are 1-based and closed",
    )


def _add_overlap_options(command: argparse.ArgumentParser, pieces_help: str) -> None:
    command.add_argument("--min", type=int, default=1, help="minimum overlap in bases")
    command.add_argument("--pieces", action="store_true", help=pieces_help)


def _column_number(value: str) -> int | None:
    text = value.strip()
    if text in ("", "None"):
        return None
    if text[:1] in ("c", "C"):
        text = text[1:]
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a column number such as 3 or c3, got '{value}'")
    return int(text)


def _dataset(args: argparse.Namespace, number: int) -> Any:
    from dataclasses import replace

    from nebula.errors import ParameterError
    from nebula.ops.reader import GFF_LAYOUT, DatasetInput, parse_columns

    option = f"--cols{number}"
    columns = getattr(args, f"cols{number}")
    is_gff = getattr(args, f"format{number}") in GFF_FORMATS
    if columns is None:
        if not is_gff:
            raise ParameterError(option, f"option {option} is required for interval input")
        layout = GFF_LAYOUT
    else:
        layout = parse_columns(columns, option)
        if is_gff:
            layout = replace(layout, is_gff=True)
    return DatasetInput(getattr(args, f"input{number}"), layout, f"input{number}")


def _run_intersect(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.overlap import intersect

    first, second = _dataset(args, 1), _dataset(args, 2)
    intersect(first, second, args.output, args.min, args.pieces)
    return [first, second], []


def _run_subtract(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.overlap import subtract

    first, second = _dataset(args, 1), _dataset(args, 2)
    subtract(first, second, args.output, args.min, args.pieces)
    return [first, second], []


def _run_merge(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.regions import merge

    first = _dataset(args, 1)
    merge(first, args.output, args.three_columns)
    return [first], []


def _run_cluster(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.regions import ClusterOutput, cluster

    first = _dataset(args, 1)
    mode = ClusterOutput(CLUSTER_MODES[args.mode])
    cluster(first, args.output, args.distance, args.min_regions, mode)
    return [first], []


def _run_complement(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.regions import complement

    first = _dataset(args, 1)
    complement(first, args.output, args.all, args.lengths)
    return [first], []


def _run_concat(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.concat import concat

    first, second = _dataset(args, 1), _dataset(args, 2)
    concat(first, second, args.output, args.same_format)
    return [first, second], []


def _run_coverage(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.overlap import coverage

    first, second = _dataset(args, 1), _dataset(args, 2)
    coverage(first, second, args.output)
    return [first, second], []


def _run_base_coverage(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.overlap import base_coverage

    first = _dataset(args, 1)
    base_coverage(first, args.output)
    return [first], []


def _run_join(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.join import JoinFill, join

    first, second = _dataset(args, 1), _dataset(args, 2)
    join(first, second, args.output, args.min, JoinFill(args.fill))
    return [first, second], []


def _run_flanking_features(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.closest import ClosestDirection, flanking_features

    first, second = _dataset(args, 1), _dataset(args, 2)
    info = flanking_features(first, second, args.output, ClosestDirection(args.direction))
    return [first, second], info


def _run_get_flanks(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.flanks import FlankDirection, FlankRegion, get_flanks

    first = _dataset(args, 1)
    info = get_flanks(
        first,
        args.output,
        FlankRegion(args.region),
        FlankDirection(args.direction),
        args.offset,
        args.size,
    )
    return [first], info


def _run_subtract_query(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.subtract_query import subtract_query

    info = subtract_query(
        args.input1,
        args.input2,
        args.output,
        args.begin_col,
        args.end_col,
        args.ignore_empty_end_cols,
    )
    return [], info
