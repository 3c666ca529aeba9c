"""Edge cases of every text tool's `nebula-ops` subcommand: empty inputs, CRLF line ends,
a last line without a line end, comment lines and lines a tool cannot use."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from nebula.ops.text.random_lines import random_lines

from .helpers import run_ops, write_lines

TABLE = ["#chrom\tstart\tname", "chr1\t100\tgeneA", "chr2\t200\tgeneB", "chrX\t300\tgeneC"]

# Subcommand name and options of the tools that read their input line by line. Inputs
# and output go before the options, and "{second}" marks Paste1's second input.
LINE_TOOLS = {
    "cut": ["cut", "--columns=c3,c1", "--delimiter", "T"],
    "merge-columns": ["merge-columns", "3", "1"],
    "remove-beginning": ["remove-beginning", "--lines", "1"],
    "head": ["head", "--lines", "2", "--header"],
    "tail": ["tail", "--lines", "2", "--header"],
    "change-case": ["change-case", "--columns=c1", "--delimiter", "TAB", "--case", "up"],
    "condense": ["condense", "--character", "T"],
    "convert": ["convert", "--from", "s"],
    "add-value": ["add-value", "--value=x", "--iterate"],
    "trim": ["trim", "--column=3", "--start=2", "--end=-1", "--ignore=35"],
    "grep": ["grep", "--pattern=^chr[12]"],
    "random-lines": ["random-lines", "--lines", "4"],
    "wc": ["wc", "--counts=lines,words,characters", "--header"],
    "paste": ["paste", "{second}", "--delimiter", "C"],
}


def run_line_tool(name: str, source: Path, tmp_path: Path, label: str) -> tuple[int, str, str]:
    """Run one subcommand of LINE_TOOLS on `source`; return exit code, output and stderr."""
    command, *options = LINE_TOOLS[name]
    output = tmp_path / f"{name}-{label}.out"
    second = write_lines(tmp_path / "second.txt", ["1", "2"])
    if "{second}" in options:
        options.remove("{second}")
        args = [command, source, second, output, *options]
    else:
        args = [command, source, output, *options]
    result = run_ops(*args)
    text = output.read_text() if output.exists() else ""
    return result.returncode, text, result.stderr


@pytest.mark.parametrize("name", sorted(LINE_TOOLS))
def test_empty_input_gives_empty_result(name: str, tmp_path: Path) -> None:
    empty = write_lines(tmp_path / "empty.txt", [])

    code, text, stderr = run_line_tool(name, empty, tmp_path, "empty")

    assert code == 0, stderr
    assert stderr == ""
    expected = "#lines\twords\tcharacters\n0\t0\t0\n" if name == "wc" else ""
    if name == "paste":
        expected = ",1\n,2\n"
    assert text == expected


@pytest.mark.parametrize("name", sorted(set(LINE_TOOLS) - {"wc"}))
def test_crlf_input_reads_like_lf(name: str, tmp_path: Path) -> None:
    unix = write_lines(tmp_path / "unix.txt", TABLE)
    windows = write_lines(tmp_path / "windows.txt", TABLE, ending="\r\n")

    unix_result = run_line_tool(name, unix, tmp_path, "unix")
    windows_result = run_line_tool(name, windows, tmp_path, "windows")

    assert unix_result[0] == 0, unix_result[2]
    assert windows_result == unix_result or name == "random-lines"
    assert "\r" not in windows_result[1]


@pytest.mark.parametrize("name", sorted(set(LINE_TOOLS) - {"random-lines"}))
def test_missing_final_newline_reads_like_complete_file(name: str, tmp_path: Path) -> None:
    complete = write_lines(tmp_path / "complete.txt", TABLE)
    cut_short = write_lines(tmp_path / "cut_short.txt", TABLE, final=False)

    complete_result = run_line_tool(name, complete, tmp_path, "complete")
    short_result = run_line_tool(name, cut_short, tmp_path, "short")

    assert complete_result[0] == 0, complete_result[2]
    if name == "wc":
        # Same lines and words; one character fewer, the missing line end.
        assert short_result[1] == complete_result[1].replace("\t63\n", "\t62\n")
    else:
        assert short_result == complete_result


def test_random_lines_counts_unterminated_last_line(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", TABLE, final=False)

    code, text, _ = run_line_tool("random-lines", source, tmp_path, "all")

    assert code == 0
    assert text.splitlines() == TABLE


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cut", ["geneA\tchr1", "geneB\tchr2", "geneC\tchrX"]),
        ("merge-columns", [f"{line}\t{line.split()[2]}{line.split()[0]}" for line in TABLE[1:]]),
        ("remove-beginning", TABLE[1:]),
        ("head", TABLE[:3]),
        ("tail", [TABLE[0], *TABLE[2:]]),
        (
            "change-case",
            ["#CHROM\tstart\tname", *[line.upper()[:4] + line[4:] for line in TABLE[1:]]],
        ),
        ("add-value", [f"{line}\tx-{index}" for index, line in enumerate(TABLE)]),
        ("trim", [TABLE[0], "chr1\t100\tene", "chr2\t200\tene", "chrX\t300\tene"]),
        ("grep", TABLE[1:3]),
        ("wc", ["#lines\twords\tcharacters", "4\t12\t63"]),
    ],
)
def test_comment_lines_are_handled_as_galaxy_does(
    name: str, expected: list[str], tmp_path: Path
) -> None:
    source = write_lines(tmp_path / "table.txt", TABLE)

    code, text, stderr = run_line_tool(name, source, tmp_path, "comments")

    assert code == 0, stderr
    assert text.splitlines() == expected


def test_cut_fills_missing_columns(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["a\tb\tc", "d", "e\tf\t\t"])
    output = tmp_path / "out.tabular"

    result = run_ops("cut", source, output, "--columns=c3,c1", "--delimiter", "T", output=output)

    assert result.returncode == 0
    assert result.lines == ["c\ta", ".\td", ".\te"]
    assert "2 lines have fewer than 3 columns, first at line 2" in result.stdout


def test_cut_splits_on_each_delimiter(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["a.b_c-d|e,f g  h"])
    expected = {
        "Dt": "b_c-d|e,f g  h",
        "U": "c-d|e,f g  h",
        "D": "d|e,f g  h",
        "P": "e,f g  h",
        "C": "f g  h",
        "Sp": "g",
    }

    for delimiter, second_column in expected.items():
        output = tmp_path / f"{delimiter}.out"
        result = run_ops(
            "cut", source, output, "--columns=c2", "--delimiter", delimiter, output=output
        )
        assert result.lines == [second_column], delimiter


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ("c1,x2", "'x2' in the column list 'c1,x2' is not a column"),
        ("c0", "column numbers start at 1"),
        ("c3-c1", "runs backwards"),
        (" , ", "no columns given"),
    ],
)
def test_cut_rejects_invalid_column_lists(columns: str, message: str, tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", TABLE)

    result = run_ops("cut", source, tmp_path / "out", f"--columns={columns}")

    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_merge_columns_counts_short_lines(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["a\tb\tc", "", "d\te", "f"])
    output = tmp_path / "out"

    result = run_ops("merge-columns", source, output, "3", "1", output=output)

    assert result.returncode == 0
    assert result.lines == ["a\tb\tc\tca", "d\te\td", "f\tf"]
    assert "2 lines have fewer than 3 columns, first at line 3" in result.stdout


def test_trim_stops_at_line_without_column(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["a\tbcd", "e"])

    result = run_ops("trim", source, tmp_path / "out", "--column=2", "--start=2")

    assert result.returncode == 1
    assert "line 2 has 1 columns, so column 2 cannot be trimmed" in result.stderr
    assert "Traceback" not in result.stderr


def test_trim_negative_end_empties_short_text(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["abcdef", "ab", "", ">keep me"])
    output = tmp_path / "out"

    result = run_ops("trim", source, output, "--end=-3", "--ignore=62,64", output=output)

    assert result.lines == ["abc", "", ">keep me"]


def test_undecodable_bytes_pass_through_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "latin1.txt"
    source.write_bytes(b"caf\xe9\tna\xefve\nplain\tline\n")
    output = tmp_path / "out"

    result = run_ops("head", source, output, "--lines", "5")

    assert result.returncode == 0
    assert output.read_bytes() == source.read_bytes()


def test_add_value_keeps_number_width_and_restores_tokens(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["a", "b", "c"])
    padded, tokens = tmp_path / "padded", tmp_path / "tokens"

    run_ops("add-value", source, padded, "--value=098", "--iterate")
    run_ops("add-value", source, tokens, "--value=__lt__x__gt____pd__1")

    assert padded.read_text().splitlines() == ["a\t098", "b\t099", "c\t100"]
    assert tokens.read_text().splitlines() == ["a\t<x>#1", "b\t<x>#1", "c\t<x>#1"]


def test_add_value_rejects_line_break(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["a"])

    result = run_ops("add-value", source, tmp_path / "out", "--value=x__cn__y")

    assert result.returncode == 1
    assert "one line of text" in result.stderr


def test_change_case_lowercases_whitespace_columns(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["  ONE  Two THREE  ", "FOUR"])
    output = tmp_path / "out"

    result = run_ops(
        "change-case",
        source,
        output,
        "--columns=c2,c4",
        "--delimiter",
        "SPACE",
        "--case",
        "lo",
        output=output,
    )

    assert result.lines == ["\tone\tTwo\tthree", "FOUR"]


def test_condense_and_convert_characters(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["  a::b:::c  ", "d..e"])
    condensed, converted = tmp_path / "condensed", tmp_path / "converted"

    run_ops("condense", source, condensed, "--character", "Dt")
    run_ops("convert", source, converted, "--from", "Co")

    assert condensed.read_text().splitlines() == ["  a::b:::c  ", "d.e"]
    assert converted.read_text().splitlines() == ["a\tb\tc", "d..e"]


def test_paste_pads_shorter_input(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.txt", ["a", "b", "c"], ending="\r\n")
    second = write_lines(tmp_path / "b.txt", ["1"], final=False)
    output = tmp_path / "out"

    result = run_ops("paste", first, second, output, "--delimiter", "Sp", output=output)

    assert result.lines == ["a 1", "b ", "c "]
    assert "The first dataset has 3 lines and the second 1" in result.stdout


def test_cat_separates_unterminated_text_input(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.txt", ["a1", "a2"], ending="\r\n", final=False)
    empty = write_lines(tmp_path / "empty.txt", [])
    second = write_lines(tmp_path / "b.txt", ["b1"])
    text_output, binary_output = tmp_path / "text", tmp_path / "binary"

    run_ops("cat", text_output, first, empty, second)
    run_ops("cat", binary_output, first, empty, second, "--binary")

    assert text_output.read_bytes() == b"a1\r\na2\nb1\n"
    assert binary_output.read_bytes() == b"a1\r\na2b1\n"


def test_tail_reads_across_blocks(tmp_path: Path) -> None:
    lines = [f"line {number} " + "x" * 100 for number in range(3000)]
    source = write_lines(tmp_path / "big.txt", lines, ending="\r\n")
    output = tmp_path / "out"

    result = run_ops("tail", source, output, "--lines", "1500", "--header", output=output)

    assert result.lines == [lines[0], *lines[1500:]]


def test_tail_with_more_lines_than_file(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["a", "b"], final=False)
    output = tmp_path / "out"

    result = run_ops("tail", source, output, "--lines", "5", output=output)

    assert result.lines == ["a", "b"]


@pytest.mark.parametrize("command", ["head", "tail", "random-lines"])
def test_line_count_below_one_is_rejected(command: str, tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", TABLE)

    result = run_ops(command, source, tmp_path / "out", "--lines", "0")

    assert result.returncode == 1
    assert "got 0" in result.stderr


def test_wc_counts_chosen_values_in_fixed_order(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("héllo  wörld\r\n\tend", encoding="utf-8")
    output = tmp_path / "out"

    result = run_ops("wc", source, output, "--counts=characters,lines", output=output)

    assert result.lines == ["2\t18"]


def test_wc_requires_a_count(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", TABLE)

    result = run_ops("wc", source, tmp_path / "out", "--counts=None")

    assert result.returncode == 1
    assert "choose one or more of lines, words, characters" in result.stderr


def test_digest_hashes_bytes_in_given_order(tmp_path: Path) -> None:
    data = b"chr1\t1\t2\r\nno final line end"
    source = tmp_path / "in.bin"
    source.write_bytes(data)
    output = tmp_path / "out"

    result = run_ops("digest", source, output, "--algorithms=sha512,md5", output=output)

    assert result.lines == [
        "#sha512\tmd5",
        f"{hashlib.sha512(data).hexdigest()}\t{hashlib.md5(data).hexdigest()}",
    ]


@pytest.mark.parametrize(
    ("algorithms", "message"),
    [
        ("md4", "unknown algorithm 'md4'"),
        ("md5,md5", "each algorithm may be given once"),
        ("None", "choose one or more"),
    ],
)
def test_digest_rejects_invalid_algorithms(algorithms: str, message: str, tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", TABLE)

    result = run_ops("digest", source, tmp_path / "out", f"--algorithms={algorithms}")

    assert result.returncode == 1
    assert message in result.stderr


def test_digest_of_empty_input(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "empty.txt", [])
    output = tmp_path / "out"

    result = run_ops("digest", source, output, "--algorithms=sha1", output=output)

    assert result.lines == ["#sha1", hashlib.sha1(b"").hexdigest()]


def test_random_lines_with_seed_repeat(tmp_path: Path) -> None:
    lines = [f"line {number}" for number in range(100)]
    source = write_lines(tmp_path / "in.txt", lines)
    first, second, other = tmp_path / "first", tmp_path / "second", tmp_path / "other"

    run_ops("random-lines", source, first, "--lines", "10", "--seed=asdf")
    run_ops("random-lines", source, second, "--lines", "10", "--seed=asdf")
    run_ops("random-lines", source, other, "--lines", "10", "--seed=other")

    chosen = first.read_text().splitlines()
    assert len(chosen) == 10
    assert len(set(chosen)) == 10
    assert chosen == sorted(chosen, key=lines.index)
    assert second.read_text() == first.read_text()
    assert other.read_text() != first.read_text()


def test_random_lines_most_of_file_stays_in_order(tmp_path: Path) -> None:
    lines = [f"line {number}" for number in range(50)]
    source = write_lines(tmp_path / "in.txt", lines)
    output = tmp_path / "out"

    result = run_ops("random-lines", source, output, "--lines", "45", "--seed=7", output=output)

    assert len(result.lines) == 45
    assert result.lines == [line for line in lines if line in set(result.lines)]
    assert "Kept 45 of 50 total lines." in result.stdout
    assert 'Used random seed of "7".' in result.stdout


def test_random_lines_choose_each_line_evenly(tmp_path: Path) -> None:
    lines = [f"line {number}" for number in range(5)]
    source = write_lines(tmp_path / "in.txt", lines)
    output = tmp_path / "out"
    chosen = Counter[str]()

    for seed in range(1000):
        random_lines(source, output, 2, str(seed))
        chosen.update(output.read_text().splitlines())

    # Each line is in 2 of 5 draws, 400 of 1000 expected; the bounds are 6 standard
    # deviations wide, and the seeds fix the result.
    assert sum(chosen.values()) == 2000
    for line in lines:
        assert 310 < chosen[line] < 490, chosen


def test_random_lines_more_than_available_writes_all(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", TABLE)
    output = tmp_path / "out"

    result = run_ops("random-lines", source, output, "--lines", "10", output=output)

    assert result.returncode == 0
    assert result.lines == TABLE
    assert "only 4 lines, fewer than the 10 requested" in result.stdout


def test_missing_input_is_one_line_error(tmp_path: Path) -> None:
    result = run_ops("head", tmp_path / "absent.txt", tmp_path / "out")

    assert result.returncode == 1
    assert "absent.txt' does not exist" in result.stderr
    assert len(result.stderr.splitlines()) == 1
