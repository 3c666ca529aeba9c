"""Loading a tool panel configuration into a ToolBox."""

from __future__ import annotations

import pytest

from nebula.errors import ConfigError, NotFound, ToolLoadError
from nebula.tools import DEFAULT_PANEL_CONFIG, ToolBox
from tests.tools.conftest import tool_path


def test_toolbox_loads_sections_in_order():
    toolbox = ToolBox.load(tool_path("panel.yml"))

    assert [s.id for s in toolbox.sections()] == ["intervals", "misc"]
    assert [t.id for t in toolbox.tools()] == [
        "test_intersect",
        "macro_tool",
        "kitchen_sink",
        "sanitize_test",
        "upload1",
    ]
    assert toolbox.get("kitchen_sink").panel_section_name == "Miscellaneous"


def test_upload_tool_is_built_in_even_when_the_panel_omits_it():
    toolbox = ToolBox.load(tool_path("panel.yml"))

    panel_ids = [tool["id"] for section in toolbox.to_panel_dicts() for tool in section["elems"]]

    assert toolbox.get("upload1").name == "Upload File"
    assert "upload1" not in panel_ids


def test_toolbox_get_unknown_tool_raises_not_found():
    toolbox = ToolBox.load(tool_path("panel.yml"))

    with pytest.raises(NotFound) as caught:
        toolbox.get("Cut1")

    assert "tool 'Cut1' was not found" in caught.value.message
    assert "kitchen_sink" in caught.value.message


def test_toolbox_panel_dicts_follow_galaxy_shape():
    toolbox = ToolBox.load(tool_path("panel.yml"))

    panel = toolbox.to_panel_dicts()
    flat = toolbox.to_panel_dicts(in_panel=False)

    assert panel[0]["model_class"] == "ToolSection"
    assert panel[0]["id"] == "intervals"
    assert panel[0]["name"] == "Operate on genomic intervals"
    assert [e["id"] for e in panel[0]["elems"]] == ["test_intersect", "macro_tool"]
    assert panel[0]["elems"][0]["panel_section_id"] == "intervals"
    assert [t["id"] for t in flat] == [
        "test_intersect",
        "macro_tool",
        "kitchen_sink",
        "sanitize_test",
        "upload1",
    ]
    assert all(t["model_class"] == "Tool" for t in flat)


def test_toolbox_fails_on_bad_tool_file():
    with pytest.raises(ToolLoadError, match="bad_param_type.xml"):
        ToolBox.load(tool_path("bad_panel.yml"))


def test_toolbox_rejects_malformed_config(tmp_path):
    config = tmp_path / "panel.yml"
    config.write_text("tools: [a.xml]\n")

    with pytest.raises(ConfigError, match="sections"):
        ToolBox.load(config)


def test_toolbox_rejects_duplicate_tool_ids(tmp_path):
    config = tmp_path / "panel.yml"
    intersect = tool_path("intersect.xml")
    config.write_text(
        f"sections:\n  - id: a\n    name: A\n    tools: ['{intersect}', '{intersect}']\n"
    )

    with pytest.raises(ConfigError, match="defined twice"):
        ToolBox.load(config)


def test_default_panel_lists_upload_and_interval_tools():
    import yaml

    config = yaml.safe_load(DEFAULT_PANEL_CONFIG.read_text())

    sections = {s["name"]: s["tools"] for s in config["sections"]}
    assert sections["Get data"] == ["bundled/upload.xml"]
    assert len(sections["Operate on genomic intervals"]) == 11
    assert "bundled/gops/get_flanks.xml" in sections["Operate on genomic intervals"]
    assert "bundled/gops/subtract_query.xml" in sections["Join, subtract and group"]
    assert sum(len(tools) for tools in sections.values()) == 44
