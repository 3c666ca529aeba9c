"""`nebula tool-test` runs every XML test of the table tools through the real job path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .test_table_tool_xml import TABLES_DIR, XML_FILES

NEBULA = str(Path(sys.executable).parent / "nebula")


def test_table_tool_xml_tests_pass_through_jobs(tmp_path: Path) -> None:
    panel = tmp_path / "panel.yml"
    paths = "".join(f"      - {TABLES_DIR / name}\n" for name in XML_FILES.values())
    panel.write_text(f"sections:\n  - id: tables\n    name: Tables\n    tools:\n{paths}")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
    environment["NEBULA_TOOL_PANEL"] = str(panel)

    result = subprocess.run(
        [NEBULA, "tool-test", *XML_FILES],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=900,
    )

    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in lines if line.startswith("FAIL")]
    passed = [line for line in lines if line.startswith("PASS")]
    assert {line.split()[1] for line in passed} == set(XML_FILES)
    assert lines[-1] == f"{len(passed)} passed, 0 failed"
    assert len(passed) == 26
