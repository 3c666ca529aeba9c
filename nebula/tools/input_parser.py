"""Parsing of a tool's `<inputs>` into the parameter tree of `nebula.tools.parameters`."""

from __future__ import annotations

import re

from lxml import etree

from nebula.tools.parameters import (
    BooleanParameter,
    Conditional,
    ConditionalCase,
    DataColumnParameter,
    DataParameter,
    FloatParameter,
    HiddenParameter,
    InputNode,
    IntegerParameter,
    Repeat,
    Section,
    SelectOption,
    SelectParameter,
    TextParameter,
    ToolParameter,
)
from nebula.tools.sanitize import CHARACTER_PRESETS, MAPPING_PRESETS, Sanitizer
from nebula.tools.validators import parse_validator
from nebula.tools.xml_support import children, is_true, load_error, reject_unknown, text_of

SUPPORTED_PARAMETER_TYPES = (
    "data",
    "data_column",
    "text",
    "integer",
    "float",
    "boolean",
    "select",
    "hidden",
)
_GROUP_TAGS = frozenset({"param", "conditional", "repeat", "section"})
_COLUMN_DEFAULT = re.compile(r"^c?\d+(,c?\d+)*$", re.IGNORECASE)
_PARAM_CHILDREN = frozenset({"option", "validator", "sanitizer", "label", "help"})


def parse_inputs(element: etree._Element | None, path: str) -> list[InputNode]:
    """Return the parameter tree of an `<inputs>` element (or of a group's body)."""
    if element is None:
        return []
    nodes: list[InputNode] = []
    seen: set[str] = set()
    for child in children(element):
        if child.tag == "param":
            node: InputNode = parse_param(child, path)
        elif child.tag == "conditional":
            node = _parse_conditional(child, path)
        elif child.tag == "repeat":
            node = _parse_repeat(child, path)
        elif child.tag == "section":
            node = _parse_section(child, path)
        else:
            raise load_error(
                path,
                child,
                f"element <{child.tag}> is not supported inside <{element.tag}>; "
                f"supported: {', '.join(sorted(_GROUP_TAGS))}",
            )
        if node.name in seen:
            raise load_error(path, child, f"the name {node.name!r} is used twice at this level")
        seen.add(node.name)
        nodes.append(node)
    return nodes


def parse_param(element: etree._Element, path: str) -> ToolParameter:
    """Return the typed parameter a `<param>` element declares."""
    kind = element.get("type")
    if kind not in SUPPORTED_PARAMETER_TYPES:
        raise load_error(
            path,
            element,
            f"parameter type {kind!r} is not supported by Nebula; "
            f"supported: {', '.join(SUPPORTED_PARAMETER_TYPES)}",
        )
    for child in children(element):
        if child.tag == "options":
            raise load_error(
                path,
                child,
                "dynamic select options are not supported by Nebula; list each <option>",
            )
        if child.tag not in _PARAM_CHILDREN or (child.tag == "option" and kind != "select"):
            raise load_error(
                path, child, f"element <{child.tag}> is not supported inside <param type='{kind}'>"
            )

    common = {
        "name": _param_name(element, path),
        "label": element.get("label") or text_of(element.find("label")),
        "help": element.get("help") or text_of(element.find("help")),
        "optional": is_true(element.get("optional")),
        "argument": element.get("argument"),
        "validators": tuple(parse_validator(v, path) for v in element.findall("validator")),
    }
    value = element.get("value")

    if kind == "text":
        return TextParameter(
            **common,
            value=value or "",
            area=is_true(element.get("area")),
            size=element.get("size"),
            sanitizer=_parse_sanitizer(element, path),
        )
    if kind == "hidden":
        return HiddenParameter(
            **common, value=value or "", sanitizer=_parse_sanitizer(element, path)
        )
    if kind == "integer":
        return IntegerParameter(
            **common,
            value=_integer(element, "value", path),
            min=_integer(element, "min", path),
            max=_integer(element, "max", path),
        )
    if kind == "float":
        return FloatParameter(
            **common,
            value=_float(element, "value", path),
            min=_float(element, "min", path),
            max=_float(element, "max", path),
        )
    if kind == "boolean":
        return BooleanParameter(
            **common,
            checked=is_true(element.get("checked", value)),
            truevalue=element.get("truevalue", "true"),
            falsevalue=element.get("falsevalue", "false"),
        )
    if kind == "select":
        return _parse_select(element, path, common)
    if kind == "data":
        formats = tuple(
            f.strip() for f in (element.get("format") or "data").split(",") if f.strip()
        )
        return DataParameter(
            **common, formats=formats or ("data",), multiple=is_true(element.get("multiple"))
        )
    return _parse_data_column(element, path, common)


def _param_name(element: etree._Element, path: str) -> str:
    name = element.get("name")
    if not name and element.get("argument"):
        # Galaxy derives the name from `argument`: "--min-length" becomes "min_length".
        name = element.get("argument", "").lstrip("-").replace("-", "_")
    if not name:
        raise load_error(path, element, "a parameter needs a `name` or `argument` attribute")
    if "|" in name:
        raise load_error(path, element, f"the name {name!r} must not contain '|'")
    return name


def _parse_select(element: etree._Element, path: str, common: dict) -> SelectParameter:
    if element.get("dynamic_options"):
        raise load_error(
            path, element, "dynamic_options runs Python code and is not supported by Nebula"
        )
    options = [
        SelectOption(
            value=o.get("value", text_of(o)),
            label=text_of(o) or o.get("value", ""),
            selected=is_true(o.get("selected")),
        )
        for o in element.findall("option")
    ]
    param = SelectParameter(
        **common,
        options=options,
        multiple=is_true(element.get("multiple")),
        display=element.get("display"),
        value=element.get("value"),
        sanitizer=_parse_sanitizer(element, path),
    )
    values = {o.value for o in options}
    default = param.default_value()
    for item in default if isinstance(default, list) else [default]:
        if item is not None and item not in values:
            raise load_error(path, element, f"the default {item!r} is not one of the options")
    return param


def _parse_data_column(element: etree._Element, path: str, common: dict) -> DataColumnParameter:
    data_ref = element.get("data_ref")
    if not data_ref:
        raise load_error(
            path, element, "a data_column parameter needs a `data_ref` naming a data parameter"
        )
    value = element.get("value")
    if value and value.strip() and not _COLUMN_DEFAULT.match(value.strip()):
        raise load_error(path, element, f"the default column {value!r} is not a column number")
    return DataColumnParameter(
        **common,
        data_ref=data_ref,
        multiple=is_true(element.get("multiple")),
        numerical=is_true(element.get("numerical")),
        use_header_names=is_true(element.get("use_header_names")),
        force_select=is_true(element.get("force_select"), default=True),
        accept_default=is_true(element.get("accept_default")),
        value=value.strip() if value and value.strip() else None,
    )


def _parse_conditional(element: etree._Element, path: str) -> Conditional:
    name = element.get("name")
    if not name:
        raise load_error(path, element, "a conditional needs a `name`")
    reject_unknown(path, element, {"param", "when"})
    tests = element.findall("param")
    if len(tests) != 1:
        raise load_error(
            path, element, f"a conditional needs exactly one test <param>, found {len(tests)}"
        )
    test = parse_param(tests[0], path)
    if not isinstance(test, SelectParameter | BooleanParameter):
        raise load_error(
            path, tests[0], "the test parameter of a conditional must be a select or a boolean"
        )
    cases = []
    for when in element.findall("when"):
        if when.get("value") is None:
            raise load_error(path, when, "a <when> needs a `value`")
        cases.append(ConditionalCase(value=when.get("value", ""), inputs=parse_inputs(when, path)))
    return Conditional(name=name, test_param=test, cases=cases)


def _parse_repeat(element: etree._Element, path: str) -> Repeat:
    name = element.get("name")
    if not name:
        raise load_error(path, element, "a repeat needs a `name`")
    low = _integer(element, "min", path) or 0
    high = _integer(element, "max", path)
    if high is not None and high < low:
        raise load_error(path, element, f"max ({high}) is smaller than min ({low})")
    default = _integer(element, "default", path)
    return Repeat(
        name=name,
        title=element.get("title", name),
        help=element.get("help", ""),
        min=low,
        max=high,
        default=max(low, 1 if default is None else default),
        inputs=parse_inputs(element, path),
    )


def _parse_section(element: etree._Element, path: str) -> Section:
    name = element.get("name")
    if not name:
        raise load_error(path, element, "a section needs a `name`")
    return Section(
        name=name,
        title=element.get("title", name),
        help=element.get("help", ""),
        expanded=is_true(element.get("expanded")),
        inputs=parse_inputs(element, path),
    )


def _parse_sanitizer(element: etree._Element, path: str) -> Sanitizer | None:
    node = element.find("sanitizer")
    if node is None:
        return None
    reject_unknown(path, node, {"valid", "mapping"})
    valid = set(CHARACTER_PRESETS["default"])
    valid_node = node.find("valid")
    if valid_node is not None:
        reject_unknown(path, valid_node, {"add", "remove"})
        valid = set(
            _preset(CHARACTER_PRESETS, valid_node.get("initial", "default"), valid_node, path)
        )
        for change in children(valid_node):
            characters = set(change.get("value", ""))
            if change.get("preset"):
                characters |= _preset(CHARACTER_PRESETS, change.get("preset", ""), change, path)
            valid = valid | characters if change.tag == "add" else valid - characters

    mapping = dict(MAPPING_PRESETS["default"])
    mapping_node = node.find("mapping")
    if mapping_node is not None:
        reject_unknown(path, mapping_node, {"add", "remove"})
        mapping = dict(
            _preset(MAPPING_PRESETS, mapping_node.get("initial", "default"), mapping_node, path)
        )
        for change in children(mapping_node):
            source = change.get("source", "")
            if change.tag == "add":
                mapping[source] = change.get("target", "")
            else:
                mapping.pop(source, None)

    return Sanitizer(
        valid=frozenset(valid),
        mapping=mapping,
        invalid_char=node.get("invalid_char", "X"),
        enabled=is_true(node.get("sanitize"), default=True),
    )


def _preset(presets: dict, name: str, element: etree._Element, path: str):
    if name not in presets:
        raise load_error(path, element, f"unknown preset {name!r}; supported: {', '.join(presets)}")
    return presets[name]


def _integer(element: etree._Element, attribute: str, path: str) -> int | None:
    text = (element.get(attribute) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise load_error(
            path, element, f"attribute {attribute}={text!r} is not an integer"
        ) from exc


def _float(element: etree._Element, attribute: str, path: str) -> float | None:
    text = (element.get(attribute) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise load_error(path, element, f"attribute {attribute}={text!r} is not a number") from exc
