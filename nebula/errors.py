"""Nebula's exception hierarchy.

Every error a user can cause derives from `NebulaError`. The web layer maps each class to
an HTTP status in one place (`nebula.web.errors`), and the message is written for the
user: it names the object, the bad value and the way out.
"""

from __future__ import annotations

from typing import Any


class NebulaError(Exception):
    """Base class of the errors that Nebula reports to its users."""

    status_code = 500
    err_code = 500001

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigError(NebulaError):
    """A setting is missing or has an invalid value."""


class RequestError(NebulaError):
    """The request is malformed or a value in it is invalid."""

    status_code = 400
    err_code = 400008


class ParameterError(RequestError):
    """A tool parameter has an invalid value."""

    err_code = 400009

    def __init__(self, parameter: str, message: str, **details: Any) -> None:
        super().__init__(message, parameter=parameter, **details)
        self.parameter = parameter


class AuthenticationRequired(NebulaError):
    """The request carries no valid credentials."""

    status_code = 403
    err_code = 403001


class PermissionDenied(NebulaError):
    """The user may not act on this object."""

    status_code = 403
    err_code = 403002


class NotFound(NebulaError):
    """The object does not exist, or the user may not see it."""

    status_code = 404
    err_code = 404001


class Conflict(NebulaError):
    """The object is in a state that does not allow this operation."""

    status_code = 409
    err_code = 409001


class ToolLoadError(NebulaError):
    """A tool XML file cannot be loaded."""

    def __init__(self, path: str, message: str, element: str | None = None) -> None:
        where = f"{path}: <{element}>: " if element else f"{path}: "
        super().__init__(where + message, path=path, element=element)
        self.path = path
        self.element = element


class DatatypeError(NebulaError):
    """A dataset's content does not match its datatype, or the datatype is unknown."""

    status_code = 400
    err_code = 400010
