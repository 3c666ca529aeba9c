"""Job specs for tests of the runners and the job workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nebula.jobs.spec import JobSpec


def job_spec(root: Path, entry: list[str] | None, job_id: int = 1, **fields: Any) -> JobSpec:
    """Build the spec of an intersection job in `root`; `fields` override the other defaults."""
    defaults: dict[str, Any] = {
        "tool_id": "gops_intersect_1",
        "command_line": "",
        "outputs": [],
        "wall_time": 60,
    }
    return JobSpec(job_id=job_id, job_dir=str(root), entry=entry, **{**defaults, **fields})
