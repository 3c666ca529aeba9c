"""Galaxy's own test cases for the sequence tools, run against `nebula-ops`.

Each case runs twice: once as the `nebula-ops` arguments that the tool XML renders, and
once through the XML itself (validated request, rendered `<command>`, run with bash).
The dbkey case of fasta_compute_length reads Galaxy's data table fixtures (dbkeys.loc,
whose `${__HERE__}` is the conformance data folder) from the folder given by --tool-data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nebula.tools.command as command_module
from tests.support.conformance import compare, load_cases

from .helpers import CONFORMANCE_DATA, run_ops
from .sequence_support import FileResolver, load, render, run_shell

TOOL_IDS = ("fasta_compute_length", "fasta2tab", "tab2fasta", "fasta_filter_by_length",
            "count_gff_features", "createInterval")
CASES = load_cases(TOOL_IDS)
CASE_IDS = [case["id"] for case in CASES]


def test_all_sequence_cases_are_collected() -> None:
    counts: dict[str, int] = {}
    for case in CASES:
        counts[case["tool_id"]] = counts.get(case["tool_id"], 0) + 1

    assert counts == {
        "fasta_compute_length": 4,
        "fasta2tab": 5,
        "tab2fasta": 1,
        "fasta_filter_by_length": 2,
        "count_gff_features": 2,
    }


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_conformance_case(case: dict[str, Any], tmp_path: Path) -> None:
    ((_, expected),) = case["outputs"].items()
    output = tmp_path / "output"

    result = run_ops(*build_arguments(case, output), output=output)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    expected_lines = (CONFORMANCE_DATA / expected["file"]).read_text().splitlines()
    compare(case, expected, result.lines, expected_lines)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_conformance_case_through_tool_xml(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ((output_name, expected),) = case["outputs"].items()
    if case.get("fixtures"):
        _provide_tool_data_path(monkeypatch, CONFORMANCE_DATA)
    tool = load(case["tool_id"])
    resolver = FileResolver(
        {
            name: (CONFORMANCE_DATA / spec["file"], spec.get("ftype") or spec["ftype_implied"])
            for name, spec in case["inputs"].items()
        }
    )
    raw: dict[str, Any] = {name: {"src": "hda", "id": name} for name in case["inputs"]}
    raw.update({name: _given(value) for name, value in case["params"].items()})

    completed = run_shell(render(tool, raw, resolver, tmp_path), tmp_path)

    assert completed.returncode == 0, completed.stderr
    actual = (tmp_path / output_name).read_text().splitlines()
    expected_lines = (CONFORMANCE_DATA / expected["file"]).read_text().splitlines()
    compare(case, expected, actual, expected_lines)


def test_dbkey_source_without_tool_data_is_rejected(tmp_path: Path) -> None:
    tool = load("fasta_compute_length")
    raw = {"ref|ref_source": "dbkey", "ref|index": "test_id"}

    command = render(tool, raw, FileResolver({}), tmp_path)
    completed = run_shell(command, tmp_path)

    assert "--tool-data ''" in command
    assert completed.returncode == 1
    assert "no locally cached genomes" in completed.stderr
    assert "use sequences from a history" in completed.stderr
    assert "Traceback" not in completed.stderr


def build_arguments(case: dict[str, Any], output: Path) -> list[str]:
    """Translate a case into the `nebula-ops` command line its tool XML renders."""
    tool = case["tool_id"]
    params = {name: _given(value) for name, value in case["params"].items()}
    inputs = {name: str(CONFORMANCE_DATA / spec["file"]) for name, spec in case["inputs"].items()}
    if tool == "fasta_compute_length":
        if params.get("ref|ref_source") == "dbkey":
            return ["fasta-length", str(output), "--dbkey", params["ref|index"],
                    "--tool-data", str(CONFORMANCE_DATA)]
        return ["fasta-length", str(output), "--input", inputs["ref|input"],
                "--keep-first", params["ref|keep_first"], "--title", params["ref|keep_first_word"]]
    if tool == "fasta2tab":
        return ["fasta-to-tabular", inputs["input"], str(output),
                "--title-columns", params["descr_columns"], "--keep-first", params["keep_first"]]
    if tool == "tab2fasta":
        return ["tabular-to-fasta", inputs["input"], str(output),
                "--title-columns", params["title_col"], "--sequence-column", params["seq_col"]]
    if tool == "fasta_filter_by_length":
        return ["fasta-filter-length", inputs["input"], str(output),
                "--min-length", params["min_length"], "--max-length", params["max_length"]]
    assert tool == "count_gff_features"
    return ["count-gff-features", inputs["input"], str(output)]


def _given(value: Any) -> str:
    """Return a case's parameter value as the test gives it (booleans as their values)."""
    if isinstance(value, dict):
        return str(value.get("given", value.get("option_value")))
    return "" if value is None else str(value)


def _provide_tool_data_path(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    # Nebula's template namespace has no tool data folder setting yet; this adds the entry
    # Galaxy calls __tool_data_path__, which the XML reads with getVar.
    original = command_module._fill

    def fill(template_class: type, namespace: dict[str, Any], templates: Any, where: str) -> str:
        return original(template_class, {**namespace, "__tool_data_path__": str(folder)},
                        templates, where)

    monkeypatch.setattr(command_module, "_fill", fill)
