"""Galaxy's own test cases for the twelve interval tools, run against `nebula-ops`.

Each case of tests/data/conformance/cases.yaml names input files with their datatype,
the tool's parameters and the expected output. The column layout passed to `nebula-ops`
is the one Galaxy's dataset metadata gives those files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.conformance import compare, correct_known_defects, load_cases

from .helpers import CONFORMANCE_DATA, run_ops

TOOL_COMMANDS = {
    "gops_intersect_1": "intersect",
    "gops_subtract_1": "subtract",
    "gops_merge_1": "merge",
    "gops_cluster_1": "cluster",
    "gops_complement_1": "complement",
    "gops_concat_1": "concat",
    "gops_coverage_1": "coverage",
    "gops_basecoverage_1": "basecoverage",
    "gops_join_1": "join",
    "subtract_query1": "subtract-query",
    "flanking_features_1": "flanking-features",
    "get_flanks1": "get-flanks",
}
COLUMN_NAMES = {
    "chrom": ("chr", "chrom", "chromosome"),
    "start": ("start", "chromstart", "txstart"),
    "end": ("end", "chromend", "txend"),
    "strand": ("strand",),
}
STRANDS = {"+", "-", "."}
CASES = load_cases(TOOL_COMMANDS)


def test_all_interval_tool_cases_are_collected() -> None:
    tools = {case["tool_id"] for case in CASES}

    assert len(CASES) == 41
    assert tools == set(TOOL_COMMANDS)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_conformance_case(case: dict[str, Any], tmp_path: Path) -> None:
    ((output_name, expected),) = case["outputs"].items()
    output = tmp_path / "output"
    args = build_arguments(case, output)

    result = run_ops(*args, output=output)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    expected_lines = (CONFORMANCE_DATA / expected["file"]).read_text().splitlines()
    expected_lines = correct_known_defects(case["id"], expected_lines)
    compare(case, expected, result.lines, expected_lines)


def build_arguments(case: dict[str, Any], output: Path) -> list[str]:
    """Translate a case's inputs and parameters into a `nebula-ops` command line."""
    tool = case["tool_id"]
    params = {name: _param_value(value) for name, value in case["params"].items()}
    inputs = case["inputs"]
    names = ["input"] if "input" in inputs else sorted(inputs)
    args = [TOOL_COMMANDS[tool], *[str(CONFORMANCE_DATA / inputs[name]["file"]) for name in names]]
    args.append(str(output))
    if tool != "subtract_query1":
        for number, name in enumerate(names, start=1):
            args += layout_options(inputs[name], number)

    if tool in ("gops_intersect_1", "gops_subtract_1"):
        args += ["--min", params["min"]]
        if params["returntype"] == "-p":
            args.append("--pieces")
    elif tool == "gops_merge_1" and params["returntype"] == "true":
        args.append("--three-columns")
    elif tool == "gops_cluster_1":
        args += ["--distance", params["distance"], "--min-regions", params["minregions"]]
        args += ["--mode", params["returntype"]]
    elif tool == "gops_complement_1" and params["allchroms"] == "true":
        args.append("--all")
    elif tool == "gops_concat_1" and params["sameformat"] == "true":
        args.append("--same-format")
    elif tool == "gops_join_1":
        args += ["--min", params["min"], "--fill", params["fill"]]
    elif tool == "flanking_features_1":
        args += ["--direction", params["direction"]]
    elif tool == "get_flanks1":
        args += ["--region", params["region"], "--direction", params["direction"]]
        args += ["--offset", params["offset"], "--size", params["size"]]
    elif tool == "subtract_query1":
        for name in ("begin_col", "end_col"):
            if params[name]:
                args += [f"--{name.replace('_', '-')}", params[name]]
    return args


def layout_options(spec: dict[str, Any], number: int) -> list[str]:
    """Return --colsN/--formatN as Galaxy's metadata for this file and datatype gives them."""
    datatype = spec.get("ftype") or spec.get("ftype_implied")
    if datatype in ("gff", "gtf"):
        return [f"--format{number}", "gff"]
    path = CONFORMANCE_DATA / spec["file"]
    return [f"--cols{number}", metadata_columns(path)]


def metadata_columns(path: Path) -> str:
    """Guess chromCol,startCol,endCol,strandCol the way interval metadata is computed.

    A '#' header line naming the columns wins; otherwise columns 1-3 are chrom, start and
    end, and column 6 is the strand when the rows have one there.
    """
    lines = path.read_text().splitlines()
    if lines and lines[0].startswith("#"):
        names = [name.strip().lower() for name in lines[0].lstrip("#").split("\t")]
        found = {}
        for key, candidates in COLUMN_NAMES.items():
            for index, name in enumerate(names):
                if name in candidates:
                    found[key] = index + 1
                    break
        if {"chrom", "start", "end"} <= found.keys():
            return f"{found['chrom']},{found['start']},{found['end']},{found.get('strand', 0)}"
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    has_strand = bool(rows) and all(len(row) >= 6 and row[5] in STRANDS for row in rows[:20])
    return f"1,2,3,{6 if has_strand else 0}"


def _param_value(value: Any) -> str:
    if isinstance(value, dict):
        return str(value["option_value"])
    return "" if value is None else str(value)
