"""Wiring of a job handler with its runner from the settings."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from nebula.app import NebulaApp
from nebula.config import RunnerKind, Settings
from nebula.jobs.handler import JobHandler
from nebula.jobs.runners.celery import CeleryRunner, CeleryRunnerConfig
from nebula.jobs.runners.celery_app import make_celery
from nebula.jobs.runners.local import LocalRunner, LocalRunnerConfig
from nebula.jobs.scheduler import ShareLimits


def build_job_handler(nebula: NebulaApp) -> JobHandler:
    settings = nebula.settings
    runner = (
        _celery_runner(nebula) if settings.runner == RunnerKind.CELERY else _local_runner(nebula)
    )
    return JobHandler(
        handler_id=settings.handler_id,
        session_factory=nebula.session_factory,
        runner=runner,
        limits=ShareLimits(
            per_user=settings.job_user_limit, per_anonymous=settings.job_anonymous_limit
        ),
        poll_interval=settings.handler_poll_interval,
        heartbeat_interval=settings.handler_heartbeat_interval,
        dead_after=settings.handler_dead_after,
        job_working_dir=settings.resolved_job_working_dir,
    )


def _local_runner(nebula: NebulaApp) -> LocalRunner:
    settings = nebula.settings
    return LocalRunner(
        LocalRunnerConfig(
            slots=settings.local_job_slots,
            job_working_dir=settings.resolved_job_working_dir,
            wall_time=settings.job_wall_time,
            memory_limit_mb=settings.job_memory_limit_mb,
            fork_server_socket=_fork_server_socket(settings) if settings.fork_server else None,
        ),
        nebula.session_factory,
        nebula.toolbox,
        nebula.object_store,
        nebula.datatypes,
    )


def _celery_runner(nebula: NebulaApp) -> CeleryRunner:
    settings = nebula.settings
    return CeleryRunner(
        CeleryRunnerConfig(
            max_in_flight=settings.celery_max_in_flight,
            job_working_dir=settings.resolved_job_working_dir,
            wall_time=settings.job_wall_time,
            queue=settings.celery_queue,
            memory_limit_mb=settings.job_memory_limit_mb,
        ),
        make_celery(settings),
        nebula.session_factory,
        nebula.toolbox,
        nebula.object_store,
    )


def _fork_server_socket(settings: Settings) -> Path:
    # Unix socket paths are limited to about 100 bytes, so the socket lives in the
    # temporary folder rather than in a possibly deep data_dir.
    return (
        Path(tempfile.gettempdir())
        / f"nebula-fork-{settings.handler_id}-{uuid.uuid4().hex[:8]}.sock"
    )


def start_job_handler(nebula: NebulaApp) -> JobHandler:
    """Start a handler; it recovers the jobs of handlers that are no longer alive."""
    handler = build_job_handler(nebula)
    handler.start()
    return handler
