"""GET /api/version and /api/whoami."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from nebula import __version__
from nebula.managers.users import disk_usage
from nebula.web.deps import DbSession, Nebula, OptionalActor
from nebula.web.serializers import API_VERSION_MAJOR, user_dict

router = APIRouter(tags=["server"])


@router.get("/api/version")
def version() -> dict[str, Any]:
    """Report the Galaxy API version Nebula follows; BioBlend chooses features by it."""
    return {
        "version_major": API_VERSION_MAJOR,
        "version_minor": "0",
        "extra": {"nebula": __version__},
    }


@router.get("/api/whoami")
def whoami(actor: OptionalActor, session: DbSession, nebula: Nebula) -> dict[str, Any] | None:
    if actor is None or actor.user is None:
        return None
    return user_dict(actor.user, nebula.ids, disk_usage(session, actor.user))
