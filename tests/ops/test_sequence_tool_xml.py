"""The sequence tool XML files: Galaxy's interface from tests/data/conformance/tools.yaml,
and their own `<tests>` run through `nebula tool-test`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from nebula.tools import (
    BooleanParameter,
    Conditional,
    DataColumnParameter,
    DataParameter,
    IntegerParameter,
    SelectParameter,
    TextParameter,
    ToolParameter,
)
from nebula.tools.parameters import InputNode

from .helpers import CONFORMANCE_DIR
from .sequence_support import XML_FILES, load

NEBULA = str(Path(sys.executable).parent / "nebula")
# Galaxy fills these selects from its data tables; Nebula's loader has no data tables,
# so the build key is typed into a text parameter and looked up by `nebula-ops`.
DATA_TABLE_PARAMETERS = {"ref|index"}
# tools.yaml lists no outputs for createInterval; Galaxy's CreateInterval.xml declares one.
CREATE_INTERVAL_OUTPUTS = [{"name": "out_file1", "format": "bed"}]
INTERFACES = {
    tool["tool_id"]: tool
    for tool in yaml.safe_load((CONFORMANCE_DIR / "tools.yaml").read_text())
    if tool["tool_id"] in XML_FILES
}


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_tool_header_matches_galaxy(tool_id: str) -> None:
    interface = INTERFACES[tool_id]

    tool = load(tool_id)

    assert tool.id == tool_id
    assert tool.version == str(interface["version"])
    assert tool.name == interface["name"]
    assert tool.description
    if "description" in interface:
        assert tool.description == interface["description"]


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_tool_parameters_match_galaxy(tool_id: str) -> None:
    tool = load(tool_id)

    _compare_level(tool.inputs, INTERFACES[tool_id]["parameters"], "")


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_tool_outputs_match_galaxy(tool_id: str) -> None:
    expected = INTERFACES[tool_id]["outputs"] or CREATE_INTERVAL_OUTPUTS

    outputs = load(tool_id).outputs

    assert [output.name for output in outputs] == [item["name"] for item in expected]
    for output, item in zip(outputs, expected, strict=True):
        assert output.format == item.get("format", "data")
        assert output.format_source == item.get("format_source")
        assert output.metadata_source == item.get("metadata_source")


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_tool_has_help_with_example_and_tests(tool_id: str) -> None:
    tool = load(tool_id)

    assert "**What it does**" in tool.help
    assert "**Example**" in tool.help
    assert len(tool.tests) >= 2


def test_tool_tests_pass_through_job_path(tmp_path: Path) -> None:
    panel = tmp_path / "panel.yml"
    paths = [str(load(tool_id).path) for tool_id in sorted(XML_FILES)]
    panel.write_text(yaml.safe_dump({"sections": [
        {"id": "sequences", "name": "FASTA and features", "tools": paths}
    ]}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
    env["NEBULA_TOOL_PANEL"] = str(panel)
    expected_tests = sum(len(load(tool_id).tests) for tool_id in XML_FILES)

    result = subprocess.run(
        [NEBULA, "tool-test", *sorted(XML_FILES)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )

    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert sum(line.startswith("PASS ") for line in lines) == expected_tests
    assert lines[-1] == f"{expected_tests} passed, 0 failed"


def _compare_level(nodes: list[InputNode], expected: list[dict[str, Any]], prefix: str) -> None:
    assert [node.name for node in nodes] == [item["name"] for item in expected], prefix
    for node, item in zip(nodes, expected, strict=True):
        flat_name = prefix + node.name
        if isinstance(node, Conditional):
            assert item["type"] == "conditional", flat_name
            _compare_parameter(node.test_param, item["test_param"], flat_name)
            assert [case.value for case in node.cases] == list(item["whens"]), flat_name
            for case in node.cases:
                _compare_level(case.inputs, item["whens"][case.value], flat_name + "|")
        else:
            assert isinstance(node, ToolParameter), flat_name
            _compare_parameter(node, item, flat_name)


def _compare_parameter(param: ToolParameter, item: dict[str, Any], flat_name: str) -> None:
    if flat_name in DATA_TABLE_PARAMETERS:
        assert item.get("options_from_data_table"), flat_name
        assert isinstance(param, TextParameter), flat_name
        return
    assert param.type_name == item["type"], flat_name
    assert _default(param) == (None if item.get("default") is None else str(item["default"]))
    if isinstance(param, SelectParameter):
        assert [option.value for option in param.options] == [
            option["value"] for option in item["options"]
        ], flat_name
    if isinstance(param, BooleanParameter):
        assert (param.truevalue, param.falsevalue) == (item["truevalue"], item["falsevalue"])
    if isinstance(param, IntegerParameter) and "min" in item:
        assert param.min == int(item["min"]), flat_name
    if isinstance(param, DataParameter):
        assert ",".join(param.formats) == item["format"], flat_name
    if isinstance(param, DataColumnParameter):
        assert param.data_ref == item["data_ref"], flat_name
        assert param.multiple == bool(item.get("multiple")), flat_name


def _default(param: ToolParameter) -> str | None:
    if isinstance(param, BooleanParameter):
        return "true" if param.checked else "false"
    if isinstance(param, SelectParameter):
        value = param.default_value()
        return None if value is None else str(value)
    if isinstance(param, IntegerParameter | TextParameter):
        return None if param.value is None else str(param.value)
    return None
