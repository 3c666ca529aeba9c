"""Expansion of Galaxy tool macros before a tool XML is parsed.

A `<macros>` element may contain `<xml name="...">` blocks, `<token name="@NAME@">`
text substitutions and `<import>file.xml</import>`. An imported file has `<macros>` as
its root and a path relative to the tool's folder. `<expand macro="..."/>` may appear
anywhere, and a `<yield/>` in the macro is replaced by the children of the `<expand>`.
Macro parameters (`tokens=` on `<xml>`) are not supported and raise ToolLoadError.
"""

from __future__ import annotations

import copy
import os

from lxml import etree

from nebula.tools.xml_support import children, load_error

_MAX_DEPTH = 20


def expand_macros(root: etree._Element, path: str) -> None:
    """Replace every `<expand>` in `root` and every token, then drop `<macros>`."""
    blocks: dict[str, etree._Element] = {}
    tokens: dict[str, str] = {}
    macros = root.find("macros")
    if macros is not None:
        _collect(macros, path, os.path.dirname(path), blocks, tokens, depth=0)
        root.remove(macros)

    for _ in range(_MAX_DEPTH):
        pending = list(root.iter("expand"))
        if not pending:
            break
        for element in pending:
            _expand(element, blocks, path)
    else:
        raise load_error(
            path, root, f"macros still expand after {_MAX_DEPTH} rounds; is a macro recursive?"
        )

    if tokens:
        _substitute_tokens(root, tokens)


def _collect(
    macros: etree._Element,
    path: str,
    folder: str,
    blocks: dict[str, etree._Element],
    tokens: dict[str, str],
    depth: int,
) -> None:
    if depth > _MAX_DEPTH:
        raise load_error(path, macros, "macro imports nest too deeply")
    for child in children(macros):
        if child.tag == "import":
            _import(child, path, folder, blocks, tokens, depth)
        elif child.tag in ("xml", "macro"):
            if child.get("tokens"):
                raise load_error(
                    path, child, "macro parameters (`tokens`) are not supported by Nebula"
                )
            blocks[child.get("name", "")] = child
        elif child.tag == "token":
            tokens[child.get("name", "")] = child.text or ""
        else:
            raise load_error(
                path,
                child,
                f"element <{child.tag}> is not supported in <macros>; "
                "supported: import, xml, token",
            )


def _import(
    element: etree._Element,
    path: str,
    folder: str,
    blocks: dict[str, etree._Element],
    tokens: dict[str, str],
    depth: int,
) -> None:
    name = (element.text or "").strip()
    target = os.path.normpath(os.path.join(folder, name))
    try:
        imported = etree.parse(target).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise load_error(path, element, f"cannot read macro file {target!r}: {exc}") from exc
    if imported.tag != "macros":
        raise load_error(path, element, f"macro file {target!r} must have <macros> as its root")
    _collect(imported, target, os.path.dirname(target), blocks, tokens, depth + 1)


def _expand(element: etree._Element, blocks: dict[str, etree._Element], path: str) -> None:
    name = element.get("macro", "")
    if name not in blocks:
        known = ", ".join(sorted(blocks)) or "none"
        raise load_error(path, element, f"macro {name!r} is not defined; defined: {known}")
    body = copy.deepcopy(blocks[name])
    for placeholder in list(body.iter("yield")):
        _replace_with(placeholder, [copy.deepcopy(c) for c in element], placeholder.text)
    _replace_with(element, list(body), body.text)


def _replace_with(
    element: etree._Element, replacements: list[etree._Element], leading_text: str | None
) -> None:
    """Put `replacements` where `element` is, keeping the text around it."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    tail = element.tail
    parent.remove(element)
    _append_text(parent, index, leading_text)
    for offset, replacement in enumerate(replacements):
        parent.insert(index + offset, replacement)
    if tail:
        _append_text(parent, index + len(replacements), tail)


def _append_text(parent: etree._Element, index: int, text: str | None) -> None:
    if not text:
        return
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


def _substitute_tokens(root: etree._Element, tokens: dict[str, str]) -> None:
    def replace(text: str | None) -> str | None:
        if not text:
            return text
        for name, value in tokens.items():
            text = text.replace(name, value)
        return text

    for element in root.iter():
        element.text = replace(element.text)
        element.tail = replace(element.tail)
        for attribute, value in element.attrib.items():
            element.set(attribute, replace(value) or "")
