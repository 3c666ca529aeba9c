"""Edge cases of `nebula-ops`: odd input files, bad rows, bad options and fatal errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import run_ops, write_lines

BED6 = "1,2,3,6"
BED3 = "1,2,3,0"
ROWS_A = ["chr1\t100\t200\ta\t0\t+", "chr1\t500\t600\tb\t0\t-", "chr2\t10\t20\tc\t0\t+"]
ROWS_B = ["chr1\t150\t250", "chr2\t0\t15"]


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("intersect", []),
        ("subtract", []),
        ("coverage", []),
        ("join", ["--fill", "both"]),
        ("concat", []),
        ("flanking-features", []),
    ],
)
def test_two_input_command_on_empty_input(command: str, extra: list[str], tmp_path: Path) -> None:
    empty = write_lines(tmp_path / "empty.bed", [])
    output = tmp_path / "out"

    result = run_ops(
        command, empty, empty, output, "--cols1", BED6, "--cols2", BED6, *extra, output=output
    )

    assert result.returncode == 0, result.stderr
    assert output.read_text() == ""


@pytest.mark.parametrize(
    ("command", "extra"),
    [("merge", []), ("complement", []), ("cluster", []), ("get-flanks", [])],
)
def test_one_input_command_on_empty_input(command: str, extra: list[str], tmp_path: Path) -> None:
    empty = write_lines(tmp_path / "empty.bed", [])
    output = tmp_path / "out"

    result = run_ops(command, empty, output, "--cols1", BED6, *extra, output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_text() == ""


def test_basecoverage_of_empty_input_is_zero(tmp_path: Path) -> None:
    empty = write_lines(tmp_path / "empty.bed", [])
    output = tmp_path / "out"

    result = run_ops("basecoverage", empty, output, "--cols1", BED3, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["0"]


def test_crlf_input_gives_same_output_as_lf(tmp_path: Path) -> None:
    first_lf = write_lines(tmp_path / "a_lf.bed", ROWS_A)
    first_crlf = write_lines(tmp_path / "a_crlf.bed", ROWS_A, ending="\r\n")
    second_crlf = write_lines(tmp_path / "b_crlf.bed", ROWS_B, ending="\r\n")
    out_lf, out_crlf = tmp_path / "lf.out", tmp_path / "crlf.out"

    lf = run_ops(
        "intersect", first_lf, second_crlf, out_lf, "--cols1", BED6, "--cols2", BED3, output=out_lf
    )
    crlf = run_ops(
        "intersect",
        first_crlf,
        second_crlf,
        out_crlf,
        "--cols1",
        BED6,
        "--cols2",
        BED3,
        output=out_crlf,
    )

    assert crlf.returncode == 0, crlf.stderr
    assert crlf.lines == lf.lines == [ROWS_A[0], ROWS_A[2]]
    assert b"\r" not in out_crlf.read_bytes()


def test_missing_final_newline_keeps_last_row(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ROWS_A, final=False)
    second = write_lines(tmp_path / "b.bed", ROWS_B, final=False)
    output = tmp_path / "out"

    result = run_ops(
        "intersect", first, second, output, "--cols1", BED6, "--cols2", BED3, output=output
    )

    assert result.returncode == 0, result.stderr
    assert output.read_text() == f"{ROWS_A[0]}\n{ROWS_A[2]}\n"


def test_malformed_rows_are_skipped_and_reported(tmp_path: Path) -> None:
    rows = [ROWS_A[0], "chr1\tabc\t300\tbad\t0\t+", "chr1\t400", ROWS_A[1], "chr1\t90\t80\tx\t0\t+"]
    first = write_lines(tmp_path / "a.bed", rows)
    second = write_lines(tmp_path / "b.bed", ["chr1\t0\t1000"])
    output = tmp_path / "out"

    result = run_ops(
        "intersect", first, second, output, "--cols1", BED6, "--cols2", BED3, output=output
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == [ROWS_A[0], ROWS_A[1]]
    assert result.stdout.strip() == (
        "skipped 3 invalid lines of input1, first at line 2: start 'abc' is not an integer"
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("intersect", [ROWS_A[0], ROWS_A[2]]),
        ("subtract", [ROWS_A[1]]),
        ("coverage", [f"{ROWS_A[0]}\t50\t0.5", f"{ROWS_A[1]}\t0\t0.0", f"{ROWS_A[2]}\t5\t0.5"]),
    ],
)
def test_input2_malformed_rows_are_reported(
    command: str, expected: list[str], tmp_path: Path
) -> None:
    rows = [ROWS_B[0], "chr1\tabc\t300", "", "chr1\t400", ROWS_B[1], "chr2\t90\t80"]
    first = write_lines(tmp_path / "a.bed", ROWS_A)
    second = write_lines(tmp_path / "b.bed", rows)
    output = tmp_path / "out"

    result = run_ops(
        command, first, second, output, "--cols1", BED6, "--cols2", BED3, output=output
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == expected
    assert result.stdout.strip() == (
        "skipped 3 invalid lines of input2, first at line 2: start 'abc' is not an integer"
    )


def test_input2_without_readable_rows_fails(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ROWS_A)
    second = write_lines(tmp_path / "b.bed", ["# peaks", "chr1\tx\ty", "chr1\t9\t3"])
    output = tmp_path / "out"

    result = run_ops(
        "intersect", first, second, output, "--cols1", BED6, "--cols2", BED3, output=output
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "nebula-ops intersect: none of the 2 data lines of input2 could be read "
        "(line 2: start 'x' is not an integer); check the column settings "
        "(chrom,start,end,strand = 1,2,3,0) and the dataset's format"
    )


def test_dataset_without_readable_rows_fails(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ["chr1\tx\ty", "chr1\tz\tw"])
    output = tmp_path / "out"

    result = run_ops("merge", first, output, "--cols1", BED3, output=output)

    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert "none of the 2 data lines of input1 could be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_header_lines_pass_through_intersect(tmp_path: Path) -> None:
    rows = ["track name=genes", "browser position chr1:1-1000", "# a comment", ROWS_A[0]]
    first = write_lines(tmp_path / "a.bed", rows)
    second = write_lines(tmp_path / "b.bed", ["track name=peaks", *ROWS_B])
    output = tmp_path / "out"

    result = run_ops(
        "intersect", first, second, output, "--cols1", BED6, "--cols2", BED3, output=output
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == rows
    assert result.stdout == ""


def test_unknown_strand_row_is_written_unchanged(tmp_path: Path) -> None:
    row = "chr1\t100\t200\tn\t0\t."
    first = write_lines(tmp_path / "a.bed", [row])
    second = write_lines(tmp_path / "b.bed", ROWS_B)
    output = tmp_path / "out"

    result = run_ops(
        "intersect", first, second, output, "--cols1", BED6, "--cols2", BED3, output=output
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == [row]


def test_unknown_strand_flanks_like_plus_strand(tmp_path: Path) -> None:
    first = write_lines(
        tmp_path / "a.bed", ["chr1\t1000\t2000\tn\t0\t.", "chr1\t1000\t2000\tm\t0\t+"]
    )
    output = tmp_path / "out"

    result = run_ops(
        "get-flanks",
        first,
        output,
        "--cols1",
        BED6,
        "--direction",
        "Upstream",
        "--size",
        "100",
        output=output,
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == ["chr1\t900\t1000\tn\t0\t.", "chr1\t900\t1000\tm\t0\t+"]


def test_minus_strand_flanks_are_mirrored(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ["chr1\t1000\t2000\tg\t0\t-"])
    output = tmp_path / "out"

    result = run_ops(
        "get-flanks",
        first,
        output,
        "--cols1",
        BED6,
        "--direction",
        "Both",
        "--size",
        "100",
        "--offset",
        "10",
        output=output,
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == ["chr1\t1990\t2090\tg\t0\t-", "chr1\t890\t990\tg\t0\t-"]


def test_flank_before_chromosome_start_is_cut_at_zero(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ["chr1\t30\t80\tg\t0\t+", "chr1\t0\t80\th\t0\t+"])
    output = tmp_path / "out"

    result = run_ops("get-flanks", first, output, "--cols1", BED6, "--size", "50", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["chr1\t0\t30\tg\t0\t+"]
    assert "left out 1 flanks" in result.stdout


def test_zero_length_rows_cover_nothing(tmp_path: Path) -> None:
    rows = ["chr1\t150\t150\tpoint\t0\t+", ROWS_A[0]]
    first = write_lines(tmp_path / "a.bed", rows)
    second = write_lines(tmp_path / "b.bed", ["chr1\t100\t200", "chr1\t300\t300"])
    intersected, subtracted, covered = tmp_path / "i", tmp_path / "s", tmp_path / "c"

    intersect = run_ops(
        "intersect",
        first,
        second,
        intersected,
        "--cols1",
        BED6,
        "--cols2",
        BED3,
        output=intersected,
    )
    subtract = run_ops(
        "subtract", first, second, subtracted, "--cols1", BED6, "--cols2", BED3, output=subtracted
    )
    coverage = run_ops(
        "coverage", first, second, covered, "--cols1", BED6, "--cols2", BED3, output=covered
    )

    assert intersect.lines == [ROWS_A[0]]
    assert subtract.lines == [rows[0]]
    assert coverage.lines == [f"{rows[0]}\t0\t0.0", f"{ROWS_A[0]}\t100\t1.0"]


def test_zero_length_rows_vanish_from_merge(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ["chr1\t50\t50", "chr1\t100\t200", "chr1\t200\t210"])
    output = tmp_path / "out"

    result = run_ops("merge", first, output, "--cols1", BED3, output=output)

    assert result.lines == ["chr1\t100\t210"]


def test_coordinates_past_two_to_the_31_work(tmp_path: Path) -> None:
    big = 3_000_000_000
    first = write_lines(
        tmp_path / "a.bed", [f"chrB\t{big}\t{big + 100}", f"chrB\t{big + 50}\t{big + 300}"]
    )
    second = write_lines(tmp_path / "b.bed", [f"chrB\t{big + 90}\t{big + 95}"])
    merged, pieces = tmp_path / "m", tmp_path / "p"

    merge = run_ops("merge", first, merged, "--cols1", BED3, output=merged)
    intersect = run_ops(
        "intersect",
        first,
        second,
        pieces,
        "--cols1",
        BED3,
        "--cols2",
        BED3,
        "--pieces",
        output=pieces,
    )

    assert merge.lines == [f"chrB\t{big}\t{big + 300}"]
    assert intersect.lines == [f"chrB\t{big + 90}\t{big + 95}"] * 2


def test_rows_past_largest_coordinate_are_skipped(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ["chrM\t10\t20", "chrM\t4294967295\t4294967322"])
    output = tmp_path / "out"

    result = run_ops("basecoverage", first, output, "--cols1", BED3, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["10"]
    assert "first at line 2: end 4294967322 is larger than 4294967295" in result.stdout


def test_gff_pieces_keep_one_based_starts(tmp_path: Path) -> None:
    gff = 'chr1\tsrc\texon\t101\t200\t.\t+\t.\tgene_id "g"; transcript_id "t";'
    first = write_lines(tmp_path / "a.gff", [gff])
    second = write_lines(tmp_path / "b.bed", ["chr1\t149\t160"])
    output = tmp_path / "out"

    result = run_ops(
        "intersect",
        first,
        second,
        output,
        "--format1",
        "gff",
        "--cols2",
        BED3,
        "--pieces",
        output=output,
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == [gff.replace("\t101\t200\t", "\t150\t160\t")]


def test_gff_transcript_is_kept_as_a_unit(tmp_path: Path) -> None:
    rows = [
        'chr1\tsrc\ttranscript\t101\t900\t.\t+\t.\tgene_id "g"; transcript_id "t1";',
        'chr1\tsrc\texon\t101\t200\t.\t+\t.\tgene_id "g"; transcript_id "t1";',
        'chr1\tsrc\texon\t801\t900\t.\t+\t.\tgene_id "g"; transcript_id "t1";',
        'chr1\tsrc\texon\t2001\t2100\t.\t+\t.\tgene_id "h"; transcript_id "t2";',
    ]
    first = write_lines(tmp_path / "a.gff", rows)
    second = write_lines(tmp_path / "b.bed", ["chr1\t850\t860"])
    output = tmp_path / "out"

    result = run_ops(
        "subtract", first, second, output, "--format1", "gff", "--cols2", BED3, output=output
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == [rows[3]]


def test_missing_input_file_is_one_line_error(tmp_path: Path) -> None:
    output = tmp_path / "out"

    result = run_ops("merge", tmp_path / "absent.bed", output, "--cols1", BED3)

    assert result.returncode == 1
    assert (
        result.stderr
        == f"nebula-ops merge: input file '{tmp_path / 'absent.bed'}' does not exist\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cols1", "1,2"], "option --cols1 must be CHROM,START,END[,STRAND]"),
        (["--cols1", "1,x,3"], "the start column in --cols1 must be a column number"),
        (["--cols1", "1,1,3"], "must be different columns"),
        ([], "option --cols1 is required for interval input"),
    ],
)
def test_bad_column_option_is_one_line_error(args: list[str], message: str, tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ROWS_A)

    result = run_ops("merge", first, tmp_path / "out", *args)

    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_bad_option_value_is_one_line_usage_error(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ROWS_A)

    result = run_ops(
        "intersect",
        first,
        first,
        tmp_path / "out",
        "--cols1",
        BED6,
        "--cols2",
        BED6,
        "--min",
        "abc",
    )

    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "invalid int value: 'abc'" in result.stderr


def test_min_overlap_below_one_is_rejected(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ROWS_A)

    result = run_ops(
        "intersect", first, first, tmp_path / "out", "--cols1", BED6, "--cols2", BED6, "--min", "0"
    )

    assert result.returncode == 1
    assert "minimum overlap must be an integer of 1 or more, got 0" in result.stderr


def test_empty_strand_metadata_means_no_strand(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ["chr1\t100\t200"])
    output = tmp_path / "out"

    result = run_ops(
        "get-flanks", first, output, "--cols1", "1,2,3,", "--size", "10", output=output
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == ["chr1\t90\t100"]


def test_complement_uses_chromosome_lengths(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.bed", ["chr2\t100\t200", "chr1\t0\t50"])
    lengths = write_lines(tmp_path / "hg.len", ["chr1\t1000", "chr2\t500", "chr3\t300"])
    output = tmp_path / "out"

    result = run_ops(
        "complement", first, output, "--cols1", BED3, "--lengths", lengths, "--all", output=output
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == [
        "chr1\t50\t1000",
        "chr2\t0\t100",
        "chr2\t200\t500",
        "chr3\t0\t300",
    ]


@pytest.mark.parametrize(
    ("mode", "expected"), [("smallest", "chr1\t120\t130\ts"), ("largest", "chr1\t100\t150\tl")]
)
def test_cluster_picks_member_by_length(mode: str, expected: str, tmp_path: Path) -> None:
    rows = ["chr1\t100\t150\tl", "chr1\t120\t130\ts", "chr1\t151\t170\tm", "chr1\t900\t950\tx"]
    first = write_lines(tmp_path / "a.bed", rows)
    output = tmp_path / "out"

    result = run_ops("cluster", first, output, "--cols1", BED3, "--mode", mode, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == [expected]


def test_subtract_query_compares_column_range(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.txt", ["a\t1\tx", "b\t2\ty", "a\t1\tz", "c"])
    second = write_lines(tmp_path / "b.txt", ["b\t2\tq"])
    output = tmp_path / "out"

    result = run_ops(
        "subtract-query",
        first,
        second,
        output,
        "--begin-col",
        "c2",
        "--end-col",
        "1",
        output=output,
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == ["a\t1"]
    assert "skipped 1 lines of input1 with fewer than 2 columns" in result.stdout


def test_cli_import_loads_no_operation_modules() -> None:
    code = (
        "import sys, nebula.ops.cli; nebula.ops.cli.build_parser(); "
        "print(' '.join(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('nebula', 'yaml', 'lxml', 'sqlalchemy', 'Cheetah', 'bx'))))"
    )

    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert completed.stdout.split() == [
        "nebula",
        "nebula.ops",
        "nebula.ops.cli",
        "nebula.ops.interval_commands",
        "nebula.ops.sequence_commands",
        "nebula.ops.table_commands",
        "nebula.ops.text_commands",
    ]
