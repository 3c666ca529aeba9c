"""Reading a submitted tool form along the tool's parameter tree."""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import FormData

from nebula.tools.loader import load_tool
from nebula.web.ui.form_values import read_form

TOOL = load_tool(Path(__file__).resolve().parents[1] / "data" / "ui_tools" / "form_features.xml")


def test_only_the_active_branch_is_read() -> None:
    form = FormData([("mode|kind", "pattern"), ("mode|pattern", "chrY"), ("mode|column", "3")])

    values = read_form(TOOL.inputs, form).values

    assert values["mode|kind"] == "pattern"
    assert values["mode|pattern"] == "chrY"
    assert "mode|column" not in values


def test_repeat_instances_are_renumbered_in_form_order() -> None:
    form = FormData([
        ("queries_0|__index__", "1"), ("queries_0|label", "a"),
        ("queries_4|__index__", "1"), ("queries_4|label", "b"),
        ("queries_2|__index__", "1"), ("queries_2|label", "c"),
    ])

    read = read_form(TOOL.inputs, form)

    assert read.repeat_counts["queries"] == 3
    assert [read.values[f"queries_{index}|label"] for index in range(3)] == ["a", "b", "c"]


def test_instance_without_fields_is_still_an_instance() -> None:
    form = FormData([("queries_0|__index__", "1")])

    inputs = read_form(TOOL.inputs, form).run_inputs()

    assert inputs["queries_0"] == {}


def test_absent_checkbox_and_multiple_are_empty() -> None:
    form = FormData([("advanced|scale", "2")])

    values = read_form(TOOL.inputs, form).values

    assert values["advanced|flag"] is False
    assert values["advanced|scale"] == "2"
    assert values["tags"] == []


def test_multiple_select_keeps_every_value() -> None:
    form = FormData([("tags", "a"), ("tags", "b"), ("advanced|flag", "true")])

    values = read_form(TOOL.inputs, form).values

    assert values["tags"] == ["a", "b"]
    assert values["advanced|flag"] is True


def test_validated_run_inputs_match_the_form() -> None:
    form = FormData([
        ("input", "abc"), ("mode|kind", "columns"), ("mode|column", "2"),
        ("queries_7|__index__", "1"), ("queries_7|label", "only"),
        ("advanced|scale", "0.5"), ("marker", "ui-test"),
    ])

    inputs = read_form(TOOL.inputs, form).run_inputs()

    assert inputs == {
        "input": "abc",
        "mode|kind": "columns",
        "mode|column": "2",
        "queries_0|label": "only",
        "advanced|scale": "0.5",
        "advanced|flag": False,
        "tags": [],
        "marker": "ui-test",
    }
