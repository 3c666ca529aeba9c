"""The validated parameter values of one tool run, and what validation needs to know
about the datasets a request names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

CURRENT_CASE_KEY = "__current_case__"


@dataclass(frozen=True)
class DatasetInfo:
    """The facts about a readable dataset that tool validation checks."""

    id: str
    ext: str
    metadata: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    state: str = "ok"


class DatasetResolver(Protocol):
    """Looks up a dataset by its opaque id on behalf of the requesting user."""

    def resolve(self, ref: str) -> DatasetInfo:
        """Return the dataset, raising nebula.errors.NotFound when it does not exist or
        the user may not read it."""
        ...


@dataclass
class ToolState:
    """Validated values of a tool's parameters, nested the way the inputs are.

    Values are plain JSON. Text and select values are strings (lists when multiple).
    Integers, floats and data_column values are numbers, and booleans are booleans. A
    dataset is `{"src": "hda", "id": <id>}`: a list when multiple, None when an
    optional input is empty. A conditional is a dict with its test value, its case's
    values and `__current_case__`, the index of the matching `<when>` (None when none
    matches). A repeat is a list of dicts and a section a dict.
    """

    tool_id: str
    tool_version: str
    values: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict; `from_json` reverses it."""
        return {"tool_id": self.tool_id, "tool_version": self.tool_version, "values": self.values}

    @classmethod
    def from_json(cls, data: dict[str, Any] | str) -> ToolState:
        """Rebuild a state from `to_json()` output, or from that output as a JSON string."""
        if isinstance(data, str):
            data = json.loads(data)
        return cls(
            tool_id=data["tool_id"], tool_version=data["tool_version"], values=data["values"]
        )

    def data_inputs(self) -> list[tuple[str, str]]:
        """List `(flat_name, dataset_id)` for every dataset the run reads, in parameter
        order. The n-th dataset (n >= 2) of a multiple data parameter is named
        `<flat_name>_<n>`, so every name is unique."""
        return list(_walk_datasets(self.values, ""))

    def flat(self) -> dict[str, Any]:
        """Return the values keyed by Galaxy flat names (`cond|param`, `rep_0|param`)."""
        flat: dict[str, Any] = {}
        _flatten(self.values, "", flat)
        return flat


def is_dataset_reference(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"src", "id"}


def _walk_datasets(values: dict[str, Any], prefix: str) -> Iterator[tuple[str, str]]:
    for name, value in values.items():
        flat_name = prefix + name
        if is_dataset_reference(value):
            yield flat_name, value["id"]
        elif isinstance(value, list) and value and all(is_dataset_reference(v) for v in value):
            for index, reference in enumerate(value):
                yield (flat_name if index == 0 else f"{flat_name}_{index + 1}"), reference["id"]
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    yield from _walk_datasets(item, f"{flat_name}_{index}|")
        elif isinstance(value, dict):
            yield from _walk_datasets(value, f"{flat_name}|")


def _flatten(values: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == CURRENT_CASE_KEY:
            continue
        flat_name = prefix + name
        if isinstance(value, dict) and not is_dataset_reference(value):
            _flatten(value, f"{flat_name}|", out)
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(item, dict) and not is_dataset_reference(item) for item in value)
        ):
            for index, item in enumerate(value):
                _flatten(item, f"{flat_name}_{index}|", out)
        else:
            out[flat_name] = value
