"""Subcommands of `nebula-ops` for the table tools (sort, join, filter, group, statistics).

Only the standard library is imported here; each subcommand imports its operation module
when it runs, so that starting `nebula-ops` stays cheap. Column numbers are 1-based and
may be written as `3` or `c3`. Text parameters (conditions, fill values) arrive as
Galaxy's sanitizer leaves them (`__sq__` for a quote, `__gt__` for `>`, ...) and are
mapped back here, never in the shell.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

SORT_STYLES = ("num", "gennum", "alpha")
SORT_ORDERS = ("ASC", "DESC")
AGGREGATES = (
    "mean",
    "median",
    "mode",
    "max",
    "min",
    "sum",
    "length",
    "unique",
    "cat",
    "cat_uniq",
    "random",
    "std",
)
COUNT_DELIMITERS = ("T", "Sp", "Dt", "C", "D", "U", "P")
ARITHMETIC_OPERATIONS = ("Addition", "Subtraction", "Multiplication", "Division")

Result = tuple[list[Any], list[str]]


def register(commands: Any) -> None:
    """Add the table subcommands to `nebula-ops`'s subparsers."""

    def add(name: str, help_text: str, handler: Any, inputs: int) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        for number in range(1, inputs + 1):
            label = "input" if inputs == 1 else f"input{number}"
            command.add_argument(label, type=Path, help=f"{label} table")
        command.add_argument("output", type=Path, help="output file")
        command.set_defaults(handler=handler)
        return command

    sort = add("table-sort", "Sort a table on columns; comment lines first.", _run_sort, 1)
    sort.add_argument(
        "--key",
        action="append",
        required=True,
        metavar="COLUMN,STYLE,ORDER",
        help="a sort key, e.g. 3,num,DESC; STYLE is num, gennum or alpha, ORDER ASC or "
        "DESC; repeat for further keys",
    )

    join = add("table-join", "Join two tables on equal column values.", _run_join, 2)
    join.add_argument("--field1", type=_column, required=True, help="key column of input1")
    join.add_argument("--field2", type=_column, required=True, help="key column of input2")
    join.add_argument(
        "--keep-unmatched", action="store_true", help="keep input1 rows without a partner"
    )
    join.add_argument(
        "--keep-partial", action="store_true", help="keep input1 rows without a key value"
    )
    join.add_argument(
        "--header", action="store_true", help="join the first lines of both inputs as a header"
    )
    join.add_argument(
        "--fill-mode",
        choices=["none", "single", "by-column"],
        default="none",
        help="fill empty columns: not at all, all with --fill-value, or per column",
    )
    join.add_argument("--fill-value", default=".", help="the value of --fill-mode single")
    join.add_argument(
        "--fill1",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="fill value of one input1 column (--fill-mode by-column); repeatable",
    )
    join.add_argument(
        "--fill2",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="fill value of one input2 column (--fill-mode by-column); repeatable",
    )
    join.add_argument(
        "--fill-joined",
        action="store_true",
        help="fill joined rows too, not only the unjoined rows of input1",
    )
    join.add_argument("--columns1", type=int, help="number of columns of input1 (for filling)")
    join.add_argument("--columns2", type=int, help="number of columns of input2 (for filling)")

    compare = add(
        "table-compare",
        "Rows of input1 whose key does (N) or does not (V) occur in input2.",
        _run_compare,
        2,
    )
    compare.add_argument("--field1", type=_column, required=True, help="key column of input1")
    compare.add_argument("--field2", type=_column, required=True, help="key column of input2")
    compare.add_argument(
        "--mode", choices=["N", "V"], default="N", help="N: matching rows, V: non-matching rows"
    )

    filter_ = add("table-filter", "Rows for which a condition over c1..cN is true.", _run_filter, 1)
    filter_.add_argument("--cond", required=True, help="condition, e.g. c1=='chr22' and c2>100")
    filter_.add_argument(
        "--header-lines", type=int, default=0, help="leading lines copied unfiltered"
    )
    _add_metadata_options(filter_)

    compute = add(
        "table-compute", "Append the value of an expression as a new column.", _run_compute, 1
    )
    compute.add_argument("--expression", required=True, help="expression, e.g. c3-c2")
    compute.add_argument(
        "--round", action="store_true", help="round results to the nearest integer"
    )
    _add_metadata_options(compute)

    group = add("table-group", "Group rows by a column and aggregate others.", _run_group, 1)
    group.add_argument("--group-column", type=_column, required=True, help="column to group by")
    group.add_argument(
        "--ignore-case", action="store_true", help="group case-insensitively; keys lower-cased"
    )
    group.add_argument(
        "--ignore-lines",
        default="",
        help="comma-separated character codes; lines starting with them are skipped",
    )
    group.add_argument(
        "--operation",
        action="append",
        default=[],
        metavar="TYPE,COLUMN,ROUND[,DEFAULT]",
        help=f"an aggregate, e.g. mean,2,no; TYPE is one of {', '.join(AGGREGATES)}; "
        "ROUND yes or no; DEFAULT replaces non-numeric values; repeatable",
    )

    count = add("table-count", "Occurrences of each value of chosen columns.", _run_count, 1)
    count.add_argument(
        "--columns", required=True, help="comma-separated columns whose values are counted"
    )
    count.add_argument(
        "--delimiter",
        choices=COUNT_DELIMITERS,
        default="T",
        help="column delimiter: Tab, whitespace (Sp), Dot, Comma, Dash, Underscore or Pipe",
    )

    summary = add(
        "table-summary", "Sum, mean, stdev and quartiles of an expression.", _run_summary, 1
    )
    summary.add_argument("--expression", required=True, help="column or expression, e.g. c5")
    summary.add_argument("--columns", type=int, help="number of columns of the input")

    arithmetic = add(
        "table-arithmetic", "Cell-by-cell arithmetic of two same-shaped tables.", _run_arithmetic, 2
    )
    arithmetic.add_argument("--operation", choices=ARITHMETIC_OPERATIONS, default="Addition")


def _add_metadata_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--columns", type=int, help="number of columns (dataset metadata)")
    command.add_argument(
        "--column-types",
        help="comma-separated column types (dataset metadata): int, float, str, list",
    )


def _column(value: str) -> int:
    text = value.strip()
    if text[:1] in ("c", "C"):
        text = text[1:]
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a column number such as 3 or c3, got '{value}'")
    return int(text)


def _run_sort(args: argparse.Namespace) -> Result:
    from nebula.errors import ParameterError
    from nebula.ops.tables.sort import sort_table
    from nebula.ops.tables.sort_keys import SortColumn, SortStyle

    columns = []
    for key in args.key:
        parts = [part.strip() for part in key.split(",")]
        if len(parts) != 3 or parts[1] not in SORT_STYLES or parts[2] not in SORT_ORDERS:
            raise ParameterError(
                "key",
                f"--key must be COLUMN,STYLE,ORDER with STYLE one of {', '.join(SORT_STYLES)} "
                f"and ORDER ASC or DESC, got '{key}'",
            )
        column = _column_parameter(parts[0], "key")
        columns.append(SortColumn(column, SortStyle(parts[1]), parts[2] == "DESC"))
    return [], sort_table(args.input, args.output, columns)


def _run_join(args: argparse.Namespace) -> Result:
    from nebula.ops.expressions import restore_sanitized
    from nebula.ops.tables.join import FillOptions, JoinOptions, join_tables

    fill = FillOptions()
    if args.fill_mode != "none":
        width1 = _required_width(args.columns1, "columns1")
        width2 = _required_width(args.columns2, "columns2")
        if args.fill_mode == "single":
            value = restore_sanitized(args.fill_value)
            first, second = [value] * width1, [value] * width2
        else:
            first, second = [""] * width1, [""] * width2
            _set_fill_values(first, args.fill1, "fill1")
            _set_fill_values(second, args.fill2, "fill2")
        fill = FillOptions(tuple(first), tuple(second), args.fill_joined)
    options = JoinOptions(args.keep_unmatched, args.keep_partial, args.header, fill)
    info = join_tables(args.input1, args.input2, args.output, args.field1, args.field2, options)
    return [], info


def _run_compare(args: argparse.Namespace) -> Result:
    from nebula.ops.tables.compare import compare_tables

    matching = args.mode == "N"
    info = compare_tables(args.input1, args.input2, args.output, args.field1, args.field2, matching)
    return [], info


def _run_filter(args: argparse.Namespace) -> Result:
    from nebula.errors import ParameterError
    from nebula.ops.expressions import parse_expression, restore_sanitized
    from nebula.ops.tables.evaluate import parse_column_types
    from nebula.ops.tables.filter import filter_table

    if args.header_lines < 0:
        raise ParameterError(
            "header_lines", f"the number of header lines must be 0 or more, got {args.header_lines}"
        )
    condition = parse_expression(
        restore_sanitized(args.cond), parameter="cond", max_column=args.columns
    )
    types = parse_column_types(args.column_types)
    return [], filter_table(args.input, args.output, condition, types, args.header_lines)


def _run_compute(args: argparse.Namespace) -> Result:
    from nebula.ops.expressions import parse_expression, restore_sanitized
    from nebula.ops.tables.compute import compute_column
    from nebula.ops.tables.evaluate import parse_column_types

    expression = parse_expression(
        restore_sanitized(args.expression), parameter="cond", max_column=args.columns
    )
    types = parse_column_types(args.column_types)
    info = compute_column(args.input, args.output, expression, types, args.round, args.columns)
    return [], info


def _run_group(args: argparse.Namespace) -> Result:
    from nebula.errors import ParameterError
    from nebula.ops.tables.group import Aggregate, Operation, group_table

    operations = []
    for text in args.operation:
        parts = [part.strip() for part in text.split(",")]
        if len(parts) not in (3, 4) or parts[0] not in AGGREGATES or parts[2] not in ("yes", "no"):
            raise ParameterError(
                "operations",
                f"--operation must be TYPE,COLUMN,ROUND[,DEFAULT] with TYPE one of "
                f"{', '.join(AGGREGATES)} and ROUND yes or no, got '{text}'",
            )
        default = None
        if len(parts) == 4 and parts[3] not in ("", "None"):
            try:
                default = float(parts[3])
            except ValueError:
                raise ParameterError(
                    "opdefault",
                    f"the replacement for non-numeric data must be a number, got '{parts[3]}'",
                ) from None
        column = _column_parameter(parts[1], "opcol")
        operations.append(Operation(Aggregate(parts[0]), column, parts[2] == "yes", default))
    prefixes = _ignored_prefixes(args.ignore_lines)
    info = group_table(
        args.input, args.output, args.group_column, operations, args.ignore_case, prefixes
    )
    return [], info


def _run_count(args: argparse.Namespace) -> Result:
    from nebula.ops.tables.count import DELIMITERS, count_values

    columns = [
        _column_parameter(part, "column") for part in args.columns.split(",") if part.strip()
    ]
    if not columns:
        from nebula.errors import ParameterError

        raise ParameterError("column", "choose at least one column whose values are counted")
    return [], count_values(args.input, args.output, columns, DELIMITERS[args.delimiter])


def _run_summary(args: argparse.Namespace) -> Result:
    from nebula.ops.expressions import parse_expression, restore_sanitized
    from nebula.ops.tables.summary import summarize

    expression = parse_expression(
        restore_sanitized(args.expression),
        parameter="cond",
        max_column=args.columns,
        caret_is_power=True,
    )
    return [], summarize(args.input, args.output, expression)


def _run_arithmetic(args: argparse.Namespace) -> Result:
    from nebula.ops.tables.arithmetic import Operation, combine_tables

    info = combine_tables(args.input1, args.input2, args.output, Operation(args.operation))
    return [], info


def _column_parameter(text: str, parameter: str) -> int:
    from nebula.errors import ParameterError

    try:
        return _column(text)
    except argparse.ArgumentTypeError as error:
        raise ParameterError(parameter, f"parameter '{parameter}': {error}") from None


def _required_width(value: int | None, option: str) -> int:
    from nebula.errors import ParameterError

    if value is None or value < 1:
        raise ParameterError(
            option, f"--{option} (the number of columns) is required to fill empty columns"
        )
    return value


def _set_fill_values(values: list[str], settings: list[str], option: str) -> None:
    from nebula.errors import ParameterError
    from nebula.ops.expressions import restore_sanitized

    for setting in settings:
        column_text, separator, value = setting.partition("=")
        if not separator:
            raise ParameterError(option, f"--{option} must be COLUMN=VALUE, got '{setting}'")
        column = _column_parameter(column_text, option)
        if column > len(values):
            raise ParameterError(
                option,
                f"--{option} names column {column}, but the input has {len(values)} columns",
            )
        values[column - 1] = restore_sanitized(value)


def _ignored_prefixes(codes: str) -> str:
    from nebula.errors import ParameterError

    characters = []
    for code in codes.split(","):
        code = code.strip()
        if not code or code == "None":
            continue
        if not code.isdigit() or not 0 < int(code) < 128:
            raise ParameterError(
                "ignorelines", f"ignored line starts must be ASCII character codes, got '{code}'"
            )
        characters.append(chr(int(code)))
    return "".join(characters)
