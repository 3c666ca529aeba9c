"""Rendering of a tool's `<command>` Cheetah template into one command line.

The template can use every top-level parameter by name (wrapped as in
`nebula.tools.wrappers`), every output by name, each `<configfile>` by name (as the
path of the file it was rendered into), and `__tool_directory__`, `__new_file_path__`,
`__job_directory__` and `GALAXY_SLOTS`. The last renders as `${GALAXY_SLOTS:-1}`, so the
shell fills it in at run time.

After rendering, lines are stripped and joined with single spaces; a line ending in a
backslash continues on the next line without it. Blank lines disappear. This changes
whitespace inside a quoted string that spans lines, which Galaxy tools do not rely on.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from Cheetah.NameMapper import NotFound
from Cheetah.Parser import ParseError
from Cheetah.Template import Template

from nebula.errors import ParameterError, ToolLoadError
from nebula.tools.parameters import (
    BooleanParameter,
    Conditional,
    DataColumnParameter,
    DataParameter,
    HiddenParameter,
    InputNode,
    Repeat,
    Section,
    SelectParameter,
    TextParameter,
)
from nebula.tools.state import CURRENT_CASE_KEY, ToolState
from nebula.tools.wrappers import (
    DatasetListWrapper,
    DatasetWrapper,
    GroupWrapper,
    InputFile,
    NoneDatasetWrapper,
    OutputFile,
    ValueWrapper,
    text_for_command,
)


@dataclass(frozen=True)
class CommandTemplates:
    """A tool's compiled `<command>` and `<configfile>` templates."""

    tool_id: str
    tool_path: str
    command: type
    configfiles: dict[str, type]


def compile_templates(tool_id: str, tool_path: str, command: str, configfiles: dict[str, str]):
    """Compile a tool's templates once, raising ToolLoadError for a Cheetah syntax error."""
    compiled = {}
    for name, source in {
        "command": command,
        **{f"configfile {k}": v for k, v in configfiles.items()},
    }.items():
        try:
            compiled[name] = Template.compile(
                source=source,
                className=_class_name(tool_id),
                compilerSettings={"useStackFrames": False},
            )
        except ParseError as exc:
            raise ToolLoadError(
                tool_path, f"invalid Cheetah template: {exc}", element=name
            ) from exc
    configfile_classes = {k: compiled[f"configfile {k}"] for k in configfiles}
    return CommandTemplates(tool_id, tool_path, compiled["command"], configfile_classes)


def render_command(
    templates: CommandTemplates,
    inputs: Sequence[InputNode],
    state: ToolState,
    input_files: dict[str, InputFile],
    output_files: dict[str, OutputFile],
    job_dir: str,
    registry: Any,
    extra_namespace: dict[str, Any] | None = None,
    config_files: dict[str, str] | None = None,
) -> str:
    """Return the command line for `state`, after writing each configfile into `job_dir`.

    `extra_namespace` adds server-wide names such as `__tool_data_path__`. With
    `config_files`, the configfiles are put there (path → text) instead of written, for
    a job whose directory is created later, maybe on another host.

    Raises ParameterError when a dataset the state names has no InputFile, and
    ToolLoadError when the template uses a name that is not defined."""
    by_id = {f.dataset_id: f for f in input_files.values() if f.dataset_id}
    builder = _Builder(templates.tool_id, by_id, dict(input_files), registry)
    namespace: dict[str, Any] = builder.wrap_level(inputs, state.values, "")
    for name, output in output_files.items():
        namespace[name] = DatasetWrapper(output.path, output.ext, {}, output.name, registry)
    namespace.update(
        {
            "__tool_directory__": os.path.dirname(os.path.abspath(templates.tool_path)),
            "__new_file_path__": os.path.join(job_dir, "tmp"),
            "__job_directory__": job_dir,
            "GALAXY_SLOTS": "${GALAXY_SLOTS:-1}",
        }
    )
    namespace.update(extra_namespace or {})
    for name, template_class in templates.configfiles.items():
        path = os.path.join(job_dir, f"configfile_{name}")
        text = _fill(template_class, namespace, templates, f"configfile name='{name}'")
        if config_files is None:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            config_files[path] = text
        namespace[name] = path
    return collapse_lines(_fill(templates.command, namespace, templates, "command"))


def collapse_lines(text: str) -> str:
    """Join the rendered lines into one command line (see the module docstring)."""
    pieces: list[str] = []
    continued = False
    for line in text.splitlines():
        stripped = line.strip()
        ends_with_backslash = stripped.endswith("\\") and not stripped.endswith("\\\\")
        if ends_with_backslash:
            stripped = stripped[:-1].rstrip()
        if stripped:
            if continued and pieces:
                pieces[-1] = f"{pieces[-1]} {stripped}"
            else:
                pieces.append(stripped)
        continued = ends_with_backslash
    return " ".join(pieces)


class _Builder:
    def __init__(
        self,
        tool_id: str,
        by_id: dict[str, InputFile],
        by_name: dict[str, InputFile],
        registry: Any,
    ):
        self.tool_id = tool_id
        self.by_id = by_id
        self.by_name = by_name
        self.registry = registry

    def wrap_level(
        self, nodes: Sequence[InputNode], values: dict[str, Any], prefix: str
    ) -> dict[str, Any]:
        wrapped: dict[str, Any] = {}
        for node in nodes:
            value = values.get(node.name)
            flat_name = prefix + node.name
            if isinstance(node, Conditional):
                wrapped[node.name] = self._wrap_conditional(node, value or {}, flat_name)
            elif isinstance(node, Repeat):
                wrapped[node.name] = [
                    GroupWrapper(self.wrap_level(node.inputs, item, f"{flat_name}_{index}|"))
                    for index, item in enumerate(value or [])
                ]
            elif isinstance(node, Section):
                wrapped[node.name] = GroupWrapper(
                    self.wrap_level(node.inputs, value or {}, flat_name + "|")
                )
            elif isinstance(node, DataParameter):
                wrapped[node.name] = self._wrap_data(value, flat_name)
            else:
                wrapped[node.name] = _wrap_value(node, value)
        return wrapped

    def _wrap_conditional(
        self, node: Conditional, values: dict[str, Any], flat_name: str
    ) -> GroupWrapper:
        test = node.test_param
        wrapped = {test.name: _wrap_value(test, values.get(test.name))}
        case_index = values.get(CURRENT_CASE_KEY)
        if case_index is not None:
            wrapped.update(self.wrap_level(node.cases[case_index].inputs, values, flat_name + "|"))
        return GroupWrapper(wrapped)

    def _wrap_data(self, value: Any, flat_name: str) -> Any:
        if value is None:
            return NoneDatasetWrapper()
        if isinstance(value, list):
            return DatasetListWrapper(
                self._dataset(reference["id"], flat_name if i == 0 else f"{flat_name}_{i + 1}")
                for i, reference in enumerate(value)
            )
        return self._dataset(value["id"], flat_name)

    def _dataset(self, dataset_id: str, flat_name: str) -> DatasetWrapper:
        found = self.by_id.get(dataset_id) or self.by_name.get(flat_name)
        if found is None:
            raise ParameterError(
                flat_name,
                f"parameter '{flat_name}' of {self.tool_id}: "
                f"no input file was given for dataset {dataset_id!r}",
            )
        return DatasetWrapper(found.path, found.ext, found.metadata, found.name, self.registry)


def _wrap_value(param: Any, value: Any) -> ValueWrapper:
    if isinstance(param, BooleanParameter):
        return ValueWrapper(bool(value), param.render(bool(value)))
    if isinstance(param, DataColumnParameter):
        return ValueWrapper(value, "None" if value is None else text_for_command(value, None))
    sanitizer = (
        param.sanitizer
        if isinstance(param, TextParameter | HiddenParameter | SelectParameter)
        else None
    )
    return ValueWrapper(value, text_for_command(value, sanitizer))


def _fill(
    template_class: type, namespace: dict[str, Any], templates: CommandTemplates, where: str
) -> str:
    try:
        return str(template_class(searchList=[namespace]))
    except NotFound as exc:
        raise ToolLoadError(
            templates.tool_path, f"the template uses an undefined name: {exc}", element=where
        ) from exc


def _class_name(tool_id: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in tool_id)
    return f"command_{cleaned}"
