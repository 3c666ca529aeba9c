"""The session cookie and the CSRF token derived from it.

The cookie contains `token.signature`: a random session token and its HMAC-SHA256 under a
key derived from the deployment's secret. A forged or truncated cookie is rejected before
any database query. The CSRF token is a second HMAC of the session token, so it needs
no storage, differs per session and changes when the token is replaced at login.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nebula.managers.sessions import StartedSession

COOKIE_NAME = "nebula_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Anonymous visitors keep their history across browser restarts for this long.
COOKIE_MAX_AGE_SECONDS = 30 * 24 * 3600
_PENDING_COOKIE = "nebula_pending_session_cookie"
_CLEAR = ""


class SessionSigner:
    """Signs session tokens for the cookie and derives their CSRF tokens."""

    def __init__(self, secret: str) -> None:
        self._cookie_key = hashlib.sha256(("nebula-session-cookie:" + secret).encode()).digest()
        self._csrf_key = hashlib.sha256(("nebula-csrf:" + secret).encode()).digest()

    def sign(self, token: str) -> str:
        return f"{token}.{self._mac(self._cookie_key, token)}"

    def unsign(self, value: str) -> str | None:
        """Return the token of a cookie value, or None when the signature does not match."""
        token, _, signature = value.partition(".")
        if not token or not hmac.compare_digest(signature, self._mac(self._cookie_key, token)):
            return None
        return token

    def csrf_token(self, token: str) -> str:
        return self._mac(self._csrf_key, token)

    def is_valid_csrf(self, token: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given), self.csrf_token(token))

    @staticmethod
    def _mac(key: bytes, token: str) -> str:
        return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def signer_of(request: Request) -> SessionSigner:
    return request.app.state.session_signer


def cookie_token(request: Request) -> str | None:
    """Return the verified session token the request's cookie carries, if any."""
    value = request.cookies.get(COOKIE_NAME)
    return signer_of(request).unsign(value) if value else None


def queue_session_cookie(request: Request, started: StartedSession) -> None:
    """Have the response set the cookie for a new or re-keyed session."""
    setattr(request.state, _PENDING_COOKIE, signer_of(request).sign(started.token))


def queue_cookie_removal(request: Request) -> None:
    setattr(request.state, _PENDING_COOKIE, _CLEAR)


class SessionCookieMiddleware:
    """Adds the Set-Cookie header that a request queued, to whatever response it gets.

    Pages return their responses directly, and FastAPI does not copy the headers that
    dependencies set onto such responses. So the cookie is added here, which also covers
    redirects and error pages.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Created here so that the route and this middleware share one dict even when a
        # layer in between copies the scope.
        state = scope.setdefault("state", {})

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                pending = state.get(_PENDING_COOKIE)
                if pending is not None:
                    header = _set_cookie_header(pending, secure=scope.get("scheme") == "https")
                    message["headers"] = [*message.get("headers", []), (b"set-cookie", header.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _set_cookie_header(value: str, secure: bool) -> str:
    parts: list[str] = [f"{COOKIE_NAME}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    parts.append(f"Max-Age={COOKIE_MAX_AGE_SECONDS if value else 0}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
