"""Conversion and checking of one request value for one typed parameter.

`convert_parameter` turns what a client sent (a string, a number, a dataset reference)
into the JSON value that `ToolState` stores, or raises ParameterError naming the
parameter, the bad value and what is allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from nebula.errors import DatatypeError, NotFound, ParameterError
from nebula.tools.parameters import (
    BooleanParameter,
    DataColumnParameter,
    DataParameter,
    FloatParameter,
    HiddenParameter,
    IntegerParameter,
    SelectParameter,
    TextParameter,
    ToolParameter,
)
from nebula.tools.state import DatasetInfo, DatasetResolver

MISSING: Any = object()
UNUSABLE_DATASET_STATES = frozenset({"error", "discarded", "deleted"})
# The extension of a dataset whose format is detected when its upload finishes.
PENDING_FORMAT = "auto"
_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
_COLUMN_TEXT = re.compile(r"^c?(\d+)$", re.IGNORECASE)
_MAX_LISTED_OPTIONS = 20


class FormatRegistry(Protocol):
    """The part of `nebula.datatypes.DatatypeRegistry` that parameter checks use."""

    def is_subtype(self, ext: str, parent: str) -> bool: ...


@dataclass
class ConversionContext:
    """Context for converting values: the tool (for messages), the datasets the user may
    read, and the data inputs converted so far. `scopes` lists them by name from the
    outermost group to the innermost, and data_column parameters find their `data_ref` there."""

    tool_id: str
    datasets: DatasetResolver
    registry: FormatRegistry
    scopes: list[dict[str, Any]] = field(default_factory=list)
    resolved: dict[str, DatasetInfo] = field(default_factory=dict)

    def fail(self, flat_name: str, problem: str) -> ParameterError:
        return ParameterError(flat_name, f"parameter '{flat_name}' of {self.tool_id} {problem}")

    def find_data(self, name: str) -> Any:
        """Return the DatasetInfo (a list when multiple, None when empty) of the data
        parameter `name` in the nearest scope, or MISSING."""
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return MISSING


def convert_parameter(
    param: ToolParameter, raw: Any, ctx: ConversionContext, flat_name: str
) -> Any:
    """Return the stored value for `raw` (MISSING when the request left it out)."""
    converter = _CONVERTERS[type(param)]
    value, checked = converter(param, raw, ctx, flat_name)
    for item in checked:
        for validator in param.validators:
            problem = validator.check(item)
            if problem:
                raise ctx.fail(flat_name, f"is invalid: {problem}")
    return value


def _convert_text(
    param: TextParameter | HiddenParameter, raw: Any, ctx: ConversionContext, flat: str
):
    if raw is MISSING or raw is None:
        value = param.value
    elif isinstance(raw, str | int | float) and not isinstance(raw, bool):
        value = str(raw)
    elif isinstance(param, HiddenParameter) and isinstance(raw, dict | list | bool):
        # Hidden values are set by clients, not people: upload's `file_data` names an
        # uploaded file with an object such as {"session_id": ..., "name": ...}.
        return raw, []
    else:
        raise ctx.fail(flat, f"must be text, got {raw!r}")
    return value, [] if (value == "" and param.optional) else [value]


def _convert_integer(param: IntegerParameter, raw: Any, ctx: ConversionContext, flat: str):
    expected = "an integer" + _bounds(param.min, param.max)
    number = _numeric(param, raw, ctx, flat, expected)
    if number is None:
        return None, []
    if isinstance(number, float):
        if not number.is_integer():
            raise ctx.fail(flat, f"must be {expected}, got {raw!r}")
        number = int(number)
    _check_bounds(number, param.min, param.max, ctx, flat, expected, raw)
    return number, [number]


def _convert_float(param: FloatParameter, raw: Any, ctx: ConversionContext, flat: str):
    expected = "a number" + _bounds(param.min, param.max)
    number = _numeric(param, raw, ctx, flat, expected)
    if number is None:
        return None, []
    number = float(number)
    if not math.isfinite(number):
        raise ctx.fail(flat, f"must be {expected}, got {raw!r}")
    _check_bounds(number, param.min, param.max, ctx, flat, expected, raw)
    return number, [number]


def _convert_boolean(param: BooleanParameter, raw: Any, ctx: ConversionContext, flat: str):
    if raw is MISSING or raw is None:
        value = param.checked
    elif isinstance(raw, bool):
        value = raw
    elif isinstance(raw, int) and raw in (0, 1):
        value = bool(raw)
    elif isinstance(raw, str) and raw == param.truevalue:
        value = True
    elif isinstance(raw, str) and raw == param.falsevalue:
        value = False
    elif isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        value = raw.strip().lower() == "true"
    else:
        allowed = sorted({"true", "false", param.truevalue, param.falsevalue})
        raise ctx.fail(flat, f"must be one of {allowed}, got {raw!r}")
    return value, [value]


def _convert_select(param: SelectParameter, raw: Any, ctx: ConversionContext, flat: str):
    if raw is MISSING or raw is None:
        value = param.default_value()
        if value is None and not param.optional:
            raise ctx.fail(flat, f"requires a value; allowed: {_option_list(param)}")
        return value, _as_list(value)

    items = _split_list(raw)
    if not param.multiple:
        if len(items) != 1:
            raise ctx.fail(flat, f"takes one value, got {raw!r}")
        value = _match_option(param, items[0], ctx, flat)
        return value, [value]

    values = [_match_option(param, item, ctx, flat) for item in items]
    if not values and not param.optional:
        raise ctx.fail(flat, f"requires at least one value; allowed: {_option_list(param)}")
    return values, values


def _convert_data(param: DataParameter, raw: Any, ctx: ConversionContext, flat: str):
    references = _dataset_ids(raw, ctx, flat)
    if not references:
        if not param.optional:
            raise ctx.fail(flat, "requires a dataset")
        return ([] if param.multiple else None), []
    if len(references) > 1 and not param.multiple:
        raise ctx.fail(flat, f"takes one dataset, got {len(references)}")

    infos = [_resolve_dataset(param, dataset_id, ctx, flat) for dataset_id in references]
    stored = [{"src": "hda", "id": info.id} for info in infos]
    return (stored if param.multiple else stored[0]), infos


def _convert_column(param: DataColumnParameter, raw: Any, ctx: ConversionContext, flat: str):
    if raw is MISSING or raw is None or raw == "" or raw == []:
        if param.value is not None:
            raw = param.value
        elif param.optional or not param.force_select:
            # force_select="false" lets the form offer "no column", which Galaxy passes as None.
            raw = None
        else:
            # Galaxy's form preselects the first column, so a request without one gets c1.
            raw = "1"
        if raw is None:
            return ([] if param.multiple else None), []

    # NOTE: `numerical="true"` is not enforced, because column types from metadata are
    # guesses; a text column passes here and the tool reports it when it runs.
    items = _split_list(raw)
    if len(items) != 1 and not param.multiple:
        raise ctx.fail(flat, f"takes one column, got {raw!r}")
    dataset = ctx.find_data(param.data_ref)
    if dataset is MISSING:
        raise ctx.fail(
            flat, f"refers to data parameter {param.data_ref!r}, which the tool does not define"
        )
    columns = _column_count(dataset)

    numbers = []
    for item in items:
        match = _COLUMN_TEXT.match(str(item).strip()) if not isinstance(item, bool) else None
        number = int(match.group(1)) if match else 0
        if number < 1 or (columns is not None and number > columns):
            allowed = f"between 1 and {columns}" if columns is not None else ">= 1"
            raise ctx.fail(
                flat, f"must be a column number {allowed} (as '3' or 'c3'), got {item!r}"
            )
        numbers.append(number)
    return (numbers if param.multiple else numbers[0]), numbers


_CONVERTERS: dict[type, Callable[..., tuple[Any, list[Any]]]] = {
    TextParameter: _convert_text,
    HiddenParameter: _convert_text,
    IntegerParameter: _convert_integer,
    FloatParameter: _convert_float,
    BooleanParameter: _convert_boolean,
    SelectParameter: _convert_select,
    DataParameter: _convert_data,
    DataColumnParameter: _convert_column,
}


def _numeric(
    param: IntegerParameter | FloatParameter,
    raw: Any,
    ctx: ConversionContext,
    flat: str,
    expected: str,
) -> int | float | None:
    # Left out: the default. Explicit null: empty when optional, else the default.
    # Blank text: empty when optional, else an error, because the user typed nothing.
    if raw is MISSING or raw is None:
        if raw is None and param.optional:
            return None
        if param.value is None and not param.optional:
            raise ctx.fail(flat, f"requires {expected}")
        return param.value
    if isinstance(raw, str) and raw.strip() == "":
        if param.optional:
            return None
        raise ctx.fail(flat, f"must be {expected}, got {raw!r}")
    if isinstance(raw, bool):
        raise ctx.fail(flat, f"must be {expected}, got {raw!r}")
    if isinstance(raw, int | float):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if _INTEGER_TEXT.match(text):
            return int(text)
        if isinstance(param, FloatParameter):
            try:
                return float(text)
            except ValueError:
                pass
    raise ctx.fail(flat, f"must be {expected}, got {raw!r}")


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" between {low:g} and {high:g}"
    if low is not None:
        return f" >= {low:g}"
    if high is not None:
        return f" <= {high:g}"
    return ""


def _check_bounds(
    number: float,
    low: float | None,
    high: float | None,
    ctx: ConversionContext,
    flat: str,
    expected: str,
    raw: Any,
) -> None:
    if (low is not None and number < low) or (high is not None and number > high):
        raise ctx.fail(flat, f"must be {expected}, got {raw!r}")


def _split_list(raw: Any) -> list[Any]:
    if isinstance(raw, list | tuple):
        return list(raw)
    if isinstance(raw, str) and "," in raw:
        return [item for item in raw.split(",")]
    return [raw]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _match_option(param: SelectParameter, raw: Any, ctx: ConversionContext, flat: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ctx.fail(flat, f"must be one of {_option_list(param)}, got {raw!r}")
    text = str(raw)
    for option in param.options:
        if option.value == text:
            return option.value
    # Galaxy's tool tests may name an option by its label; accept that when unambiguous.
    by_label = [option.value for option in param.options if option.label == text]
    if len(by_label) == 1:
        return by_label[0]
    raise ctx.fail(flat, f"must be one of {_option_list(param)}, got {raw!r}")


def _option_list(param: SelectParameter) -> str:
    values = [repr(option.value) for option in param.options]
    if len(values) > _MAX_LISTED_OPTIONS:
        values = values[:_MAX_LISTED_OPTIONS] + [f"... ({len(param.options)} options)"]
    return "[" + ", ".join(values) + "]"


def _dataset_ids(raw: Any, ctx: ConversionContext, flat: str) -> list[str]:
    """Return the dataset ids in any accepted request form: an id, `{"src": "hda", "id":
    ...}`, `{"values": [...]}`, or a list of these."""
    if raw is MISSING or raw is None or raw == "":
        return []
    if isinstance(raw, dict) and "values" in raw:
        return _dataset_ids(raw["values"] or [], ctx, flat)
    if isinstance(raw, list):
        ids: list[str] = []
        for item in raw:
            ids.extend(_dataset_ids(item, ctx, flat))
        return ids
    if isinstance(raw, dict):
        source = raw.get("src", "hda")
        if source != "hda":
            raise ctx.fail(flat, f"takes datasets from a history (src 'hda'), got src {source!r}")
        if not isinstance(raw.get("id"), str | int) or isinstance(raw.get("id"), bool):
            raise ctx.fail(flat, f"needs a dataset id, got {raw!r}")
        return [str(raw["id"])]
    if isinstance(raw, str | int) and not isinstance(raw, bool):
        return [str(raw)]
    raise ctx.fail(flat, f"must name a dataset as {{'src': 'hda', 'id': ...}}, got {raw!r}")


def _resolve_dataset(
    param: DataParameter, dataset_id: str, ctx: ConversionContext, flat: str
) -> DatasetInfo:
    info = ctx.resolved.get(dataset_id)
    if info is None:
        try:
            info = ctx.datasets.resolve(dataset_id)
        except NotFound as exc:
            raise ctx.fail(flat, f"names dataset {dataset_id!r}, which was not found") from exc
        ctx.resolved[dataset_id] = info

    if info.state in UNUSABLE_DATASET_STATES:
        raise ctx.fail(flat, f"cannot use dataset {info.name or info.id!r} in state {info.state!r}")
    # An upload still running has no format yet; the job system checks it again before the
    # job runs.
    if info.ext == PENDING_FORMAT and info.state != "ok":
        return info
    if not _format_accepted(info.ext, param.formats, ctx.registry):
        raise ctx.fail(
            flat,
            f"accepts datasets of format {', '.join(param.formats)}, got dataset "
            f"{info.name or info.id!r} of format {info.ext!r}; "
            "change its datatype or pick another dataset",
        )
    return info


def _format_accepted(ext: str, formats: tuple[str, ...], registry: FormatRegistry) -> bool:
    if "data" in formats or ext in formats:
        return True
    for fmt in formats:
        try:
            if registry.is_subtype(ext, fmt):
                return True
        except DatatypeError:
            continue
    return False


def _column_count(dataset: Any) -> int | None:
    """Return the referenced dataset's column count, or None when unknown (no dataset,
    several datasets, or no `columns` metadata), in which case any column >= 1 passes."""
    if not isinstance(dataset, DatasetInfo):
        return None
    columns = dataset.metadata.get("columns")
    return columns if isinstance(columns, int) and not isinstance(columns, bool) else None
