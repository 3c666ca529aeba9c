"""The local runner: a bounded pool that runs jobs as processes on this host."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from nebula.datatypes import DatatypeRegistry
from nebula.jobs.execution import ExecutionResult, RunningProcess, execute_script
from nebula.jobs.finish import fail_job, mark_cancelled, record_reports
from nebula.jobs.forkserver import (
    ForkServer,
    ForkServerError,
    ForkServerUnavailable,
    runs_in_worker,
)
from nebula.jobs.preparation import UPLOAD_TOOL_ID
from nebula.jobs.running import run_job, run_job_in_worker
from nebula.jobs.spec import JobReport, JobSpec
from nebula.jobs.transitions import (
    JobSettings,
    PreparedJob,
    mark_all_running,
    prepare_jobs,
    release_jobs,
    unstart_jobs,
)
from nebula.jobs.workdir import end_job_directory
from nebula.managers.uploads import remove_staged_files
from nebula.model import Job, JobState
from nebula.model.database import transaction, write_first
from nebula.objectstore import ObjectStore
from nebula.tools import ToolBox

logger = logging.getLogger(__name__)

RUNNER_NAME = "local"
# A slot's queue takes about this much work, judged by the recent jobs' run times. That is
# close to an idle handler's poll interval (0.2 s by default), so a queued job waits little
# longer than another handler would have made it wait. With 0.1 s the queues ran dry between
# scheduling rounds under load. In two interleaved pairs of benchmarks/thousand_users.py
# --users 400 runs on a 2-CPU VM, the jobs then ended 7-10 s after the last submission,
# against 0.2 s with 0.25, and /proc/stat showed the CPUs idle 11 % of the submission
# against 5-6 %.
# NOTE: the count per slot comes from the mean run time of all recent jobs, so a queue of
# slower tools' jobs can hold several times this much work, and its jobs count as running.
_QUEUE_SECONDS = 0.25
# Only jobs of a tool whose recent runs all took less than this wait in a queue. A tool's
# run time can depend on its parameters, so a longer queue is no reason to call slower
# tools short: their jobs stay in the database, where an idle handler can claim them.
_SHORT_JOB_SECONDS = 0.1
_MAX_QUEUE_PER_SLOT = 16
_INTERNAL_ERROR = (
    "internal error while running the job; the administrators can find details in the server log"
)
# How long the recorder waits after a job's end for others to record with it. A transaction
# costs about as much for one end as for ten: with 20 ms, the recorder used 40 % less CPU at
# 150 jobs per second (measured here), and a result shows 20 ms later.
_RECORD_BATCH_SECONDS = 0.02
# Seconds between attempts to record ends that could not be written.
_RETRY_SECONDS = 1.0
# Marks an end that could not be written at all, not even as a failure.
_NOT_WRITTEN = object()


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
        self._settings = JobSettings(
            config.job_working_dir, config.wall_time, config.memory_limit_mb
        )
        self._runtimes = RecentRuntimes()
        self._pool = ThreadPoolExecutor(
            max_workers=config.slots, thread_name_prefix="job", initializer=write_first
        )
        self._lock = threading.Lock()
        self._active: dict[int, RunningProcess] = {}
        # Jobs marked running that no pool thread has taken yet.
        self._waiting: dict[int, PreparedJob] = {}
        self._stopping = threading.Event()
        # Called when a job ends, so that the handler fills the slot without waiting a poll.
        self.on_slot_free: Callable[[], None] | None = None
        self._fork_server = (
            ForkServer(config.fork_server_socket) if config.fork_server_socket else None
        )
        if self._fork_server is not None:
            self._fork_server.start()
        # Ended jobs wait here for the recorder thread, and None ends the thread.
        self._ended: queue.SimpleQueue[_Ended | None] = queue.SimpleQueue()
        self._recorder = threading.Thread(
            target=self._record_ends, name="job-recorder", daemon=True
        )
        self._recorder.start()

    def free_slots(self) -> int:
        """Return how many more jobs this runner takes now: its free slots and a short queue."""
        with self._lock:
            return self._capacity() - len(self._active)

    def active_job_ids(self) -> set[int]:
        with self._lock:
            return set(self._active)

    def submit(self, job_ids: list[int]) -> None:
        """Prepare claimed jobs, mark them running in one transaction and hand them to the pool.

        A job beyond the free slots waits in the pool's queue only when its tool is known
        to be short, so it is marked running shortly before it starts (see _QUEUE_SECONDS).
        Any other job goes back to the queue in the database, where another handler with a
        free slot can claim it.
        """
        with transaction(self._sessions) as session:
            prepared = prepare_jobs(session, job_ids, self._toolbox, self._store, self._settings)
            accepted: list[PreparedJob] = []
            released: list[int] = []
            with self._lock:
                room = self.config.slots - len(self._active)
                for job in prepared:
                    if room > 0 or self._runtimes.is_short(job.spec.tool_id, _SHORT_JOB_SECONDS):
                        accepted.append(job)
                        room -= 1
                    else:
                        released.append(job.spec.job_id)
            if released:
                release_jobs(session, released, prepared[0].handler)
            # A job cancelled since its claim stays out: the handler ends it in its next round.
            started = mark_all_running(session, accepted, RUNNER_NAME)
        with self._lock:
            for job in started:
                self._active[job.spec.job_id] = RunningProcess()
                self._waiting[job.spec.job_id] = job
        for job in started:
            self._pool.submit(self._run_safely, job)

    def kill(self, job_id: int) -> bool:
        """Stop a job this runner runs; return False when it runs no such job."""
        with self._lock:
            handle = self._active.get(job_id)
        if handle is None:
            return False
        handle.kill()
        return True

    def poll(self) -> None:
        """Nothing to do: the recorder thread records the ends of jobs as they come."""

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
        self._ended.put(None)
        self._recorder.join()
        self._unstart_waiting()
        if self._fork_server is not None:
            self._fork_server.stop()

    def _unstart_waiting(self) -> None:
        """Put the jobs that never left the pool's queue back in the queue, for any handler."""
        with self._lock:
            waiting = list(self._waiting.values())
        if not waiting:
            return
        try:
            with transaction(self._sessions) as session:
                returned = unstart_jobs(session, waiting)
        except Exception:
            ids = [job.spec.job_id for job in waiting]
            logger.exception("jobs %s never started; the next start recovers them", ids)
            return
        logger.info("jobs %s did not start before shutdown and went back to the queue", returned)

    def _run_safely(self, job: PreparedJob) -> None:
        if self._stopping.is_set():
            self._ended.put(_Ended(job, interrupted=True))
            return
        with self._lock:
            self._waiting.pop(job.spec.job_id, None)
        try:
            ended = self._run(job)
        except Exception:
            logger.exception("job %s: unexpected error in the local runner", job.spec.job_id)
            ended = _Ended(job)
        self._ended.put(ended)

    def _run(self, job: PreparedJob) -> _Ended:
        spec = job.spec
        handle = self._active[spec.job_id]
        if handle.kill_requested.is_set():
            return _Ended(job, cancelled=True)

        tool = None if spec.tool_id == UPLOAD_TOOL_ID else self._toolbox.get(spec.tool_id)
        report = None
        if self._fork_server is not None and runs_in_worker(spec):
            try:
                report = run_job_in_worker(
                    spec, tool, self._store, self._datatypes, handle, self._fork_server
                )
            except ForkServerUnavailable:
                logger.warning(
                    "job %s: fork server unavailable, restarting it and running the job with bash",
                    spec.job_id,
                )
                self._restart_fork_server(spec.job_id)
        if report is None:
            report = run_job(
                spec, tool, self._store, self._datatypes, handle, executor=self._execute
            )
        if self._stopping.is_set():
            logger.warning(
                "job %s interrupted by shutdown; it will be recovered on the next start",
                spec.job_id,
            )
            return _Ended(job, interrupted=True)
        self._runtimes.add(spec.tool_id, report.runtime_seconds)
        return _Ended(job, report)

    def _record_ends(self) -> None:
        """Record ended jobs until shutdown, all that are waiting in one transaction.

        With many short jobs the pool's threads would otherwise each wait for a write
        transaction of their own, one per job. Ends that cannot be written (the database
        is down) wait and are tried again, so that this thread never stops early: without
        it no slot would ever be freed again.
        """
        write_first()
        unrecorded: list[_Ended] = []
        stopping = False
        while not stopping:
            try:
                batch = [self._ended.get(timeout=_RETRY_SECONDS if unrecorded else None)]
            except queue.Empty:
                batch = []
            if batch and batch[0] is not None:
                # Ends come one at a time; a short wait lets the next ones join this transaction.
                time.sleep(_RECORD_BATCH_SECONDS)
            while not self._ended.empty():
                batch.append(self._ended.get_nowait())
            stopping = None in batch
            ended = unrecorded + [entry for entry in batch if entry is not None]
            unrecorded = self._record(ended) if ended else []
        for entry in unrecorded:
            logger.warning(
                "job %s: its end was not recorded before shutdown; the next start recovers it",
                entry.job.spec.job_id,
            )

    def _record(self, ended: list[_Ended]) -> list[_Ended]:
        """Record the ends and clean up after them; return those that could not be written."""
        try:
            with transaction(self._sessions) as session:
                states = _write_ends(session, ended)
        except Exception:
            # One end that cannot be written must not lose the others: each gets a
            # transaction of its own.
            logger.exception(
                "recording %s ended jobs together failed; recording each alone", len(ended)
            )
            states = [self._record_alone(entry) for entry in ended]

        unrecorded = []
        for entry, state in zip(ended, states, strict=True):
            if state is _NOT_WRITTEN:
                unrecorded.append(entry)
                continue
            try:
                self._clean_up(entry, state)
            except Exception:
                logger.exception("job %s: cleaning up after its end failed", entry.job.spec.job_id)
        return unrecorded

    def _record_alone(self, entry: _Ended) -> JobState | None | object:
        """Record one end, or fail its job when that fails; _NOT_WRITTEN when neither is written."""
        job_id = entry.job.spec.job_id
        try:
            with transaction(self._sessions) as session:
                return _write_ends(session, [entry])[0]
        except Exception:
            logger.exception("job %s: its end could not be recorded", job_id)
        try:
            with transaction(self._sessions) as session:
                fail_job(session, job_id, _INTERNAL_ERROR)
            return JobState.ERROR
        except Exception:
            logger.exception("job %s: failing it failed too; trying again later", job_id)
            return _NOT_WRITTEN

    def _clean_up(self, entry: _Ended, state: JobState | None) -> None:
        """Remove what an ok job leaves behind, free its slot and wake the handler if due."""
        spec = entry.job.spec
        if state == JobState.OK:
            if spec.upload_params is not None:
                remove_staged_files(spec.upload_params)
            if not self.config.keep_successful_job_dirs:
                end_job_directory(spec)
        with self._lock:
            self._active.pop(spec.job_id, None)
            wake = self._capacity() - len(self._active) >= self._wake_at()
        if wake and self.on_slot_free is not None:
            self.on_slot_free()

    def _capacity(self) -> int:
        """Return the slots plus a queue of about a quarter of a second of work per slot.

        Short jobs then start without waiting for the handler's next round, and the
        handler claims them in batches. Long jobs get no queue, so that they wait where
        any handler can claim them.
        """
        runtime = self._runtimes.mean()
        if runtime is None or runtime >= _SHORT_JOB_SECONDS:
            return self.config.slots
        per_slot = min(_MAX_QUEUE_PER_SLOT, int(_QUEUE_SECONDS / max(runtime, 0.001)))
        return self.config.slots * (1 + per_slot)

    def _wake_at(self) -> int:
        """Return the free places at which the handler is woken: half the queue, or one slot."""
        return max(1, (self._capacity() - self.config.slots) // 2)

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
                self._restart_fork_server(spec.job_id)
        return execute_script(spec, **arguments)

    def _restart_fork_server(self, job_id: int) -> None:
        assert self._fork_server is not None
        try:
            self._fork_server.start()
        except (ForkServerError, OSError) as exc:
            logger.error("job %s: the fork server did not restart: %s", job_id, exc)


@dataclass(frozen=True)
class _Ended:
    """A job that a pool thread is done with, waiting for its end to be recorded."""

    job: PreparedJob
    report: JobReport | None = None
    """None, unless cancelled or interrupted: the runner failed unexpectedly."""
    cancelled: bool = False
    """Cancelled before it started: it never ran."""
    interrupted: bool = False
    """Stopped by the runner's shutdown: the next start recovers it, so nothing is recorded."""


def _write_ends(session: Session, ended: list[_Ended]) -> list[JobState | None]:
    """Record how jobs ended; return each one's final state (None: not ended ok or failed)."""
    reports = [entry.report for entry in ended if entry.report is not None]
    states = dict(
        zip((report.job_id for report in reports), record_reports(session, reports), strict=True)
    )
    return [
        _record_unreported(session, entry) if entry.report is None else states[entry.report.job_id]
        for entry in ended
    ]


def _record_unreported(session: Session, entry: _Ended) -> JobState | None:
    """Record a job that ended without a report: cancelled before it started, or an error."""
    job_id = entry.job.spec.job_id
    if entry.interrupted:
        return None
    if entry.cancelled:
        job = session.get(Job, job_id)
        if job is not None and job.state == JobState.DELETING:
            mark_cancelled(job)
        return None
    fail_job(session, job_id, _INTERNAL_ERROR)
    return JobState.ERROR


class RecentRuntimes:
    """The run times of the last jobs, overall and per tool, updated from the pool's threads."""

    def __init__(self, window: int = 32) -> None:
        self._window = window
        self._values: list[float] = []
        self._by_tool: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def add(self, tool_id: str, seconds: float) -> None:
        with self._lock:
            for values in (self._values, self._by_tool.setdefault(tool_id, [])):
                values.append(seconds)
                del values[: -self._window]

    def mean(self) -> float | None:
        with self._lock:
            return sum(self._values) / len(self._values) if self._values else None

    def is_short(self, tool_id: str, limit: float) -> bool:
        """Tell whether every recent job of the tool ran in less than `limit` seconds."""
        with self._lock:
            values = self._by_tool.get(tool_id)
            return bool(values) and max(values) < limit
