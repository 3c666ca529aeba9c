"""Output formats, metadata sources and stdio rules of loaded tools."""

from __future__ import annotations

from nebula.tools.stdio import ExitCodeRule, RegexRule, StdioLevel
from tests.tools.conftest import load

SINK_BASE = {"input": {"src": "hda", "id": "tab1"}}


def test_format_source_takes_input_extension(resolver, registry):
    tool = load("intersect.xml")
    state = tool.validate_inputs({"input1": "gff1", "input2": "bed1"}, resolver, registry=registry)

    formats = tool.output_formats(state, {"input1": "gff", "input2": "bed"})

    assert formats == {"output": "gff"}


def test_format_input_uses_first_data_input(tmp_path, resolver, registry):
    path = tmp_path / "tool.xml"
    path.write_text(
        '<tool id="t" name="T"><command>x</command><inputs>'
        '<param name="a" type="data" format="bed"/><param name="b" type="data" format="bed"/>'
        '</inputs><outputs><data name="out" format="input"/></outputs></tool>'
    )
    from nebula.tools import load_tool

    tool = load_tool(path)
    state = tool.validate_inputs({"a": "bed2", "b": "bed1"}, resolver, registry=registry)

    assert tool.output_formats(state, {"b": "interval", "a": "bed"}) == {"out": "bed"}


def test_change_format_matches_conditional_value(resolver, registry):
    tool = load("kitchen_sink.xml")
    state = tool.validate_inputs({**SINK_BASE, "mode|kind": "window"}, resolver, registry=registry)

    formats = tool.output_formats(state, {"input": "tabular"})

    assert formats == {"out_file": "bed", "copy": "tabular"}


def test_change_format_matches_boolean_value(resolver, registry):
    tool = load("kitchen_sink.xml")
    state = tool.validate_inputs({**SINK_BASE, "flag": "false"}, resolver, registry=registry)

    assert tool.output_formats(state, {"input": "tabular"})["out_file"] == "txt"


def test_plain_format_applies_without_match(resolver, registry):
    tool = load("kitchen_sink.xml")
    state = tool.validate_inputs(SINK_BASE, resolver, registry=registry)

    assert tool.output_formats(state, {"input": "tabular"})["out_file"] == "tabular"


def test_metadata_sources_map_outputs_to_inputs():
    assert load("intersect.xml").metadata_sources() == {"output": "input1"}
    assert load("kitchen_sink.xml").metadata_sources() == {"copy": "input"}


def test_stdio_rules_are_parsed():
    tool = load("kitchen_sink.xml")

    assert tool.stdio == [
        ExitCodeRule(1, None, StdioLevel.FATAL, "Failed"),
        ExitCodeRule(-1, -1, StdioLevel.WARNING, ""),
        RegexRule("low memory", ("stderr",), StdioLevel.WARNING, ""),
    ]


def test_check_results_applies_declared_rules():
    tool = load("kitchen_sink.xml")

    assert tool.check_results(0, "", "").failed is False
    assert tool.check_results(2, "", "").failed is True
    warned = tool.check_results(0, "", "LOW MEMORY here")
    assert warned.failed is False
    assert warned.messages == ["warning: output matched 'low memory'"]


def test_check_results_defaults_to_exit_code():
    tool = load("intersect.xml")

    assert tool.check_results(0, "", "some warning on stderr").failed is False
    assert tool.check_results(1, "", "").failed is True
    assert tool.check_results(-9, "", "").failed is True
