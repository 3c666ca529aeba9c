"""Users: the current user, creation by an administrator, and API keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from nebula.app import NebulaApp
from nebula.errors import AuthenticationRequired, NotFound
from nebula.managers import users as user_manager
from nebula.managers.actors import Actor
from nebula.model import User
from nebula.web.api.params import decode_id
from nebula.web.deps import AdminActor, CurrentActor, DbSession, Nebula
from nebula.web.serializers import user_dict

router = APIRouter(tags=["users"])


class UserCreate(BaseModel):
    email: str
    username: str | None = None
    password: str | None = None
    is_admin: bool = False


@router.get("/api/users/current")
def current_user(actor: CurrentActor, session: DbSession, nebula: Nebula) -> dict[str, Any]:
    if actor.user is None:
        raise AuthenticationRequired("you are browsing anonymously; log in or send an API key to see your user")
    return user_dict(actor.user, nebula.ids, user_manager.disk_usage(session, actor.user))


@router.get("/api/users")
def list_users(actor: CurrentActor, session: DbSession, nebula: Nebula) -> list[dict[str, Any]]:
    if not actor.is_admin:
        return [user_dict(actor.user, nebula.ids)] if actor.user is not None else []
    return [user_dict(user, nebula.ids) for user in session.scalars(select(User).order_by(User.id))]


@router.get("/api/users/{user_id}")
def show_user(
    user_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula
) -> dict[str, Any]:
    user = _visible_user(user_id, actor, session, nebula)
    return user_dict(user, nebula.ids, user_manager.disk_usage(session, user))


@router.post("/api/users")
def create_user(
    body: UserCreate, actor: AdminActor, session: DbSession, nebula: Nebula
) -> dict[str, Any]:
    user = user_manager.create_user(
        session, body.email, body.password, body.username, body.is_admin
    )
    return user_dict(user, nebula.ids)


@router.post("/api/users/{user_id}/api_key")
def create_api_key(user_id: str, actor: CurrentActor, session: DbSession, nebula: Nebula) -> str:
    """Issue a new API key for the user, replacing the old one; the key is returned once."""
    user = _visible_user(user_id, actor, session, nebula)
    return user_manager.create_api_key(session, user)


def _visible_user(user_id: str, actor: Actor, session: Session, nebula: NebulaApp) -> User:
    if user_id == "current" and actor.user is not None:
        return actor.user
    user = session.get(User, decode_id(nebula.ids, user_id, "user"))
    if user is None or not (
        actor.is_admin or (actor.user is not None and actor.user.id == user.id)
    ):
        raise NotFound("user not found")
    return user
