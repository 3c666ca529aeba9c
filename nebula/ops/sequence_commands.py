"""Subcommands of `nebula-ops` for the sequence tools (none yet)."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Add this family's subcommands to `nebula-ops`'s subparsers."""
