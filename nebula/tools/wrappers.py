"""Objects that stand for parameter values inside a `<command>` Cheetah template.

They follow Galaxy's conventions, so command templates written for Galaxy render the
same: a dataset renders as its path and has `.ext`, `.metadata.<name>`, `.name`,
`.is_of_type(...)`; a plain value renders as its sanitized text and compares equal to
that text; groups allow `$cond.param`, `$cond['param']` and `#for $r in $repeat`.

A metadata name a dataset lacks reads as None, which Cheetah renders as the empty
string, so `-c ${input.metadata.strandCol}` becomes `-c ` instead of failing the job.
Text metadata is passed through the default sanitizer, because metadata such as column
names comes from file content that users control; so is a dataset's name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from nebula.tools.sanitize import DEFAULT_SANITIZER, Sanitizer, sanitize_text


@dataclass(frozen=True)
class InputFile:
    """A dataset as a job sees it: the file to read and what describes its content."""

    path: str
    ext: str
    metadata: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    dataset_id: str = ""


@dataclass(frozen=True)
class OutputFile:
    """A dataset a job writes: its path and its resolved format."""

    path: str
    ext: str
    name: str = ""


class MetadataWrapper:
    def __init__(self, metadata: dict[str, Any]) -> None:
        self._metadata = metadata

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _sanitized_metadata(self._metadata.get(name))

    def __getitem__(self, name: str) -> Any:
        return _sanitized_metadata(self._metadata.get(name))

    def __contains__(self, name: str) -> bool:
        return self._metadata.get(name) is not None

    def get(self, name: str, default: Any = None) -> Any:
        value = self._metadata.get(name)
        return default if value is None else _sanitized_metadata(value)


class DatasetWrapper:
    """An input or output dataset; renders as its file path."""

    def __init__(
        self, path: str, ext: str, metadata: dict[str, Any], name: str, registry: Any
    ) -> None:
        self.file_name = path
        self.path = path
        self.ext = ext
        self.extension = ext
        self.name = sanitize_text(name)
        self.element_identifier = self.name
        self.metadata = MetadataWrapper(metadata)
        self.dbkey = self.metadata.get("dbkey", "?")
        self.extra_files_path = os.path.splitext(path)[0] + "_files"
        self.files_path = self.extra_files_path
        self._registry = registry

    def is_of_type(self, *exts: str) -> bool:
        """Return whether the dataset's format is one of `exts` or derives from one."""
        for ext in exts:
            if ext == self.ext:
                return True
            try:
                if self._registry is not None and self._registry.is_subtype(self.ext, ext):
                    return True
            except Exception:  # noqa: BLE001 - an unknown format simply is not of that type
                continue
        return False

    def __str__(self) -> str:
        return self.file_name

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.file_name)


class NoneDatasetWrapper:
    """An optional data parameter left empty: false, renders as "None" like Galaxy."""

    ext = extension = "data"
    file_name = path = name = ""
    metadata = MetadataWrapper({})

    def is_of_type(self, *exts: str) -> bool:
        return False

    def __str__(self) -> str:
        return "None"

    def __bool__(self) -> bool:
        return False


class DatasetListWrapper(list):
    """A multiple data parameter: iterable, renders as comma-separated paths."""

    def __str__(self) -> str:
        return ",".join(str(item) for item in self)


class ValueWrapper:
    """A text, number, select, boolean or data_column value. `value` is the validated
    value; `str()` is what the command line receives."""

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self._text = text

    def __str__(self) -> str:
        return self._text

    def __bool__(self) -> bool:
        if isinstance(self.value, list):
            return bool(self.value)
        return (
            bool(self.value) if not isinstance(self.value, str) else self.value not in ("", "None")
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ValueWrapper):
            other = str(other)
        if isinstance(other, bool):
            return bool(self) == other
        if isinstance(other, int | float) and isinstance(self.value, int | float):
            return self.value == other
        return self._text == str(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._text)

    def __int__(self) -> int:
        return int(float(self._text))

    def __float__(self) -> float:
        return float(self._text)

    def __lt__(self, other: Any) -> bool:
        return float(self) < float(other)

    def __le__(self, other: Any) -> bool:
        return float(self) <= float(other)

    def __gt__(self, other: Any) -> bool:
        return float(self) > float(other)

    def __ge__(self, other: Any) -> bool:
        return float(self) >= float(other)

    def __iter__(self) -> Iterator[Any]:
        items = self.value if isinstance(self.value, list) else [self.value]
        return iter(items)

    def __contains__(self, item: Any) -> bool:
        items = self.value if isinstance(self.value, list) else [self.value]
        return str(item) in [str(v) for v in items]

    def __len__(self) -> int:
        return len(self.value) if isinstance(self.value, list) else 1


class GroupWrapper:
    """A conditional or section instance: `$group.name` and `$group['name']`.

    It deliberately has no public methods, so a parameter named like a dict method
    (`values`, `items`) still resolves to the parameter in Cheetah's dotted lookup.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __str__(self) -> str:
        return str({key: str(value) for key, value in self._values.items()})


def text_for_command(value: Any, sanitizer: Sanitizer | None) -> str:
    """Return `value` as the sanitized text a command line receives."""
    if value is None:
        return "None"
    if isinstance(value, list):
        value = ",".join(str(item) for item in value)
    return (sanitizer or DEFAULT_SANITIZER).sanitize(str(value))


def _sanitized_metadata(value: Any) -> Any:
    if isinstance(value, str):
        return sanitize_text(value)
    if isinstance(value, list):
        return [_sanitized_metadata(item) for item in value]
    return value
