"""Errors on the web pages as HTML, in words; the API keeps its JSON errors.

A request belongs to the API when its path starts with /api/ or is one of FastAPI's own
documents. Every other request gets an HTML page, and an htmx request gets a fragment
that the page shows in its message area. Unexpected errors are logged with their
traceback and shown without it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from nebula.errors import NebulaError
from nebula.web.ui.context import templates

logger = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]
_API_PREFIXES = ("/api/", "/openapi.json", "/docs", "/redoc")
_TITLES = {
    400: "The request is not valid",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Not possible right now",
    422: "The request is not valid",
    500: "Something went wrong",
}
_UNEXPECTED = "Nebula ran into an unexpected problem; the administrators can find the details in the server log."


def install_page_error_handlers(app: FastAPI) -> None:
    """Wrap the API's error handlers so that page requests get HTML instead of JSON."""
    for exception_class in (NebulaError, RequestValidationError, StarletteHTTPException, Exception):
        api_handler = cast(Handler, app.exception_handlers[exception_class])
        app.add_exception_handler(exception_class, _page_or_api(api_handler))


def is_page_request(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(_API_PREFIXES) or path == "/api")


def _page_or_api(api_handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if not is_page_request(request):
            return await api_handler(request, exc)
        status, message = _describe(request, exc)
        return _error_page(request, status, message)

    return handle


def _describe(request: Request, exc: Exception) -> tuple[int, str]:
    if isinstance(exc, NebulaError):
        if exc.status_code >= 500:
            logger.error("error on %s %s: %s", request.method, request.url.path, exc.message)
        return exc.status_code, _sentence(exc.message)
    if isinstance(exc, RequestValidationError):
        problems = []
        for error in exc.errors():
            where = " ".join(str(part) for part in error.get("loc", ()) if part not in ("query", "body", "path"))
            problems.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
        return 400, _sentence("the address or form has an invalid value: " + "; ".join(problems))
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return 404, f"There is no page at {request.url.path}. Check the address, or start again from the start page."
        return exc.status_code, _sentence(exc.detail if isinstance(exc.detail, str) else "the request failed")
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return 500, _UNEXPECTED


def _error_page(request: Request, status: int, message: str) -> Response:
    title = _TITLES.get(status, "The request failed")
    template = "error_fragment.html" if request.headers.get("hx-request") == "true" else "error.html"
    return templates.TemplateResponse(request, template, {"title": title, "message": message}, status_code=status)


def _sentence(message: str) -> str:
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."
