"""Finding the services (Redis, RabbitMQ) that CI provides on this machine."""

from __future__ import annotations

import os
import socket

import pytest


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip outside CI when the service is not running; in CI a missing service is a failure."""
    if service_available(host, port):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI but nothing listens on {host}:{port}")
    pytest.skip(f"{name} is not running on {host}:{port} and CI is not set; skipping its tests")
