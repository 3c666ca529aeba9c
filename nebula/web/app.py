"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from nebula import __version__
from nebula.app import NebulaApp
from nebula.jobs.service import start_job_handler
from nebula.jobs.wakeup import WakeSender
from nebula.model.database import connection_limit
from nebula.web.api import contents, datasets, histories, jobs, tools, uploads, users, version
from nebula.web.errors import install_error_handlers
from nebula.web.ui.install import install_ui

logger = logging.getLogger(__name__)

# Requests that hold a database session at once; below the 40 threads of the pool that
# runs FastAPI's synchronous dependencies and endpoints (see nebula.web.deps).
MAX_REQUEST_SESSIONS = 32
# On SQLite every transaction takes the one write lock, so a second request with a session
# would only wait for the first, and its thread's contention for the GIL costs CPU. A web
# process without a job handler used 3.5 ms of CPU per POST /api/tools with one session at
# a time, against 4.1-4.3 ms with four. That was at 64 requests in flight, two runs each
# of benchmarks/tool_requests.py --concurrency 64 on a 2-CPU VM.
SQLITE_REQUEST_SESSIONS = 1


def create_app(nebula: NebulaApp, run_handler: bool | None = None) -> FastAPI:
    """Build the web application; with `run_handler`, a job handler runs inside it."""
    run_handler = nebula.settings.run_handler if run_handler is None else run_handler

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        handler = start_job_handler(nebula) if run_handler else None
        if handler is not None:
            app.state.wake_handler = handler.wake
        elif nebula.settings.handler_wake_socket is not None:
            # The handler runs in another process of this host (`nebula serve`'s child).
            app.state.wake_handler = WakeSender(nebula.settings.handler_wake_socket).wake
        try:
            yield
        finally:
            if handler is not None:
                handler.stop()

    app = FastAPI(
        title="Nebula",
        version=__version__,
        description="Interactive genome analysis: histories, datasets, tools and jobs, with a Galaxy-compatible API.",
        lifespan=lifespan,
    )
    app.state.nebula = nebula
    app.state.wake_handler = None
    app.state.session_slots = asyncio.Semaphore(_request_sessions(nebula))
    install_error_handlers(app)
    for module in (version, users, histories, contents, datasets, tools, uploads, jobs):
        app.include_router(module.router)
    install_ui(app, nebula.settings.resolved_secret_key())
    return app


def _request_sessions(nebula: NebulaApp) -> int:
    if nebula.settings.is_sqlite:
        return SQLITE_REQUEST_SESSIONS
    return min(MAX_REQUEST_SESSIONS, connection_limit(nebula.engine))
