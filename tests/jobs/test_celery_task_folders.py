"""The Celery task's clean-up of an ok job's folder, and a second delivery of the same task.

The task runs with a stand-in for run_job, which makes the folder as a real run would and
lets a test play the part of a second delivery that took the folder over mid-run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from nebula.config import Settings
from nebula.jobs.runners import celery_app
from nebula.jobs.spec import JobReport, JobSpec
from nebula.jobs.workdir import SPARE_FOLDER, JobDirectory
from tests.support.jobs import job_spec

TASK = SimpleNamespace(request=SimpleNamespace(id="task-1"))


def _spec(tmp_path: Path) -> JobSpec:
    root = JobDirectory.for_job(tmp_path / "jobs", 21).root
    return job_spec(root, ["nebula.ops.cli", "intersect", "a", "b", "c"], job_id=21)


def _fake_run(taken_over: bool) -> Callable[..., JobReport]:
    def run(spec: JobSpec, *_: Any, on_start: Callable[[int], None], **__: Any) -> JobReport:
        directory = JobDirectory(Path(spec.job_dir))
        directory.create()
        directory.process_file.write_text("100:1")
        on_start(100)
        if taken_over:
            # A second delivery replaced the folder and recorded its own process.
            directory.process_file.write_text("200:2")
        return JobReport(21, True, 0, "", "", None, 0.1, 0.1, 0)

    return run


@pytest.fixture(autouse=True)
def worker(tmp_path: Path) -> None:
    celery_app.configure_worker(Settings(data_dir=tmp_path / "data"))


@pytest.mark.parametrize(("taken_over", "left"), [(False, False), (True, True)])
def test_ok_folder_cleaned_only_by_its_own_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken_over: bool, left: bool
) -> None:
    spec = _spec(tmp_path)
    monkeypatch.setattr(celery_app, "run_job", _fake_run(taken_over))

    result = celery_app._run_job_task(TASK, spec.to_json())

    assert result["ok"] is True
    assert Path(spec.job_dir).exists() is left
    spares = list((tmp_path / "jobs" / SPARE_FOLDER).glob("*"))
    assert len(spares) == (0 if left else 1)
