"""The collaborators one Nebula process shares: built once from the settings.

This is a plain bundle built at start-up; functions receive the parts they need (a session
factory, the object store, the toolbox), not the bundle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from nebula.config import Settings
from nebula.datatypes import DatatypeRegistry, default_registry
from nebula.errors import ConfigError
from nebula.model.database import is_current, make_engine, make_session_factory, upgrade
from nebula.objectstore import DiskObjectStore, ObjectStore
from nebula.security.ids import IdEncoder
from nebula.tools import ToolBox

logger = logging.getLogger(__name__)


@dataclass
class NebulaApp:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    object_store: ObjectStore
    toolbox: ToolBox
    datatypes: DatatypeRegistry
    ids: IdEncoder


def _optional_path(path: Path | None) -> str | None:
    return str(path.resolve()) if path is not None else None


def build_app(settings: Settings, migrate: bool = False) -> NebulaApp:
    """Connect to the database and storage and load the tools.

    With `migrate`, pending migrations are applied first (the embedded SQLite default);
    otherwise an out-of-date schema stops start-up with the command that fixes it.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    if migrate:
        upgrade(url)
    engine = make_engine(url, pool_size=settings.database_pool_size)
    if not is_current(engine):
        raise ConfigError(
            f"the database at {engine.url!r} is not at the newest schema; run `nebula db upgrade`"
        )

    toolbox = ToolBox.load(settings.tool_panel, tool_data_path=_optional_path(settings.tool_data_dir))
    logger.info("loaded %d tools from %s", len(toolbox.tools()), settings.tool_panel)
    return NebulaApp(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        object_store=DiskObjectStore(settings.resolved_object_store_dir),
        toolbox=toolbox,
        datatypes=default_registry(),
        ids=IdEncoder(settings.resolved_secret_key()),
    )
