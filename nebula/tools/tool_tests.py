"""The `<tests>` of a tool: inputs to run it with and the outputs to expect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from nebula.tools.parameters import DataParameter, InputNode, find_parameter
from nebula.tools.xml_support import children, is_true, load_error, reject_unknown

SUPPORTED_ASSERTIONS = frozenset(
    {
        "has_text",
        "not_has_text",
        "has_n_lines",
        "has_n_columns",
        "has_line",
        "has_text_matching",
        "has_line_matching",
    }
)
SUPPORTED_COMPARISONS = ("diff", "re_match", "re_match_multiline", "contains", "sim_size")


@dataclass(frozen=True)
class TestInputFile:
    """A test data file for a data parameter; `file` is relative to the test-data folder."""

    __test__ = False  # a data class, not a pytest test class

    file: str
    ftype: str | None = None
    dbkey: str | None = None


@dataclass(frozen=True)
class ContentAssertion:
    """One check such as `has_text text="chr1"`; `attributes` contains the XML attributes."""

    kind: str
    attributes: dict[str, str]


@dataclass
class TestOutput:
    """The expected content of one output: a file to compare and content assertions."""

    __test__ = False  # a data class, not a pytest test class

    file: str | None = None
    compare: str = "diff"
    lines_diff: int = 0
    sort: bool = False
    ftype: str | None = None
    delta: int | None = None
    asserts: list[ContentAssertion] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "compare": self.compare,
            "lines_diff": self.lines_diff,
            "sort": self.sort,
            "ftype": self.ftype,
            "delta": self.delta,
            "asserts": [{"type": a.kind, **a.attributes} for a in self.asserts],
        }


@dataclass
class ToolTest:
    """One `<test>`. Keys of `inputs` are Galaxy flat names; values are strings (lists for
    comma-separated multiple values) or TestInputFile for data parameters."""

    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, TestOutput] = field(default_factory=dict)
    expect_failure: bool = False
    expect_exit_code: int | None = None
    stdout_asserts: list[ContentAssertion] = field(default_factory=list)
    stderr_asserts: list[ContentAssertion] = field(default_factory=list)
    command_asserts: list[ContentAssertion] = field(default_factory=list)


def parse_tests(
    element: etree._Element | None, inputs: Sequence[InputNode], path: str
) -> list[ToolTest]:
    """Return the tests of a `<tests>` element, resolving which inputs are files."""
    if element is None:
        return []
    reject_unknown(path, element, {"test"})
    return [_parse_test(test, inputs, path) for test in element.findall("test")]


def _parse_test(element: etree._Element, inputs: Sequence[InputNode], path: str) -> ToolTest:
    test = ToolTest(expect_failure=is_true(element.get("expect_failure")))
    if element.get("expect_exit_code"):
        test.expect_exit_code = int(element.get("expect_exit_code", "0"))
    repeat_counts: dict[str, int] = {}
    for child in children(element):
        if child.tag in ("param", "conditional", "repeat", "section"):
            _collect_inputs(child, "", inputs, test, repeat_counts, path)
        elif child.tag == "output":
            name = child.get("name")
            if not name:
                raise load_error(path, child, "a test <output> needs a `name`")
            test.outputs[name] = _parse_output(child, path)
        elif child.tag == "assert_stdout":
            test.stdout_asserts = _parse_assertions(child, path)
        elif child.tag == "assert_stderr":
            test.stderr_asserts = _parse_assertions(child, path)
        elif child.tag == "assert_command":
            test.command_asserts = _parse_assertions(child, path)
        else:
            raise load_error(
                path,
                child,
                f"element <{child.tag}> is not supported in a <test>; supported: param, "
                "conditional, repeat, section, output, assert_stdout, assert_stderr, "
                "assert_command",
            )
    return test


def _collect_inputs(
    element: etree._Element,
    prefix: str,
    inputs: Sequence[InputNode],
    test: ToolTest,
    repeat_counts: dict[str, int],
    path: str,
) -> None:
    name = element.get("name")
    if not name:
        raise load_error(path, element, f"a test <{element.tag}> needs a `name`")
    if element.tag == "param":
        flat_name = prefix + name
        test.inputs[flat_name] = _test_value(element, flat_name, inputs)
        return
    if element.tag == "repeat":
        key = prefix + name
        index = repeat_counts.get(key, 0)
        repeat_counts[key] = index + 1
        inner_prefix = f"{prefix}{name}_{index}|"
    else:
        inner_prefix = f"{prefix}{name}|"
    for child in children(element):
        _collect_inputs(child, inner_prefix, inputs, test, repeat_counts, path)


def _test_value(element: etree._Element, flat_name: str, inputs: Sequence[InputNode]) -> Any:
    value = element.get("value")
    if value is None:
        value = element.get("file")
    if value is None:
        nested = [v.text or "" for v in element.findall("value")]
        value = ",".join(nested) if nested else ""
    if isinstance(find_parameter(inputs, flat_name), DataParameter):
        files = [
            TestInputFile(file=item.strip(), ftype=element.get("ftype"), dbkey=element.get("dbkey"))
            for item in value.split(",")
            if item.strip()
        ]
        return files[0] if len(files) == 1 else files
    return value


def _parse_output(element: etree._Element, path: str) -> TestOutput:
    output = TestOutput(
        file=element.get("file") or element.get("value"),
        compare=element.get("compare", "diff"),
        sort=is_true(element.get("sort")),
        ftype=element.get("ftype"),
    )
    if output.compare not in SUPPORTED_COMPARISONS:
        raise load_error(
            path,
            element,
            f"compare={output.compare!r} is not supported by Nebula; "
            f"supported: {', '.join(SUPPORTED_COMPARISONS)}",
        )
    for attribute in ("lines_diff", "delta"):
        text = element.get(attribute)
        if text is None:
            continue
        try:
            setattr(output, attribute, int(text))
        except ValueError as exc:
            raise load_error(path, element, f"{attribute}={text!r} is not an integer") from exc
    for child in children(element):
        if child.tag != "assert_contents":
            raise load_error(
                path,
                child,
                f"element <{child.tag}> is not supported in a test <output>; "
                "supported: assert_contents",
            )
        output.asserts.extend(_parse_assertions(child, path))
    return output


def _parse_assertions(element: etree._Element, path: str) -> list[ContentAssertion]:
    assertions = []
    for child in children(element):
        if child.tag not in SUPPORTED_ASSERTIONS:
            raise load_error(
                path,
                child,
                f"assertion <{child.tag}> is not supported by Nebula; "
                f"supported: {', '.join(sorted(SUPPORTED_ASSERTIONS))}",
            )
        assertions.append(ContentAssertion(kind=str(child.tag), attributes=dict(child.attrib)))
    return assertions
