"""A loaded tool: its parameters, outputs and tests, and the operations a job needs
(validate a request, resolve output formats, build the command line)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nebula.tools.command import CommandTemplates, compile_templates, render_command
from nebula.tools.conversion import FormatRegistry
from nebula.tools.parameters import BooleanParameter, InputNode, find_parameter
from nebula.tools.state import CURRENT_CASE_KEY, DatasetResolver, ToolState
from nebula.tools.stdio import StdioOutcome, StdioRule, default_rules, evaluate_stdio
from nebula.tools.tool_tests import ToolTest
from nebula.tools.validation import validate_state
from nebula.tools.wrappers import InputFile, OutputFile


@dataclass(frozen=True)
class ChangeFormatRule:
    """`<change_format><when input="param" value="x" format="fmt"/>`; with
    `input_dataset`, the value is compared with that data input's format instead."""

    format: str
    value: str
    input: str | None = None
    input_dataset: str | None = None


@dataclass
class ToolOutput:
    name: str
    format: str = "data"
    format_source: str | None = None
    metadata_source: str | None = None
    label: str | None = None
    from_work_dir: str | None = None
    hidden: bool = False
    change_format: list[ChangeFormatRule] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_class": "ToolOutput",
            "name": self.name,
            "format": self.format,
            "format_source": self.format_source,
            "metadata_source": self.metadata_source or "",
            "label": self.label,
            "hidden": self.hidden,
            "edam_format": None,
            "edam_data": None,
            "discover_datasets": [],
        }


@dataclass
class Tool:
    id: str
    name: str
    version: str
    path: str
    description: str = ""
    help: str = ""
    command: str = ""
    detect_errors: str | None = None
    configfiles: dict[str, str] = field(default_factory=dict)
    inputs: list[InputNode] = field(default_factory=list)
    outputs: list[ToolOutput] = field(default_factory=list)
    tests: list[ToolTest] = field(default_factory=list)
    stdio: list[StdioRule] = field(default_factory=list)
    requirements: list[dict[str, str]] = field(default_factory=list)
    citations: list[dict[str, str]] = field(default_factory=list)
    edam_operations: list[str] = field(default_factory=list)
    edam_topics: list[str] = field(default_factory=list)
    version_command: str | None = None
    panel_section_id: str | None = None
    panel_section_name: str | None = None
    _templates: CommandTemplates | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def tool_directory(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))

    def validate_inputs(
        self,
        raw: Mapping[str, Any],
        datasets: DatasetResolver,
        registry: FormatRegistry | None = None,
    ) -> ToolState:
        """Return the validated state of a run request's `inputs`, raising
        ParameterError. `registry` defaults to `nebula.datatypes.default_registry()`."""
        return validate_state(
            self.id, self.version, self.inputs, raw, datasets, registry or _default_registry()
        )

    def build_command(
        self,
        state: ToolState,
        inputs: dict[str, InputFile],
        outputs: dict[str, OutputFile],
        job_dir: str,
        registry: FormatRegistry | None = None,
        extra_namespace: dict[str, Any] | None = None,
        config_files: dict[str, str] | None = None,
    ) -> str:
        """Render `<command>` for `state`. `inputs` contains an InputFile for every dataset of
        `state.data_inputs()` (keyed by those names; files are matched by dataset_id
        first) and `outputs` contains an OutputFile for every output name."""
        return render_command(
            self.compile_templates(),
            self.inputs,
            state,
            inputs,
            outputs,
            job_dir,
            registry or _default_registry(),
            extra_namespace,
            config_files,
        )

    def compile_templates(self) -> CommandTemplates:
        """Compile `<command>` and the configfiles once, raising ToolLoadError on a syntax error."""
        if self._templates is None:
            self._templates = compile_templates(self.id, self.path, self.command, self.configfiles)
        return self._templates

    def output_formats(self, state: ToolState, input_exts: dict[str, str]) -> dict[str, str]:
        """Return each output's format. `input_exts` maps the names of
        `state.data_inputs()` to their datasets' formats."""
        return {
            output.name: self._output_format(output, state, input_exts) for output in self.outputs
        }

    def metadata_sources(self) -> dict[str, str]:
        """Return {output name: data input name} for outputs that copy input metadata."""
        return {o.name: o.metadata_source for o in self.outputs if o.metadata_source}

    def check_results(self, exit_code: int, stdout: str, stderr: str) -> StdioOutcome:
        """Decide from a finished command's results whether the job failed."""
        return evaluate_stdio(
            self.stdio or default_rules(self.detect_errors), exit_code, stdout, stderr
        )

    def to_dict(self, io_details: bool = False) -> dict[str, Any]:
        """Return the tool in the shape of Galaxy's GET /api/tools/{id}."""
        data: dict[str, Any] = {
            "model_class": "Tool",
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "labels": [],
            "edam_operations": list(self.edam_operations),
            "edam_topics": list(self.edam_topics),
            "hidden": "",
            "is_workflow_compatible": True,
            "xrefs": [],
            "config_file": self.path,
            "panel_section_id": self.panel_section_id,
            "panel_section_name": self.panel_section_name,
            "form_style": "regular",
            "link": f"/tool_runner?tool_id={self.id}",
            "min_width": -1,
            "target": "galaxy_main",
            "tool_shed_repository": None,
        }
        if io_details:
            data["inputs"] = [node.to_dict() for node in self.inputs]
            data["outputs"] = [output.to_dict() for output in self.outputs]
            data["help"] = self.help
        return data

    def _output_format(
        self, output: ToolOutput, state: ToolState, input_exts: dict[str, str]
    ) -> str:
        for rule in output.change_format:
            if rule.input_dataset is not None:
                current = _lookup_ext(input_exts, rule.input_dataset)
            else:
                current = self._parameter_text(state, rule.input or "")
            if current is not None and current == rule.value:
                return rule.format
        if output.format_source:
            found = _lookup_ext(input_exts, output.format_source)
            if found:
                return found
        if output.format == "input":
            data_inputs = state.data_inputs()
            for name, _ in data_inputs:
                if name in input_exts:
                    return input_exts[name]
            return next(iter(input_exts.values()), "data")
        return output.format

    def _parameter_text(self, state: ToolState, name: str) -> str | None:
        """Return a parameter's value as change_format compares it: booleans as their
        truevalue/falsevalue, others as text. `name` may use `|` or `.` between levels."""
        flat_name = name.replace(".", "|")
        current: Any = state.values
        for part in flat_name.split("|"):
            if isinstance(current, list):
                return None
            if not isinstance(current, dict) or part not in current:
                return None
            current = current[part]
        if isinstance(current, dict) and CURRENT_CASE_KEY in current:
            return None
        param = find_parameter(self.inputs, flat_name)
        if isinstance(param, BooleanParameter):
            return param.render(bool(current))
        if isinstance(current, list):
            return ",".join(str(item) for item in current)
        return None if current is None else str(current)


def _lookup_ext(input_exts: dict[str, str], name: str) -> str | None:
    """Find a data input's format by flat name, or by the last part of a nested name."""
    if name in input_exts:
        return input_exts[name]
    for flat_name, ext in input_exts.items():
        if flat_name.rsplit("|", 1)[-1] == name:
            return ext
    return None


def _default_registry() -> FormatRegistry:
    # Imported here so that loading tools does not need the datatypes package.
    from nebula.datatypes import default_registry

    return default_registry()
