"""Shared fixtures for the datatype tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from nebula.datatypes import DatatypeRegistry, default_registry


@pytest.fixture
def registry() -> DatatypeRegistry:
    return default_registry()


@pytest.fixture
def data_dir() -> Path:
    """The folder of real test files, described in its PROVENANCE.md."""
    return Path(__file__).resolve().parent.parent / "data" / "datatypes"
