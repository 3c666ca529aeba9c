"""The parameter tree of a tool's `<inputs>`: typed parameters and the groups that nest
them (conditional, repeat, section).

Flat names follow Galaxy's syntax, which API clients send and tool tests use:
`cond|param` inside a conditional, `queries_0|input` inside the first repeat instance,
`section|param` inside a section.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from nebula.tools.sanitize import Sanitizer
from nebula.tools.validators import Validator

_REPEAT_INSTANCE = re.compile(r"^(?P<name>.+)_(?P<index>\d+)$")


@dataclass
class ToolParameter:
    """Attributes shared by every typed parameter."""

    type_name: ClassVar[str] = ""
    model_class: ClassVar[str] = "ToolParameter"

    name: str
    label: str = ""
    help: str = ""
    optional: bool = False
    argument: str | None = None
    validators: tuple[Validator, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the parameter in the shape of Galaxy's tool API."""
        return {
            "model_class": self.model_class,
            "name": self.name,
            "argument": self.argument,
            "type": self.type_name,
            "label": self.label,
            "help": self.help,
            "optional": self.optional,
            "hidden": False,
            "is_dynamic": False,
            "refresh_on_change": False,
            "value": self.default_for_api(),
        }

    def default_for_api(self) -> Any:
        return None


@dataclass
class TextParameter(ToolParameter):
    type_name: ClassVar[str] = "text"
    model_class: ClassVar[str] = "TextToolParameter"

    value: str = ""
    area: bool = False
    size: str | None = None
    sanitizer: Sanitizer | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "area": self.area, "datalist": []}

    def default_for_api(self) -> Any:
        return self.value


@dataclass
class HiddenParameter(ToolParameter):
    type_name: ClassVar[str] = "hidden"
    model_class: ClassVar[str] = "HiddenToolParameter"

    value: str = ""
    sanitizer: Sanitizer | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "hidden": True}

    def default_for_api(self) -> Any:
        return self.value


@dataclass
class IntegerParameter(ToolParameter):
    type_name: ClassVar[str] = "integer"
    model_class: ClassVar[str] = "IntegerToolParameter"

    value: int | None = None
    min: int | None = None
    max: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "min": self.min, "max": self.max}

    def default_for_api(self) -> Any:
        return None if self.value is None else str(self.value)


@dataclass
class FloatParameter(ToolParameter):
    type_name: ClassVar[str] = "float"
    model_class: ClassVar[str] = "FloatToolParameter"

    value: float | None = None
    min: float | None = None
    max: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "min": self.min, "max": self.max}

    def default_for_api(self) -> Any:
        return None if self.value is None else f"{self.value:g}"


@dataclass
class BooleanParameter(ToolParameter):
    type_name: ClassVar[str] = "boolean"
    model_class: ClassVar[str] = "BooleanToolParameter"

    checked: bool = False
    truevalue: str = "true"
    falsevalue: str = "false"

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "truevalue": self.truevalue, "falsevalue": self.falsevalue}

    def default_for_api(self) -> Any:
        return self.checked

    def render(self, value: bool) -> str:
        """Return the text a command line receives for `value`."""
        return self.truevalue if value else self.falsevalue


@dataclass(frozen=True)
class SelectOption:
    value: str
    label: str
    selected: bool = False


@dataclass
class SelectParameter(ToolParameter):
    type_name: ClassVar[str] = "select"
    model_class: ClassVar[str] = "SelectToolParameter"

    options: list[SelectOption] = field(default_factory=list)
    multiple: bool = False
    display: str | None = None
    value: str | None = None
    sanitizer: Sanitizer | None = None

    def default_value(self) -> str | list[str] | None:
        """Return the value used when a request leaves the parameter out: the options
        marked selected, else the `value` attribute, else the first option unless the
        parameter is optional or multiple."""
        selected = [option.value for option in self.options if option.selected]
        if self.multiple:
            if selected:
                return selected
            return [v for v in (self.value or "").split(",") if v] if self.value else []
        if selected:
            return selected[-1]
        if self.value is not None:
            return self.value
        if self.optional or not self.options:
            return None
        return self.options[0].value

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "options": [[o.label, o.value, o.selected] for o in self.options],
            "display": self.display,
            "multiple": self.multiple,
            "textable": False,
        }

    def default_for_api(self) -> Any:
        return self.default_value()


@dataclass
class DataParameter(ToolParameter):
    type_name: ClassVar[str] = "data"
    model_class: ClassVar[str] = "DataToolParameter"

    formats: tuple[str, ...] = ("data",)
    multiple: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "extensions": list(self.formats),
            "multiple": self.multiple,
            "options": {"hda": [], "hdca": []},
        }


@dataclass
class DataColumnParameter(ToolParameter):
    type_name: ClassVar[str] = "data_column"
    model_class: ClassVar[str] = "ColumnListParameter"

    data_ref: str = ""
    multiple: bool = False
    numerical: bool = False
    use_header_names: bool = False
    force_select: bool = True
    accept_default: bool = False
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "data_ref": self.data_ref,
            "multiple": self.multiple,
            "numerical": self.numerical,
            "options": [],
        }

    def default_for_api(self) -> Any:
        return self.value


@dataclass
class ConditionalCase:
    value: str
    inputs: list[InputNode] = field(default_factory=list)


@dataclass
class Conditional:
    type_name: ClassVar[str] = "conditional"

    name: str
    test_param: SelectParameter | BooleanParameter
    cases: list[ConditionalCase] = field(default_factory=list)

    def case_index(self, test_value: Any) -> int | None:
        """Return the index of the `<when>` matching a validated test value, or None."""
        candidates = {str(test_value)}
        if isinstance(self.test_param, BooleanParameter):
            candidates = {self.test_param.render(bool(test_value)), str(bool(test_value)).lower()}
        for index, case in enumerate(self.cases):
            if case.value in candidates:
                return index
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_class": "Conditional",
            "name": self.name,
            "type": self.type_name,
            "test_param": self.test_param.to_dict(),
            "cases": [
                {
                    "model_class": "ConditionalWhen",
                    "value": case.value,
                    "inputs": [node.to_dict() for node in case.inputs],
                }
                for case in self.cases
            ],
        }


@dataclass
class Repeat:
    type_name: ClassVar[str] = "repeat"

    name: str
    title: str = ""
    help: str = ""
    min: int = 0
    max: int | None = None
    default: int = 1
    inputs: list[InputNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_class": "Repeat",
            "name": self.name,
            "type": self.type_name,
            "title": self.title,
            "help": self.help,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "inputs": [node.to_dict() for node in self.inputs],
        }


@dataclass
class Section:
    type_name: ClassVar[str] = "section"

    name: str
    title: str = ""
    help: str = ""
    expanded: bool = False
    inputs: list[InputNode] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_class": "Section",
            "name": self.name,
            "type": self.type_name,
            "title": self.title,
            "help": self.help,
            "expanded": self.expanded,
            "inputs": [node.to_dict() for node in self.inputs],
        }


InputNode = ToolParameter | Conditional | Repeat | Section


def iter_parameters(
    inputs: Sequence[InputNode], prefix: str = ""
) -> Iterator[tuple[str, ToolParameter]]:
    """Yield every typed parameter with a flat name; repeats appear as instance `_0`."""
    for node in inputs:
        if isinstance(node, Conditional):
            yield f"{prefix}{node.name}|{node.test_param.name}", node.test_param
            for case in node.cases:
                yield from iter_parameters(case.inputs, f"{prefix}{node.name}|")
        elif isinstance(node, Repeat):
            yield from iter_parameters(node.inputs, f"{prefix}{node.name}_0|")
        elif isinstance(node, Section):
            yield from iter_parameters(node.inputs, f"{prefix}{node.name}|")
        else:
            yield f"{prefix}{node.name}", node


def find_parameter(inputs: Sequence[InputNode], flat_name: str) -> ToolParameter | None:
    """Return the typed parameter a flat name such as `queries_3|input2` refers to."""
    head, _, rest = flat_name.partition("|")
    for node in inputs:
        if isinstance(node, Conditional) and node.name == head:
            if rest == node.test_param.name:
                return node.test_param
            for case in node.cases:
                found = find_parameter(case.inputs, rest)
                if found is not None:
                    return found
        elif isinstance(node, Section) and node.name == head and rest:
            return find_parameter(node.inputs, rest)
        elif isinstance(node, Repeat) and rest:
            match = _REPEAT_INSTANCE.match(head)
            if match and match.group("name") == node.name:
                return find_parameter(node.inputs, rest)
        elif isinstance(node, ToolParameter) and node.name == head and not rest:
            return node
    return None
