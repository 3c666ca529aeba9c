"""Turning a claimed job row into a JobSpec: the command line and where outputs go.

Claimed jobs are read with three plain queries (jobs, inputs, outputs) rather than loaded
as mapped objects, because every job passes through here once and the ORM's loading cost
more than the rest of preparing it.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from nebula.errors import NotFound
from nebula.jobs.creation import FORMATS_PENDING
from nebula.jobs.spec import JobSpec, OutputSpec
from nebula.jobs.workdir import JobDirectory
from nebula.model import Dataset, HistoryItem, Job, JobInput, JobOutput, JobState
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
# One part of a shell word that the shell takes literally: plain characters without any
# the shell acts on, a single-quoted string, or a double-quoted one without `$`, `` ` ``
# or `\`. A word is one or more parts after blanks: bash splits words only at spaces and
# tabs, and a newline ends the command, so other white space stays inside a word.
_WORD_PART = re.compile(r"""[^ \t\n\0'"\\|&;<>()$`#~*?\[\]{}!]+|'[^'\0]*'|"[^"\\$`\0]*\"""")
_SHELL_WORD = re.compile(rf"[ \t]*((?:{_WORD_PART.pattern})+)")



@dataclass(frozen=True)
class JobFile:
    """An input or output dataset of a claimed job, as preparing the job needs it."""

    name: str
    """The tool parameter (input) or output name."""
    ext: str
    metadata: dict[str, Any]
    item_name: str
    object_key: str
    dataset_id: int


@dataclass(frozen=True)
class ClaimedJob:
    """A claimed job's row with its inputs and outputs."""

    id: int
    state: JobState
    handler: str | None
    user_id: int | None
    tool_id: str
    params: dict[str, Any]
    inputs: list[JobFile]
    outputs: list[JobFile]


_JOBS = select(Job.id, Job.state, Job.handler, Job.user_id, Job.tool_id, Job.params).where(
    Job.id.in_(bindparam("job_ids", expanding=True))
)


def _files_query(link: type[JobInput] | type[JobOutput]):  # type: ignore[no-untyped-def]
    return (
        select(
            link.job_id,
            link.name,
            HistoryItem.extension,
            HistoryItem.metadata_,
            HistoryItem.name,
            Dataset.object_key,
            Dataset.id,
        )
        .join(HistoryItem, HistoryItem.id == link.history_item_id)
        .join(Dataset, Dataset.id == HistoryItem.dataset_id)
        .where(link.job_id.in_(bindparam("job_ids", expanding=True)))
        .order_by(link.id)
    )


_INPUTS = _files_query(JobInput)
_OUTPUTS = _files_query(JobOutput)


def load_claimed_jobs(session: Session, job_ids: list[int]) -> dict[int, ClaimedJob]:
    """Read the jobs with their inputs and outputs, by id; missing ids are left out."""
    parameters = {"job_ids": job_ids}
    files: dict[str, dict[int, list[JobFile]]] = {"inputs": {}, "outputs": {}}
    for kind, query in (("inputs", _INPUTS), ("outputs", _OUTPUTS)):
        for job_id, name, ext, metadata, item_name, key, dataset_id in session.execute(
            query, parameters
        ):
            files[kind].setdefault(job_id, []).append(
                JobFile(name, ext, metadata or {}, item_name, key, dataset_id)
            )
    return {
        row.id: ClaimedJob(
            id=row.id,
            state=row.state,
            handler=row.handler,
            user_id=row.user_id,
            tool_id=row.tool_id,
            params=row.params or {},
            inputs=files["inputs"].get(row.id, []),
            outputs=files["outputs"].get(row.id, []),
        )
        for row in session.execute(_JOBS, parameters)
    }


def build_job_spec(
    session: Session,
    job: ClaimedJob,
    toolbox: ToolBox,
    store: ObjectStore,
    job_working_dir: Path,
    wall_time: float,
    memory_limit_mb: int | None,
) -> JobSpec:
    """Render the job's command; input paths come from the object store, outputs go to the job directory."""
    directory = JobDirectory.for_job(job_working_dir, job.id)
    if job.params.get(FORMATS_PENDING):
        mapped = session.scalar(select(Job).where(Job.id == job.id).options(*JOB_WITH_DATASETS))
        assert mapped is not None
        _check_detected_formats(mapped, toolbox.get(job.tool_id))
        session.flush()
        job = load_claimed_jobs(session, [job.id])[job.id]
    outputs = [
        OutputSpec(name=output.name, object_key=output.object_key, ext=output.ext)
        for output in job.outputs
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

    Words may be plain or quoted with single or double quotes, as the tools' templates
    write them. Anything else the shell would act on (operators, redirections,
    variables, escapes, globs, comments) needs a real shell, so the command gets None.
    """
    words = []
    position = 0
    text = command_line.rstrip(" \t")
    while position < len(text):
        match = _SHELL_WORD.match(text, position)
        if match is None:
            return None
        words.append("".join(_unquoted(part) for part in _WORD_PART.findall(match.group(1))))
        position = match.end()
    if not words or words[0] != OPS_COMMAND:
        return None
    return words[1:]


def _unquoted(part: str) -> str:
    return part[1:-1] if part[:1] in ("'", '"') else part


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
    job: ClaimedJob,
    tool: Tool,
    store: ObjectStore,
    directory: JobDirectory,
    tool_data_path: str | None,
    config_files: dict[str, str],
) -> str:
    state = ToolState.from_json(job.params)
    references = dict(state.data_inputs())
    inputs = {
        job_input.name: InputFile(
            path=str(store.local_path(job_input.object_key)),
            ext=job_input.ext,
            metadata=dict(job_input.metadata),
            name=job_input.item_name,
            dataset_id=references.get(job_input.name, ""),
        )
        for job_input in job.inputs
    }
    outputs = {
        job_output.name: OutputFile(
            path=str(directory.output_path(job_output.name)),
            ext=job_output.ext,
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
