"""The tool form as a tree of view objects that the templates render.

The tree mirrors the tool's parameter tree. Each field has its flat name (the form field
name), an HTML id, its current value (submitted, else the tool's default), its options,
and the error message to show beside it. Repeats carry a template instance
whose flat names contain a placeholder that the browser replaces when adding an instance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nebula.tools.parameters import (
    BooleanParameter,
    Conditional,
    DataColumnParameter,
    DataParameter,
    FloatParameter,
    HiddenParameter,
    InputNode,
    IntegerParameter,
    Repeat,
    Section,
    SelectParameter,
    TextParameter,
    ToolParameter,
)
from nebula.web.ui.form_values import INSTANCE_MARKER, FormValues, is_multiple

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass
class FieldView:
    """One typed parameter. `kind` names the template macro that draws it."""

    kind: str
    flat: str
    html_id: str
    label: str
    help: str
    value: Any
    error: str | None = None
    choices: list[Choice] = field(default_factory=list)
    multiple: bool = False
    optional: bool = False
    # Data parameters: which formats they accept. Data columns: the data field they follow.
    formats: str = ""
    data_flat: str | None = None
    data_html_id: str | None = None
    conditional_test: bool = False

    def is_selected(self, value: str) -> bool:
        if isinstance(self.value, list):
            return value in [str(v) for v in self.value]
        return self.value is not None and str(self.value) == value


@dataclass
class CaseView:
    when: str
    is_active: bool
    nodes: list[Any]


@dataclass
class ConditionalView:
    kind = "conditional"
    flat: str
    test: FieldView
    cases: list[CaseView]


@dataclass
class InstanceView:
    flat: str
    number: int
    nodes: list[Any]


@dataclass
class RepeatView:
    kind = "repeat"
    flat: str
    html_id: str
    title: str
    help: str
    min: int
    max: int | None
    instances: list[InstanceView]
    template: InstanceView
    placeholder: str
    error: str | None = None


@dataclass
class SectionView:
    kind = "section"
    flat: str
    title: str
    help: str
    expanded: bool
    nodes: list[Any]


DatasetChoices = Callable[[DataParameter], list[Choice]]
ColumnChoices = Callable[[str | None], list[Choice] | None]


@dataclass
class FormBuilder:
    """Builds the view tree from the submitted values and the current history's datasets.

    `dataset_choices` lists the datasets a data parameter accepts; `column_choices`
    lists the columns of a dataset by its encoded id (None when they are unknown).
    """

    submitted: FormValues
    errors: dict[str, str]
    dataset_choices: DatasetChoices
    column_choices: ColumnChoices
    used_errors: set[str] = field(default_factory=set)
    _placeholders: int = 0
    _data_scopes: list[dict[str, FieldView]] = field(default_factory=list)

    def build(self, nodes: Sequence[InputNode]) -> list[Any]:
        return self._level(nodes, "", use_submitted=True)

    def unplaced_errors(self) -> list[str]:
        """Return the errors that belong to no field drawn, to show above the form."""
        return [message for name, message in self.errors.items() if name not in self.used_errors]

    def _level(self, nodes: Sequence[InputNode], prefix: str, use_submitted: bool) -> list[Any]:
        # A data_column follows the data parameter its `data_ref` names, in this level or
        # an enclosing one, so the data parameters of a level are built before the rest.
        data_fields = {
            node.name: self._field(node, prefix + node.name, use_submitted)
            for node in nodes
            if isinstance(node, DataParameter)
        }
        self._data_scopes.append(data_fields)
        views: list[Any] = []
        for node in nodes:
            flat = prefix + node.name
            if isinstance(node, DataParameter):
                views.append(data_fields[node.name])
            elif isinstance(node, Conditional):
                views.append(self._conditional(node, flat, use_submitted))
            elif isinstance(node, Repeat):
                views.append(self._repeat(node, flat, use_submitted))
            elif isinstance(node, Section):
                nested = self._level(node.inputs, flat + "|", use_submitted)
                views.append(SectionView(flat, node.title or node.name, node.help, node.expanded, nested))
            elif isinstance(node, DataColumnParameter):
                views.append(self._column(node, flat, use_submitted))
            else:
                views.append(self._field(node, flat, use_submitted))
        self._data_scopes.pop()
        return views

    def _conditional(self, node: Conditional, flat: str, use_submitted: bool) -> ConditionalView:
        test = self._field(node.test_param, f"{flat}|{node.test_param.name}", use_submitted)
        test.conditional_test = True
        active = node.case_index(test.value)
        cases = []
        for index, case in enumerate(node.cases):
            when = case.value
            if isinstance(node.test_param, BooleanParameter):
                when = "checked" if node.case_index(True) == index else "unchecked"
            cases.append(CaseView(when, index == active, self._level(case.inputs, flat + "|", use_submitted)))
        return ConditionalView(flat, test, cases)

    def _repeat(self, node: Repeat, flat: str, use_submitted: bool) -> RepeatView:
        count = self.submitted.repeat_counts.get(flat) if use_submitted else None
        if count is None:
            count = max(node.default, node.min)
        instances = [
            InstanceView(f"{flat}_{index}", index + 1, self._instance(node, f"{flat}_{index}", use_submitted))
            for index in range(count)
        ]
        self._placeholders += 1
        placeholder = f"__INDEX{self._placeholders}__"
        template_flat = f"{flat}_{placeholder}"
        template = InstanceView(template_flat, 0, self._instance(node, template_flat, use_submitted=False))
        error = self._error(flat)
        return RepeatView(
            flat, _html_id(flat), node.title or node.name, node.help, node.min, node.max,
            instances, template, placeholder, error,
        )

    def _instance(self, node: Repeat, instance_flat: str, use_submitted: bool) -> list[Any]:
        marker = FieldView("hidden", f"{instance_flat}|{INSTANCE_MARKER}", "", "", "", "1")
        return [marker, *self._level(node.inputs, instance_flat + "|", use_submitted)]

    def _field(self, param: ToolParameter, flat: str, use_submitted: bool) -> FieldView:
        value = self._value(param, flat, use_submitted)
        view = FieldView(
            kind=_kind(param),
            flat=flat,
            html_id=_html_id(flat),
            label=param.label or param.name,
            help=param.help,
            value=value,
            error=self._error(flat),
            multiple=is_multiple(param),
            optional=param.optional,
        )
        if isinstance(param, SelectParameter):
            view.choices = [Choice(option.value, option.label) for option in param.options]
        elif isinstance(param, DataParameter):
            view.choices = self.dataset_choices(param)
            view.formats = ", ".join(param.formats)
            if value is None and view.choices and not param.optional:
                # The browser shows the first option as chosen; columns must match it.
                view.value = [view.choices[0].value] if param.multiple else view.choices[0].value
        return view

    def column_field(
        self, param: DataColumnParameter, flat: str, data: FieldView | None, use_submitted: bool = True
    ) -> FieldView:
        """Build a data_column field offering the columns of the dataset chosen in `data`."""
        view = self._field(param, flat, use_submitted)
        dataset_id = None
        if data is not None:
            view.data_flat, view.data_html_id = data.flat, data.html_id or _html_id(data.flat)
            dataset_id = data.value[0] if isinstance(data.value, list) and data.value else data.value
        choices = self.column_choices(str(dataset_id) if dataset_id else None)
        if choices is None:
            view.kind = "column_text"
        else:
            view.choices = choices
            view.optional = param.optional or not param.force_select
        view.value = _column_numbers(view.value)
        if view.value is None and not view.optional and view.choices:
            view.value = view.choices[0].value
        return view

    def _column(self, param: DataColumnParameter, flat: str, use_submitted: bool) -> FieldView:
        data = next((scope[param.data_ref] for scope in reversed(self._data_scopes) if param.data_ref in scope), None)
        return self.column_field(param, flat, data, use_submitted)

    def _value(self, param: ToolParameter, flat: str, use_submitted: bool) -> Any:
        if use_submitted and flat in self.submitted.values:
            return self.submitted.values[flat]
        return default_value(param)

    def _error(self, flat: str) -> str | None:
        message = self.errors.get(flat)
        if message is not None:
            self.used_errors.add(flat)
        return message


def default_value(param: ToolParameter) -> Any:
    """Return the value a new form shows for a parameter."""
    if isinstance(param, BooleanParameter):
        return param.checked
    if isinstance(param, SelectParameter):
        return param.default_value()
    if isinstance(param, IntegerParameter | FloatParameter):
        return param.default_for_api()
    if isinstance(param, TextParameter | HiddenParameter):
        return param.value
    if isinstance(param, DataColumnParameter):
        return param.value
    return None


def _column_numbers(value: Any) -> Any:
    """Write columns as the select's option values do: 'c3' and 3 become '3'."""
    if isinstance(value, list):
        return [_column_numbers(item) for item in value]
    if isinstance(value, str) and "," in value:
        return [_column_numbers(item) for item in value.split(",")]
    if value is None:
        return None
    text = str(value).strip()
    return text[1:] if text[:1] in ("c", "C") and text[1:].isdigit() else text


def _kind(param: ToolParameter) -> str:
    if isinstance(param, SelectParameter):
        if param.display == "radio" and not param.multiple:
            return "radio"
        if param.display == "checkboxes" and param.multiple:
            return "checkboxes"
        return "select"
    if isinstance(param, TextParameter):
        return "textarea" if param.area else "text"
    if isinstance(param, DataColumnParameter):
        return "column"
    return {
        HiddenParameter: "hidden",
        IntegerParameter: "integer",
        FloatParameter: "float",
        BooleanParameter: "boolean",
        DataParameter: "data",
    }[type(param)]


def _html_id(flat: str) -> str:
    # Flat names contain '|', which CSS selectors (htmx's `from:#id`) cannot take unescaped.
    return "param-" + _UNSAFE_ID.sub(lambda match: f"-{ord(match.group()):x}-", flat)
