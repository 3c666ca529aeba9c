"""Galaxy's own test cases for the table tools, run against `nebula-ops`.

Each case's parameters are translated into the arguments the tool XML renders; the
column count and types come from the same metadata scan that uploads get.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nebula.datatypes.tabular import Tabular, scan_table
from tests.support.conformance import compare, load_cases

from .helpers import CONFORMANCE_DATA, run_ops

TOOL_COMMANDS = {
    "sort1": "table-sort",
    "join1": "table-join",
    "comp1": "table-compare",
    "Filter1": "table-filter",
    "Grouping1": "table-group",
    "Count1": "table-count",
    "Summary_Statistics1": "table-summary",
    "Add_a_column1": "table-compute",
    "tables_arithmetic_operations": "table-arithmetic",
}
CASES = load_cases(TOOL_COMMANDS)
# Columns of Grouping1#3 whose value is picked at random; the case compares sizes only.
RANDOM_COLUMNS = {"galaxy:Grouping1#3": 11}


def test_all_table_tool_cases_are_collected() -> None:
    counts: dict[str, int] = {}
    for case in CASES:
        counts[case["tool_id"]] = counts.get(case["tool_id"], 0) + 1

    assert counts == {
        "sort1": 2,
        "join1": 6,
        "Filter1": 3,
        "Grouping1": 2,
        "tables_arithmetic_operations": 3,
    }


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_conformance_case(case: dict[str, Any], tmp_path: Path) -> None:
    ((_, expected),) = case["outputs"].items()
    output = tmp_path / "output"

    result = run_ops(*build_arguments(case, output), output=output, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    expected_lines = (CONFORMANCE_DATA / expected["file"]).read_text().splitlines()
    actual = result.lines
    if case["id"] in RANDOM_COLUMNS:
        # The random pick must be one of the group's values; the rest must match exactly.
        index = RANDOM_COLUMNS[case["id"]]
        check_random_picks(actual, index)
        actual = [_drop(line, index) for line in actual]
        expected_lines = [_drop(line, index) for line in expected_lines]
        compare(case, {**expected, "compare": "diff"}, actual, expected_lines)
        return
    compare(case, expected, actual, expected_lines)


def build_arguments(case: dict[str, Any], output: Path) -> list[str]:
    """Translate a case into the command line its tool XML would render."""
    tool = case["tool_id"]
    params = {name: _value(value) for name, value in case["params"].items()}
    files = {name: str(CONFORMANCE_DATA / spec["file"]) for name, spec in case["inputs"].items()}
    command = TOOL_COMMANDS[tool]

    if tool == "sort1":
        keys = [f"{params['column']},{params['style']},{params['order']}"]
        index = 0
        while f"column_set_{index}|other_column" in params:
            prefix = f"column_set_{index}|"
            keys.append(
                f"{params[prefix + 'other_column']},{params[prefix + 'other_style']},"
                f"{params[prefix + 'other_order']}"
            )
            index += 1
        return [command, files["input"], str(output), *[f"--key={key}" for key in keys]]

    if tool == "join1":
        args = [command, files["input1"], files["input2"], str(output)]
        args += ["--field1", params["field1"], "--field2", params["field2"]]
        if params.get("unmatched") == "-u":
            args.append("--keep-unmatched")
        if params.get("partial") == "-p":
            args.append("--keep-partial")
        if params.get("header") == "-H":
            args.append("--header")
        if params.get("fill_empty_columns|fill_empty_columns_switch") == "fill_empty":
            args += ["--columns1", str(metadata(files["input1"])[0])]
            args += ["--columns2", str(metadata(files["input2"])[0])]
            if params.get("fill_empty_columns|fill_columns_by") == "fill_all":
                args.append("--fill-joined")
            value = params["fill_empty_columns|do_fill_empty_columns|fill_value"]
            args += ["--fill-mode", "single", "--fill-value", value]
        return args

    if tool == "Filter1":
        columns, types = metadata(files["input"])
        return [
            command,
            files["input"],
            str(output),
            "--cond",
            params["cond"],
            "--header-lines",
            params["header_lines"],
            "--columns",
            str(columns),
            "--column-types",
            ",".join(types),
        ]

    if tool == "Grouping1":
        args = [command, files["input1"], str(output), "--group-column", params["groupcol"]]
        if params["ignorecase"] == "true":
            args.append("--ignore-case")
        index = 0
        while f"operations_{index}|optype" in params:
            prefix = f"operations_{index}|"
            args.append(
                f"--operation={params[prefix + 'optype']},{params[prefix + 'opcol']},"
                f"{params[prefix + 'opround']},None"
            )
            index += 1
        return args

    assert tool == "tables_arithmetic_operations", tool
    return [
        command,
        files["inputFile1"],
        files["inputFile2"],
        str(output),
        "--operation",
        params["inputArithmeticOperation3"],
    ]


def metadata(path: str) -> tuple[int, list[str]]:
    """Return the column count and column types an upload of this file gets."""
    summary = scan_table(path, Tabular())
    return summary.columns, summary.column_types


def check_random_picks(lines: list[str], index: int) -> None:
    source = (CONFORMANCE_DATA / "1.bed").read_text().splitlines()
    starts: dict[str, set[str]] = {}
    for line in source:
        fields = line.split("\t")
        starts.setdefault(fields[0], set()).add(fields[1])
    for line in lines:
        fields = line.split("\t")
        assert fields[index] in starts[fields[0]], line


def _drop(line: str, index: int) -> str:
    fields = line.split("\t")
    return "\t".join(fields[:index] + fields[index + 1 :])


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return str(value["option_value"])
    return "" if value is None else str(value)
