"""Plain text, `txt`: the parent of every line-based format."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from nebula.datatypes.base import Datatype
from nebula.datatypes.lines import Head, is_blank, iter_lines


class Text(Datatype):
    """Any text. Lines are data unless they are blank or a subclass calls them comments."""

    ext: ClassVar[str] = "txt"
    parent: ClassVar[str | None] = "data"
    is_text: ClassVar[bool] = True
    mime_type: ClassVar[str] = "text/plain"
    # A line is a comment when it starts with one of the prefixes, or when its first
    # whitespace-separated word is one of the words (UCSC `track` and `browser` lines).
    comment_prefixes: ClassVar[tuple[str, ...]] = ()
    comment_words: ClassVar[tuple[str, ...]] = ()

    def sniff(self, head: Head) -> bool:
        # Any text head is text, so this sniffer comes last in the sniff order.
        return not head.is_binary

    def is_comment(self, line: str) -> bool:
        if self.comment_prefixes and line.startswith(self.comment_prefixes):
            return True
        # The prefix test is cheap and rejects nearly every data line before splitting.
        if self.comment_words and line.startswith(self.comment_words):
            return line.split(maxsplit=1)[0] in self.comment_words
        return False

    def compute_metadata(self, path: str | Path) -> dict[str, Any]:
        data_lines = 0
        comment_lines = 0
        for line in iter_lines(path):
            if is_blank(line):
                continue
            if self.is_comment(line):
                comment_lines += 1
            else:
                data_lines += 1
        return {"data_lines": data_lines, "comment_lines": comment_lines}

    def data_lines_of(self, head: Head) -> list[str]:
        """Return the complete, non-blank, non-comment lines of a head, for sniffers."""
        return [line for line in head.lines if not is_blank(line) and not self.is_comment(line)]
