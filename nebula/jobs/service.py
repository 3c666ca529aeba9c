"""Wiring of a job handler with its runner from the settings."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from nebula.app import NebulaApp
from nebula.config import Settings
from nebula.jobs.handler import JobHandler
from nebula.jobs.runners.local import LocalRunner, LocalRunnerConfig
from nebula.jobs.scheduler import ShareLimits


def build_job_handler(nebula: NebulaApp) -> JobHandler:
    settings = nebula.settings
    runner = LocalRunner(
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
    return JobHandler(
        handler_id=settings.handler_id,
        session_factory=nebula.session_factory,
        runner=runner,
        limits=ShareLimits(per_user=settings.job_user_limit, per_anonymous=settings.job_anonymous_limit),
        poll_interval=settings.handler_poll_interval,
    )


def _fork_server_socket(settings: Settings) -> Path:
    # Unix socket paths are limited to about 100 bytes, so the socket lives in the
    # temporary folder rather than in a possibly deep data_dir.
    return Path(tempfile.gettempdir()) / f"nebula-fork-{settings.handler_id}-{uuid.uuid4().hex[:8]}.sock"


def start_job_handler(nebula: NebulaApp) -> JobHandler:
    """Start a handler; on SQLite it is the only one, so it recovers every interrupted job."""
    handler = build_job_handler(nebula)
    handler.start(recover_all=nebula.settings.is_sqlite)
    return handler
