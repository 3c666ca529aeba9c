"""The local runner: a bounded pool that runs job scripts as processes on this host."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from nebula.datatypes import DatatypeRegistry
from nebula.errors import NebulaError
from nebula.jobs.execution import RunningProcess, execute_script
from nebula.jobs.finish import fail_job, finish_job
from nebula.jobs.preparation import UPLOAD_TOOL_ID, JobLimits, prepare_job
from nebula.jobs.workdir import JobDirectory
from nebula.managers.uploads import remove_staged_files
from nebula.model import DatasetState, Job, JobState
from nebula.model.base import utcnow
from nebula.model.database import transaction
from nebula.objectstore import ObjectStore
from nebula.tools import ToolBox

logger = logging.getLogger(__name__)

RUNNER_NAME = "local"


@dataclass(frozen=True)
class LocalRunnerConfig:
    slots: int
    job_working_dir: Path
    limits: JobLimits
    keep_successful_job_dirs: bool = False


class LocalRunner:
    def __init__(
        self,
        config: LocalRunnerConfig,
        session_factory: sessionmaker[Session],
        toolbox: ToolBox,
        store: ObjectStore,
        datatypes: DatatypeRegistry,
    ) -> None:
        self.config = config
        self._sessions = session_factory
        self._toolbox = toolbox
        self._store = store
        self._datatypes = datatypes
        self._pool = ThreadPoolExecutor(max_workers=config.slots, thread_name_prefix="job")
        self._lock = threading.Lock()
        self._active: dict[int, RunningProcess] = {}
        self._stopping = threading.Event()

    def free_slots(self) -> int:
        with self._lock:
            return self.config.slots - len(self._active)

    def active_job_ids(self) -> set[int]:
        with self._lock:
            return set(self._active)

    def submit(self, job_id: int) -> None:
        with self._lock:
            self._active[job_id] = RunningProcess()
        self._pool.submit(self._run_safely, job_id)

    def kill(self, job_id: int) -> bool:
        """Stop a job this runner holds; return False when it holds no such job."""
        with self._lock:
            handle = self._active.get(job_id)
        if handle is None:
            return False
        handle.kill()
        return True

    def shutdown(self) -> None:
        """Stop accepting work and kill running jobs; a restarted handler recovers them."""
        self._stopping.set()
        with self._lock:
            handles = list(self._active.values())
        for handle in handles:
            handle.kill()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run_safely(self, job_id: int) -> None:
        if self._stopping.is_set():
            return
        try:
            self._run(job_id)
        except Exception:
            logger.exception("job %s: unexpected error in the local runner", job_id)
            with transaction(self._sessions) as session:
                fail_job(session, job_id, "internal error while running the job; the administrators can find details in the server log")
        finally:
            with self._lock:
                self._active.pop(job_id, None)

    def _run(self, job_id: int) -> None:
        directory = JobDirectory.for_job(self.config.job_working_dir, job_id)
        handle = self._active[job_id]

        with transaction(self._sessions) as session:
            job = session.get(Job, job_id)
            if job is None or job.state != JobState.QUEUED or handle.kill_requested.is_set():
                _cancel_if_requested(session, job)
                return
            try:
                prepared = prepare_job(session, job, self._toolbox, self._store, directory, self.config.limits)
            except NebulaError as exc:
                fail_job(session, job_id, f"the job could not be prepared: {exc.message}")
                return
            job.command_line = prepared.command_line
            job.state = JobState.RUNNING
            job.runner = RUNNER_NAME
            job.start_time = utcnow()
            job.attempts = job.attempts + 1
            for job_output in job.outputs:
                job_output.history_item.dataset.state = DatasetState.RUNNING
        logger.info("job %s running: tool %s, user %s", job_id, job.tool_id, job.user_id)

        result = execute_script(
            directory.script,
            directory.working,
            directory.stdout,
            directory.stderr,
            prepared.env,
            self.config.limits.wall_time,
            handle,
            on_start=lambda pid: self._record_pid(job_id, pid),
        )

        if self._stopping.is_set():
            logger.warning("job %s interrupted by shutdown; it will be recovered on the next start", job_id)
            return
        with transaction(self._sessions) as session:
            tool = None if job.tool_id == UPLOAD_TOOL_ID else self._toolbox.get(job.tool_id)
            state = finish_job(
                session, job_id, result, directory, self._store, self._datatypes, self.config.limits.wall_time, tool
            )
        if state == JobState.OK:
            if job.tool_id == UPLOAD_TOOL_ID:
                remove_staged_files(job.params)
            if not self.config.keep_successful_job_dirs:
                directory.remove()

    def _record_pid(self, job_id: int, pid: int) -> None:
        with transaction(self._sessions) as session:
            session.execute(update(Job).where(Job.id == job_id).values(runner_job_id=str(pid)))


def _cancel_if_requested(session: Session, job: Job | None) -> None:
    if job is None or job.state != JobState.DELETING:
        return
    job.state = JobState.DELETED
    job.end_time = utcnow()
    for job_output in job.outputs:
        job_output.history_item.dataset.state = DatasetState.DISCARDED
    logger.info("job %s cancelled before it started", job.id)
