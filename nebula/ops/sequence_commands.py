"""Subcommands of `nebula-ops` for the sequence and feature tools.

Only the standard library is imported here; each subcommand imports its operation module
when it runs, so that starting `nebula-ops` stays cheap.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

TITLE_MODES = ("id_and_desc", "id_only")
STRANDS = ("plus", "minus")


def register(commands: Any) -> None:
    """Add the sequence subcommands to `nebula-ops`'s subparsers."""
    lengths = commands.add_parser(
        "fasta-length",
        help="Title and length of each FASTA record.",
        description="Write 'title<TAB>length' for each record of a FASTA file, or copy a "
        "genome's prebuilt length file from the server's Galaxy data tables.",
    )
    lengths.add_argument("output", type=Path, help="output file")
    source = lengths.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", type=Path, help="FASTA file")
    source.add_argument(
        "--dbkey", help="genome build key whose length file (data table __dbkeys__) is copied"
    )
    source.add_argument(
        "--all-fasta", metavar="KEY", help="key of a cached FASTA file (data table all_fasta)"
    )
    lengths.add_argument(
        "--tool-data",
        default="",
        help="folder with Galaxy's dbkeys.loc and all_fasta.loc; '${__HERE__}' in their "
        "paths means this folder; empty when the server has none",
    )
    _add_title_options(lengths)
    lengths.set_defaults(handler=_run_fasta_length)

    to_tabular = commands.add_parser(
        "fasta-to-tabular",
        help="One tabular row per FASTA record.",
        description="Write each FASTA record as its title column(s), a tab and the sequence.",
    )
    to_tabular.add_argument("input", type=Path, help="FASTA file")
    to_tabular.add_argument("output", type=Path, help="output file")
    to_tabular.add_argument(
        "--title-columns",
        type=int,
        default=1,
        help="columns to split each title into at whitespace (default 1: the whole title)",
    )
    to_tabular.add_argument(
        "--keep-first",
        type=int,
        default=0,
        help="characters of the title (of the ID with several columns) to keep; 0 keeps all",
    )
    to_tabular.set_defaults(handler=_run_fasta_to_tabular)

    to_fasta = commands.add_parser(
        "tabular-to-fasta",
        help="One FASTA record per tabular row.",
        description="Write one FASTA record per row: the title columns joined by '_', then "
        "the sequence column.",
    )
    to_fasta.add_argument("input", type=Path, help="tab-separated file")
    to_fasta.add_argument("output", type=Path, help="output file")
    to_fasta.add_argument(
        "--title-columns",
        required=True,
        type=_column_list,
        help="1-based columns of the title, comma-separated (N or cN)",
    )
    to_fasta.add_argument(
        "--sequence-column", required=True, type=_column, help="1-based sequence column"
    )
    to_fasta.set_defaults(handler=_run_tabular_to_fasta)

    length_filter = commands.add_parser(
        "fasta-filter-length",
        help="FASTA records whose sequence length lies in a range.",
        description="Copy the FASTA records whose sequence length lies in [min, max].",
    )
    length_filter.add_argument("input", type=Path, help="FASTA file")
    length_filter.add_argument("output", type=Path, help="output file")
    length_filter.add_argument("--min-length", type=int, default=0, help="minimum length")
    length_filter.add_argument(
        "--max-length", type=int, default=0, help="maximum length; 0 means no maximum"
    )
    length_filter.set_defaults(handler=_run_fasta_filter_length)

    count = commands.add_parser(
        "count-gff-features",
        help="Number of features of a GFF/GTF file.",
        description="Count the features of a GFF/GTF file; consecutive rows of one "
        "transcript or group are one feature.",
    )
    count.add_argument("input", type=Path, help="GFF or GTF file")
    count.add_argument("output", type=Path, help="output file")
    count.set_defaults(handler=_run_count_gff_features)

    interval = commands.add_parser(
        "create-interval",
        help="One BED row from parameters.",
        description="Write one BED row: chrom, start, end, name, score 0, strand.",
    )
    interval.add_argument("output", type=Path, help="output file")
    interval.add_argument("--chrom", required=True, help="chromosome name")
    interval.add_argument("--start", required=True, type=int, help="0-based start")
    interval.add_argument("--end", required=True, type=int, help="end (exclusive)")
    interval.add_argument("--name", required=True, help="name; whitespace becomes '_'")
    interval.add_argument("--strand", choices=STRANDS, default="plus")
    interval.set_defaults(handler=_run_create_interval)


def _add_title_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--keep-first",
        type=int,
        default=0,
        help="characters of the title to keep; 0 keeps all",
    )
    command.add_argument(
        "--title",
        choices=TITLE_MODES,
        default="id_and_desc",
        help="keep the whole title, or only its first word (the ID) before --keep-first",
    )


def _column(value: str) -> int:
    text = value.strip()
    if text[:1] in ("c", "C"):
        text = text[1:]
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a column number such as 3 or c3, got '{value}'")
    return int(text)


def _column_list(value: str) -> list[int]:
    if value.strip() in ("", "None"):
        raise argparse.ArgumentTypeError("no column was chosen")
    return [_column(part) for part in value.split(",")]


def _run_fasta_length(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.sequences.data_tables import ALL_FASTA, DBKEYS, find_table_file
    from nebula.ops.sequences.lengths import TitleMode, compute_lengths, copy_length_file

    mode = TitleMode(args.title)
    tool_data = Path(args.tool_data) if args.tool_data.strip() else None
    if args.dbkey is not None:
        source = find_table_file(DBKEYS, args.dbkey, tool_data, "--dbkey")
        return [], copy_length_file(source, args.output)
    if args.all_fasta is not None:
        source = find_table_file(ALL_FASTA, args.all_fasta, tool_data, "--all-fasta")
        return [], compute_lengths(source, args.output, args.keep_first, mode, source.name)
    return [], compute_lengths(args.input, args.output, args.keep_first, mode)


def _run_fasta_to_tabular(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.sequences.tabular import fasta_to_tabular

    return [], fasta_to_tabular(args.input, args.output, args.title_columns, args.keep_first)


def _run_tabular_to_fasta(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.sequences.tabular import tabular_to_fasta

    info = tabular_to_fasta(args.input, args.output, args.title_columns, args.sequence_column)
    return [], info


def _run_fasta_filter_length(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.sequences.length_filter import filter_by_length

    return [], filter_by_length(args.input, args.output, args.min_length, args.max_length)


def _run_count_gff_features(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.reader import GFF_LAYOUT, DatasetInput
    from nebula.ops.sequences.gff_count import count_features

    dataset = DatasetInput(args.input, GFF_LAYOUT, "input")
    return [dataset], count_features(dataset, args.output)


def _run_create_interval(args: argparse.Namespace) -> tuple[list[Any], list[str]]:
    from nebula.ops.sequences.single_interval import Strand, create_interval

    strand = Strand(args.strand)
    return [], create_interval(args.output, args.chrom, args.start, args.end, args.name, strand)
