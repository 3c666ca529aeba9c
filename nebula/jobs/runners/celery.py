"""The Celery runner: dispatches claimed jobs to Celery workers and records their reports.

The handler keeps at most `max_in_flight` jobs dispatched, so fair share still decides
the order in which jobs reach the workers' queue. Each round it queries the result backend
for dispatched jobs that have finished, and records their reports.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from celery import Celery
from celery.result import AsyncResult
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nebula.jobs.finish import fail_job, mark_cancelled, record_report
from nebula.jobs.runners.celery_app import TASK_NAME
from nebula.jobs.spec import JobReport, JobSpec
from nebula.jobs.transitions import JobSettings, mark_running, prepare_jobs, return_unsent
from nebula.managers.uploads import remove_staged_files
from nebula.model import Job, JobState
from nebula.model.database import transaction
from nebula.objectstore import ObjectStore
from nebula.tools import ToolBox

logger = logging.getLogger(__name__)

RUNNER_NAME = "celery"


@dataclass(frozen=True)
class CeleryRunnerConfig:
    max_in_flight: int
    job_working_dir: Path
    wall_time: float
    queue: str
    memory_limit_mb: int | None = None


class CeleryRunner:
    def __init__(
        self,
        config: CeleryRunnerConfig,
        celery: Celery,
        session_factory: sessionmaker[Session],
        toolbox: ToolBox,
        store: ObjectStore,
    ) -> None:
        self.config = config
        self._celery = celery
        self._sessions = session_factory
        self._toolbox = toolbox
        self._store = store
        self._lock = threading.Lock()
        self._in_flight: dict[int, str] = {}
        self._settings = JobSettings(
            config.job_working_dir, config.wall_time, config.memory_limit_mb
        )

    def free_slots(self) -> int:
        with self._lock:
            return self.config.max_in_flight - len(self._in_flight)

    def active_job_ids(self) -> set[int]:
        with self._lock:
            return set(self._in_flight)

    def submit(self, job_ids: list[int]) -> None:
        """Prepare claimed jobs, mark them running and send them to the workers' queue."""
        dispatched: list[tuple[JobSpec, str]] = []
        with transaction(self._sessions) as session:
            for job in prepare_jobs(session, job_ids, self._toolbox, self._store, self._settings):
                spec = job.spec
                # Unique across deployments that share a broker or result backend.
                task_id = f"nebula-job-{spec.job_id}-{uuid.uuid4().hex[:16]}"
                if mark_running(session, job, RUNNER_NAME, task_id):
                    dispatched.append((spec, task_id))

        # Sent after the commit: a worker that finishes at once finds the job running.
        for spec, task_id in dispatched:
            try:
                self._celery.send_task(
                    TASK_NAME, args=[spec.to_json()], task_id=task_id, queue=self.config.queue
                )
            except Exception:
                # NOTE: no test covers this path: a broker that fails at once cannot be set up here.
                logger.exception(
                    "job %s: could not send Celery task %s; returned to the queue",
                    spec.job_id,
                    task_id,
                )
                with transaction(self._sessions) as session:
                    return_unsent(session, spec.job_id, task_id)
                continue
            with self._lock:
                self._in_flight[spec.job_id] = task_id
            logger.info("job %s dispatched to Celery as task %s", spec.job_id, task_id)

    def adopt(self, job_id: int) -> None:
        """Follow a job that another handler dispatched and that is still running."""
        with transaction(self._sessions) as session:
            task_id = session.scalar(select(Job.runner_job_id).where(Job.id == job_id))
        if task_id:
            with self._lock:
                self._in_flight[job_id] = task_id

    def kill(self, job_id: int) -> bool:
        with self._lock:
            task_id = self._in_flight.get(job_id)
        if task_id is None:
            return False
        self._celery.control.revoke(task_id, terminate=True, signal="SIGTERM")
        logger.info("job %s: revoked its Celery task %s", job_id, task_id)
        return True

    def poll(self) -> None:
        """Record the reports of dispatched jobs that have finished."""
        with self._lock:
            in_flight = dict(self._in_flight)
        for job_id, task_id in in_flight.items():
            result = AsyncResult(task_id, app=self._celery)
            if not result.ready():
                continue
            self._record(job_id, result)
            result.forget()
            with self._lock:
                self._in_flight.pop(job_id, None)

    def shutdown(self) -> None:
        """Dispatched jobs go on running on the workers; another handler adopts them."""

    def _record(self, job_id: int, result: AsyncResult) -> None:
        with transaction(self._sessions) as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            if result.successful():
                report = JobReport.from_json(result.result)
                state = record_report(session, report)
                if state == JobState.OK and job.tool_id == "upload1":
                    remove_staged_files(job.params)
            elif job.state == JobState.DELETING:
                mark_cancelled(job)
            else:
                fail_job(session, job_id, f"the job failed on its Celery worker: {result.result!r}")
