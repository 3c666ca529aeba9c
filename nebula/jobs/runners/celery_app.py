"""The Celery application and the task that runs a Nebula job on a worker.

A worker needs the tool definitions and the object store, not the database: it receives
a JobSpec, runs it where the files are (`running.run_job`) and returns the JobReport as
its result, which the dispatching handler records. Tasks are acknowledged late, so a
worker killed mid-job leaves its job to be delivered again; recording is idempotent, so
a job delivered twice still ends once.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import Celery

from nebula.config import Settings, load_settings
from nebula.datatypes import DatatypeRegistry, default_registry
from nebula.jobs.execution import RunningProcess
from nebula.jobs.forkserver import fork_execute
from nebula.jobs.preparation import UPLOAD_TOOL_ID
from nebula.jobs.running import run_job
from nebula.jobs.spec import JobSpec
from nebula.jobs.workdir import JobDirectory, end_job_directory
from nebula.objectstore import DiskObjectStore, ObjectStore
from nebula.tools import ToolBox

logger = logging.getLogger(__name__)

TASK_NAME = "nebula.run_job"


@dataclass(frozen=True)
class WorkerContext:
    toolbox: ToolBox
    store: ObjectStore
    datatypes: DatatypeRegistry


def make_celery(settings: Settings) -> Celery:
    app = Celery(
        "nebula", broker=settings.celery_broker_url, backend=settings.resolved_celery_result_backend
    )
    visibility = settings.celery_visibility_timeout or settings.job_wall_time + 60
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.celery_queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=7 * 24 * 3600,
        broker_connection_retry_on_startup=True,
        # Redis redelivers a task that is not acknowledged within this time; it must exceed
        # the longest job, or a job still running would be started a second time. kombu
        # (5.7) looks for such tasks every unacked_restore_interval seconds but, by default,
        # scans only every tenth time; scanning every time keeps redelivery within the
        # timeout plus one interval.
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_throttle": 1,
            "unacked_restore_interval": max(1.0, min(10.0, visibility / 2)),
        },
        result_backend_transport_options={"visibility_timeout": visibility},
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)(_run_job_task)
    return app


_context: WorkerContext | None = None


def configure_worker(settings: Settings) -> WorkerContext:
    """Load this worker's tools and object store; pool processes forked later inherit them."""
    global _context
    _context = WorkerContext(
        toolbox=ToolBox.load(
            settings.tool_panel, tool_data_path=str(settings.tool_data_dir or "") or None
        ),
        store=DiskObjectStore(settings.resolved_object_store_dir),
        datatypes=default_registry(),
    )
    return _context


def worker_context() -> WorkerContext:
    """Return the worker's context, loading it from the default settings if not configured."""
    return _context if _context is not None else configure_worker(load_settings())


def _run_job_task(task: Any, spec_json: dict[str, Any]) -> dict[str, Any]:
    spec = JobSpec.from_json(spec_json)
    context = worker_context()
    tool = None if spec.tool_id == UPLOAD_TOOL_ID else context.toolbox.get(spec.tool_id)
    handle = RunningProcess()
    # A revoke with terminate sends SIGTERM to this pool process: stop the job's processes,
    # which run in their own session, and report the job as stopped.
    previous = signal.signal(signal.SIGTERM, lambda *_: handle.kill())
    directory = JobDirectory(Path(spec.job_dir))
    written: list[str] = []
    try:
        logger.info("job %s: running on worker (task %s)", spec.job_id, task.request.id)
        executor = fork_execute if spec.entry is not None else None
        report = run_job(
            spec,
            tool,
            context.store,
            context.datatypes,
            handle,
            on_start=lambda _pid: written.append(_read_identity(directory)),
            executor=executor,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    logger.info("job %s: finished on worker, ok=%s", spec.job_id, report.ok)
    if report.ok and written and _read_identity(directory) == written[-1]:
        # The outputs are stored, and the folder's hard links would keep a purged dataset's
        # bytes on disk. A second delivery of the task writes its own identity, so the
        # folder is cleaned only while it still records this delivery's process.
        # NOTE: a delivery that starts between this check and the clean-up is not detected.
        end_job_directory(spec)
    return report.to_json()


def _read_identity(directory: JobDirectory) -> str:
    """Return the identity of the job's process that the folder records; '' when none."""
    try:
        return directory.process_file.read_text()
    except OSError:
        return ""
