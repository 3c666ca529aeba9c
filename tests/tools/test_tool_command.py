"""Rendering `<command>` templates into command lines."""

from __future__ import annotations

import shlex

import pytest

from nebula.errors import ParameterError
from nebula.tools import InputFile, OutputFile
from nebula.tools.command import collapse_lines
from tests.tools.conftest import TOOL_DATA, input_files, load

SINK_BASE = {"input": {"src": "hda", "id": "tab1"}}
SINK_OUTPUTS = {
    "out_file": OutputFile("/job/out.tab", "tabular"),
    "copy": OutputFile("/job/copy.tab", "tabular"),
}


def build(name, raw, resolver, registry, outputs):
    tool = load(name)
    state = tool.validate_inputs(raw, resolver, registry=registry)
    return tool.build_command(
        state, input_files(state, resolver), outputs, "/job", registry=registry
    )


def test_intersect_renders_paths_metadata_and_values(resolver, registry):
    command = build(
        "intersect.xml",
        {"input1": "bed1", "input2": "bed2", "min": "5", "returntype": "-p"},
        resolver,
        registry,
        {"output": OutputFile("/job/out.bed", "bed")},
    )

    assert command == (
        "nebula-ops intersect '/data/bed1.dat' '/data/bed2.dat' '/job/out.bed' -1 1,2,3,6 -m 5 -p "
        "--name 'exons.bed' --ext bed"
    )


def test_missing_metadata_renders_empty(resolver, registry):
    command = build(
        "intersect.xml",
        {"input1": "bed2", "input2": "bed1"},
        resolver,
        registry,
        {"output": OutputFile("/job/out.bed", "bed")},
    )

    assert "-1 1,2,3, -m 1" in command


def test_is_of_type_selects_gff_branch(resolver, registry):
    command = build(
        "intersect.xml",
        {"input1": "gff1", "input2": "bed1"},
        resolver,
        registry,
        {"output": OutputFile("/job/out.gff", "gff")},
    )

    assert "-1 1,4,5,7 --gff1" in command
    assert "--ext gff" in command


def test_kitchen_sink_renders_groups_and_directives(resolver, registry):
    raw = {
        **SINK_BASE,
        "pattern": "xyz",
        "cutoff": "0.25",
        "flag": False,
        "modes": ["b"],
        "column": "c2",
        "mode|kind": "window",
        "mode|size": "20",
        "mode|unit": "kb",
        "queries_0|input": "tab1",
        "queries_0|qcol": "3",
        "queries_1|input": "bed1",
        "queries_1|qcol": "c6",
        "advanced|keep": True,
        "maybe_number": "4",
    }

    command = build("kitchen_sink.xml", raw, resolver, registry, SINK_OUTPUTS)

    assert command.startswith(
        "run.py --pattern 'xyz' --cutoff 0.25 --double 0.5 --flag --no --modes 'b' "
    )
    assert "--secret s3 --column 2 --columns 1,2" in command
    assert "--window 20 --unit kb" in command
    assert "--query0 '/data/tab1.dat' --qcol 3 --query1 '/data/bed1.dat' --qcol 6" in command
    assert "--advanced 3 true" in command
    assert (
        "--out '/job/out.tab' --threads ${GALAXY_SLOTS:-1} --tooldir " + str(TOOL_DATA) in command
    )
    assert "--no-optional None" in command
    assert "--no-number" not in command
    assert command.endswith("--choice y")


def test_conditional_other_branch_renders(resolver, registry):
    raw = {**SINK_BASE, "mode": {"kind": "ref", "reference": "tab1"}, "optional_data": "bed1"}

    command = build("kitchen_sink.xml", raw, resolver, registry, SINK_OUTPUTS)

    assert "--ref '/data/tab1.dat'" in command
    assert "--window" not in command
    assert "--optional '/data/bed1.dat'" in command
    assert "--no-number" in command


def test_shell_metacharacters_in_text_are_harmless(resolver, registry):
    hostile = "; rm -rf / $(reboot) `x` | & > < 'q' \"d\"\nnext"

    command = build(
        "sanitize.xml",
        {"plain": hostile, "quoted": hostile},
        resolver,
        registry,
        {"out": OutputFile("/job/out.txt", "txt")},
    )

    words = shlex.split(command)
    assert words[0] == "echo"
    for character in (";", "$", "`", "|", "&", "<", "\n", '"'):
        assert character not in command.replace("> '/job/out.txt'", "")
    assert "'" not in " ".join(words[1:])
    assert words[-2:] == [">", "/job/out.txt"]
    assert "__gt__" in command
    assert "__lt__" in command
    assert "__sq__q__sq__" in command
    assert "__cn__next" in command


def test_parameter_sanitizer_overrides_default(resolver, registry):
    command = build(
        "sanitize.xml",
        {"custom": "ax=1 'b'; $y"},
        resolver,
        registry,
        {"out": OutputFile("/job/out.txt", "txt")},
    )

    assert " a=1__sq__b__sq__y " in command


def test_select_values_are_sanitized(resolver, registry):
    command = build(
        "sanitize.xml", {"choice": "b>c"}, resolver, registry, {"out": OutputFile("/job/o", "txt")}
    )

    assert "b__gt__c > '/job/o'" in command


def test_dataset_name_is_sanitized(resolver, registry):
    tool = load("intersect.xml")
    state = tool.validate_inputs({"input1": "bed1", "input2": "bed2"}, resolver, registry=registry)
    files = input_files(state, resolver)
    files["input1"] = InputFile("/data/bed1.dat", "bed", {}, "x'; reboot #", "bed1")

    command = tool.build_command(
        state, files, {"output": OutputFile("/job/o", "bed")}, "/job", registry=registry
    )

    assert "--name 'x__sq__X reboot __pd__'" in command


def test_input_files_are_matched_by_dataset_id(resolver, registry):
    tool = load("intersect.xml")
    state = tool.validate_inputs({"input1": "bed1", "input2": "bed2"}, resolver, registry=registry)
    files = {
        "a": InputFile("/x/one", "bed", {}, "one", "bed1"),
        "b": InputFile("/x/two", "bed", {}, "two", "bed2"),
    }

    command = tool.build_command(
        state, files, {"output": OutputFile("/job/o", "bed")}, "/job", registry=registry
    )

    assert "'/x/one' '/x/two'" in command


def test_missing_input_file_raises(resolver, registry):
    tool = load("intersect.xml")
    state = tool.validate_inputs({"input1": "bed1", "input2": "bed2"}, resolver, registry=registry)

    with pytest.raises(ParameterError, match="no input file was given for dataset 'bed2'"):
        tool.build_command(
            state,
            {"input1": InputFile("/x", "bed", {}, "", "bed1")},
            {"output": OutputFile("/job/o", "bed")},
            "/job",
            registry=registry,
        )


def test_macro_tool_renders_section_value(resolver, registry):
    tool = load("macro_tool.xml")
    state = tool.validate_inputs({"input1": "bed1"}, resolver, registry=registry)

    command = tool.build_command(
        state,
        input_files(state, resolver),
        {"out": OutputFile("/o", "bed")},
        "/job",
        registry=registry,
    )

    assert command == "tool --version 3.2 '/data/bed1.dat' 7"


def test_collapse_lines_joins_and_continues():
    text = "  first \\\n   second\n\n third   \n"

    assert collapse_lines(text) == "first second third"


def test_command_with_dict_access_and_multiple_data(tmp_path, resolver, registry):
    path = tmp_path / "tool.xml"
    path.write_text("""<tool id="multi" name="Multi">
      <command><![CDATA[
        cat
        #for $f in $inputs
          '$f' ($f.ext)
        #end for
        all=$inputs opt=$opts['level'] items=$opts.items
      ]]></command>
      <inputs>
        <param name="inputs" type="data" format="bed" multiple="true"/>
        <section name="opts"><param name="level" type="integer" value="2"/>
          <param name="items" type="text" value="many"/></section>
      </inputs>
    </tool>""")
    from nebula.tools import load_tool

    tool = load_tool(path)
    state = tool.validate_inputs(
        {"inputs": {"values": [{"src": "hda", "id": "bed1"}, {"src": "hda", "id": "bed2"}]}},
        resolver,
        registry=registry,
    )
    command = tool.build_command(state, input_files(state, resolver), {}, "/job", registry=registry)

    assert state.data_inputs() == [("inputs", "bed1"), ("inputs_2", "bed2")]
    assert command == (
        "cat '/data/bed1.dat' (bed) '/data/bed2.dat' (bed) "
        "all=/data/bed1.dat,/data/bed2.dat opt=2 items=many"
    )


def test_configfile_is_rendered_into_job_directory(tmp_path, resolver, registry):
    path = tmp_path / "tool.xml"
    path.write_text(
        """<tool id="cfg" name="Config">
      <configfiles><configfile name="script">min=$min
input=$input1</configfile></configfiles>
      <command>python '$script'</command>
      <inputs><param name="input1" type="data" format="bed"/>
        <param name="min" type="integer" value="3"/></inputs>
    </tool>"""
    )
    from nebula.tools import load_tool

    tool = load_tool(path)
    state = tool.validate_inputs({"input1": "bed1"}, resolver, registry=registry)
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    command = tool.build_command(
        state, input_files(state, resolver), {}, str(job_dir), registry=registry
    )

    script = job_dir / "configfile_script"
    assert command == f"python '{script}'"
    assert script.read_text() == "min=3\ninput=/data/bed1.dat"


def test_template_syntax_error_is_reported_at_load(tmp_path):
    path = tmp_path / "tool.xml"
    path.write_text('<tool id="t" name="T"><command>#if $x\nrun</command></tool>')
    from nebula.errors import ToolLoadError
    from nebula.tools import load_tool

    with pytest.raises(ToolLoadError, match="<command>: invalid Cheetah template"):
        load_tool(path)


def test_undefined_template_name_raises(tmp_path, resolver, registry):
    path = tmp_path / "tool.xml"
    path.write_text('<tool id="t" name="T"><command>run $nothing_here</command></tool>')
    from nebula.errors import ToolLoadError
    from nebula.tools import load_tool

    tool = load_tool(path)
    state = tool.validate_inputs({}, resolver, registry=registry)

    with pytest.raises(ToolLoadError, match="undefined name"):
        tool.build_command(state, {}, {}, "/job", registry=registry)
