"""The interface every object store backend implements."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def new_object_key() -> str:
    """Return a fresh key for a dataset's file; random, so no two writers ever collide."""
    return f"dataset_{uuid.uuid4().hex}"


class ObjectStore(abc.ABC):
    """Stores whole files under opaque keys."""

    @abc.abstractmethod
    def put(self, key: str, source: Path) -> int:
        """Store the file at `source` under `key`, replacing any earlier object; return its size.

        The object appears whole or not at all, so a reader never sees a half-written file.
        """

    @abc.abstractmethod
    def open(self, key: str) -> BinaryIO:
        """Open an object for reading; raises FileNotFoundError when it does not exist."""

    @abc.abstractmethod
    def local_path(self, key: str) -> Path:
        """Return a path on this host from which a job can read the object."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def size(self, key: str) -> int: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove an object; a missing object is not an error."""

    def iter_chunks(self, key: str, start: int = 0, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """Yield an object's bytes from `start`, a chunk at a time."""
        with self.open(key) as handle:
            handle.seek(start)
            while chunk := handle.read(chunk_size):
                yield chunk
