"""Galaxy-style tools: loading tool XML, validating run requests, building commands.

Typical use by a job:

    toolbox = ToolBox.load()
    tool = toolbox.get("gops_intersect_1")
    state = tool.validate_inputs(request_inputs, resolver)
    formats = tool.output_formats(state, {name: ext for name, ext in ...})
    command = tool.build_command(state, input_files, output_files, job_dir)
"""

from nebula.tools.loader import load_tool
from nebula.tools.parameters import (
    BooleanParameter,
    Conditional,
    ConditionalCase,
    DataColumnParameter,
    DataParameter,
    FloatParameter,
    HiddenParameter,
    IntegerParameter,
    Repeat,
    Section,
    SelectOption,
    SelectParameter,
    TextParameter,
    ToolParameter,
)
from nebula.tools.sanitize import Sanitizer, sanitize_text
from nebula.tools.state import DatasetInfo, DatasetResolver, ToolState
from nebula.tools.stdio import StdioOutcome
from nebula.tools.tool import Tool, ToolOutput
from nebula.tools.tool_tests import ContentAssertion, TestInputFile, TestOutput, ToolTest
from nebula.tools.toolbox import DEFAULT_PANEL_CONFIG, ToolBox, ToolSection
from nebula.tools.wrappers import InputFile, OutputFile

__all__ = [
    "DEFAULT_PANEL_CONFIG",
    "BooleanParameter",
    "Conditional",
    "ConditionalCase",
    "ContentAssertion",
    "DataColumnParameter",
    "DataParameter",
    "DatasetInfo",
    "DatasetResolver",
    "FloatParameter",
    "HiddenParameter",
    "InputFile",
    "IntegerParameter",
    "OutputFile",
    "Repeat",
    "Sanitizer",
    "Section",
    "SelectOption",
    "SelectParameter",
    "StdioOutcome",
    "TestInputFile",
    "TestOutput",
    "TextParameter",
    "Tool",
    "ToolBox",
    "ToolOutput",
    "ToolParameter",
    "ToolSection",
    "ToolState",
    "ToolTest",
    "load_tool",
    "sanitize_text",
]
