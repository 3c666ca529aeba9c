"""Validation of the `inputs` of a tool run request against a tool's parameter tree.

Clients send Galaxy flat keys (`cond|param`, `queries_0|input2`, `section|param`),
nested objects (`{"cond": {"param": ...}}`, `{"queries": [{...}]}`), or a mix of both.
Both forms are first merged into one nested dict, then the tree is walked: every
parameter gets its request value or its default, converted and checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from nebula.tools.conversion import MISSING, ConversionContext, FormatRegistry, convert_parameter
from nebula.tools.parameters import (
    Conditional,
    DataColumnParameter,
    DataParameter,
    InputNode,
    Repeat,
    Section,
)
from nebula.tools.state import CURRENT_CASE_KEY, DatasetResolver, ToolState


def validate_state(
    tool_id: str,
    tool_version: str,
    inputs: Sequence[InputNode],
    raw: Mapping[str, Any],
    datasets: DatasetResolver,
    registry: FormatRegistry,
) -> ToolState:
    """Return the validated state for request `raw`, raising ParameterError on the first
    invalid value. Keys that name no parameter are ignored, as Galaxy ignores them."""
    ctx = ConversionContext(tool_id=tool_id, datasets=datasets, registry=registry)
    if not isinstance(raw, Mapping):
        raise ctx.fail("inputs", f"must be an object of parameter values, got {type(raw).__name__}")
    values = _validate_level(inputs, nest_inputs(raw), ctx, "")
    return ToolState(tool_id=tool_id, tool_version=tool_version, values=values)


def nest_inputs(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Merge flat `a|b` keys and nested objects into one nested dict."""
    nested: dict[str, Any] = {}
    for key, value in raw.items():
        parts = str(key).split("|")
        target = nested
        for part in parts[:-1]:
            child = target.get(part)
            if not isinstance(child, dict):
                child = {}
                target[part] = child
            target = child
        _merge(target, parts[-1], _nest_value(value))
    return nested


def _nest_value(value: Any) -> Any:
    if isinstance(value, Mapping) and not _is_dataset_form(value):
        return nest_inputs(value)
    if isinstance(value, list):
        return [_nest_value(item) for item in value]
    return value


def _is_dataset_form(value: Mapping[str, Any]) -> bool:
    return "src" in value or ("values" in value and isinstance(value["values"], list))


def _merge(target: dict[str, Any], key: str, value: Any) -> None:
    existing = target.get(key)
    if isinstance(existing, dict) and isinstance(value, dict) and not _is_dataset_form(value):
        for inner_key, inner_value in value.items():
            _merge(existing, inner_key, inner_value)
    else:
        target[key] = value


def _validate_level(
    nodes: Sequence[InputNode], level: Mapping[str, Any], ctx: ConversionContext, prefix: str
) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    ctx.scopes.append(scope)
    values: dict[str, Any] = {}

    # Data first and data_column last, so a column can be checked against the columns
    # of the dataset it refers to, wherever that data parameter is declared.
    ordered = (
        [n for n in nodes if isinstance(n, DataParameter)]
        + [n for n in nodes if not isinstance(n, DataParameter | DataColumnParameter)]
        + [n for n in nodes if isinstance(n, DataColumnParameter)]
    )
    for node in ordered:
        flat_name = prefix + node.name
        if isinstance(node, Conditional):
            values[node.name] = _validate_conditional(
                node, level.get(node.name, MISSING), ctx, flat_name
            )
        elif isinstance(node, Repeat):
            values[node.name] = _validate_repeat(node, level, ctx, prefix)
        elif isinstance(node, Section):
            section_level = _group_level(level.get(node.name, MISSING), ctx, flat_name)
            values[node.name] = _validate_level(node.inputs, section_level, ctx, flat_name + "|")
        else:
            values[node.name] = convert_parameter(
                node, level.get(node.name, MISSING), ctx, flat_name
            )
            if isinstance(node, DataParameter):
                scope[node.name] = _dataset_infos(values[node.name], ctx)

    ctx.scopes.pop()
    return {node.name: values[node.name] for node in nodes}


def _validate_conditional(
    node: Conditional, raw: Any, ctx: ConversionContext, flat_name: str
) -> dict[str, Any]:
    level = _group_level(raw, ctx, flat_name)
    test = node.test_param
    test_value = convert_parameter(
        test, level.get(test.name, MISSING), ctx, f"{flat_name}|{test.name}"
    )
    case_index = node.case_index(test_value)

    values: dict[str, Any] = {test.name: test_value}
    if case_index is not None:
        values.update(_validate_level(node.cases[case_index].inputs, level, ctx, flat_name + "|"))
    values[CURRENT_CASE_KEY] = case_index
    return values


def _validate_repeat(
    node: Repeat, level: Mapping[str, Any], ctx: ConversionContext, prefix: str
) -> list[dict[str, Any]]:
    flat_name = prefix + node.name
    instances = _repeat_instances(node.name, level, ctx, flat_name)
    if node.max is not None and len(instances) > node.max:
        raise ctx.fail(
            flat_name,
            f"allows at most {node.max} instances of '{node.title or node.name}', "
            f"got {len(instances)}",
        )
    # Like Galaxy, a request with fewer instances than `min` gets default instances.
    while len(instances) < node.min:
        instances.append({})
    return [
        _validate_level(node.inputs, instance, ctx, f"{flat_name}_{index}|")
        for index, instance in enumerate(instances)
    ]


def _repeat_instances(
    name: str, level: Mapping[str, Any], ctx: ConversionContext, flat_name: str
) -> list[Any]:
    """Collect instances given as a list, as `{"0": ...}`, or as flat `name_0|...` keys,
    ordered by index."""
    by_index: dict[int, Any] = {}
    given = level.get(name, MISSING)
    if isinstance(given, list):
        by_index.update(enumerate(given))
    elif isinstance(given, Mapping):
        for key, item in given.items():
            if not str(key).isdigit():
                raise ctx.fail(flat_name, f"must be a list of instances, got key {key!r}")
            by_index[int(key)] = item
    elif given is not MISSING and given is not None:
        raise ctx.fail(flat_name, f"must be a list of instances, got {given!r}")

    pattern = re.compile(re.escape(name) + r"_(\d+)$")
    for key, item in level.items():
        match = pattern.match(str(key))
        if match:
            by_index[int(match.group(1))] = item

    instances = []
    for index in sorted(by_index):
        item = by_index[index]
        if not isinstance(item, Mapping):
            raise ctx.fail(
                f"{flat_name}_{index}", f"must be an object of parameter values, got {item!r}"
            )
        instances.append(item)
    return instances


def _group_level(raw: Any, ctx: ConversionContext, flat_name: str) -> Mapping[str, Any]:
    if raw is MISSING or raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ctx.fail(flat_name, f"must be an object of parameter values, got {raw!r}")
    return raw


def _dataset_infos(value: Any, ctx: ConversionContext) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [ctx.resolved[reference["id"]] for reference in value]
    return ctx.resolved[value["id"]]
