"""The tus resumable-upload endpoint that BioBlend's upload_file uses.

Implements the tus 1.0.0 core protocol with the creation and termination extensions:
POST creates an upload of a declared length, PATCH appends bytes at the current offset,
HEAD reports the offset so that a client can resume. Bytes are streamed to the staging
folder as they arrive, never held whole in memory.
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request, Response

from nebula.errors import Conflict, NotFound, RequestError
from nebula.managers.actors import Actor
from nebula.managers.uploads import UploadStaging
from nebula.web.deps import CurrentActor, Nebula, authenticated_actor

logger = logging.getLogger(__name__)

router = APIRouter(tags=["uploads"])

TUS_VERSION = "1.0.0"
ENDPOINT = "/api/upload/resumable_upload"
MAX_UPLOAD_BYTES = 100 * 1024**3
_TUS_HEADERS = {"Tus-Resumable": TUS_VERSION}


def staging(nebula: Nebula) -> UploadStaging:
    return UploadStaging(nebula.settings.resolved_upload_dir)


@router.options(ENDPOINT)
@router.options(ENDPOINT + "/")
@router.options(ENDPOINT + "/{upload_id}")
def tus_options() -> Response:
    return Response(
        status_code=204,
        headers={
            **_TUS_HEADERS,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": "creation,termination",
            "Tus-Max-Size": str(MAX_UPLOAD_BYTES),
        },
    )


@router.post(ENDPOINT)
@router.post(ENDPOINT + "/")
def tus_create(request: Request, actor: CurrentActor, nebula: Nebula) -> Response:
    length_header = request.headers.get("upload-length")
    if length_header is None:
        raise RequestError(
            "the Upload-Length header is required; deferred lengths are not supported"
        )
    try:
        length = int(length_header)
    except ValueError:
        raise RequestError(f"Upload-Length must be an integer, got {length_header!r}") from None
    if not 0 <= length <= MAX_UPLOAD_BYTES:
        raise RequestError(
            f"Upload-Length must be between 0 and {MAX_UPLOAD_BYTES} bytes, got {length}"
        )

    uploads = staging(nebula)
    upload_id = uploads.new_id()
    uploads.path(upload_id).touch()
    info = {
        "length": length,
        "metadata": request.headers.get("upload-metadata", ""),
        "owner": _owner(actor),
    }
    uploads.info_path(upload_id).write_text(json.dumps(info))
    logger.info("upload %s created: %d bytes, user %s", upload_id, length, actor.user_id)
    return Response(
        status_code=201, headers={**_TUS_HEADERS, "Location": f"{ENDPOINT}/{upload_id}"}
    )


@router.head(ENDPOINT + "/{upload_id}")
def tus_offset(upload_id: str, actor: CurrentActor, nebula: Nebula) -> Response:
    uploads = staging(nebula)
    info = _owned_info(uploads, upload_id, actor)
    offset = uploads.path(upload_id).stat().st_size
    return Response(
        status_code=200,
        headers={
            **_TUS_HEADERS,
            "Upload-Offset": str(offset),
            "Upload-Length": str(info["length"]),
            "Cache-Control": "no-store",
        },
    )


@router.patch(ENDPOINT + "/{upload_id}")
async def tus_append(upload_id: str, request: Request, nebula: Nebula) -> Response:
    actor = await authenticated_actor(request)
    uploads = staging(nebula)
    info = _owned_info(uploads, upload_id, actor)
    if request.headers.get("content-type", "") != "application/offset+octet-stream":
        return Response(
            status_code=415,
            headers=_TUS_HEADERS,
            content="Content-Type must be application/offset+octet-stream",
        )
    path = uploads.path(upload_id)
    offset = path.stat().st_size
    claimed = request.headers.get("upload-offset")
    if claimed is None or not claimed.isdigit() or int(claimed) != offset:
        raise Conflict(
            f"Upload-Offset {claimed!r} does not match the {offset} bytes received so far; ask with HEAD and resume"
        )

    written = offset
    with open(path, "ab") as handle:
        async for chunk in request.stream():
            written += len(chunk)
            if written > info["length"]:
                handle.truncate(offset)
                raise RequestError(
                    f"upload {upload_id} would exceed its declared length of {info['length']} bytes"
                )
            handle.write(chunk)
    return Response(status_code=204, headers={**_TUS_HEADERS, "Upload-Offset": str(written)})


@router.delete(ENDPOINT + "/{upload_id}")
def tus_terminate(upload_id: str, actor: CurrentActor, nebula: Nebula) -> Response:
    uploads = staging(nebula)
    _owned_info(uploads, upload_id, actor)
    uploads.path(upload_id).unlink(missing_ok=True)
    uploads.info_path(upload_id).unlink(missing_ok=True)
    return Response(status_code=204, headers=_TUS_HEADERS)


def check_upload_owner(uploads: UploadStaging, upload_id: str, actor: Actor) -> None:
    """Raise NotFound unless `actor` created the upload, so ids cannot be used by others."""
    _owned_info(uploads, upload_id, actor)


def _owned_info(uploads: UploadStaging, upload_id: str, actor: Actor) -> dict:  # type: ignore[type-arg]
    try:
        info = json.loads(uploads.info_path(upload_id).read_text())
    except FileNotFoundError:
        raise NotFound(f"upload {upload_id!r} not found") from None
    if info.get("owner") != _owner(actor):
        raise NotFound(f"upload {upload_id!r} not found")
    return info


def _owner(actor: Actor) -> str:
    return f"user:{actor.user_id}" if actor.user is not None else f"session:{actor.session_id}"
