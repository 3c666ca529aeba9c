"""The set of tools a Nebula server offers, grouped in panel sections.

The panel configuration is YAML; tool paths are relative to the configuration file:

    sections:
      - id: getext
        name: Get data
        tools:
          - bundled/upload.xml
      - id: intervals
        name: Operate on genomic intervals
        tools:
          - bundled/gops/intersect.xml
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nebula.errors import ConfigError, NotFound
from nebula.tools.loader import load_tool
from nebula.tools.tool import Tool

DEFAULT_PANEL_CONFIG = Path(__file__).with_name("tool_panel.yml")
UPLOAD_TOOL = Path(__file__).with_name("bundled") / "upload.xml"
_MAX_LISTED_IDS = 10


@dataclass
class ToolSection:
    id: str
    name: str
    tools: list[Tool] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the section in the shape of Galaxy's GET /api/tools."""
        return {
            "model_class": "ToolSection",
            "id": self.id,
            "name": self.name,
            "version": "",
            "description": None,
            "links": None,
            "elems": [tool.to_dict() for tool in self.tools],
        }


class ToolBox:
    """Tools by id, in panel order."""

    def __init__(
        self, sections: list[ToolSection], built_in: list[Tool] | None = None, tool_data_path: str | None = None
    ) -> None:
        self._sections = sections
        # Galaxy's tool-data folder (`.loc` files of locally cached genomes), or None.
        self.tool_data_path = tool_data_path
        self._tools: dict[str, Tool] = {}
        for section in sections:
            for tool in section.tools:
                if tool.id in self._tools:
                    raise ConfigError(
                        f"tool id {tool.id!r} is defined twice: "
                        f"{self._tools[tool.id].path} and {tool.path}",
                    )
                self._tools[tool.id] = tool
        # Built-in tools (uploads) work even when a custom panel does not list them.
        for tool in built_in or []:
            self._tools.setdefault(tool.id, tool)

    @classmethod
    def load(
        cls, panel_config_path: str | os.PathLike[str] = DEFAULT_PANEL_CONFIG, tool_data_path: str | None = None
    ) -> ToolBox:
        """Load every tool the panel configuration lists; a bad tool file raises
        ToolLoadError and a bad configuration raises ConfigError."""
        config_path = Path(panel_config_path)
        try:
            config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(
                f"cannot read the tool panel configuration {config_path}: {exc}"
            ) from exc
        if not isinstance(config, dict) or not isinstance(config.get("sections"), list):
            raise ConfigError(f"{config_path}: expected a mapping with a `sections` list")

        sections = []
        for index, entry in enumerate(config["sections"]):
            if (
                not isinstance(entry, dict)
                or not entry.get("id")
                or not isinstance(entry.get("tools", []), list)
            ):
                raise ConfigError(
                    f"{config_path}: section {index} needs an `id`, a `name` and a `tools` list"
                )
            section = ToolSection(id=str(entry["id"]), name=str(entry.get("name", entry["id"])))
            for relative in entry.get("tools") or []:
                tool = load_tool(config_path.parent / str(relative))
                tool.panel_section_id = section.id
                tool.panel_section_name = section.name
                section.tools.append(tool)
            sections.append(section)
        return cls(sections, built_in=[load_tool(UPLOAD_TOOL)], tool_data_path=tool_data_path)

    def get(self, tool_id: str) -> Tool:
        """Return the tool with `tool_id`, raising NotFound."""
        try:
            return self._tools[tool_id]
        except KeyError:
            known = sorted(self._tools)
            listed = ", ".join(known[:_MAX_LISTED_IDS]) + (
                ", ..." if len(known) > _MAX_LISTED_IDS else ""
            )
            raise NotFound(
                f"tool {tool_id!r} was not found; installed tools include: {listed or 'none'}"
            ) from None

    def tools(self) -> list[Tool]:
        """Return every tool, including built-in ones that the panel does not show."""
        return list(self._tools.values())

    def sections(self) -> list[ToolSection]:
        return list(self._sections)

    def to_panel_dicts(self, in_panel: bool = True) -> list[dict[str, Any]]:
        """Return GET /api/tools: sections with their tools, or a flat list of tools."""
        if in_panel:
            return [section.to_dict() for section in self._sections]
        return [tool.to_dict() for tool in self._tools.values()]
