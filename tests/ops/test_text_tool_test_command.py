"""Every `<test>` of the text tool XML files passes through the real job path.

`nebula tool-test` starts a temporary server, uploads each test's files, runs the tool as
a job (command rendered from the XML, `nebula-ops` in the job's working directory) and
compares the downloaded outputs. The panel lists only the text tools.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nebula.tools import load_tool

NEBULA = str(Path(sys.executable).parent / "nebula")
TEXT_DIR = Path(__file__).resolve().parents[2] / "nebula" / "tools" / "bundled" / "text"


def test_text_tool_xml_tests_pass_through_jobs(tmp_path: Path) -> None:
    xml_files = sorted(TEXT_DIR.glob("*.xml"))
    tools = [load_tool(path) for path in xml_files]
    panel = tmp_path / "panel.yml"
    listed = "".join(f"      - {path}\n" for path in xml_files)
    panel.write_text(f"sections:\n  - id: text\n    name: Text\n    tools:\n{listed}")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
    environment["NEBULA_TOOL_PANEL"] = str(panel)

    result = subprocess.run(
        [NEBULA, "tool-test", *[tool.id for tool in tools]],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=900,
    )

    expected = [
        f"PASS {tool.id} test {number}"
        for tool in tools
        for number in range(1, len(tool.tests) + 1)
    ]
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split(" (")[0] for line in lines[:-1]] == expected
    assert lines[-1] == f"{len(expected)} passed, 0 failed"
