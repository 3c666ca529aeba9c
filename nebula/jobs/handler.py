"""The job handler: claims new jobs fairly, hands them to a runner, relays cancellations,
and on start-up recovers the jobs that a dead handler held."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from nebula.jobs import heartbeat
from nebula.jobs.execution import job_process_alive, kill_process_group
from nebula.jobs.finish import mark_cancelled
from nebula.jobs.scheduler import ShareLimits, claim_jobs, fail_jobs_with_failed_inputs
from nebula.jobs.transitions import release_jobs
from nebula.jobs.workdir import JobDirectory
from nebula.model import DatasetState, Job, JobState
from nebula.model.base import utcnow
from nebula.model.database import transaction, write_first

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Failing the jobs whose inputs failed can wait a second, but a scheduling round cannot.
_INPUT_CHECK_INTERVAL = 1.0
# The shortest time from the start of one scheduling round to the start of the next. Under
# load every job's creation and end wakes the handler. At 0.1 s rather than 0.05 s its
# thread used 28 % less CPU at 150 jobs per second (measured here). The runner's queue
# contains about 0.25 s of work per slot, so no slot waits for the later round.
_MIN_ROUND_SECONDS = 0.1
_HELD_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.DELETING)
# Built once, since every scheduling round runs it.
_DELETING = select(Job.id).where(
    Job.state == JobState.DELETING, Job.handler == bindparam("handler")
)


class Runner(Protocol):
    def free_slots(self) -> int: ...
    def submit(self, job_ids: list[int]) -> None: ...
    def kill(self, job_id: int) -> bool: ...
    def active_job_ids(self) -> set[int]: ...
    def poll(self) -> None: ...
    def adopt(self, job_id: int) -> None: ...
    def shutdown(self) -> None: ...


class JobHandler:
    def __init__(
        self,
        handler_id: str,
        session_factory: sessionmaker[Session],
        runner: Runner,
        limits: ShareLimits,
        poll_interval: float,
        heartbeat_interval: float = 5.0,
        dead_after: float = 30.0,
        job_working_dir: Path | None = None,
    ) -> None:
        self._job_working_dir = job_working_dir
        self.handler_id = handler_id
        self._heartbeat_interval = heartbeat_interval
        self._dead_after = dead_after
        self._last_beat = 0.0
        self._last_input_check = 0.0
        # Owners found to have no ready job; emptied with each check of failed inputs.
        self._idle_owners: set[int] = set()
        self._sessions = session_factory
        self._runner = runner
        self._limits = limits
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        if hasattr(runner, "on_slot_free"):
            runner.on_slot_free = self.wake

    def start(self) -> None:
        """Register, recover the jobs of dead handlers, then claim jobs in a background thread."""
        with transaction(self._sessions) as session:
            heartbeat.register(session, self.handler_id)
        self._last_beat = time.monotonic()
        self.recover_own()
        self.take_over_dead_handlers()
        self._thread = threading.Thread(
            target=self._loop, name=f"handler-{self.handler_id}", daemon=True
        )
        self._thread.start()
        logger.info("job handler %s started", self.handler_id)

    def stop(self) -> None:
        """Stop claiming, stop the runner and hand this handler's jobs back to the queue."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._runner.shutdown()
        self.recover_own()
        with transaction(self._sessions) as session:
            heartbeat.unregister(session, self.handler_id)
        logger.info("job handler %s stopped", self.handler_id)

    def wake(self) -> None:
        """Look at the job table now instead of at the next poll."""
        self._wake.set()

    def recover_own(self) -> list[int]:
        """Recover the jobs recorded under this handler's own name (from an earlier life)."""
        with transaction(self._sessions) as session:
            return self._recover_jobs_of(session, self.handler_id, is_local=True)

    def take_over_dead_handlers(self) -> list[int]:
        """Recover the jobs of handlers that stopped beating; return the recovered job ids."""
        recovered: list[int] = []
        with transaction(self._sessions) as session:
            dead = heartbeat.dead_handlers(session, self.handler_id, self._dead_after)
        for name in dead:
            with transaction(self._sessions) as session:
                local = heartbeat.is_local(session, name)
                if not heartbeat.claim_dead_handler(session, name):
                    continue
                logger.warning(
                    "job handler %s takes over the jobs of dead handler %s", self.handler_id, name
                )
                recovered += self._recover_jobs_of(session, name, is_local=local)
        return recovered

    def _recover_jobs_of(self, session: Session, name: str, is_local: bool) -> list[int]:
        """Return interrupted jobs to the queue, end them, or adopt them; return their ids.

        A local job's process may have outlived its handler, because it runs in its own
        session: it is killed first (when it ran on this host), so that the retried job is
        the only writer of its outputs. A job running on a Celery worker is adopted: the
        worker goes on, and this handler collects its result.
        """
        jobs = list(
            session.scalars(select(Job).where(Job.state.in_(_HELD_STATES), Job.handler == name))
        )
        for job in jobs:
            if (
                job.runner == "celery"
                and job.state in (JobState.RUNNING, JobState.DELETING)
                and job.runner_job_id
            ):
                job.handler = self.handler_id
                self._runner.adopt(job.id)
                logger.warning(
                    "job %s: adopted from handler %s; its Celery task %s goes on",
                    job.id,
                    name,
                    job.runner_job_id,
                )
                continue
            _recover_job(job, is_local, self._job_working_dir)
        return [job.id for job in jobs]

    def run_once(self) -> list[int]:
        """Run one scheduling round: fail jobs with failed inputs, relay cancellations, claim."""
        with transaction(self._sessions) as session:
            if time.monotonic() - self._last_input_check >= _INPUT_CHECK_INTERVAL:
                self._last_input_check = time.monotonic()
                self._idle_owners.clear()
                for job_id in fail_jobs_with_failed_inputs(session):
                    _fail_for_inputs(session, job_id)
            deleting = session.scalars(_DELETING, {"handler": self.handler_id}).all()
            claimed = claim_jobs(
                session,
                self.handler_id,
                self._runner.free_slots(),
                self._limits,
                self._idle_owners,
            )

        active = self._runner.active_job_ids()
        for job_id in deleting:
            if job_id in active:
                self._runner.kill(job_id)
            else:
                self._cancel_unstarted(job_id)
        if claimed:
            self._submit(claimed)
        return claimed

    def _submit(self, job_ids: list[int]) -> None:
        """Hand claimed jobs to the runner, and put them back in the queue if it fails."""
        try:
            self._runner.submit(job_ids)
        except Exception:
            logger.exception(
                "job handler %s: the runner could not take jobs %s", self.handler_id, job_ids
            )
            with transaction(self._sessions) as session:
                release_jobs(session, job_ids, self.handler_id)

    def _cancel_unstarted(self, job_id: int) -> None:
        """End a cancelled job that this handler claimed but that no runner runs."""
        with transaction(self._sessions) as session:
            job = session.get(Job, job_id)
            if job is not None and job.state == JobState.DELETING and job.handler == self.handler_id:
                mark_cancelled(job)

    def _loop(self) -> None:
        write_first()
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                self._runner.poll()
                if time.monotonic() - self._last_beat >= self._heartbeat_interval:
                    with transaction(self._sessions) as session:
                        heartbeat.beat(session, self.handler_id)
                    self._last_beat = time.monotonic()
                    self.take_over_dead_handlers()
                self.run_once()
            except Exception:
                logger.exception(
                    "job handler %s: scheduling round failed; retrying", self.handler_id
                )
            # Rounds cost about the same whatever they claim, and with short jobs every job's
            # end wakes the handler. Spacing the rounds lets jobs arrive in batches.
            self._stop.wait(max(0.0, _MIN_ROUND_SECONDS - (time.monotonic() - began)))
            self._wake.wait(self._poll_interval)
            self._wake.clear()


def _local_job_process(job: Job, job_working_dir: Path | None) -> int | None:
    """Return the pid of the job's process on this host when it still runs.

    The runner records the process's identity in the job's working directory rather than
    in the database, which saves a transaction per job.
    """
    if job_working_dir is None:
        return None
    directory = JobDirectory.for_job(job_working_dir, job.id)
    try:
        identity = directory.process_file.read_text().strip()
    except OSError:
        return None
    return job_process_alive(identity, directory.working)


def _recover_job(job: Job, is_local: bool, job_working_dir: Path | None) -> None:
    pid = None
    if is_local and job.runner == "local":
        pid = _local_job_process(job, job_working_dir)
    if pid is not None:
        kill_process_group(pid)
        logger.warning("job %s: killed its process %s left by a dead handler", job.id, pid)

    if job.state == JobState.DELETING:
        job.state = JobState.DELETED
        job.end_time = utcnow()
        for job_output in job.outputs:
            job_output.history_item.dataset.state = DatasetState.DISCARDED
        logger.warning("job %s: cancellation completed during recovery", job.id)
        return

    if job.attempts >= MAX_ATTEMPTS:
        message = f"the job was interrupted {job.attempts} times by server restarts and was not retried again"
        job.state = JobState.ERROR
        job.info = message
        job.end_time = utcnow()
        for job_output in job.outputs:
            job_output.history_item.dataset.state = DatasetState.ERROR
            job_output.history_item.info = message
        logger.warning("job %s: %s", job.id, message)
        return

    previous_handler = job.handler
    job.state = JobState.NEW
    job.handler = None
    job.runner_job_id = None
    job.start_time = None
    for job_output in job.outputs:
        job_output.history_item.dataset.state = DatasetState.QUEUED
    logger.warning(
        "job %s: returned to the queue after handler %s stopped", job.id, previous_handler
    )


def _fail_for_inputs(session: Session, job_id: int) -> None:
    job = session.get(Job, job_id)
    if job is None or job.state != JobState.NEW:
        return
    failed = [
        job_input.history_item
        for job_input in job.inputs
        if job_input.history_item.dataset.state in (DatasetState.ERROR, DatasetState.DISCARDED)
    ]
    names = ", ".join(f"{item.hid}: {item.name}" for item in failed)
    message = f"an input dataset failed, so this job cannot run ({names})"
    job.state = JobState.ERROR
    job.info = message
    job.end_time = utcnow()
    for job_output in job.outputs:
        job_output.history_item.dataset.state = DatasetState.ERROR
        job_output.history_item.info = message
    logger.info("job %s failed before running: %s", job.id, message)
