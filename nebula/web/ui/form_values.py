"""Reading a submitted tool form into the `inputs` of a run request.

Form fields carry Galaxy flat names (`cond|param`, `queries_2|input`, `section|param`).
The form is walked along the tool's parameter tree. So only the fields of the active
conditional branch are read, and unchecked checkboxes become false. Repeat instances are
renumbered from 0 in the order they appear, because the browser may have removed
instances from the middle. Every instance carries a `name_N|__index__` marker, so an
instance whose fields are all empty still counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from nebula.tools.parameters import (
    BooleanParameter,
    Conditional,
    DataColumnParameter,
    DataParameter,
    InputNode,
    Repeat,
    Section,
    SelectParameter,
    ToolParameter,
)

INSTANCE_MARKER = "__index__"


class MultiValueForm(Protocol):
    """The part of Starlette's FormData (and of any multi-dict) that the walk reads."""

    def getlist(self, key: Any) -> list[Any]: ...

    def keys(self) -> Any: ...


@dataclass
class FormValues:
    """Submitted values by flat name, and how many instances each repeat had."""

    values: dict[str, Any] = field(default_factory=dict)
    repeat_counts: dict[str, int] = field(default_factory=dict)

    def run_inputs(self) -> dict[str, Any]:
        """Return the `inputs` of a run request, where an instance with no fields is an empty object."""
        inputs = dict(self.values)
        for name, count in self.repeat_counts.items():
            for index in range(count):
                instance = f"{name}_{index}"
                if not any(key.startswith(instance + "|") for key in inputs):
                    inputs[instance] = {}
        return inputs


def read_form(nodes: Sequence[InputNode], form: MultiValueForm) -> FormValues:
    """Collect the values of a submitted tool form."""
    result = FormValues()
    _read_level(nodes, form, list(form.keys()), "", "", result)
    return result


def is_multiple(param: ToolParameter) -> bool:
    return isinstance(param, SelectParameter | DataParameter | DataColumnParameter) and param.multiple


def _read_level(
    nodes: Sequence[InputNode], form: MultiValueForm, keys: list[str], prefix_in: str, prefix_out: str, result: FormValues
) -> None:
    for node in nodes:
        if isinstance(node, Conditional):
            group_in, group_out = f"{prefix_in}{node.name}|", f"{prefix_out}{node.name}|"
            test_value = _read_parameter(node.test_param, form, group_in + node.test_param.name)
            if test_value is not None:
                result.values[group_out + node.test_param.name] = test_value
            case = node.case_index(test_value) if test_value is not None else None
            if case is not None:
                _read_level(node.cases[case].inputs, form, keys, group_in, group_out, result)
        elif isinstance(node, Repeat):
            indexes = _instance_indexes(keys, prefix_in + node.name)
            result.repeat_counts[prefix_out + node.name] = len(indexes)
            for new_index, old_index in enumerate(indexes):
                _read_level(
                    node.inputs,
                    form,
                    keys,
                    f"{prefix_in}{node.name}_{old_index}|",
                    f"{prefix_out}{node.name}_{new_index}|",
                    result,
                )
        elif isinstance(node, Section):
            _read_level(node.inputs, form, keys, f"{prefix_in}{node.name}|", f"{prefix_out}{node.name}|", result)
        else:
            value = _read_parameter(node, form, prefix_in + node.name)
            if value is not None:
                result.values[prefix_out + node.name] = value


def _read_parameter(param: ToolParameter, form: MultiValueForm, name: str) -> Any:
    """Return the submitted value, or None when the form left the field out."""
    submitted = form.getlist(name)
    if isinstance(param, BooleanParameter):
        # A checkbox is sent only when ticked.
        return bool(submitted) and str(submitted[-1]) != "false"
    if is_multiple(param):
        return [str(value) for value in submitted if str(value) != ""]
    if not submitted:
        return None
    return str(submitted[-1])


def _instance_indexes(keys: list[str], repeat_name: str) -> list[int]:
    pattern = re.compile(re.escape(repeat_name) + r"_(\d+)\|")
    indexes: list[int] = []
    for key in keys:
        match = pattern.match(key)
        if match and int(match.group(1)) not in indexes:
            indexes.append(int(match.group(1)))
    return indexes
