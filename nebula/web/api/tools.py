"""Tools: the panel, one tool's description, running a tool, and uploads (upload1 and fetch)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from nebula.app import NebulaApp
from nebula.errors import RequestError
from nebula.jobs.creation import create_tool_job
from nebula.managers.actors import Actor
from nebula.managers.datasets import history_for_write
from nebula.managers.uploads import UPLOAD_TOOL_ID, UploadItem, UploadStaging, queue_upload
from nebula.model import Job
from nebula.web.api.params import decode_id, parse_bool
from nebula.web.api.uploads import check_upload_owner
from nebula.web.deps import (
    Nebula,
    authenticate_request,
    authenticated_actor,
    get_nebula,
    run_in_session,
    wake_handler,
)
from nebula.web.serializers import item_detail, job_summary

logger = logging.getLogger(__name__)

router = APIRouter(tags=["tools"])

_JSON_FIELDS = ("inputs", "targets", "files_0|file_data")


@dataclass
class ToolRequest:
    """A POST /api/tools or /api/tools/fetch body, with any attached files already staged."""

    payload: dict[str, Any]
    files: dict[str, tuple[Path, str]] = field(default_factory=dict)


async def read_tool_request(request: Request, nebula: NebulaApp) -> ToolRequest:
    """Parse a JSON or multipart body; attached files are streamed into the staging folder.

    No database session is held while the body arrives, since a slow client would keep
    it from other requests. Files are staged only for a caller whose credentials were
    checked first, in a short session of its own.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise RequestError("the request body must be JSON or multipart/form-data") from None
        if not isinstance(payload, dict):
            raise RequestError("the request body must be a JSON object")
        return ToolRequest(payload)

    await authenticated_actor(request)
    staging = UploadStaging(nebula.settings.resolved_upload_dir)
    parsed = ToolRequest({})
    form = await request.form()
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            parsed.files[key] = (
                await staging.write_stream(_chunks(value)),
                value.filename or "uploaded file",
            )
        else:
            parsed.payload[key] = _maybe_json(key, value)
    return parsed


@router.get("/api/tools")
def list_tools(
    nebula: Nebula, in_panel: str | None = None, q: str | None = None, tool_id: str | None = None
) -> Any:
    toolbox = nebula.toolbox
    if q is not None:
        needle = q.lower()
        return [
            tool.id
            for tool in toolbox.tools()
            if needle in tool.id.lower()
            or needle in tool.name.lower()
            or needle in (tool.description or "").lower()
        ]
    if tool_id is not None:
        return [toolbox.get(tool_id).to_dict()]
    if parse_bool(in_panel, "in_panel", default=True):
        return toolbox.to_panel_dicts()
    return [tool.to_dict() for tool in toolbox.tools()]


@router.get("/api/tools/{tool_id}")
def show_tool(tool_id: str, nebula: Nebula, io_details: str | None = None) -> dict[str, Any]:
    tool = nebula.toolbox.get(tool_id)
    return tool.to_dict(io_details=bool(parse_bool(io_details, "io_details", default=False)))


# POST /api/tools is the busiest request, so it and fetch do all their database work in one
# trip to the thread pool and write their JSON themselves. `response_model` is only for the
# OpenAPI document, because FastAPI (0.165) sends a returned Response without validating it.
@router.post("/api/tools", response_model=dict[str, Any])
async def run_tool(request: Request) -> Response:
    return await _queue_job(request, _run_tool)


@router.post("/api/tools/fetch", response_model=dict[str, Any])
async def fetch(request: Request) -> Response:
    return await _queue_job(request, _fetch)


async def _queue_job(
    request: Request, create: Callable[[Request, ToolRequest, Session], JSONResponse]
) -> Response:
    """Read the request's body, create its job in one session, then wake the job handler."""
    body = await read_tool_request(request, get_nebula(request))
    response = await run_in_session(request, partial(create, request, body))
    wake_handler(request)
    return response


def _run_tool(request: Request, body: ToolRequest, session: Session) -> JSONResponse:
    actor = authenticate_request(request, session)
    nebula = get_nebula(request)
    payload = body.payload
    tool_id = payload.get("tool_id")
    if not isinstance(tool_id, str) or not tool_id:
        raise RequestError("tool_id is required")
    history_id = payload.get("history_id")
    if not isinstance(history_id, str):
        raise RequestError("history_id is required")
    history = history_for_write(session, actor, decode_id(nebula.ids, history_id, "history"))
    tool = nebula.toolbox.get(tool_id)
    inputs = payload.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise RequestError("inputs must be a JSON object of parameter names and values")

    if tool.id == UPLOAD_TOOL_ID:
        # BioBlend's paste_content and put_url send files_0|... beside `inputs`, as Galaxy accepts.
        top_level = {key: value for key, value in payload.items() if key.startswith("files_") and "|" in key}
        items = _upload1_items({**top_level, **inputs}, body.files, actor, nebula)
        job = queue_upload(session, actor, history, tool, items, nebula.datatypes)
    else:
        job = create_tool_job(session, actor, history, tool, inputs, nebula.ids, nebula.datatypes)
    return _job_response(job, nebula)


def _fetch(request: Request, body: ToolRequest, session: Session) -> JSONResponse:
    actor = authenticate_request(request, session)
    nebula = get_nebula(request)
    payload = body.payload
    history_id = payload.get("history_id")
    if not isinstance(history_id, str):
        raise RequestError("history_id is required")
    history = history_for_write(session, actor, decode_id(nebula.ids, history_id, "history"))
    targets = payload.get("targets")
    if not isinstance(targets, list) or not targets:
        raise RequestError("targets must be a non-empty list")

    items: list[UploadItem] = []
    file_index = 0
    for target_number, target in enumerate(targets):
        destination = (target or {}).get("destination", {}).get("type")
        if destination != "hdas":
            raise RequestError(
                f"targets[{target_number}]: destination type {destination!r} is not supported; use 'hdas'"
            )
        for element_number, element in enumerate(
            target.get("elements") or target.get("items") or []
        ):
            where = f"targets[{target_number}].elements[{element_number}]"
            item, used_file = _fetch_item(
                element, where, payload, body.files, file_index, actor, nebula
            )
            file_index += used_file
            items.append(item)
    job = queue_upload(
        session, actor, history, nebula.toolbox.get(UPLOAD_TOOL_ID), items, nebula.datatypes
    )
    return _job_response(job, nebula)


def _fetch_item(
    element: dict[str, Any],
    where: str,
    payload: dict[str, Any],
    files: dict[str, tuple[Path, str]],
    file_index: int,
    actor: Actor,
    nebula: NebulaApp,
) -> tuple[UploadItem, int]:
    src = element.get("src")
    name = element.get("name")
    options = {
        "ext": str(element.get("ext") or "auto"),
        "dbkey": str(element.get("dbkey") or "?"),
        "to_posix_lines": bool(element.get("to_posix_lines", True)),
        "space_to_tab": bool(element.get("space_to_tab", False)),
    }
    staging = UploadStaging(nebula.settings.resolved_upload_dir)
    if src == "pasted":
        content = element.get("paste_content")
        if not isinstance(content, str):
            raise RequestError(f"{where}: paste_content must be a string")
        return UploadItem(staging.write_text(content), name or "Pasted Entry", **options), 0
    if src == "files":
        key = f"files_{file_index}|file_data"
        path, filename = _staged_file(key, payload, files, actor, staging)
        return UploadItem(path, name or filename, **options), 1
    if src in ("url", "path", "ftp_import", "server_dir"):
        raise RequestError(
            f"{where}: uploads from src {src!r} are not supported by Nebula; upload the file itself"
        )
    raise RequestError(f"{where}: src must be 'files' or 'pasted', got {src!r}")


def _upload1_items(
    inputs: dict[str, Any], files: dict[str, tuple[Path, str]], actor: Actor, nebula: NebulaApp
) -> list[UploadItem]:
    staging = UploadStaging(nebula.settings.resolved_upload_dir)
    groups = _upload_groups(inputs)
    # An attached `files_N|file_data` is an upload even when `inputs` names no other field of it.
    for key in files:
        head, _, field_name = key.partition("|")
        if field_name == "file_data" and head.startswith("files_") and head[6:].isdigit():
            groups.setdefault(int(head[6:]), {})
    file_type = str(inputs.get("file_type") or "auto")
    dbkey = str(inputs.get("dbkey") or "?")
    items = []
    for index, group in sorted(groups.items()):
        key = f"files_{index}|file_data"
        options = {
            "ext": file_type,
            "dbkey": dbkey,
            "to_posix_lines": _flag(group.get("to_posix_lines"), True),
            "space_to_tab": _flag(group.get("space_to_tab"), False),
        }
        name = group.get("NAME") or None
        if key in files or isinstance(group.get("file_data"), dict):
            path, filename = _staged_file(key, {key: group.get("file_data")}, files, actor, staging)
            items.append(UploadItem(path, name or filename, **options))
        elif isinstance(group.get("url_paste"), str) and group["url_paste"] != "":
            if group["url_paste"].strip().lower().startswith(("http://", "https://", "ftp://")):
                raise RequestError(
                    f"files_{index}|url_paste: fetching URLs is not supported by Nebula; paste the content or upload the file"
                )
            items.append(
                UploadItem(
                    staging.write_text(group["url_paste"]), name or "Pasted Entry", **options
                )
            )
    if not items:
        raise RequestError(
            "upload1 needs files_0|file_data (a file) or files_0|url_paste (pasted text)"
        )
    return items


def _upload_groups(inputs: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Collect `files_N|field` flat keys and nested `files: [...]` into one dict per file."""
    groups: dict[int, dict[str, Any]] = {}
    for index, nested in enumerate(inputs.get("files") or []):
        if isinstance(nested, dict):
            groups.setdefault(index, {}).update(nested)
    for key, value in inputs.items():
        head, _, field_name = key.partition("|")
        if head.startswith("files_") and head[6:].isdigit() and field_name:
            groups.setdefault(int(head[6:]), {})[field_name] = value
    return groups


def _staged_file(
    key: str,
    payload: dict[str, Any],
    files: dict[str, tuple[Path, str]],
    actor: Actor,
    staging: UploadStaging,
) -> tuple[Path, str]:
    if key in files:
        return files[key]
    reference = payload.get(key)
    if isinstance(reference, dict) and reference.get("session_id"):
        upload_id = str(reference["session_id"])
        check_upload_owner(staging, upload_id, actor)
        return staging.staged_upload(upload_id), str(reference.get("name") or "uploaded file")
    raise RequestError(
        f"{key} is missing: attach the file or give the session_id of a finished tus upload"
    )


def _job_response(job: Job, nebula: NebulaApp) -> JSONResponse:
    outputs = []
    for job_output in job.outputs:
        detail = item_detail(job_output.history_item, nebula.ids, job.id)
        detail["output_name"] = job_output.name
        outputs.append(detail)
    return JSONResponse(
        {
            "outputs": outputs,
            "output_collections": [],
            "jobs": [job_summary(job, nebula.ids)],
            "implicit_collections": [],
            "produces_entry_points": False,
        }
    )



def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "1", "on")


def _maybe_json(key: str, value: str) -> Any:
    if key in _JSON_FIELDS or key.endswith("|file_data") or value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


async def _chunks(upload: UploadFile):  # type: ignore[no-untyped-def]
    while chunk := await upload.read(1 << 20):
        yield chunk
