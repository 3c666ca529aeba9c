"""The table tool XML files: they load, and their interface is Galaxy's.

The interface (ids, versions, parameter names, types, options, defaults, conditionals,
repeats and outputs) is compared with tests/data/conformance/tools.yaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from nebula.tools import load_tool

from .helpers import CONFORMANCE_DIR

TABLES_DIR = Path(__file__).resolve().parents[2] / "nebula" / "tools" / "bundled" / "tables"
TEST_DATA = TABLES_DIR.parent / "test-data"
XML_FILES = {
    "sort1": "sort.xml",
    "join1": "join.xml",
    "comp1": "compare.xml",
    "Filter1": "filter.xml",
    "Grouping1": "grouping.xml",
    "Count1": "count.xml",
    "Summary_Statistics1": "summary_statistics.xml",
    "Add_a_column1": "column_maker.xml",
    "tables_arithmetic_operations": "arithmetic.xml",
}
# tools.yaml lists no outputs for these; Galaxy's XML of the same version declares these.
GALAXY_OUTPUTS = {
    "Count1": [{"name": "out_file1", "format": "tabular"}],
    "Summary_Statistics1": [{"name": "out_file1", "format": "tabular"}],
    "Add_a_column1": [{"name": "out_file1", "format_source": "input", "metadata_source": "input"}],
    "comp1": [{"name": "out_file1", "format_source": "input1", "metadata_source": "input1"}],
}
# Galaxy's tool XML gives Count1 no version; Galaxy then uses 1.0.0.
UNVERSIONED = "1.0.0"


def _interfaces() -> dict[str, dict[str, Any]]:
    tools = yaml.safe_load((CONFORMANCE_DIR / "tools.yaml").read_text())
    return {tool["tool_id"]: tool for tool in tools if tool["tool_id"] in XML_FILES}


INTERFACES = _interfaces()


def _root(tool_id: str) -> etree._Element:
    return etree.parse(str(TABLES_DIR / XML_FILES[tool_id])).getroot()


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_tool_loads(tool_id: str) -> None:
    tool = load_tool(str(TABLES_DIR / XML_FILES[tool_id]))

    assert tool.id == tool_id
    assert tool.tests


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_header_matches_galaxy(tool_id: str) -> None:
    interface = INTERFACES[tool_id]

    root = _root(tool_id)

    version = str(interface["version"])
    assert root.get("id") == tool_id
    assert root.get("version") == (UNVERSIONED if version == "(none)" else version)
    assert root.get("name") == interface["name"]
    if "description" in interface:
        assert root.findtext("description") == interface["description"]
    if "profile" in interface:
        assert root.get("profile") == interface["profile"]


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_parameters_match_galaxy(tool_id: str) -> None:
    interface = INTERFACES[tool_id]

    inputs = _root(tool_id).find("inputs")

    _compare_level(inputs, interface["parameters"], tool_id)


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_outputs_match_galaxy(tool_id: str) -> None:
    expected_outputs = INTERFACES[tool_id]["outputs"] or GALAXY_OUTPUTS[tool_id]

    outputs = _root(tool_id).find("outputs").findall("data")

    assert [data.get("name") for data in outputs] == [item["name"] for item in expected_outputs]
    for data, expected in zip(outputs, expected_outputs, strict=True):
        for attribute in ("format", "format_source", "metadata_source"):
            assert data.get(attribute) == expected.get(attribute), attribute


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_help_has_a_worked_example(tool_id: str) -> None:
    help_text = _root(tool_id).findtext("help")

    assert "**What it does**" in help_text
    assert "**Example**" in help_text


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_test_data_files_exist_and_carry_the_tool_prefix(tool_id: str) -> None:
    root = _root(tool_id)

    names = {
        element.get(attribute)
        for element in root.find("tests").iter("param", "output")
        for attribute in ("value", "file")
        if element.get(attribute)
        and "." in element.get(attribute)
        and (element.tag == "output" or element.get("ftype"))
    }

    assert names
    for name in names:
        assert name.startswith(tool_id), name
        assert (TEST_DATA / name).is_file(), name


def _compare_level(element: etree._Element, expected: list[dict[str, Any]], where: str) -> None:
    nodes = [child for child in element if child.tag in ("param", "conditional", "repeat")]
    assert [node.get("name") for node in nodes] == [item["name"] for item in expected], where
    for node, item in zip(nodes, expected, strict=True):
        label = f"{where}.{item['name']}"
        if item["type"] == "conditional":
            assert node.tag == "conditional", label
            test_param = node.find("param")
            _compare_param(test_param, item["test_param"], label)
            whens = {when.get("value"): when for when in node.findall("when")}
            assert set(whens) == set(item["whens"]), label
            for value, inner in item["whens"].items():
                _compare_level(whens[value], inner, f"{label}[{value}]")
        elif item["type"] == "repeat":
            assert node.tag == "repeat", label
            assert node.get("title") == item["title"], label
            _compare_level(node, item["params"], label)
        else:
            _compare_param(node, item, label)


def _compare_param(param: etree._Element, expected: dict[str, Any], label: str) -> None:
    assert param.get("name") == expected["name"], label
    assert param.get("type") == expected["type"], label
    assert _default(param) == _expected_default(expected), label
    if expected["type"] == "data":
        assert param.get("format") == expected["format"], label
    if expected["type"] == "select":
        values = [option.get("value") for option in param.findall("option")]
        assert values == [option["value"] for option in expected["options"]], label
        assert (param.get("multiple") == "true") == bool(expected.get("multiple")), label
    if expected["type"] == "boolean":
        assert param.get("truevalue") == expected["truevalue"], label
        assert param.get("falsevalue") == expected["falsevalue"], label
    if expected["type"] == "data_column":
        assert param.get("data_ref") == expected["data_ref"], label
        assert (param.get("multiple") == "true") == bool(expected.get("multiple")), label
    if expected["type"] == "float" and expected.get("optional"):
        assert param.get("optional") == "true", label
    for validator in expected.get("validators", []):
        assert validator in [element.get("type") for element in param.findall("validator")], label


def _default(param: etree._Element) -> str | None:
    kind = param.get("type")
    if kind == "select":
        if param.get("multiple") == "true":
            chosen = [
                o.get("value") for o in param.findall("option") if o.get("selected") == "true"
            ]
            return ",".join(chosen) or None
        options = param.findall("option")
        selected = [option for option in options if option.get("selected") == "true"]
        return (selected or options)[0].get("value")
    if kind == "boolean":
        return "true" if param.get("checked") == "true" else "false"
    if kind in ("integer", "float", "text"):
        return param.get("value")
    return None


def _expected_default(expected: dict[str, Any]) -> str | None:
    default = expected.get("default")
    return None if default is None else str(default)
