"""Subcommands of `nebula-ops` for the text tools (cat1, Cut1, Grep1, Paste1, ...).

Only the standard library is imported here; each subcommand imports its operation module
from nebula.ops.text when it runs, so that starting `nebula-ops` stays cheap. Option
values are Galaxy's own (`--delimiter T`, `--case up`), so tool XML templates pass their
select values through unchanged. Text values that may start with '-' are given as
`--option=VALUE`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

# Option values of Galaxy's tools; the operation modules map them to characters.
CUT_DELIMITERS = ("T", "Sp", "Dt", "C", "D", "U", "P")
CHANGE_CASE_DELIMITERS = {
    "TAB": "T",
    "SPACE": "Sp",
    "DOT": "Dt",
    "COMMA": "C",
    "DASH": "D",
    "UNDERSCORE": "U",
    "PIPE": "P",
}
CONDENSE_CHARACTERS = ("T", "Sp", "Dt", "C", "D", "U", "P")
CONVERT_DELIMITERS = ("s", "T", "Dt", "C", "D", "U", "P", "Co")
PASTE_DELIMITERS = ("T", "Dt", "C", "D", "U", "P", "Sp")
_DELIMITER_HELP = (
    "T tab, Sp whitespace (one space for paste), Dt dot, C comma, D dash, U underscore, P pipe"
)

Result = tuple[list[Any], list[str]]


def register(commands: Any) -> None:
    """Add the text subcommands to `nebula-ops`'s subparsers."""

    def add(name: str, help_text: str, handler: Any, inputs: int = 1) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        if inputs == 1:
            command.add_argument("input", type=Path, help="input dataset")
        else:
            for number in range(1, inputs + 1):
                command.add_argument(f"input{number}", type=Path, help=f"input dataset {number}")
        command.add_argument("output", type=Path, help="output file")
        command.set_defaults(handler=handler)
        return command

    cat = commands.add_parser(
        "cat", help="Datasets one after another.", description="Datasets one after another."
    )
    cat.add_argument("output", type=Path, help="output file")
    cat.add_argument("inputs", type=Path, nargs="+", help="input datasets, in order")
    cat.add_argument(
        "--binary",
        action="store_true",
        help="never add a line end between inputs (for non-text data)",
    )
    cat.set_defaults(handler=_run_cat)

    cut = add("cut", "Chosen columns of a delimited dataset, tab-separated.", _run_cut)
    cut.add_argument("--columns", required=True, help="columns such as c1,c4,c2-c3")
    cut.add_argument("--delimiter", choices=CUT_DELIMITERS, default="T", help=_DELIMITER_HELP)

    merge = add("merge-columns", "Append the concatenation of chosen columns.", _run_merge)
    merge.add_argument(
        "columns", nargs="+", type=_column_number, help="1-based columns (N or cN), in order"
    )

    remove = add("remove-beginning", "Every line after the first N.", _run_remove_beginning)
    remove.add_argument("--lines", type=int, default=1, help="number of lines to remove")

    head = add("head", "The first N lines.", _run_head)
    head.add_argument("--lines", type=int, default=10, help="number of lines to keep")
    head.add_argument("--header", action="store_true", help="also keep the first line")

    tail = add("tail", "The last N lines.", _run_tail)
    tail.add_argument("--lines", type=int, default=10, help="number of lines to keep")
    tail.add_argument("--header", action="store_true", help="also keep the first line")

    case = add("change-case", "Upper- or lower-case chosen columns.", _run_change_case)
    case.add_argument("--columns", required=True, help="columns such as c1,c3")
    case.add_argument("--delimiter", choices=list(CHANGE_CASE_DELIMITERS), default="TAB")
    case.add_argument("--case", choices=["up", "lo"], default="up", help="upper or lower case")

    condense = add("condense", "Runs of one character condensed to one.", _run_condense)
    condense.add_argument(
        "--character",
        choices=CONDENSE_CHARACTERS,
        default="T",
        help="T tab, Sp space, Dt dot, C comma, D dash, U underscore, P pipe",
    )

    convert = add("convert", "Runs of a delimiter converted to one tab.", _run_convert)
    convert.add_argument(
        "--from",
        dest="delimiter",
        choices=CONVERT_DELIMITERS,
        default="s",
        help="s whitespace, T tab, Dt dot, C comma, D dash, U underscore, P pipe, Co colon",
    )

    value = add("add-value", "Append a column with a fixed value or a counter.", _run_add_value)
    value.add_argument("--value", default="1", help="the value (sanitized parameter text)")
    value.add_argument("--iterate", action="store_true", help="append a counter instead")

    trim = add("trim", "Lines or one column cut to a range of characters.", _run_trim)
    trim.add_argument("--column", type=int, default=0, help="1-based column; 0 for whole lines")
    trim.add_argument("--start", type=int, default=1, help="first position kept (1-based)")
    trim.add_argument(
        "--end",
        type=int,
        default=0,
        help="last position kept; negative: characters removed from the end; 0: keep the rest",
    )
    trim.add_argument(
        "--ignore",
        default="",
        help="comma-separated ASCII codes of first characters whose lines stay unchanged",
    )
    trim.add_argument("--fastq", action="store_true", help="leave odd-numbered lines unchanged")

    paste = add("paste", "Lines of two datasets side by side.", _run_paste, inputs=2)
    paste.add_argument("--delimiter", choices=PASTE_DELIMITERS, default="T", help=_DELIMITER_HELP)

    grep = add("grep", "Lines that match a regular expression.", _run_grep)
    grep.add_argument("--pattern", required=True, help="the pattern (sanitized parameter text)")
    grep.add_argument("--invert", action="store_true", help="keep the lines that do not match")

    count = add("wc", "Number of lines, words and characters.", _run_word_count)
    count.add_argument(
        "--counts", default="lines,words,characters", help="comma-separated: lines,words,characters"
    )
    count.add_argument("--header", action="store_true", help="write a '#' header line first")

    digest = add("digest", "Message digests (md5, sha1, ...) of a dataset.", _run_digest)
    digest.add_argument(
        "--algorithms", required=True, help="comma-separated: md5,sha1,sha224,sha256,sha384,sha512"
    )

    sample = add("random-lines", "N distinct random lines, in file order.", _run_random_lines)
    sample.add_argument("--lines", type=int, default=1, help="number of lines to select")
    sample.add_argument("--seed", help="seed text that makes the choice repeatable")


def _column_number(value: str) -> int:
    text = value.strip()
    if text[:1] in ("c", "C"):
        text = text[1:]
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a column number such as 3 or c3, got '{value}'")
    return int(text)


def _split_list(value: str) -> list[str]:
    """Split a multiple-select value ('a,b'); Galaxy renders an empty one as 'None'."""
    if value.strip() in ("", "None"):
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


def _run_cat(args: argparse.Namespace) -> Result:
    from nebula.ops.text.combine import cat

    return [], cat(args.output, args.inputs, text=not args.binary)


def _run_cut(args: argparse.Namespace) -> Result:
    from nebula.ops.text.columns import cut
    from nebula.ops.text.lines import parse_column_list

    columns = parse_column_list(args.columns, "columnList")
    return [], cut(args.input, args.output, columns, args.delimiter)


def _run_merge(args: argparse.Namespace) -> Result:
    from nebula.ops.text.columns import merge_columns

    return [], merge_columns(args.input, args.output, args.columns)


def _run_remove_beginning(args: argparse.Namespace) -> Result:
    from nebula.ops.text.select import remove_beginning

    return [], remove_beginning(args.input, args.output, args.lines)


def _run_head(args: argparse.Namespace) -> Result:
    from nebula.ops.text.select import head

    return [], head(args.input, args.output, args.lines, args.header)


def _run_tail(args: argparse.Namespace) -> Result:
    from nebula.ops.text.select import tail

    return [], tail(args.input, args.output, args.lines, args.header)


def _run_change_case(args: argparse.Namespace) -> Result:
    from nebula.ops.text.columns import change_case
    from nebula.ops.text.lines import parse_column_list

    columns = parse_column_list(args.columns, "cols")
    delimiter = CHANGE_CASE_DELIMITERS[args.delimiter]
    return [], change_case(args.input, args.output, columns, delimiter, args.case == "up")


def _run_condense(args: argparse.Namespace) -> Result:
    from nebula.ops.text.characters import condense

    return [], condense(args.input, args.output, args.character)


def _run_convert(args: argparse.Namespace) -> Result:
    from nebula.ops.text.characters import convert

    return [], convert(args.input, args.output, args.delimiter)


def _run_add_value(args: argparse.Namespace) -> Result:
    from nebula.ops.text.columns import add_value

    return [], add_value(args.input, args.output, args.value, args.iterate)


def _run_trim(args: argparse.Namespace) -> Result:
    from nebula.errors import ParameterError
    from nebula.ops.text.trim import trim

    ignore = set()
    for code in _split_list(args.ignore):
        if not code.isdigit() or not 0 < int(code) < 128:
            raise ParameterError(
                "ignore", f"ignored characters are ASCII codes such as 62 for '>', got '{code}'"
            )
        ignore.add(chr(int(code)))
    return [], trim(args.input, args.output, args.column, args.start, args.end, ignore, args.fastq)


def _run_paste(args: argparse.Namespace) -> Result:
    from nebula.ops.text.combine import paste

    return [], paste(args.input1, args.input2, args.output, args.delimiter)


def _run_grep(args: argparse.Namespace) -> Result:
    from nebula.ops.text.grep import grep

    return [], grep(args.input, args.output, args.pattern, args.invert)


def _run_word_count(args: argparse.Namespace) -> Result:
    from nebula.ops.text.counts import word_count

    return [], word_count(args.input, args.output, _split_list(args.counts), args.header)


def _run_digest(args: argparse.Namespace) -> Result:
    from nebula.ops.text.counts import digest

    return [], digest(args.input, args.output, _split_list(args.algorithms))


def _run_random_lines(args: argparse.Namespace) -> Result:
    from nebula.ops.text.random_lines import random_lines

    return [], random_lines(args.input, args.output, args.lines, args.seed)
