"""The upload page.

In a browser with JavaScript, the page sends each file through the tus endpoint that the
API uses (resumable, with a progress bar). Then it posts to /api/tools/fetch, which turns
the uploads and any pasted text into datasets. Both calls are authenticated by the
session cookie and the CSRF header. Without JavaScript the same form posts here as multipart, and the files are
staged and queued by the same upload manager.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from nebula.errors import RequestError
from nebula.managers.datasets import history_for_write
from nebula.managers.uploads import UPLOAD_TOOL_ID, UploadItem, UploadStaging, queue_upload
from nebula.web.deps import Nebula, wake_handler_after
from nebula.web.ui.context import Page
from nebula.web.ui.history_panel import build_panel

router = APIRouter(include_in_schema=False)

UPLOAD_CHUNK_BYTES = 1 << 20
# The abstract `data` type is what "auto" falls back to; offering it would add nothing.
_NOT_OFFERED = frozenset({"data"})


async def _staged_items(request: Request, nebula: Nebula) -> list[UploadItem]:
    """Stage the files and pasted text of a form sent without JavaScript."""
    form = await request.form()
    staging = UploadStaging(nebula.settings.resolved_upload_dir)
    ext = str(form.get("ext") or "auto")
    dbkey = str(form.get("dbkey") or "?").strip() or "?"
    items = []
    for value in form.getlist("files"):
        if isinstance(value, UploadFile) and value.filename:
            path = await staging.write_stream(_chunks(value))
            items.append(UploadItem(path, value.filename, ext=ext, dbkey=dbkey))
    paste = form.get("paste")
    if isinstance(paste, str) and paste.strip():
        name = str(form.get("paste_name") or "").strip() or "Pasted Entry"
        items.append(UploadItem(staging.write_text(paste), name, ext=ext, dbkey=dbkey))
    return items


@router.get("/upload", response_class=HTMLResponse)
def upload_page(ctx: Page) -> HTMLResponse:
    return ctx.render("upload.html", **_page_values(ctx))


@router.post("/upload")
def upload_form(ctx: Page, items: Annotated[list[UploadItem], Depends(_staged_items)]) -> RedirectResponse:
    if not items:
        raise RequestError("choose at least one file or paste some text to upload")
    history = history_for_write(ctx.db, ctx.actor, ctx.history.id)
    queue_upload(ctx.db, ctx.actor, history, ctx.nebula.toolbox.get(UPLOAD_TOOL_ID), items, ctx.nebula.datatypes)
    return wake_handler_after(RedirectResponse("/", status_code=303), ctx.request)


def _page_values(ctx: Page) -> dict[str, Any]:
    extensions = [ext for ext in ctx.nebula.datatypes.extensions() if ext not in _NOT_OFFERED]
    return {
        "extensions": extensions,
        "history_id": ctx.encode(ctx.history.id),
        "chunk_bytes": UPLOAD_CHUNK_BYTES,
        "panel": build_panel(ctx),
    }


async def _chunks(upload: UploadFile):  # type: ignore[no-untyped-def]
    while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
        yield chunk
