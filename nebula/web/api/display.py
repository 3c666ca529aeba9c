"""Streaming a dataset's content to the client, whole or in chunks."""

from __future__ import annotations

import re

from fastapi.responses import Response, StreamingResponse

from nebula.errors import Conflict, NotFound, RequestError
from nebula.model import DatasetState, HistoryItem
from nebula.objectstore import ObjectStore

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_CHUNK = 64 * 1024 * 1024


def display_item(
    item: HistoryItem,
    store: ObjectStore,
    to_ext: str | None = None,
    offset: int | None = None,
    ck_size: int | None = None,
    preview: bool = False,
) -> Response:
    """Stream the item's file; with `to_ext` as a download, with offset and ck_size a chunk."""
    if item.purged or item.dataset.purged:
        raise Conflict(f"dataset {item.hid} ('{item.name}') has been purged; its content is gone")
    if item.dataset.state != DatasetState.OK:
        raise Conflict(
            f"dataset {item.hid} ('{item.name}') is {item.dataset.state.value}, so it has no content to display yet"
        )
    key = item.dataset.object_key
    if not store.exists(key):
        raise NotFound(f"the file of dataset {item.hid} ('{item.name}') is missing from storage")

    size = store.size(key)
    start = offset or 0
    if start < 0 or (ck_size is not None and ck_size <= 0):
        raise RequestError("offset must be 0 or more and ck_size more than 0")
    length = size - start if ck_size is None else min(ck_size, MAX_CHUNK, max(size - start, 0))
    if preview and ck_size is None:
        length = min(length, 1024 * 1024)
    length = max(length, 0)

    headers = {"Content-Length": str(length)}
    media_type = "text/plain; charset=utf-8" if _is_text(item) else "application/octet-stream"
    if to_ext:
        filename = (
            _UNSAFE_FILENAME.sub("_", f"Nebula{item.hid}-[{item.name}]").strip("_")[:200]
            or "dataset"
        )
        headers["Content-Disposition"] = (
            f'attachment; filename="{filename}.{_UNSAFE_FILENAME.sub("", to_ext)}"'
        )
        media_type = "application/octet-stream"
    return StreamingResponse(
        _read_range(store, key, start, length), media_type=media_type, headers=headers
    )


def _read_range(store: ObjectStore, key: str, start: int, length: int):  # type: ignore[no-untyped-def]
    remaining = length
    for chunk in store.iter_chunks(key, start=start):
        if remaining <= 0:
            break
        piece = chunk[:remaining]
        remaining -= len(piece)
        yield piece


def _is_text(item: HistoryItem) -> bool:
    return item.extension not in ("data", "binary")
