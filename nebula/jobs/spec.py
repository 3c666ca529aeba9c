"""What a runner needs to run one job, and what it reports back: plain data, so that a
job can travel to a Celery worker on another host as JSON and its report come back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class OutputSpec:
    """One output: the file the command writes, and the object-store key it is stored under."""

    name: str
    object_key: str
    ext: str


@dataclass(frozen=True)
class JobSpec:
    job_id: int
    tool_id: str
    job_dir: str
    command_line: str
    outputs: list[OutputSpec]
    wall_time: float
    memory_limit_mb: int | None = None
    upload_params: dict[str, Any] | None = None
    entry: list[str] | None = None
    """When the command is one plain call of Nebula's own Python code: the module whose
    `main(argv)` it runs, then argv. Runners may then run it in a forked child of a
    pre-imported process instead of a new interpreter (same argv, directory, exit code
    and output files)."""
    config_files: dict[str, str] = field(default_factory=dict)
    """The tool's configfiles, path → text, written into the working directory before the command runs."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobSpec:
        outputs = [OutputSpec(**output) for output in data["outputs"]]
        return cls(**{**data, "outputs": outputs})


@dataclass(frozen=True)
class OutputReport:
    """A stored output: its datatype, metadata and peek, computed where the file was written."""

    name: str
    ext: str
    size: int
    checksum: str
    metadata: dict[str, Any]
    peek: str
    info: str | None = None
    dataset_name: str | None = None


@dataclass(frozen=True)
class JobReport:
    """How a job ended: streams, exit code, metrics, verdict and stored outputs."""

    job_id: int
    ok: bool
    exit_code: int
    stdout: str
    stderr: str
    info: str | None
    runtime_seconds: float
    cpu_seconds: float
    peak_memory_bytes: int
    outputs: list[OutputReport] = field(default_factory=list)
    cancelled: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobReport:
        outputs = [OutputReport(**output) for output in data["outputs"]]
        return cls(**{**data, "outputs": outputs})
