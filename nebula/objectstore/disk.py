"""An object store on a POSIX file system (local disk, NFS, Lustre, CephFS)."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from nebula.objectstore.base import ObjectStore

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


class DiskObjectStore(ObjectStore):
    """Files under `root`, spread over two levels of folders so no folder grows huge."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, key: str, source: Path) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        try:
            # A move is cheap when source and store share a file system; otherwise copy.
            try:
                os.link(source, partial)
            except OSError:
                shutil.copyfile(source, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target.stat().st_size

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        if not _KEY_PATTERN.match(key):
            raise ValueError(f"invalid object key {key!r}")
        digest = uuid.uuid5(uuid.NAMESPACE_OID, key).hex
        return self.root / digest[:2] / digest[2:4] / key
