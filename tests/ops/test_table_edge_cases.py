"""Every table tool on empty input, CRLF line ends, a missing final newline, comment
lines and malformed rows, run through `nebula-ops` as a job runs it."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from .helpers import run_ops, write_lines

ROWS = ["chr2\t20\tb", "chr1\t10\ta", "chr1\t30\tc"]
KEYS = ["a\tfirst", "c\tthird"]


def _run(tool: str, tmp_path: Path, lines: list[str], ending: str = "\n", final: bool = True):
    """Run one tool on `lines`, with a fixed second input where it needs one."""
    source = write_lines(tmp_path / "in.tab", lines, ending, final)
    second = write_lines(tmp_path / "keys.tab", KEYS)
    output = tmp_path / "out.tab"
    arguments = {
        "sort": ["table-sort", source, output, "--key", "2,num,ASC"],
        "join": ["table-join", source, second, output, "--field1", "3", "--field2", "1"],
        "compare": ["table-compare", source, second, output, "--field1", "3", "--field2", "1"],
        "filter": [
            "table-filter",
            source,
            output,
            "--cond",
            "c2__gt__15",
            "--column-types",
            "str,int,str",
        ],
        "compute": [
            "table-compute",
            source,
            output,
            "--expression",
            "c2*2",
            "--column-types",
            "str,int,str",
        ],
        "group": ["table-group", source, output, "--group-column", "1", "--operation", "sum,2,no"],
        "count": ["table-count", source, output, "--columns", "1"],
        "summary": ["table-summary", source, output, "--expression", "c2"],
        "arithmetic": ["table-arithmetic", source, source, output, "--operation", "Addition"],
    }[tool]
    return run_ops(*arguments, output=output, cwd=tmp_path)


# Output of each tool for ROWS.
EXPECTED = {
    "sort": ["chr1\t10\ta", "chr2\t20\tb", "chr1\t30\tc"],
    "join": ["chr1\t10\ta\ta\tfirst", "chr1\t30\tc\tc\tthird"],
    "compare": ["chr1\t10\ta", "chr1\t30\tc"],
    "filter": ["chr2\t20\tb", "chr1\t30\tc"],
    "compute": ["chr2\t20\tb\t40", "chr1\t10\ta\t20", "chr1\t30\tc\t60"],
    "group": ["chr1\t40", "chr2\t20"],
    "count": ["2\tchr1", "1\tchr2"],
    "summary": ["#sum\tmean\tstdev\t0%\t25%\t50%\t75%\t100%", "60\t20\t10\t10\t15\t20\t25\t30"],
    "arithmetic": ["chr2\t40\tb", "chr1\t20\ta", "chr1\t60\tc"],
}
TOOLS = sorted(EXPECTED)
# Tools whose output has no row for an empty input; summary writes its heading and nan.
EMPTY_OUTPUT = {tool: [] for tool in TOOLS} | {
    "summary": ["#sum\tmean\tstdev\t0%\t25%\t50%\t75%\t100%", "\t".join(["0"] + ["nan"] * 7)],
}


@pytest.mark.parametrize("tool", TOOLS)
def test_rows_give_expected_output(tool: str, tmp_path: Path) -> None:
    rows = ROWS if tool != "arithmetic" else ["1\t20\t3", "4\t10\t6", "7\t30\t9"]

    result = _run(tool, tmp_path, rows)

    assert result.returncode == 0, result.stderr
    if tool == "arithmetic":
        assert result.lines == ["2\t40\t6", "8\t20\t12", "14\t60\t18"]
    else:
        assert result.lines == EXPECTED[tool]


@pytest.mark.parametrize("tool", TOOLS)
def test_empty_input_gives_empty_output(tool: str, tmp_path: Path) -> None:
    result = _run(tool, tmp_path, [])

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.lines == EMPTY_OUTPUT[tool]


@pytest.mark.parametrize("tool", TOOLS)
def test_crlf_input_is_read_like_lf(tool: str, tmp_path: Path) -> None:
    plain = _run(tool, tmp_path, _rows(tool))
    plain_bytes = (tmp_path / "out.tab").read_bytes()

    crlf = _run(tool, tmp_path, _rows(tool), ending="\r\n")

    assert crlf.returncode == 0, crlf.stderr
    assert b"\r" not in (tmp_path / "out.tab").read_bytes()
    if tool != "arithmetic":
        assert crlf.lines == plain.lines
    assert plain_bytes.endswith(b"\n")


@pytest.mark.parametrize("tool", TOOLS)
def test_missing_final_newline_keeps_last_row(tool: str, tmp_path: Path) -> None:
    complete = _run(tool, tmp_path, _rows(tool))

    truncated = _run(tool, tmp_path, _rows(tool), final=False)

    assert truncated.returncode == 0, truncated.stderr
    assert truncated.lines == complete.lines


@pytest.mark.parametrize("tool", TOOLS)
def test_comment_lines_are_never_data(tool: str, tmp_path: Path) -> None:
    rows = _rows(tool)
    commented = ["#chrom\tpos\tname", rows[0], "", "# note", *rows[1:]]

    plain = _run(tool, tmp_path, rows)
    result = _run(tool, tmp_path, commented)

    assert result.returncode == 0, result.stderr
    if tool == "sort":
        # Galaxy's Sort keeps comment lines, first and in file order.
        assert result.lines == ["#chrom\tpos\tname", "# note", *plain.lines]
    else:
        assert result.lines == plain.lines
        assert "#chrom" not in "\n".join(result.lines)


@pytest.mark.parametrize("tool", ["filter", "compute", "group", "count", "summary"])
def test_malformed_row_is_skipped_and_counted(tool: str, tmp_path: Path) -> None:
    malformed = "chr3\tNA" if tool != "group" and tool != "count" else "chr3"
    if tool == "group":
        rows = [*ROWS[:1], "lonely", *ROWS[1:]]
    elif tool == "count":
        rows = [*ROWS[:1], "", *ROWS[1:]]
        rows[1] = "\tx"  # an empty first column still counts as a value
    else:
        rows = [*ROWS[:1], malformed, *ROWS[1:]]

    result = _run(tool, tmp_path, rows)

    assert result.returncode == 0, result.stderr
    if tool == "count":
        assert result.lines == ["1\t", "2\tchr1", "1\tchr2"]
        return
    assert result.lines == EXPECTED[tool]
    assert "skipped 1 invalid line of input, first at line 2" in result.stdout


def test_count_skips_rows_without_the_column(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", ["a\t1", "b", "a\t1"])
    output = tmp_path / "out.tab"

    result = run_ops("table-count", source, output, "--columns", "1,2", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["2\ta\t1"]
    assert (
        "skipped 1 invalid line of input, first at line 2: the row has 1 columns" in result.stdout
    )


def test_group_fails_on_text_in_numeric_column_with_line_number(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", ["chr1\t10", "chr1\thap"])
    output = tmp_path / "out.tab"

    result = run_ops(
        "table-group", source, output, "--group-column", "1", "--operation", "mean,2,no"
    )

    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert "line 2: non-numeric value 'hap' in column 2" in result.stderr


def test_group_replaces_text_with_the_default(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", ["chr1\t10", "chr1\thap"])
    output = tmp_path / "out.tab"

    result = run_ops(
        "table-group",
        source,
        output,
        "--group-column",
        "1",
        "--operation",
        "mean,2,no,0",
        output=output,
    )

    assert result.returncode == 0, result.stderr
    assert result.lines == ["chr1\t5"]


def test_arithmetic_names_the_bad_cell(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.tab", ["1\t2", "3\tx"])
    second = write_lines(tmp_path / "b.tab", ["1\t2", "3\t4"])
    output = tmp_path / "out.tab"

    result = run_ops("table-arithmetic", first, second, output, "--operation", "Addition")

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "line 2, column 2 of input1 is not a number: 'x'" in result.stderr


def test_arithmetic_rejects_tables_of_different_shape(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.tab", ["1\t2", "3\t4"])
    second = write_lines(tmp_path / "b.tab", ["1\t2"])
    output = tmp_path / "out.tab"

    result = run_ops("table-arithmetic", first, second, output, "--operation", "Division")

    assert result.returncode == 1
    assert "different numbers of rows: input1 has more, from its line 2" in result.stderr


def test_arithmetic_division_by_zero_names_the_cell(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.tab", ["1\t2"])
    second = write_lines(tmp_path / "b.tab", ["1\t0"])
    output = tmp_path / "out.tab"

    result = run_ops("table-arithmetic", first, second, output, "--operation", "Division")

    assert result.returncode == 1
    assert "division by zero: line 1, column 2 of input2 is 0" in result.stderr


def test_join_keeps_partial_rows_only_when_asked(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.tab", ["x\t1\ta", "y\t2", "z\t3\t"])
    second = write_lines(tmp_path / "b.tab", KEYS)
    output = tmp_path / "out.tab"

    dropped = run_ops(
        "table-join", first, second, output, "--field1", "3", "--field2", "1", output=output
    )
    kept = run_ops(
        "table-join",
        first,
        second,
        output,
        "--field1",
        "3",
        "--field2",
        "1",
        "--keep-partial",
        output=output,
    )

    assert dropped.lines == ["x\t1\ta\ta\tfirst"]
    assert kept.lines == ["x\t1\ta\ta\tfirst", "y\t2", "z\t3\t"]
    assert "kept 2 rows of input1 without a value in column 3" in kept.stdout


def test_join_spills_large_key_groups_to_disk(tmp_path: Path, monkeypatch) -> None:
    from nebula.ops.tables import keyed
    from nebula.ops.tables.join import JoinOptions, join_tables

    monkeypatch.setattr(keyed, "SPILL_BYTES", 50)
    first = write_lines(tmp_path / "a.tab", ["k\t1", "k\t2"])
    second = write_lines(tmp_path / "b.tab", [f"k\t{index}" for index in range(30)])
    output = tmp_path / "out.tab"

    join_tables(first, second, output, 1, 1, JoinOptions(), temp_dir=tmp_path)

    lines = output.read_text().splitlines()
    assert len(lines) == 60
    assert lines[0] == "k\t1\tk\t0"
    assert lines[-1] == "k\t2\tk\t29"


def test_sort_with_runs_on_disk_matches_in_memory_sort(tmp_path: Path, monkeypatch) -> None:
    from nebula.ops.external_sort import sorted_lines
    from nebula.ops.tables import sort as sort_module
    from nebula.ops.tables.sort_keys import SortColumn, SortStyle, line_key

    rows = [f"chr{index % 7}\t{(index * 37) % 101}\tname{index}" for index in range(3000)]
    source = write_lines(tmp_path / "in.tab", ["#header", *rows])
    output = tmp_path / "out.tab"
    columns = [SortColumn(2, SortStyle.NUMERIC, True), SortColumn(1, SortStyle.ALPHABETICAL, False)]
    monkeypatch.setattr(sort_module, "sorted_lines", partial(sorted_lines, run_bytes=5000))

    sort_module.sort_table(source, output, columns, temp_dir=tmp_path)

    assert output.read_text().splitlines() == ["#header", *sorted(rows, key=line_key(columns))]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.tab", "out.tab"]


def _rows(tool: str) -> list[str]:
    return ROWS if tool != "arithmetic" else ["1\t20\t3", "4\t10\t6"]
