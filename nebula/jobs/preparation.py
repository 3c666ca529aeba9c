"""Turning a claimed job row into a script in its working directory."""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from nebula.model import Job
from nebula.objectstore import ObjectStore
from nebula.tools import Tool, ToolBox
from nebula.tools.state import ToolState
from nebula.tools.wrappers import InputFile, OutputFile
from nebula.jobs.workdir import JobDirectory

UPLOAD_TOOL_ID = "upload1"


@dataclass(frozen=True)
class JobLimits:
    wall_time: float
    memory_limit_mb: int | None


@dataclass(frozen=True)
class PreparedJob:
    job_id: int
    directory: JobDirectory
    command_line: str
    env: dict[str, str]


def prepare_job(
    session: Session, job: Job, toolbox: ToolBox, store: ObjectStore, directory: JobDirectory, limits: JobLimits
) -> PreparedJob:
    """Write the job's script into a fresh working directory and return how to run it."""
    directory.create_fresh()
    tool = toolbox.get(job.tool_id)
    if job.tool_id == UPLOAD_TOOL_ID:
        command_line = _upload_command(job, directory)
    else:
        command_line = _tool_command(job, tool, store, directory)

    directory.script.write_text(_script(command_line, directory, limits))
    return PreparedJob(job_id=job.id, directory=directory, command_line=command_line, env=_environment(job))


def _tool_command(job: Job, tool: Tool, store: ObjectStore, directory: JobDirectory) -> str:
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
    return tool.build_command(state, inputs, outputs, str(directory.working))


def _upload_command(job: Job, directory: JobDirectory) -> str:
    """Uploads run Nebula's own upload command, which stages, converts and sniffs the file."""
    directory.params.write_text(json.dumps(job.params))
    return " ".join(
        shlex.quote(part)
        for part in (sys.executable, "-m", "nebula.jobs.upload_action", str(directory.params), str(directory.outputs), str(directory.overrides))
    )


def _script(command_line: str, directory: JobDirectory, limits: JobLimits) -> str:
    lines = ["#!/bin/bash", f"cd {shlex.quote(str(directory.working))} || exit 1"]
    if limits.memory_limit_mb:
        lines.append(f"ulimit -v {limits.memory_limit_mb * 1024}")
    lines.append(command_line)
    return "\n".join(lines) + "\n"


def _environment(job: Job) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
    # Bundled tools call Nebula's own commands, installed beside this interpreter.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")])
    env["NEBULA_JOB_ID"] = str(job.id)
    env["GALAXY_SLOTS"] = "1"
    env["HOME"] = env.get("HOME", "/tmp")
    return env
