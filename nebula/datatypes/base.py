"""The root datatype, `data`: any content, text or binary."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from nebula.datatypes.lines import Head, is_blank, read_head

PEEK_BYTES = 64 * 1024
PEEK_LINE_CHARS = 256


class Datatype:
    """A dataset format: recognises its content, computes its metadata and a peek.

    Subclasses set the class attributes and override `sniff` and `compute_metadata`.
    Instances hold no state, so the registry shares one instance per datatype.
    """

    ext: ClassVar[str] = "data"
    parent: ClassVar[str | None] = None
    is_text: ClassVar[bool] = False
    mime_type: ClassVar[str] = "application/octet-stream"
    # An abstract datatype only groups others: `sniff` never returns it.
    is_abstract: ClassVar[bool] = False

    def sniff(self, head: Head) -> bool:
        """Return whether the head of a file has this datatype's format.

        The registry calls sniffers only on text heads, in its sniff order, so a sniffer may
        accept content that a more specific datatype tried earlier also accepts.
        """
        return False

    def compute_metadata(self, path: str | Path) -> dict[str, Any]:
        """Compute the metadata stored with a dataset of this type, streaming the file."""
        return {}

    def make_peek(self, path: str | Path, lines: int = 5) -> str:
        """Return the first `lines` non-blank lines of a file, each cut to a display width.

        Reads at most PEEK_BYTES of the file. Binary content gets a one-line summary.
        """
        head = read_head(path, max_bytes=PEEK_BYTES)
        if head.is_binary:
            return f"binary data, {os.path.getsize(path)} bytes"

        peek_lines = [_cut(line) for line in head.lines if not is_blank(line)]
        if head.partial_line is not None and not is_blank(head.partial_line):
            # The byte limit cut this line, so it is marked as cut whatever its length.
            peek_lines.append(_cut(head.partial_line + "…"))
        return "\n".join(peek_lines[:lines])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} ext={self.ext!r}>"


def _cut(line: str) -> str:
    if len(line) <= PEEK_LINE_CHARS:
        return line
    return line[:PEEK_LINE_CHARS] + "…"
