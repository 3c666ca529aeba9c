"""The gops tool XML files: Galaxy's interface, and commands that run `nebula-ops`.

The interface is checked against tests/data/conformance/tools.yaml. Each `<test>` of
each file is then run the way a Galaxy-style job runs it: the `<command>` template is
rendered with Cheetah (datasets render as their paths and carry column metadata), its
lines are joined with spaces, and the result runs in a shell.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from Cheetah.Template import Template
from lxml import etree

from tests.support.conformance import count_differing_lines

from .helpers import COMMAND, CONFORMANCE_DATA, CONFORMANCE_DIR
from .test_conformance import metadata_columns

GOPS_DIR = Path(__file__).resolve().parents[2] / "nebula" / "tools" / "bundled" / "gops"
XML_FILES = {
    "gops_intersect_1": "intersect.xml",
    "gops_subtract_1": "subtract.xml",
    "gops_merge_1": "merge.xml",
    "gops_cluster_1": "cluster.xml",
    "gops_complement_1": "complement.xml",
    "gops_concat_1": "concat.xml",
    "gops_coverage_1": "coverage.xml",
    "gops_basecoverage_1": "basecoverage.xml",
    "gops_join_1": "join.xml",
    "subtract_query1": "subtract_query.xml",
    "flanking_features_1": "flanking_features.xml",
    "get_flanks1": "get_flanks.xml",
}
ALLOWED_ELEMENTS = {
    "tool",
    "description",
    "command",
    "inputs",
    "param",
    "option",
    "conditional",
    "when",
    "repeat",
    "section",
    "validator",
    "sanitizer",
    "outputs",
    "data",
    "tests",
    "test",
    "output",
    "assert_contents",
    "has_n_lines",
    "has_text",
    "not_has_text",
    "help",
    "citations",
    "citation",
}
GFF_TYPES = {"gff", "gtf", "gff3"}


def load_interfaces() -> dict[str, dict[str, Any]]:
    tools = yaml.safe_load((CONFORMANCE_DIR / "tools.yaml").read_text())
    return {tool["tool_id"]: tool for tool in tools if tool["tool_id"] in XML_FILES}


INTERFACES = load_interfaces()


def parse_tool(tool_id: str) -> etree._Element:
    return etree.parse(str(GOPS_DIR / XML_FILES[tool_id])).getroot()


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_tool_header_matches_galaxy(tool_id: str) -> None:
    interface = INTERFACES[tool_id]

    root = parse_tool(tool_id)

    assert root.get("id") == tool_id
    assert root.get("version") == str(interface["version"])
    assert root.get("name") == interface["name"]
    assert root.findtext("description") == interface["description"]


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_tool_uses_only_supported_elements(tool_id: str) -> None:
    root = parse_tool(tool_id)

    tags = {element.tag for element in root.iter() if isinstance(element.tag, str)}

    assert tags <= ALLOWED_ELEMENTS


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_tool_parameters_match_galaxy(tool_id: str) -> None:
    interface = INTERFACES[tool_id]

    params = parse_tool(tool_id).find("inputs").findall("param")

    assert [param.get("name") for param in params] == [p["name"] for p in interface["parameters"]]
    for param, expected in zip(params, interface["parameters"], strict=True):
        assert param.get("type") == expected["type"], expected["name"]
        assert _default(param) == _expected_default(expected), expected["name"]
        if expected["type"] == "data":
            assert param.get("format") == expected["format"], expected["name"]
        if expected["type"] == "select":
            values = [option.get("value") for option in param.findall("option")]
            assert values == [option["value"] for option in expected["options"]], expected["name"]
        if expected["type"] == "boolean":
            assert param.get("truevalue") == expected["truevalue"], expected["name"]
            assert param.get("falsevalue") == expected["falsevalue"], expected["name"]
        if "min" in expected:
            assert param.get("min") == expected["min"], expected["name"]
        if expected["type"] == "data_column":
            assert param.get("data_ref") == expected["data_ref"], expected["name"]


@pytest.mark.parametrize("tool_id", sorted(XML_FILES))
def test_tool_outputs_match_galaxy(tool_id: str) -> None:
    interface = INTERFACES[tool_id]

    outputs = parse_tool(tool_id).find("outputs").findall("data")

    assert len(outputs) == len(interface["outputs"])
    for data, expected in zip(outputs, interface["outputs"], strict=True):
        assert data.get("name") == expected["name"]
        for attribute in ("format", "format_source", "metadata_source"):
            assert data.get(attribute) == expected.get(attribute), attribute


def test_tools_carry_every_conformance_case() -> None:
    cases = yaml.safe_load((CONFORMANCE_DIR / "cases.yaml").read_text())

    counts = {tool_id: len(conformance_tests(tool_id)) for tool_id in XML_FILES}

    expected = {tool_id: 0 for tool_id in XML_FILES}
    for case in cases:
        if case["tool_id"] in expected:
            expected[case["tool_id"]] += 1
    assert counts == expected


def conformance_tests(tool_id: str) -> list[etree._Element]:
    """The XML tests that compare with a Galaxy expected file; the others use our own data
    and content assertions, and `nebula tool-test` runs them."""
    return [test for test in parse_tool(tool_id).find("tests") if test.find("output[@file]") is not None]


def collect_xml_tests() -> list[tuple[str, int]]:
    return [(tool_id, number) for tool_id in sorted(XML_FILES) for number in range(len(conformance_tests(tool_id)))]


@pytest.mark.parametrize(
    ("tool_id", "number"),
    collect_xml_tests(),
    ids=[f"{tool_id}-test{number + 1}" for tool_id, number in collect_xml_tests()],
)
def test_tool_xml_test_passes(tool_id: str, number: int, tmp_path: Path) -> None:
    root = parse_tool(tool_id)
    test = conformance_tests(tool_id)[number]
    namespace = build_namespace(root, test, tmp_path)
    command = render(root.findtext("command"), namespace)
    env = dict(os.environ, PATH=f"{Path(COMMAND[0]).parent}{os.pathsep}{os.environ['PATH']}")

    completed = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )

    assert completed.returncode == 0, f"{command}\n{completed.stderr}"
    for output in test.findall("output"):
        actual = (tmp_path / output.get("name")).read_text().splitlines()
        expected = (CONFORMANCE_DATA / output.get("file")).read_text().splitlines()
        if output.get("sort") == "true":
            actual, expected = sorted(actual), sorted(expected)
        assert count_differing_lines(actual, expected) <= int(output.get("lines_diff", "0"))


class StubDataset:
    """A dataset as a command template sees it: its path, datatype and column metadata."""

    def __init__(self, path: Path, ext: str) -> None:
        self.path = path
        self.ext = ext
        columns = metadata_columns(path).split(",")
        names = ("chromCol", "startCol", "endCol", "strandCol")
        values = [int(column) or None for column in columns]
        self.metadata = type("Metadata", (), dict(zip(names, values, strict=True)))()

    def is_of_type(self, *exts: str) -> bool:
        return any(ext == self.ext or (ext == "gff" and self.ext in GFF_TYPES) for ext in exts)

    def __str__(self) -> str:
        return str(self.path)


def build_namespace(root: etree._Element, test: etree._Element, tmp_path: Path) -> dict[str, Any]:
    params = {param.get("name"): param for param in root.find("inputs").iter("param")}
    namespace: dict[str, Any] = {name: _default(param) or "" for name, param in params.items()}
    for test_param in test.findall("param"):
        name, value = test_param.get("name"), test_param.get("value")
        param = params[name]
        if param.get("type") == "data":
            path = CONFORMANCE_DATA / value
            namespace[name] = StubDataset(path, test_param.get("ftype") or path.suffix.lstrip("."))
        elif param.get("type") == "boolean":
            chosen = value.lower() == "true"
            namespace[name] = param.get("truevalue" if chosen else "falsevalue")
        elif param.get("type") == "data_column":
            namespace[name] = value.lstrip("c")
        else:
            namespace[name] = value
    for name, param in params.items():
        if param.get("type") == "boolean" and namespace[name] in ("true", "false"):
            namespace[name] = param.get("truevalue" if namespace[name] == "true" else "falsevalue")
    for data in root.find("outputs").findall("data"):
        namespace[data.get("name")] = str(tmp_path / data.get("name"))
    return namespace


def render(source: str, namespace: dict[str, Any]) -> str:
    rendered = str(Template(source, searchList=[namespace]))
    return " ".join(line.strip() for line in rendered.splitlines() if line.strip())


def _default(param: etree._Element) -> str | None:
    kind = param.get("type")
    if kind == "select":
        options = param.findall("option")
        chosen = [option for option in options if option.get("selected") == "true"]
        return (chosen or options)[0].get("value")
    if kind == "boolean":
        return "true" if param.get("checked") == "true" else "false"
    if kind in ("integer", "float", "text"):
        return param.get("value")
    return None


def _expected_default(expected: dict[str, Any]) -> str | None:
    default = expected.get("default")
    return None if default is None else str(default)
