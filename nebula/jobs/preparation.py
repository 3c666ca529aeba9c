"""Turning a claimed job row into a JobSpec: the command line and where outputs go."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, selectinload

from nebula.errors import NotFound
from nebula.jobs.creation import FORMATS_PENDING
from nebula.jobs.spec import JobSpec, OutputSpec
from nebula.jobs.workdir import JobDirectory
from nebula.model import HistoryItem, Job, JobInput, JobOutput
from nebula.objectstore import ObjectStore
from nebula.tools import Tool, ToolBox
from nebula.tools.state import DatasetInfo, ToolState
from nebula.tools.wrappers import InputFile, OutputFile

UPLOAD_TOOL_ID = "upload1"
# Loader options that fetch a job with its inputs' and outputs' datasets in a few queries.
JOB_WITH_DATASETS = (
    selectinload(Job.inputs).joinedload(JobInput.history_item).joinedload(HistoryItem.dataset),
    selectinload(Job.outputs).joinedload(JobOutput.history_item).joinedload(HistoryItem.dataset),
)
OPS_COMMAND = "nebula-ops"
OPS_MODULE = "nebula.ops.cli"
UPLOAD_MODULE = "nebula.jobs.upload_action"


def build_job_spec(
    session: Session,
    job: Job,
    toolbox: ToolBox,
    store: ObjectStore,
    job_working_dir: Path,
    wall_time: float,
    memory_limit_mb: int | None,
) -> JobSpec:
    """Render the job's command; input paths come from the object store, outputs go to the job directory."""
    directory = JobDirectory.for_job(job_working_dir, job.id)
    if job.params.get(FORMATS_PENDING):
        _check_detected_formats(job, toolbox.get(job.tool_id))
    outputs = [
        OutputSpec(
            name=job_output.name,
            object_key=job_output.history_item.dataset.object_key,
            ext=job_output.history_item.extension,
        )
        for job_output in job.outputs
    ]
    config_files: dict[str, str] = {}
    if job.tool_id == UPLOAD_TOOL_ID:
        command_line = upload_command(directory)
        upload_params = dict(job.params)
        entry = [
            UPLOAD_MODULE,
            str(directory.params),
            str(directory.outputs),
            str(directory.overrides),
        ]
    else:
        command_line = _tool_command(
            job, toolbox.get(job.tool_id), store, directory, toolbox.tool_data_path, config_files
        )
        upload_params = None
        ops_arguments = plain_ops_arguments(command_line)
        entry = [OPS_MODULE, *ops_arguments] if ops_arguments is not None else None
    return JobSpec(
        job_id=job.id,
        tool_id=job.tool_id,
        job_dir=str(directory.root),
        command_line=command_line,
        outputs=outputs,
        wall_time=wall_time,
        memory_limit_mb=memory_limit_mb,
        upload_params=upload_params,
        entry=entry,
        config_files=config_files,
    )


def upload_command(directory: JobDirectory) -> str:
    """Uploads run Nebula's own upload command, which stages, converts and sniffs the file."""
    parts = (
        sys.executable,
        "-m",
        UPLOAD_MODULE,
        str(directory.params),
        str(directory.outputs),
        str(directory.overrides),
    )
    return " ".join(shlex.quote(part) for part in parts)


def plain_ops_arguments(command_line: str) -> list[str] | None:
    """Return the arguments when the command is a single `nebula-ops` call, else None.

    A command with any shell operator (pipes, redirections, `&&`, `;`, substitutions) or
    variable needs a real shell, so it gets None.
    """
    lexer = shlex.shlex(command_line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:
        return None
    if not tokens or tokens[0] != OPS_COMMAND:
        return None
    if (
        any(set(token) <= set("();<>|&") for token in tokens)
        or "$" in command_line
        or "`" in command_line
    ):
        return None
    return tokens[1:]


@dataclass
class _JobInputResolver:
    """Resolves a job's dataset references to its input datasets as they are now."""

    items: dict[str, HistoryItem]

    def resolve(self, ref: str) -> DatasetInfo:
        item = self.items.get(ref)
        if item is None:
            raise NotFound(f"dataset {ref} is not an input of this job")
        return DatasetInfo(
            id=ref, ext=item.extension, metadata=dict(item.metadata_ or {}), name=item.name, state=item.dataset.state.value
        )


def _check_detected_formats(job: Job, tool: Tool) -> None:
    """Validate again once uploads have detected their inputs' formats; set the outputs' formats.

    Raises ParameterError when a detected format does not suit the tool.
    """
    state = ToolState.from_json(job.params)
    by_name = {job_input.name: job_input.history_item for job_input in job.inputs}
    references = {ref: by_name[name] for name, ref in state.data_inputs() if name in by_name}
    checked = tool.validate_inputs(state.values, _JobInputResolver(references))
    formats = tool.output_formats(checked, {name: item.extension for name, item in by_name.items()})
    for job_output in job.outputs:
        job_output.history_item.extension = formats[job_output.name]
    job.params = {key: value for key, value in job.params.items() if key != FORMATS_PENDING}


def _tool_command(
    job: Job,
    tool: Tool,
    store: ObjectStore,
    directory: JobDirectory,
    tool_data_path: str | None,
    config_files: dict[str, str],
) -> str:
    state = ToolState.from_json(job.params)
    references = dict(state.data_inputs())
    inputs = {}
    for job_input in job.inputs:
        item = job_input.history_item
        inputs[job_input.name] = InputFile(
            path=str(store.local_path(item.dataset.object_key)),
            ext=item.extension,
            metadata=dict(item.metadata_ or {}),
            name=item.name,
            dataset_id=references.get(job_input.name, ""),
        )
    outputs = {
        job_output.name: OutputFile(
            path=str(directory.output_path(job_output.name)),
            ext=job_output.history_item.extension,
            name=job_output.name,
        )
        for job_output in job.outputs
    }
    return tool.build_command(
        state,
        inputs,
        outputs,
        str(directory.working),
        extra_namespace={"__tool_data_path__": tool_data_path or ""},
        config_files=config_files,
    )
