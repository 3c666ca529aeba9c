"""Small helpers shared by the tool XML parsers: error construction and attribute reading."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from nebula.errors import ToolLoadError


def load_error(path: str, element: etree._Element, message: str) -> ToolLoadError:
    """Return a ToolLoadError naming `element` (with its distinguishing attribute) and the
    line lxml read it from."""
    line = f" (line {element.sourceline})" if element.sourceline else ""
    return ToolLoadError(path, message + line, element=describe(element))


def describe(element: etree._Element) -> str:
    """Return `tag attr='value'` for the attribute that tells this element apart."""
    for attribute in ("type", "name", "id"):
        value = element.get(attribute)
        if value is not None:
            return f"{element.tag} {attribute}='{value}'"
    return str(element.tag)


def children(element: etree._Element) -> Iterator[etree._Element]:
    """Yield child elements, skipping comments and processing instructions."""
    for child in element:
        if isinstance(child.tag, str):
            yield child


def is_true(text: str | None, default: bool = False) -> bool:
    if text is None or text.strip() == "":
        return default
    return text.strip().lower() in ("true", "yes", "1", "on")


def text_of(element: etree._Element | None) -> str:
    """Return the element's text content with surrounding whitespace stripped."""
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def reject_unknown(path: str, element: etree._Element, allowed: frozenset[str] | set[str]) -> None:
    """Raise ToolLoadError for the first child element whose tag is not in `allowed`."""
    for child in children(element):
        if child.tag not in allowed:
            raise load_error(
                path,
                child,
                f"element <{child.tag}> inside <{element.tag}> is not supported by Nebula; "
                f"supported: {', '.join(sorted(allowed)) or 'none'}",
            )
