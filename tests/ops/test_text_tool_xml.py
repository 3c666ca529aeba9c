"""The text tool XML files load and keep Galaxy's interface (tests/data/conformance/tools.yaml).

Show beginning1 and Show tail1 appear twice in tools.yaml: as the older tools-devteam
1.0.0 and as Galaxy's newer 1.0.2 / 1.0.1, which add a `header` boolean. The XML files
implement the newer interface. A test checks that every parameter of the older one is
still there with its default, so that requests and workflows written for either work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from nebula.tools import load_tool
from nebula.tools.parameters import (
    BooleanParameter,
    Conditional,
    DataColumnParameter,
    DataParameter,
    InputNode,
    IntegerParameter,
    Repeat,
    SelectParameter,
    TextParameter,
)
from nebula.tools.tool import Tool

from .helpers import CONFORMANCE_DIR

BUNDLED = Path(__file__).resolve().parents[2] / "nebula" / "tools" / "bundled"
TEXT_DIR = BUNDLED / "text"
TEST_DATA = BUNDLED / "test-data"
# Tool id -> (XML file, key of the tools.yaml entry it implements).
XML_FILES = {
    "cat1": ("cat.xml", "galaxy:cat1"),
    "Cut1": ("cut.xml", "devteam:Cut1"),
    "mergeCols1": ("merge_cols.xml", "devteam:mergeCols1"),
    "Remove beginning1": ("remove_beginning.xml", "devteam:Remove beginning1"),
    "Show beginning1": ("show_beginning.xml", "galaxy:Show beginning1"),
    "Show tail1": ("show_tail.xml", "galaxy:Show tail1"),
    "ChangeCase": ("change_case.xml", "devteam:ChangeCase"),
    "Condense characters1": ("condense_characters.xml", "devteam:Condense characters1"),
    "Convert characters1": ("convert_characters.xml", "devteam:Convert characters1"),
    "addValue": ("add_value.xml", "devteam:addValue"),
    "trimmer": ("trimmer.xml", "devteam:trimmer"),
    "Paste1": ("paste.xml", "galaxy:Paste1"),
    "Grep1": ("grep.xml", "galaxy:Grep1"),
    "wc_gnu": ("wc_gnu.xml", "galaxy:wc_gnu"),
    "secure_hash_message_digest": (
        "secure_hash_message_digest.xml",
        "galaxy:secure_hash_message_digest",
    ),
    "random_lines1": ("random_lines.xml", "galaxy:random_lines1"),
}
OLDER_INTERFACES = {
    "Show beginning1": "devteam:Show beginning1",
    "Show tail1": "devteam:Show tail1",
}
INTERFACES = {
    entry["key"]: entry for entry in yaml.safe_load((CONFORMANCE_DIR / "tools.yaml").read_text())
}
TOOL_IDS = sorted(XML_FILES)


def load(tool_id: str) -> Tool:
    return load_tool(TEXT_DIR / XML_FILES[tool_id][0])


def interface(tool_id: str) -> dict[str, Any]:
    return INTERFACES[XML_FILES[tool_id][1]]


def test_every_text_tool_has_an_xml_file() -> None:
    files = {path.name for path in TEXT_DIR.glob("*.xml")}

    assert files == {name for name, _ in XML_FILES.values()}


@pytest.mark.parametrize("tool_id", TOOL_IDS)
def test_tool_header_matches_galaxy(tool_id: str) -> None:
    expected = interface(tool_id)

    tool = load(tool_id)

    version = str(expected["version"])
    assert tool.id == tool_id
    assert tool.version == ("1.0.0" if version.startswith("(none") else version)
    assert tool.name == expected["name"]
    if "description" in expected:
        assert tool.description == expected["description"]
    assert tool.description
    assert "**Example" in tool.help


@pytest.mark.parametrize("tool_id", TOOL_IDS)
def test_tool_parameters_match_galaxy(tool_id: str) -> None:
    expected = interface(tool_id)

    tool = load(tool_id)

    assert_nodes_match(tool.inputs, expected["parameters"])


@pytest.mark.parametrize("tool_id", sorted(OLDER_INTERFACES))
def test_tool_accepts_older_interface(tool_id: str) -> None:
    older = INTERFACES[OLDER_INTERFACES[tool_id]]

    nodes = {node.name: node for node in load(tool_id).inputs}

    for parameter in older["parameters"]:
        assert_nodes_match([nodes[parameter["name"]]], [parameter])


@pytest.mark.parametrize("tool_id", TOOL_IDS)
def test_tool_outputs_match_galaxy(tool_id: str) -> None:
    expected = interface(tool_id)

    outputs = load(tool_id).outputs

    assert [output.name for output in outputs] == ["out_file1"]
    for output, spec in zip(outputs, expected["outputs"], strict=False):
        assert output.name == spec["name"]
        assert output.format_source == spec.get("format_source")
        assert output.metadata_source == spec.get("metadata_source")
        if "format" in spec:
            assert output.format == spec["format"]


def test_paste_output_turns_bed_into_interval() -> None:
    (output,) = load("Paste1").outputs

    (rule,) = output.change_format

    assert (rule.input_dataset, rule.value, rule.format) == ("input1", "bed", "interval")


@pytest.mark.parametrize("tool_id", TOOL_IDS)
def test_tool_tests_use_own_prefixed_data(tool_id: str) -> None:
    tool = load(tool_id)
    prefix = tool_id.replace(" ", "_") + "_"

    files = [item.file for test in tool.tests for item in _input_files(test.inputs)]
    files += [output.file for test in tool.tests for output in test.outputs.values() if output.file]

    assert len(tool.tests) >= 2
    assert files
    for name in files:
        assert (TEST_DATA / name).is_file(), name
        assert name.startswith(prefix) or _shared_with(name, tool_id), name


def test_grep_sanitizer_keeps_pattern_characters() -> None:
    pattern = next(node for node in load("Grep1").inputs if node.name == "pattern")

    sanitized = pattern.sanitizer.sanitize("a'b$c|d\\e\tf\ng[h]")

    assert sanitized == "a__sq__b$c|d\\e\tf__cn__g[h]"


def assert_nodes_match(nodes: list[InputNode], expected: list[dict[str, Any]]) -> None:
    """Compare a parameter tree with tools.yaml's description of it, in order."""
    assert [node.name for node in nodes] == [item["name"] for item in expected]
    for node, spec in zip(nodes, expected, strict=True):
        if spec["type"] == "conditional":
            assert isinstance(node, Conditional)
            assert_nodes_match([node.test_param], [spec["test_param"]])
            assert [case.value for case in node.cases] == list(spec["whens"])
            for case in node.cases:
                assert_nodes_match(case.inputs, spec["whens"][case.value])
        elif spec["type"] == "repeat":
            assert isinstance(node, Repeat)
            assert node.title == spec["title"]
            assert_nodes_match(node.inputs, spec["params"])
        else:
            assert_parameter_matches(node, spec)


def assert_parameter_matches(node: InputNode, spec: dict[str, Any]) -> None:
    name = spec["name"]
    assert getattr(node, "type_name", None) == spec["type"], name
    assert _default(node) == _expected_default(spec), name
    if "optional" in spec:
        assert node.optional == spec["optional"], name  # type: ignore[union-attr]
    if isinstance(node, DataParameter):
        assert ",".join(node.formats) == spec.get("format", "data"), name
    if isinstance(node, SelectParameter):
        assert [option.value for option in node.options] == [
            str(option["value"]) for option in spec["options"]
        ], name
        assert node.multiple == bool(spec.get("multiple", False)), name
    if isinstance(node, BooleanParameter):
        assert (node.truevalue, node.falsevalue) == (spec["truevalue"], spec["falsevalue"])
    if isinstance(node, IntegerParameter) and "min" in spec:
        assert str(node.min) == spec["min"], name
    if isinstance(node, DataColumnParameter):
        assert node.data_ref == spec["data_ref"], name


def _default(node: InputNode) -> str | None:
    if isinstance(node, TextParameter):
        return node.value or None
    if isinstance(node, IntegerParameter):
        return None if node.value is None else str(node.value)
    if isinstance(node, BooleanParameter):
        return "true" if node.checked else "false"
    if isinstance(node, SelectParameter):
        value = node.default_value()
        if isinstance(value, list):
            return ",".join(value) or None
        return value
    if isinstance(node, DataColumnParameter):
        return node.value
    return None


def _expected_default(spec: dict[str, Any]) -> str | None:
    default = spec.get("default")
    if spec["type"] == "data":
        return None
    return None if default is None else str(default)


def _input_files(inputs: dict[str, Any]) -> list[Any]:
    files = []
    for value in inputs.values():
        for item in value if isinstance(value, list) else [value]:
            if hasattr(item, "ftype"):
                files.append(item)
    return files


def _shared_with(name: str, tool_id: str) -> bool:
    """Show beginning1 and Show tail1 read Remove beginning1's five-line input."""
    return tool_id in ("Show beginning1", "Show tail1") and name.startswith("Remove_beginning1_")
