"""Mapping of Nebula's errors to HTTP responses in Galaxy's error shape, in one place."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nebula.errors import NebulaError

logger = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NebulaError, _nebula_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def error_response(status: int, message: str, code: int, **extra: object) -> JSONResponse:
    return JSONResponse({"err_msg": message, "err_code": code, **extra}, status_code=status)


async def _nebula_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NebulaError)
    extra = (
        {"err_data": {key: value for key, value in exc.details.items() if value is not None}}
        if exc.details
        else {}
    )
    return error_response(exc.status_code, exc.message, exc.err_code, **extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return error_response(400, "invalid request: " + "; ".join(problems), 400008)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    return JSONResponse(
        {"err_msg": message, "err_code": exc.status_code * 1000 + 1},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(
        500, "internal server error; the administrators can find details in the server log", 500001
    )
