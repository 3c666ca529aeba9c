"""Who is acting: a registered user, an anonymous browser session, or both."""

from __future__ import annotations

from dataclasses import dataclass

from nebula.model import User


@dataclass(frozen=True)
class Actor:
    """The requester; anonymous visitors have a session but no user."""

    user: User | None
    session_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.user.is_admin)

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    def owns(self, user_id: int | None, session_id: int | None) -> bool:
        """Tell whether an object with these owner columns belongs to this actor."""
        if self.user is not None:
            return user_id == self.user.id
        return self.session_id is not None and user_id is None and session_id == self.session_id
