"""The local runner: a bounded pool that runs jobs as processes on this host."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nebula.datatypes import DatatypeRegistry
from nebula.jobs.execution import ExecutionResult, RunningProcess, execute_script
from nebula.jobs.finish import fail_job, mark_cancelled, record_report
from nebula.jobs.forkserver import ForkServer, ForkServerUnavailable
from nebula.jobs.preparation import JOB_WITH_DATASETS, UPLOAD_TOOL_ID
from nebula.jobs.running import run_job
from nebula.jobs.spec import JobSpec
from nebula.jobs.transitions import start_job
from nebula.jobs.workdir import JobDirectory
from nebula.managers.uploads import remove_staged_files
from nebula.model import Job, JobState
from nebula.model.database import transaction
from nebula.objectstore import ObjectStore
from nebula.tools import ToolBox

logger = logging.getLogger(__name__)

RUNNER_NAME = "local"


@dataclass(frozen=True)
class LocalRunnerConfig:
    slots: int
    job_working_dir: Path
    wall_time: float
    memory_limit_mb: int | None = None
    keep_successful_job_dirs: bool = False
    fork_server_socket: Path | None = None
    """Socket path of the fork server for Nebula's own commands; None runs every job with bash."""


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
        # Called when a job ends, so that the handler fills the slot without waiting a poll.
        self.on_slot_free: Callable[[], None] | None = None
        self._fork_server = (
            ForkServer(config.fork_server_socket) if config.fork_server_socket else None
        )
        if self._fork_server is not None:
            self._fork_server.start()

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
        """Stop a job this runner runs; return False when it runs no such job."""
        with self._lock:
            handle = self._active.get(job_id)
        if handle is None:
            return False
        handle.kill()
        return True

    def poll(self) -> None:
        """Nothing to do: the pool's threads record their jobs' ends themselves."""

    def adopt(self, job_id: int) -> None:
        raise NotImplementedError("the local runner cannot adopt a job running elsewhere")

    def shutdown(self) -> None:
        """Stop accepting work and kill running jobs; a restarted handler recovers them."""
        self._stopping.set()
        with self._lock:
            handles = list(self._active.values())
        for handle in handles:
            handle.kill()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._fork_server is not None:
            self._fork_server.stop()

    def _run_safely(self, job_id: int) -> None:
        if self._stopping.is_set():
            return
        try:
            self._run(job_id)
        except Exception:
            logger.exception("job %s: unexpected error in the local runner", job_id)
            with transaction(self._sessions) as session:
                fail_job(
                    session,
                    job_id,
                    "internal error while running the job; the administrators can find details in the server log",
                )
        finally:
            with self._lock:
                self._active.pop(job_id, None)
            if self.on_slot_free is not None:
                self.on_slot_free()

    def _run(self, job_id: int) -> None:
        handle = self._active[job_id]
        spec = self._start(job_id, handle)
        if spec is None:
            return

        tool = None if spec.tool_id == UPLOAD_TOOL_ID else self._toolbox.get(spec.tool_id)
        report = run_job(
            spec,
            tool,
            self._store,
            self._datatypes,
            handle,
            executor=self._execute,
        )
        if self._stopping.is_set():
            logger.warning(
                "job %s interrupted by shutdown; it will be recovered on the next start", job_id
            )
            return

        with transaction(self._sessions) as session:
            state = record_report(session, report)
        if state == JobState.OK:
            if spec.upload_params is not None:
                remove_staged_files(spec.upload_params)
            if not self.config.keep_successful_job_dirs:
                JobDirectory(Path(spec.job_dir)).remove()

    def _start(self, job_id: int, handle: RunningProcess) -> JobSpec | None:
        """Build the job's spec and mark it running, in one transaction; None if it must not run."""
        with transaction(self._sessions) as session:
            job = session.scalar(select(Job).where(Job.id == job_id).options(*JOB_WITH_DATASETS))
            if job is None or job.state != JobState.QUEUED or handle.kill_requested.is_set():
                if job is not None and job.state == JobState.DELETING:
                    mark_cancelled(job)
                return None
            spec = start_job(
                session,
                job,
                self._toolbox,
                self._store,
                self.config.job_working_dir,
                self.config.wall_time,
                self.config.memory_limit_mb,
                RUNNER_NAME,
            )
        return spec

    def _execute(self, spec: JobSpec, **arguments: Any) -> ExecutionResult:
        """Run Nebula's own commands in the fork server, everything else with bash."""
        if spec.entry is not None and self._fork_server is not None:
            try:
                return self._fork_server.execute(spec, **arguments)
            except ForkServerUnavailable:
                logger.warning(
                    "job %s: fork server unavailable, restarting it and running the job with bash",
                    spec.job_id,
                )
                self._fork_server.start()
        return execute_script(spec, **arguments)
