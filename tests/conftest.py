"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import Api, NebulaServer, create_user

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Extra NEBULA_* settings for the module's server; a module overrides this fixture to set some."""
    return {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_env: dict[str, str]) -> Iterator[NebulaServer]:
    """One `nebula serve` per test module, on the embedded defaults in a temporary folder."""
    data_dir = tmp_path_factory.mktemp("nebula") / "data"
    data_dir.mkdir()
    running = NebulaServer(data_dir, extra_env=server_env).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin_key(server: NebulaServer) -> str:
    return create_user(server.data_dir, "admin@example.org", admin=True)


@pytest.fixture(scope="module")
def api(server: NebulaServer, admin_key: str) -> Api:
    """A client authenticated as an ordinary user of the module's server."""
    key = create_user(server.data_dir, "alice@example.org")
    return Api(server.url, key)


@pytest.fixture(scope="module")
def admin_api(server: NebulaServer, admin_key: str) -> Api:
    return Api(server.url, admin_key)
