"""The working directory of one job: its script, its outputs and its captured streams."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

# How much of a job's stdout and stderr is kept: the end, where the errors are.
STREAM_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class JobDirectory:
    """Layout of `<job_working_dir>/<job id mod 1000>/<job id>/`."""

    root: Path

    @classmethod
    def for_job(cls, parent: Path, job_id: int) -> JobDirectory:
        return cls(parent / f"{job_id % 1000:03d}" / str(job_id))

    @property
    def working(self) -> Path:
        """The command's current directory."""
        return self.root / "working"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def script(self) -> Path:
        return self.root / "job.sh"

    @property
    def stdout(self) -> Path:
        return self.root / "stdout"

    @property
    def stderr(self) -> Path:
        return self.root / "stderr"

    @property
    def params(self) -> Path:
        """JSON parameters for Nebula's own internal commands, such as uploads."""
        return self.root / "params.json"

    @property
    def overrides(self) -> Path:
        """JSON written by a command that decides an output's datatype itself, such as uploads."""
        return self.root / "outputs.json"

    @property
    def process_file(self) -> Path:
        """The identity (pid and start time) of the process running the job."""
        return self.root / "process"

    def output_path(self, name: str) -> Path:
        return self.outputs / f"{name}.dat"

    def create(self) -> None:
        """Create the directory with its working and outputs folders; it must not exist yet."""
        self.working.mkdir(parents=True)
        self.outputs.mkdir()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def read_tail(path: Path, limit: int) -> str:
    """Return the last `limit` bytes of a text file, decoded leniently; '' when missing."""
    try:
        # Most jobs write nothing to a stream, and a stat costs less than opening the file.
        if os.stat(path).st_size == 0:
            return ""
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            data = handle.read()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", errors="replace")
    if size > limit:
        text = f"[... first {size - limit} bytes not kept ...]\n" + text
    return text
