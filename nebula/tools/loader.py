"""Loading of a Galaxy-style tool XML file into a `Tool`.

Only the elements Nebula implements are accepted. Anything else raises ToolLoadError
naming the file, the element and its line, so a tool never runs with a feature silently
ignored.
"""

from __future__ import annotations

import os

from lxml import etree

from nebula.errors import ToolLoadError
from nebula.tools.input_parser import parse_inputs
from nebula.tools.macros import expand_macros
from nebula.tools.parameters import DataParameter, iter_parameters
from nebula.tools.stdio import parse_stdio
from nebula.tools.tool import ChangeFormatRule, Tool, ToolOutput
from nebula.tools.tool_tests import parse_tests
from nebula.tools.xml_support import children, is_true, load_error, reject_unknown, text_of

# Elements that only describe the tool (for people and catalogues); they are read where
# Nebula shows them and otherwise accepted as they are.
_DESCRIPTIVE = frozenset(
    {"edam_operations", "edam_topics", "xrefs", "creator", "citations", "requirements"}
)
TOOL_CHILDREN = (
    frozenset(
        {
            "description",
            "command",
            "configfiles",
            "inputs",
            "outputs",
            "tests",
            "help",
            "stdio",
            "version_command",
            "macros",
        }
    )
    | _DESCRIPTIVE
)
_OUTPUT_CHILDREN = frozenset({"change_format"})
_DETECT_ERRORS = ("default", "exit_code", "aggressive")


def load_tool(path: str | os.PathLike[str]) -> Tool:
    """Parse the tool XML at `path`, raising ToolLoadError for anything unsupported."""
    path = os.fspath(path)
    try:
        root = etree.parse(path, etree.XMLParser(remove_comments=True)).getroot()
    except OSError as exc:
        raise ToolLoadError(path, f"cannot read the file: {exc}") from exc
    except etree.XMLSyntaxError as exc:
        raise ToolLoadError(path, f"invalid XML: {exc}") from exc
    if root.tag != "tool":
        raise ToolLoadError(path, f"the root element must be <tool>, found <{root.tag}>")

    if root.get("tool_type", "default") != "default":
        raise load_error(
            path, root, f"tool_type={root.get('tool_type')!r} is not supported by Nebula"
        )
    expand_macros(root, path)
    reject_unknown(path, root, TOOL_CHILDREN)
    for attribute in ("id", "name"):
        if not root.get(attribute):
            raise load_error(path, root, f"the <tool> element needs an `{attribute}` attribute")

    inputs = parse_inputs(root.find("inputs"), path)
    command = root.find("command")
    tool = Tool(
        id=root.get("id", ""),
        name=root.get("name", ""),
        version=root.get("version", "1.0.0"),
        path=path,
        description=text_of(root.find("description")),
        help=_help_text(root.find("help")),
        command=_command_text(command, path),
        detect_errors=_detect_errors(command, path),
        configfiles=_configfiles(root.find("configfiles"), path),
        inputs=inputs,
        outputs=_parse_outputs(root.find("outputs"), path),
        tests=parse_tests(root.find("tests"), inputs, path),
        stdio=parse_stdio(root.find("stdio"), path) if root.find("stdio") is not None else [],
        requirements=_requirements(root.find("requirements")),
        citations=[
            {"type": c.get("type", ""), "text": text_of(c)}
            for c in root.iterfind("citations/citation")
        ],
        edam_operations=[text_of(e) for e in root.iterfind("edam_operations/edam_operation")],
        edam_topics=[text_of(e) for e in root.iterfind("edam_topics/edam_topic")],
        version_command=text_of(root.find("version_command")) or None,
    )
    _check_references(tool, root, path)
    tool.compile_templates()
    return tool


def _command_text(command: etree._Element | None, path: str) -> str:
    if command is None:
        return ""
    if command.get("interpreter"):
        raise load_error(
            path,
            command,
            "the `interpreter` attribute is not supported by Nebula; "
            "name the interpreter in the command text",
        )
    reject_unknown(path, command, set())
    return (command.text or "").strip()


def _detect_errors(command: etree._Element | None, path: str) -> str | None:
    if command is None or command.get("detect_errors") is None:
        return None
    value = command.get("detect_errors", "")
    if value not in _DETECT_ERRORS:
        raise load_error(
            path, command, f"detect_errors={value!r} must be one of {', '.join(_DETECT_ERRORS)}"
        )
    return value


def _help_text(element: etree._Element | None) -> str:
    if element is None or element.text is None:
        return ""
    # Keep the reStructuredText as written, minus the indentation shared by all lines.
    lines = element.text.strip("\n").splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    margin = min(indents) if indents else 0
    return "\n".join(line[margin:] for line in lines).strip()


def _configfiles(element: etree._Element | None, path: str) -> dict[str, str]:
    if element is None:
        return {}
    reject_unknown(path, element, {"configfile"})
    files = {}
    for child in children(element):
        name = child.get("name")
        if not name:
            raise load_error(path, child, "a <configfile> needs a `name`")
        files[name] = child.text or ""
    return files


def _requirements(element: etree._Element | None) -> list[dict[str, str]]:
    if element is None:
        return []
    return [
        {"type": r.get("type", "package"), "name": text_of(r), "version": r.get("version", "")}
        for r in element.iterfind("requirement")
    ]


def _parse_outputs(element: etree._Element | None, path: str) -> list[ToolOutput]:
    if element is None:
        return []
    outputs = []
    for child in children(element):
        if child.tag != "data":
            raise load_error(
                path,
                child,
                f"output element <{child.tag}> is not supported by Nebula; supported: data",
            )
        name = child.get("name")
        if not name:
            raise load_error(path, child, "an output <data> needs a `name`")
        for inner in children(child):
            if inner.tag not in _OUTPUT_CHILDREN:
                raise load_error(
                    path,
                    inner,
                    f"element <{inner.tag}> inside an output is not supported by Nebula; "
                    "supported: change_format",
                )
        outputs.append(
            ToolOutput(
                name=name,
                format=child.get("format", "data"),
                format_source=child.get("format_source"),
                metadata_source=child.get("metadata_source"),
                label=child.get("label"),
                from_work_dir=child.get("from_work_dir"),
                hidden=is_true(child.get("hidden")),
                change_format=_change_format(child, path),
            )
        )
    return outputs


def _change_format(output: etree._Element, path: str) -> list[ChangeFormatRule]:
    rules = []
    for block in output.iterfind("change_format"):
        reject_unknown(path, block, {"when"})
        for when in children(block):
            fmt = when.get("format")
            if (
                not fmt
                or when.get("value") is None
                or not (when.get("input") or when.get("input_dataset"))
            ):
                raise load_error(
                    path,
                    when,
                    "a change_format <when> needs `input` (or `input_dataset`), "
                    "`value` and `format`",
                )
            if when.get("input_dataset") and when.get("attribute", "ext") not in (
                "ext",
                "extension",
            ):
                raise load_error(
                    path, when, "change_format with `input_dataset` supports only attribute='ext'"
                )
            rules.append(
                ChangeFormatRule(
                    format=fmt,
                    value=when.get("value", ""),
                    input=when.get("input"),
                    input_dataset=when.get("input_dataset"),
                )
            )
    return rules


def _check_references(tool: Tool, root: etree._Element, path: str) -> None:
    """Check that names used by outputs and data_column parameters exist, so a typo is
    reported at load time instead of when a user runs the tool."""
    data_names = {
        flat.rsplit("|", 1)[-1]
        for flat, p in iter_parameters(tool.inputs)
        if isinstance(p, DataParameter)
    }
    outputs_element = root.find("outputs")
    for output in tool.outputs:
        for attribute in ("format_source", "metadata_source"):
            source = getattr(output, attribute)
            if source and source.rsplit("|", 1)[-1] not in data_names:
                element = (
                    outputs_element.find(f"data[@name='{output.name}']")
                    if outputs_element is not None
                    else root
                )
                raise load_error(
                    path,
                    element if element is not None else root,
                    f"{attribute}={source!r} names no data parameter; "
                    f"data parameters: {', '.join(sorted(data_names)) or 'none'}",
                )
    for flat, param in iter_parameters(tool.inputs):
        data_ref = getattr(param, "data_ref", None)
        if data_ref and data_ref not in data_names:
            raise ToolLoadError(
                path,
                f"data_ref={data_ref!r} of parameter {flat!r} names no data parameter",
                element=f"param name='{param.name}'",
            )
