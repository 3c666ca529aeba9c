"""A tool's help, written in reStructuredText, rendered to HTML that is safe to embed.

Tool XML comes from third parties, so the `raw` directive (which passes HTML through) and
the `include` directive and `:file:` options (which read files on the server) are turned
off, and docutils leaves such a directive out of the output. Problems are never printed
to stderr, and a help text that docutils cannot parse at all is shown as escaped plain
text.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from html import escape

from docutils.core import publish_parts
from docutils.utils import SystemMessage

logger = logging.getLogger(__name__)

_SETTINGS = {
    "raw_enabled": False,
    "file_insertion_enabled": False,
    # Report nothing to stderr, and never stop on an error: show what could be parsed.
    "report_level": 5,
    "halt_level": 5,
    "warning_stream": False,
    "syntax_highlight": "none",
    "input_encoding": "unicode",
    "output_encoding": "unicode",
    "doctitle_xform": False,
    "embed_stylesheet": False,
}


@lru_cache(maxsize=256)
def render_help(text: str) -> str:
    """Return the HTML body of a help text."""
    if not text.strip():
        return ""
    try:
        parts = publish_parts(source=text, writer="html5", settings_overrides=_SETTINGS)
    except (SystemMessage, ValueError, AttributeError, TypeError, IndexError) as exc:
        logger.warning("tool help could not be rendered as reStructuredText: %s", exc)
        return f"<pre>{escape(text)}</pre>"
    return str(parts["body"])
