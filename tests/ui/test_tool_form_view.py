"""The view tree of a tool form: kinds, values, branches, repeats and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nebula.tools.loader import load_tool
from nebula.tools.parameters import DataParameter
from nebula.web.ui.form_values import FormValues
from nebula.web.ui.tool_form_view import Choice, FormBuilder

TOOL = load_tool(Path(__file__).resolve().parents[1] / "data" / "ui_tools" / "form_features.xml")
DATASETS = [Choice("d2", "2: cpg.bed"), Choice("d1", "1: exons.bed")]
COLUMNS = {"d1": [Choice(str(n), f"c{n}") for n in range(1, 7)], "d2": [Choice(str(n), f"c{n}") for n in range(1, 5)]}


def build(submitted: FormValues | None = None, errors: dict[str, str] | None = None) -> tuple[list[Any], FormBuilder]:
    def datasets(param: DataParameter) -> list[Choice]:
        return DATASETS

    builder = FormBuilder(submitted or FormValues(), errors or {}, datasets, lambda dataset_id: COLUMNS.get(dataset_id or ""))
    return builder.build(TOOL.inputs), builder


def by_flat(nodes: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for node in nodes:
        if node.kind == "conditional":
            found[node.test.flat] = node.test
            found[node.flat] = node
            for case in node.cases:
                found.update(by_flat(case.nodes))
        elif node.kind == "repeat":
            found[node.flat] = node
            for instance in node.instances:
                found.update(by_flat(instance.nodes))
        elif node.kind == "section":
            found.update(by_flat(node.nodes))
        else:
            found[node.flat] = node
    return found


def test_new_form_uses_defaults() -> None:
    nodes, _ = build()
    fields = by_flat(nodes)

    assert fields["input"].kind == "data"
    assert fields["input"].value == "d2"
    assert fields["mode|kind"].value == "columns"
    assert fields["mode|kind"].conditional_test
    assert fields["mode|pattern"].value == "chrX"
    assert fields["advanced|scale"].kind == "float"
    assert fields["advanced|scale"].value == "1.5"
    assert fields["advanced|flag"].kind == "boolean"
    assert fields["tags"].multiple
    assert fields["marker"].kind == "hidden"


def test_column_field_follows_the_chosen_dataset() -> None:
    nodes, _ = build(FormValues({"input": "d1"}))
    column = by_flat(nodes)["mode|column"]

    assert column.kind == "column"
    assert [choice.value for choice in column.choices] == ["1", "2", "3", "4", "5", "6"]
    assert column.data_flat == "input"
    assert column.data_html_id == "param-input"
    assert column.value == "1"


def test_active_case_follows_the_submitted_test_value() -> None:
    nodes, _ = build(FormValues({"mode|kind": "pattern"}))
    conditional = by_flat(nodes)["mode"]

    assert [(case.when, case.is_active) for case in conditional.cases] == [("columns", False), ("pattern", True)]


def test_repeat_shows_submitted_instances_and_a_template() -> None:
    submitted = FormValues({"queries_0|label": "a", "queries_1|label": "b"}, {"queries": 2})

    nodes, _ = build(submitted)
    repeat = by_flat(nodes)["queries"]

    assert len(repeat.instances) == 2
    assert repeat.min == 1
    assert repeat.max == 3
    assert by_flat(nodes)["queries_1|label"].value == "b"
    assert repeat.placeholder in repeat.template.flat
    assert repeat.template.nodes[0].flat.endswith("|__index__")


def test_error_is_placed_on_its_field() -> None:
    nodes, builder = build(errors={"advanced|scale": "parameter 'advanced|scale' must be a number"})

    assert by_flat(nodes)["advanced|scale"].error == "parameter 'advanced|scale' must be a number"
    assert builder.unplaced_errors() == []


def test_fieldless_error_goes_above_form() -> None:
    _, builder = build(errors={"": "history 'x' is deleted"})

    assert builder.unplaced_errors() == ["history 'x' is deleted"]


def test_html_ids_are_safe_in_css_selectors() -> None:
    nodes, _ = build()

    assert by_flat(nodes)["mode|kind"].html_id == "param-mode-7c-kind"
