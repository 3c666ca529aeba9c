"""Loading tool XML files: supported elements, the parameter tree, tests, rejections."""

from __future__ import annotations

import pytest

from nebula.errors import ToolLoadError
from nebula.tools import (
    DEFAULT_PANEL_CONFIG,
    BooleanParameter,
    Conditional,
    DataColumnParameter,
    DataParameter,
    FloatParameter,
    HiddenParameter,
    IntegerParameter,
    Repeat,
    Section,
    SelectParameter,
    TestInputFile,
    TextParameter,
    load_tool,
)
from tests.tools.conftest import load, tool_path


def test_load_reads_tool_attributes():
    tool = load("intersect.xml")

    assert tool.id == "test_intersect"
    assert tool.name == "Intersect"
    assert tool.version == "1.0.0"
    assert tool.description == "the intervals of two datasets"
    assert tool.path.endswith("intersect.xml")
    assert tool.detect_errors == "exit_code"
    assert tool.help.startswith("**What it does**")
    assert "Reports intervals" in tool.help
    assert tool.citations == [{"type": "doi", "text": "10.1093/example"}]
    assert tool.edam_operations == ["operation_3434"]
    assert tool.requirements == [{"type": "package", "name": "nebula", "version": "1.0"}]


def test_load_parses_parameters_and_label_child():
    tool = load("intersect.xml")

    returntype, input1, input2, minimum = tool.inputs
    assert isinstance(returntype, SelectParameter)
    assert [o.value for o in returntype.options] == ["", "-p"]
    assert returntype.default_value() == ""
    assert isinstance(input1, DataParameter)
    assert input1.formats == ("interval", "gff")
    assert input1.label == "of"
    assert input1.help == "First dataset"
    assert input2.label == "that intersect"
    assert isinstance(minimum, IntegerParameter)
    assert minimum.value == 1
    assert minimum.min == 1


def test_load_parses_every_parameter_type_and_group():
    tool = load("kitchen_sink.xml")
    by_name = {node.name: node for node in tool.inputs}

    assert isinstance(by_name["pattern"], TextParameter)
    assert len(by_name["pattern"].validators) == 2
    assert isinstance(by_name["cutoff"], FloatParameter)
    assert (by_name["cutoff"].min, by_name["cutoff"].max) == (0.0, 1.0)
    assert isinstance(by_name["flag"], BooleanParameter)
    assert by_name["flag"].checked is True
    assert by_name["flag"].truevalue == "--yes"
    assert isinstance(by_name["modes"], SelectParameter)
    assert by_name["modes"].default_value() == ["a", "c"]
    assert isinstance(by_name["secret"], HiddenParameter)
    assert isinstance(by_name["column"], DataColumnParameter)
    assert by_name["column"].data_ref == "input"
    assert by_name["optional_data"].optional is True
    mode = by_name["mode"]
    assert isinstance(mode, Conditional)
    assert mode.test_param.name == "kind"
    assert [case.value for case in mode.cases] == ["all", "window", "ref"]
    assert [p.name for p in mode.cases[1].inputs] == ["size", "unit"]
    queries = by_name["queries"]
    assert isinstance(queries, Repeat)
    assert (queries.min, queries.max, queries.title) == (0, 3, "Query")
    advanced = by_name["advanced"]
    assert isinstance(advanced, Section)
    assert advanced.title == "Advanced options"


def test_load_parses_outputs():
    tool = load("kitchen_sink.xml")

    out_file, copy = tool.outputs
    assert out_file.name == "out_file"
    assert out_file.format == "tabular"
    assert out_file.label == "${tool.name} on ${on_string}"
    assert [(r.input, r.value, r.format) for r in out_file.change_format] == [
        ("mode.kind", "window", "bed"),
        ("flag", "--no", "txt"),
    ]
    assert copy.format_source == "input"
    assert copy.metadata_source == "input"


def test_load_parses_tests_with_flat_names():
    tool = load("kitchen_sink.xml")

    (test,) = tool.tests
    assert test.inputs["input"] == TestInputFile(file="table.tab", ftype="tabular")
    assert test.inputs["mode|kind"] == "window"
    assert test.inputs["mode|size"] == "10"
    assert test.inputs["queries_0|input"] == [TestInputFile("q1.tab"), TestInputFile("q2.tab")]
    assert test.inputs["queries_1|input"] == TestInputFile("q3.tab")
    assert test.inputs["advanced|depth"] == "4"
    assert test.outputs["out_file"].file == "out.tab"
    assert [a.kind for a in test.stdout_asserts] == ["has_text"]


def test_load_parses_output_comparisons_and_assertions():
    tool = load("intersect.xml")

    first, second = tool.tests
    assert first.inputs["input2"] == TestInputFile(file="2_mod.bed", ftype="interval")
    assert first.inputs["returntype"] == "Overlapping pieces of Intervals"
    output = first.outputs["output"]
    assert (output.file, output.compare, output.lines_diff, output.sort) == (
        "out.bed",
        "diff",
        2,
        True,
    )
    asserts = second.outputs["output"].asserts
    assert [(a.kind, a.attributes) for a in asserts] == [
        ("has_text", {"text": "chr1"}),
        ("not_has_text", {"text": "chrX"}),
        ("has_n_lines", {"n": "3"}),
    ]


def test_load_expands_macros_tokens_and_imports():
    tool = load("macro_tool.xml")

    assert tool.version == "3.2"
    assert tool.inputs[0].name == "input1"
    assert tool.inputs[0].label == "Input intervals"
    section = tool.inputs[1]
    assert isinstance(section, Section)
    assert [p.name for p in section.inputs] == ["level"]
    assert "--version 3.2" in tool.command


def test_load_rejects_unsupported_parameter_type():
    with pytest.raises(ToolLoadError) as caught:
        load("bad_param_type.xml")

    message = str(caught.value)
    assert "bad_param_type.xml" in message
    assert "<param type='genomebuild'>" in message
    assert "parameter type 'genomebuild' is not supported" in message
    assert "supported: data, data_column, text" in message
    assert "(line 4)" in message
    assert caught.value.element == "param type='genomebuild'"


def test_load_rejects_unsupported_element():
    with pytest.raises(ToolLoadError) as caught:
        load("bad_element.xml")

    assert "<code>" in str(caught.value)
    assert "not supported by Nebula" in str(caught.value)
    assert caught.value.path.endswith("bad_element.xml")


def test_load_rejects_output_filter():
    with pytest.raises(ToolLoadError, match="<filter>"):
        load("bad_output_filter.xml")


def test_load_rejects_malformed_xml():
    with pytest.raises(ToolLoadError, match="invalid XML"):
        load("bad_xml.xml")


def test_load_rejects_unsafe_expression_validator():
    with pytest.raises(ToolLoadError, match="validator type='expression'"):
        load("bad_expression.xml")


def test_load_rejects_unknown_format_source():
    with pytest.raises(ToolLoadError, match="format_source='inptu1' names no data parameter"):
        load("bad_format_source.xml")


def test_load_rejects_missing_file():
    with pytest.raises(ToolLoadError, match="cannot read the file"):
        load_tool(tool_path("does_not_exist.xml"))


@pytest.mark.parametrize(
    ("inputs_xml", "expected"),
    [
        (
            '<param name="s" type="select"><options from_file="x.loc"/></param>',
            "dynamic select options",
        ),
        (
            '<param name="s" type="select"><option value="a">A</option></param>'
            '<param name="s" type="text"/>',
            "used twice",
        ),
        ('<param name="n" type="integer" value="one"/>', "is not an integer"),
        ('<param name="c" type="data_column"/>', "needs a `data_ref`"),
        ('<param name="c" type="data_column" data_ref="nothing"/>', "names no data parameter"),
        (
            '<conditional name="c"><param name="t" type="text"/></conditional>',
            "must be a select or a boolean",
        ),
        ('<repeat name="r" min="3" max="1"/>', "smaller than min"),
        (
            '<param name="t" type="text"><validator type="unspecified_build"/></param>',
            "validator type 'unspecified_build'",
        ),
        ('<upload_dataset name="files"/>', "element <upload_dataset> is not supported"),
        (
            '<param name="s" type="select" value="z"><option value="a">A</option></param>',
            "is not one of the options",
        ),
    ],
)
def test_load_rejects_invalid_inputs(tmp_path, inputs_xml, expected):
    path = tmp_path / "tool.xml"
    path.write_text(
        f'<tool id="t" name="T"><command>x</command><inputs>{inputs_xml}</inputs></tool>'
    )

    with pytest.raises(ToolLoadError) as caught:
        load_tool(path)

    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_load_argument_gives_name(tmp_path):
    path = tmp_path / "tool.xml"
    path.write_text(
        '<tool id="t" name="T"><command>x</command><inputs>'
        '<param argument="--min-length" type="integer" value="5"/></inputs></tool>'
    )

    tool = load_tool(path)

    assert tool.inputs[0].name == "min_length"
    assert tool.inputs[0].argument == "--min-length"


def test_tool_to_dict_matches_galaxy_shape():
    tool = load("intersect.xml")

    summary = tool.to_dict()
    details = tool.to_dict(io_details=True)

    for key in (
        "id",
        "name",
        "version",
        "description",
        "panel_section_id",
        "panel_section_name",
        "model_class",
        "link",
        "min_width",
        "target",
        "form_style",
        "labels",
        "edam_operations",
        "edam_topics",
        "hidden",
        "tool_shed_repository",
    ):
        assert key in summary
    assert summary["model_class"] == "Tool"
    assert "inputs" not in summary
    assert [p["name"] for p in details["inputs"]] == ["returntype", "input1", "input2", "min"]
    select = details["inputs"][0]
    assert select["type"] == "select"
    assert select["options"] == [
        ["Overlapping Intervals", "", False],
        ["Overlapping pieces of Intervals", "-p", False],
    ]
    assert details["inputs"][1]["extensions"] == ["interval", "gff"]
    assert details["inputs"][3]["value"] == "1"
    assert details["outputs"][0]["name"] == "output"
    assert details["outputs"][0]["format"] == "input"


def test_group_to_dict_nests_inputs():
    tool = load("kitchen_sink.xml")

    details = {p["name"]: p for p in tool.to_dict(io_details=True)["inputs"]}

    assert details["mode"]["model_class"] == "Conditional"
    assert details["mode"]["test_param"]["name"] == "kind"
    assert details["mode"]["cases"][1]["inputs"][0]["name"] == "size"
    assert details["queries"]["type"] == "repeat"
    assert details["queries"]["max"] == 3
    assert details["advanced"]["type"] == "section"
    assert details["flag"]["value"] is True


def test_bundled_upload_tool_loads():
    tool = load_tool(DEFAULT_PANEL_CONFIG.parent / "bundled" / "upload.xml")

    assert tool.id == "upload1"
    assert tool.name == "Upload File"
    file_type = tool.inputs[0]
    assert [o.value for o in file_type.options] == [
        "auto",
        "txt",
        "tabular",
        "interval",
        "bed",
        "gff",
        "gtf",
        "fasta",
    ]
    files = tool.inputs[2]
    assert isinstance(files, Repeat)
    assert [p.name for p in files.inputs] == [
        "type",
        "file_data",
        "url_paste",
        "ftp_files",
        "NAME",
        "space_to_tab",
        "to_posix_lines",
    ]


def test_load_rejects_unknown_comparison(tmp_path):
    path = tmp_path / "tool.xml"
    path.write_text(
        '<tool id="t" name="T"><command>x</command><outputs><data name="o" format="txt"/></outputs>'
        '<tests><test><output name="o" file="o.txt" compare="image_diff"/></test></tests></tool>'
    )

    with pytest.raises(ToolLoadError, match="compare='image_diff' is not supported"):
        load_tool(path)


def test_load_reads_sim_size_delta(tmp_path):
    path = tmp_path / "tool.xml"
    path.write_text(
        '<tool id="t" name="T"><command>x</command><outputs><data name="o" format="txt"/></outputs>'
        '<tests><test><output name="o" file="o.txt" compare="sim_size" delta="500"/></test></tests>'
        "</tool>"
    )

    output = load_tool(path).tests[0].outputs["o"]

    assert (output.compare, output.delta) == ("sim_size", 500)
