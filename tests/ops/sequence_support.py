"""Shared pieces of the sequence tool tests: the tools, their XML files, and rendering a
tool's command the way a job renders it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from nebula.datatypes import default_registry
from nebula.tools import DatasetInfo, InputFile, OutputFile, Tool, load_tool

from .helpers import COMMAND

SEQUENCE_DIR = Path(__file__).resolve().parents[2] / "nebula" / "tools" / "bundled" / "sequences"
TEST_DATA = SEQUENCE_DIR.parent / "test-data"
XML_FILES = {
    "fasta_compute_length": "fasta_compute_length.xml",
    "fasta2tab": "fasta_to_tabular.xml",
    "tab2fasta": "tabular_to_fasta.xml",
    "fasta_filter_by_length": "fasta_filter_by_length.xml",
    "count_gff_features": "count_gff_features.xml",
    "createInterval": "create_interval.xml",
}


def load(tool_id: str) -> Tool:
    return load_tool(SEQUENCE_DIR / XML_FILES[tool_id])


class FileResolver:
    """Datasets backed by real files, with the metadata Nebula's datatypes compute."""

    def __init__(self, files: dict[str, tuple[Path, str]]) -> None:
        registry = default_registry()
        self.paths = {key: path for key, (path, _) in files.items()}
        self.datasets = {
            key: DatasetInfo(key, ext, registry.get(ext).compute_metadata(path), path.name)
            for key, (path, ext) in files.items()
        }

    def resolve(self, ref: str) -> DatasetInfo:
        return self.datasets[ref]


def render(tool: Tool, raw: dict[str, Any], resolver: FileResolver, job_dir: Path) -> str:
    """Validate `raw` and render the tool's command line with outputs in `job_dir`."""
    state = tool.validate_inputs(raw, resolver)
    inputs = {}
    for flat_name, dataset_id in state.data_inputs():
        info = resolver.resolve(dataset_id)
        path = str(resolver.paths[dataset_id])
        inputs[flat_name] = InputFile(path, info.ext, info.metadata, info.name, dataset_id)
    formats = tool.output_formats(state, {name: item.ext for name, item in inputs.items()})
    outputs = {
        output.name: OutputFile(str(job_dir / output.name), formats[output.name], output.name)
        for output in tool.outputs
    }
    return tool.build_command(state, inputs, outputs, str(job_dir))


def run_shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a rendered command line with bash, with `nebula-ops` on the PATH, as a job does."""
    path = os.pathsep.join([str(Path(COMMAND[0]).parent), os.environ.get("PATH", "")])
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
    env["PATH"] = path
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )
