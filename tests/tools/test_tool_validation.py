"""Validating run request inputs into a ToolState."""

from __future__ import annotations

import json

import pytest

from nebula.errors import ParameterError
from nebula.tools import ToolState
from tests.tools.conftest import load

SINK_BASE = {"input": {"src": "hda", "id": "tab1"}}


def validate(name, raw, resolver, registry):
    return load(name).validate_inputs(raw, resolver, registry=registry)


def test_defaults_fill_missing_parameters(resolver, registry):
    state = validate("kitchen_sink.xml", SINK_BASE, resolver, registry)

    values = state.values
    assert values["pattern"] == "abc"
    assert values["cutoff"] == 0.5
    assert values["maybe_number"] is None
    assert values["flag"] is True
    assert values["modes"] == ["a", "c"]
    assert values["choice"] == "y"
    assert values["secret"] == "s3"
    assert values["column"] == 1
    assert values["columns"] == [1, 2]
    assert values["optional_data"] is None
    assert values["mode"] == {"kind": "all", "__current_case__": 0}
    assert values["queries"] == []
    assert values["advanced"] == {"depth": 3, "keep": False}


def test_flat_keys_fill_groups(resolver, registry):
    raw = {
        **SINK_BASE,
        "mode|kind": "window",
        "mode|size": "50",
        "mode|unit": "kb",
        "queries_0|input": {"src": "hda", "id": "tab1"},
        "queries_0|qcol": "c4",
        "queries_1|input": "bed1",
        "queries_1|qcol": "6",
        "advanced|depth": "0",
    }

    state = validate("kitchen_sink.xml", raw, resolver, registry)

    assert state.values["mode"] == {
        "kind": "window",
        "size": 50,
        "unit": "kb",
        "__current_case__": 1,
    }
    assert state.values["queries"] == [
        {"input": {"src": "hda", "id": "tab1"}, "qcol": 4},
        {"input": {"src": "hda", "id": "bed1"}, "qcol": 6},
    ]
    assert state.values["advanced"]["depth"] == 0


def test_nested_values_fill_groups(resolver, registry):
    raw = {
        **SINK_BASE,
        "mode": {"kind": "ref", "reference": {"values": [{"src": "hda", "id": "tab1"}]}},
        "queries": [{"input": {"src": "hda", "id": "bed1"}, "qcol": 2}],
        "advanced": {"keep": "true"},
    }

    state = validate("kitchen_sink.xml", raw, resolver, registry)

    assert state.values["mode"] == {
        "kind": "ref",
        "reference": {"src": "hda", "id": "tab1"},
        "__current_case__": 2,
    }
    assert state.values["queries"] == [{"input": {"src": "hda", "id": "bed1"}, "qcol": 2}]
    assert state.values["advanced"] == {"depth": 3, "keep": True}


def test_flat_and_nested_keys_merge(resolver, registry):
    raw = {
        **SINK_BASE,
        "mode": {"kind": "window"},
        "mode|size": 7,
        "advanced|depth": 9,
        "advanced": {"keep": True},
    }

    state = validate("kitchen_sink.xml", raw, resolver, registry)

    assert state.values["mode"]["size"] == 7
    assert state.values["advanced"] == {"depth": 9, "keep": True}


def test_state_lists_data_inputs_with_flat_names(resolver, registry):
    raw = {
        **SINK_BASE,
        "optional_data": "bed1",
        "mode|kind": "ref",
        "mode|reference": "tab1",
        "queries_0|input": "bed2",
        "queries_0|qcol": "1",
    }

    state = validate("kitchen_sink.xml", raw, resolver, registry)

    assert state.data_inputs() == [
        ("input", "tab1"),
        ("optional_data", "bed1"),
        ("mode|reference", "tab1"),
        ("queries_0|input", "bed2"),
    ]


def test_state_round_trips_through_json(resolver, registry):
    state = validate("kitchen_sink.xml", {**SINK_BASE, "mode|kind": "window"}, resolver, registry)

    text = json.dumps(state.to_json())
    restored = ToolState.from_json(json.loads(text))

    assert restored == state
    assert ToolState.from_json(text) == state
    assert restored.data_inputs() == state.data_inputs()


def test_state_flat_uses_galaxy_names(resolver, registry):
    state = validate(
        "kitchen_sink.xml",
        {**SINK_BASE, "mode|kind": "window", "queries_0|input": "tab1"},
        resolver,
        registry,
    )

    flat = state.flat()

    assert flat["mode|kind"] == "window"
    assert flat["mode|size"] == 100
    assert flat["queries_0|qcol"] == 1
    assert flat["advanced|depth"] == 3
    assert "mode|__current_case__" not in flat


@pytest.mark.parametrize(
    ("raw", "parameter", "fragment"),
    [
        (
            {"min": "abc"},
            "min",
            "parameter 'min' of test_intersect must be an integer >= 1, got 'abc'",
        ),
        ({"min": "0"}, "min", "must be an integer >= 1, got '0'"),
        ({"min": 2.5}, "min", "must be an integer >= 1, got 2.5"),
        ({"min": True}, "min", "must be an integer >= 1, got True"),
        ({"min": ""}, "min", "got ''"),
        ({"returntype": "-x"}, "returntype", "must be one of ['', '-p'], got '-x'"),
        ({"returntype": ["", "-p"]}, "returntype", "takes one value"),
    ],
)
def test_invalid_scalar_values_raise(resolver, registry, raw, parameter, fragment):
    request = {"input1": "bed1", "input2": "bed2", **raw}

    with pytest.raises(ParameterError) as caught:
        validate("intersect.xml", request, resolver, registry)

    assert caught.value.parameter == parameter
    assert fragment in caught.value.message


def test_integer_accepts_text_and_numbers(resolver, registry):
    for given in ("5", " 5 ", 5, 5.0):
        state = validate(
            "intersect.xml", {"input1": "bed1", "input2": "bed2", "min": given}, resolver, registry
        )

        assert state.values["min"] == 5


def test_select_accepts_option_label(resolver, registry):
    state = validate(
        "intersect.xml",
        {"input1": "bed1", "input2": "bed2", "returntype": "Overlapping pieces of Intervals"},
        resolver,
        registry,
    )

    assert state.values["returntype"] == "-p"


@pytest.mark.parametrize(
    ("raw", "parameter", "fragment"),
    [
        ({"cutoff": "1.5"}, "cutoff", "must be a number between 0 and 1, got '1.5'"),
        ({"cutoff": "nan"}, "cutoff", "must be a number between 0 and 1"),
        ({"cutoff": "x"}, "cutoff", "got 'x'"),
        (
            {"flag": "maybe"},
            "flag",
            "must be one of ['--no', '--yes', 'false', 'true'], got 'maybe'",
        ),
        ({"modes": "a,z"}, "modes", "must be one of ['a', 'b', 'c'], got 'z'"),
        ({"modes": []}, "modes", "requires at least one value"),
        ({"pattern": "a b"}, "pattern", "is invalid: only letters and digits"),
        ({"pattern": ""}, "pattern", "must have a length between 1 and 20"),
        ({"even": "3"}, "even", "is invalid: must be even"),
        ({"even": "102"}, "even", "outside the range [0, 100]"),
        (
            {"column": "5"},
            "column",
            "must be a column number between 1 and 4 (as '3' or 'c3'), got '5'",
        ),
        ({"column": "c0"}, "column", "got 'c0'"),
        ({"column": "abc"}, "column", "got 'abc'"),
        ({"columns": "1,9"}, "columns", "got '9'"),
        (
            {"mode|kind": "window", "mode|size": "5000"},
            "mode|size",
            "between 1 and 1000, got '5000'",
        ),
        ({"mode|kind": "nope"}, "mode|kind", "must be one of ['all', 'window', 'ref']"),
        ({"mode|kind": "ref"}, "mode|reference", "requires a dataset"),
        ({"queries_0|input": "tab1", "queries_0|qcol": "7"}, "queries_0|qcol", "between 1 and 4"),
        ({"queries": [{}, {}, {}, {}]}, "queries", "allows at most 3 instances"),
        ({"queries": "x"}, "queries", "must be a list of instances"),
        ({"advanced": "x"}, "advanced", "must be an object of parameter values"),
        ({"advanced|depth": "-1"}, "advanced|depth", "must be an integer >= 0, got '-1'"),
    ],
)
def test_invalid_values_name_parameter(resolver, registry, raw, parameter, fragment):
    with pytest.raises(ParameterError) as caught:
        validate("kitchen_sink.xml", {**SINK_BASE, **raw}, resolver, registry)

    assert caught.value.parameter == parameter
    assert f"parameter '{parameter}' of kitchen_sink" in caught.value.message
    assert fragment in caught.value.message


def test_boolean_accepts_galaxy_spellings(resolver, registry):
    cases = [
        (True, True),
        (False, False),
        ("true", True),
        ("False", False),
        ("--yes", True),
        ("--no", False),
    ]
    for given, expected in cases:
        state = validate("kitchen_sink.xml", {**SINK_BASE, "flag": given}, resolver, registry)

        assert state.values["flag"] is expected


def test_multiple_select_accepts_list_or_comma_text(resolver, registry):
    from_list = validate("kitchen_sink.xml", {**SINK_BASE, "modes": ["b", "c"]}, resolver, registry)
    from_text = validate("kitchen_sink.xml", {**SINK_BASE, "modes": "b,c"}, resolver, registry)

    assert from_list.values["modes"] == ["b", "c"]
    assert from_text.values["modes"] == ["b", "c"]


def test_optional_integer_accepts_empty(resolver, registry):
    state = validate("kitchen_sink.xml", {**SINK_BASE, "maybe_number": ""}, resolver, registry)

    assert state.values["maybe_number"] is None


def test_data_column_accepts_c_prefix_and_numbers(resolver, registry):
    for given in ("c3", "C3", "3", 3):
        state = validate("kitchen_sink.xml", {**SINK_BASE, "column": given}, resolver, registry)

        assert state.values["column"] == 3


def test_data_format_mismatch_raises(resolver, registry):
    with pytest.raises(ParameterError) as caught:
        validate("intersect.xml", {"input1": "fa1", "input2": "bed1"}, resolver, registry)

    assert caught.value.parameter == "input1"
    assert "accepts datasets of format interval, gff" in caught.value.message
    assert "'seqs.fa' of format 'fasta'" in caught.value.message


def test_data_subtype_is_accepted(resolver, registry):
    state = validate(
        "intersect.xml",
        {"input1": {"src": "hda", "id": "bed1"}, "input2": "gff1"},
        resolver,
        registry,
    )

    assert state.data_inputs() == [("input1", "bed1"), ("input2", "gff1")]


def test_unknown_dataset_raises_parameter_error(resolver, registry):
    with pytest.raises(ParameterError) as caught:
        validate("intersect.xml", {"input1": "nope", "input2": "bed1"}, resolver, registry)

    assert caught.value.parameter == "input1"
    assert "names dataset 'nope', which was not found" in caught.value.message


def test_dataset_in_error_state_is_rejected(resolver, registry):
    with pytest.raises(ParameterError, match="in state 'error'"):
        validate("intersect.xml", {"input1": "err1", "input2": "bed1"}, resolver, registry)


def test_missing_required_dataset_raises(resolver, registry):
    with pytest.raises(ParameterError) as caught:
        validate("intersect.xml", {"input1": "bed1"}, resolver, registry)

    assert caught.value.parameter == "input2"
    assert "requires a dataset" in caught.value.message


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({"src": "hdca", "id": "x"}, "got src 'hdca'"),
        (
            {"values": [{"src": "hda", "id": "bed1"}, {"src": "hda", "id": "bed2"}]},
            "takes one dataset, got 2",
        ),
        (["bed1", "bed2"], "takes one dataset, got 2"),
        (3.5, "must name a dataset"),
    ],
)
def test_invalid_dataset_references_raise(resolver, registry, given, fragment):
    with pytest.raises(ParameterError) as caught:
        validate("intersect.xml", {"input1": given, "input2": "bed1"}, resolver, registry)

    assert fragment in caught.value.message


def test_unknown_keys_are_ignored(resolver, registry):
    state = validate(
        "intersect.xml",
        {"input1": "bed1", "input2": "bed2", "not_a_param": "x"},
        resolver,
        registry,
    )

    assert "not_a_param" not in state.values


def test_validation_uses_default_registry(resolver, registry, monkeypatch):
    import nebula.datatypes

    calls = []

    class RecordingRegistry:
        def is_subtype(self, ext, parent):
            calls.append((ext, parent))
            return registry.is_subtype(ext, parent)

    monkeypatch.setattr(
        nebula.datatypes, "default_registry", lambda: RecordingRegistry(), raising=False
    )

    load("intersect.xml").validate_inputs({"input1": "bed1", "input2": "bed2"}, resolver)

    assert ("bed", "interval") in calls


def test_upload_inputs_validate_with_bioblend_keys(resolver, registry):
    raw = {
        "file_type": "bed",
        "dbkey": "hg19",
        "files_0|type": "upload_dataset",
        "files_0|url_paste": "chr1\t1\t2",
        "files_0|NAME": "pasted.bed",
        "files_0|to_posix_lines": False,
        "files_0|space_to_tab": "Yes",
        "files_0|file_data": {"session_id": "abc", "name": "x.bed"},
    }
    from nebula.tools import DEFAULT_PANEL_CONFIG, load_tool

    tool = load_tool(DEFAULT_PANEL_CONFIG.parent / "bundled" / "upload.xml")
    state = tool.validate_inputs(raw, resolver, registry=registry)

    (upload,) = state.values["files"]
    assert state.values["file_type"] == "bed"
    assert upload["NAME"] == "pasted.bed"
    assert upload["to_posix_lines"] is False
    assert upload["space_to_tab"] is True
    assert upload["file_data"] == {"session_id": "abc", "name": "x.bed"}
