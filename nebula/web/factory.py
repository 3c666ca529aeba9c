"""Application factory for web worker processes started by `nebula serve --workers N`.

Each worker reads the settings from the environment (and the file NEBULA_CONFIG names)
that `nebula serve` prepared; workers never run a job handler themselves.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from nebula.app import build_app
from nebula.config import load_settings
from nebula.web.app import create_app


def create_worker_app() -> FastAPI:
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return create_app(build_app(settings, migrate=False), run_handler=False)
