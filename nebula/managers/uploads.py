"""Uploads: staging files (tus, multipart, pasted text) and queueing the upload job.

Staged files live in the upload folder, which web processes and job runners share; a
file is read from there by the upload job and removed once that job has succeeded.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from nebula.datatypes import DatatypeRegistry
from nebula.errors import NotFound, RequestError
from nebula.jobs.creation import NewOutput, create_internal_job
from nebula.managers.actors import Actor
from nebula.model import History, Job
from nebula.tools import Tool

logger = logging.getLogger(__name__)

UPLOAD_TOOL_ID = "upload1"
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class UploadItem:
    """One file to turn into a dataset: where it is staged, its name and requested format."""

    staged_path: Path
    name: str
    ext: str = "auto"
    dbkey: str = "?"
    to_posix_lines: bool = True
    space_to_tab: bool = False


class UploadStaging:
    """The shared folder of staged uploads, with a JSON side file per tus upload."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def path(self, upload_id: str) -> Path:
        if not _UPLOAD_ID.match(upload_id or ""):
            raise NotFound(f"upload {upload_id!r} not found")
        return self.root / upload_id

    def info_path(self, upload_id: str) -> Path:
        return self.path(upload_id).with_suffix(".json")

    async def write_stream(self, chunks: AsyncIterator[bytes]) -> Path:
        """Stage a stream of bytes as a new file, without holding it in memory."""
        path = self.path(self.new_id())
        with open(path, "wb") as handle:
            async for chunk in chunks:
                handle.write(chunk)
        return path

    def write_text(self, content: str) -> Path:
        path = self.path(self.new_id())
        path.write_text(content)
        return path

    def staged_upload(self, upload_id: str) -> Path:
        """Return a completed tus upload's file, checking that every byte arrived."""
        path = self.path(upload_id)
        info = self._read_info(upload_id)
        if not path.exists() or info is None:
            raise RequestError(
                f"upload session {upload_id!r} does not exist; upload the file again"
            )
        if path.stat().st_size != info["length"]:
            raise RequestError(
                f"upload session {upload_id!r} is incomplete: {path.stat().st_size} of {info['length']} bytes received"
            )
        return path

    def _read_info(self, upload_id: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.info_path(upload_id).read_text())
        except FileNotFoundError:
            return None


def queue_upload(
    session: Session,
    actor: Actor,
    history: History,
    tool: Tool,
    items: list[UploadItem],
    datatypes: DatatypeRegistry,
) -> Job:
    """Create one upload job with one output per item."""
    if not items:
        raise RequestError("the upload request contains no files or pasted text")
    for item in items:
        if item.ext != "auto":
            datatypes.get(item.ext)
        if len(item.name) > MAX_NAME_LENGTH:
            raise RequestError(
                f"dataset name is {len(item.name)} characters long; the maximum is {MAX_NAME_LENGTH}"
            )
    params = {
        "items": [
            {
                "output": f"output{index}",
                "staged_path": str(item.staged_path),
                "name": item.name,
                "ext": item.ext,
                "dbkey": item.dbkey,
                "to_posix_lines": item.to_posix_lines,
                "space_to_tab": item.space_to_tab,
            }
            for index, item in enumerate(items)
        ]
    }
    outputs = [
        NewOutput(f"output{index}", item.name, item.ext, item.dbkey)
        for index, item in enumerate(items)
    ]
    return create_internal_job(session, actor, history, tool, params, outputs)


def remove_staged_files(params: dict[str, Any]) -> None:
    """Delete the staged files of a finished upload job, and their tus side files."""
    for item in params.get("items", []):
        path = Path(item["staged_path"])
        path.unlink(missing_ok=True)
        path.with_suffix(".json").unlink(missing_ok=True)
