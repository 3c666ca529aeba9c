"""Galaxy's own test cases for the text tools, run against `nebula-ops`.

Each case of tests/data/conformance/cases.yaml is turned into the command line that the
tool's XML template renders for those parameters, run as a separate process, and its
output compared by the case's rules: the expected file, then any content assertions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nebula.tools.testing.verify import Assertion, check_assertion
from tests.support.conformance import compare, load_cases

from .helpers import CONFORMANCE_DATA, run_ops

Arguments = Callable[[dict[str, Path], dict[str, str], Path], list[str]]


def _flag(enabled: bool, flag: str) -> list[str]:
    return [flag] if enabled else []


def _merge_columns(inputs: dict[str, Path], params: dict[str, str], output: Path) -> list[str]:
    repeated = [params[name] for name in sorted(params) if name.startswith("columns_")]
    return ["merge-columns", inputs["input1"], output, params["col1"], params["col2"], *repeated]


def _cat(inputs: dict[str, Path], params: dict[str, str], output: Path) -> list[str]:
    queries = [inputs[name] for name in sorted(inputs) if name.startswith("queries_")]
    return ["cat", output, inputs["input1"], *queries]


def _random_lines(inputs: dict[str, Path], params: dict[str, str], output: Path) -> list[str]:
    args = ["random-lines", inputs["input"], output, "--lines", params["num_lines"]]
    if params["seed_source|seed_source_selector"] == "set_seed":
        args.append(f"--seed={params['seed_source|seed']}")
    return args


def _trim(inputs: dict[str, Path], params: dict[str, str], output: Path) -> list[str]:
    return [
        "trim",
        inputs["input1"],
        output,
        f"--column={params['col']}",
        f"--start={params['start']}",
        f"--end={params['end']}",
        f"--ignore={params['ignore']}",
        *_flag(params["fastq"] == "-q", "--fastq"),
    ]


COMMANDS: dict[str, Arguments] = {
    "cat1": _cat,
    "Cut1": lambda i, p, o: [
        "cut",
        i["input"],
        o,
        f"--columns={p['columnList']}",
        "--delimiter",
        p["delimiter"],
    ],
    "mergeCols1": _merge_columns,
    "Remove beginning1": lambda i, p, o: [
        "remove-beginning",
        i["input"],
        o,
        "--lines",
        p["num_lines"],
    ],
    "Show beginning1": lambda i, p, o: [
        "head",
        i["input"],
        o,
        "--lines",
        p["lineNum"],
        *_flag(p.get("header") == "true", "--header"),
    ],
    "Show tail1": lambda i, p, o: [
        "tail",
        i["input"],
        o,
        "--lines",
        p["lineNum"],
        *_flag(p.get("header") == "true", "--header"),
    ],
    "ChangeCase": lambda i, p, o: [
        "change-case",
        i["input"],
        o,
        f"--columns={p['cols']}",
        "--delimiter",
        p["delimiter"],
        "--case",
        p["casing"],
    ],
    "Condense characters1": lambda i, p, o: [
        "condense",
        i["input"],
        o,
        "--character",
        p["character"],
    ],
    "Convert characters1": lambda i, p, o: ["convert", i["input"], o, "--from", p["convert_from"]],
    "addValue": lambda i, p, o: [
        "add-value",
        i["input"],
        o,
        f"--value={p['exp']}",
        *_flag(p["iterate"] == "yes", "--iterate"),
    ],
    "trimmer": _trim,
    "Paste1": lambda i, p, o: ["paste", i["input1"], i["input2"], o, "--delimiter", p["delimiter"]],
    "Grep1": lambda i, p, o: [
        "grep",
        i["input"],
        o,
        f"--pattern={p['pattern']}",
        *_flag(p["invert"] == "true", "--invert"),
    ],
    "wc_gnu": lambda i, p, o: [
        "wc",
        i["input1"],
        o,
        f"--counts={p['options']}",
        *_flag(p["include_header"] == "true", "--header"),
    ],
    "secure_hash_message_digest": lambda i, p, o: [
        "digest",
        i["input1"],
        o,
        f"--algorithms={p['algorithms']}",
    ],
    "random_lines1": _random_lines,
}
CASES = load_cases(COMMANDS)


def test_text_cases_are_collected() -> None:
    tools = {case["tool_id"] for case in CASES}

    assert len(CASES) == 18
    # Paste1, Grep1, wc_gnu and secure_hash_message_digest have no case: their expected
    # files are not available (see each entry's no_cases_because in tools.yaml).
    assert tools == set(COMMANDS) - {"Paste1", "Grep1", "wc_gnu", "secure_hash_message_digest"}


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_text_conformance_case(case: dict[str, Any], tmp_path: Path) -> None:
    ((_, expected),) = case["outputs"].items()
    output = tmp_path / "output"
    inputs = {name: CONFORMANCE_DATA / spec["file"] for name, spec in case["inputs"].items()}
    params = {name: _param_value(value) for name, value in case["params"].items()}
    params.update(case.get("defaults_not_set_by_test", {}))
    args = COMMANDS[case["tool_id"]](inputs, params, output)

    result = run_ops(*args, output=output)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    expected_lines = (CONFORMANCE_DATA / expected["file"]).read_text().splitlines()
    compare(case, expected, result.lines, expected_lines)
    text = output.read_text()
    for assertion in expected.get("assert_contents", []):
        attributes = {key: str(value) for key, value in assertion.items() if key != "assertion"}
        assert check_assertion(text, Assertion(assertion["assertion"], attributes)) is None


def _param_value(value: Any) -> str:
    """Return a case's parameter as the option value (a select given by label is a dict)."""
    if isinstance(value, dict):
        return str(value["option_value"])
    return str(value)
