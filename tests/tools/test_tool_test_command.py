"""`nebula tool-test` runs tools' XML tests through a temporary server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NEBULA = str(Path(sys.executable).parent / "nebula")

BROKEN_TOOL = """<tool id="broken_merge" name="Broken merge" version="1.0.0">
    <command>nebula-ops merge '$input1' '$output' --cols1 1,2,3,0</command>
    <inputs><param name="input1" type="data" format="interval" label="Intervals"/></inputs>
    <outputs><data name="output" format_source="input1"/></outputs>
    <tests>
        <test>
            <param name="input1" value="rows.bed" ftype="bed"/>
            <output name="output" file="wrong.bed"/>
        </test>
        <test>
            <param name="input1" value="rows.bed" ftype="bed"/>
            <output name="output">
                <assert_contents><has_text text="chr1&#9;10&#9;40"/><has_n_lines n="1"/></assert_contents>
            </output>
        </test>
    </tests>
</tool>
"""


def _run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
    environment.update(env or {})
    return subprocess.run(
        [NEBULA, "tool-test", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=600,
    )


def test_intersect_tests_pass_one_line_each(tmp_path: Path) -> None:
    result = _run("gops_intersect_1", cwd=tmp_path)

    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line.split(" (")[0] for line in lines[:-1]] == [
        f"PASS gops_intersect_1 test {n}" for n in range(1, 9)
    ]
    assert lines[-1] == "8 passed, 0 failed"


def test_every_interval_tool_passes_its_tests(tmp_path: Path) -> None:
    tools = [
        "gops_intersect_1", "gops_subtract_1", "gops_merge_1", "gops_cluster_1", "gops_complement_1",
        "gops_concat_1", "gops_coverage_1", "gops_basecoverage_1", "gops_join_1", "subtract_query1",
        "flanking_features_1", "get_flanks1",
    ]

    result = _run(*tools, cwd=tmp_path)

    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in lines if line.startswith("FAIL")]
    assert {line.split()[1] for line in lines if line.startswith("PASS")} == set(tools)
    assert lines[-1] == "53 passed, 0 failed"


def test_failing_comparison_is_reported_with_the_difference(tmp_path: Path) -> None:
    tool_dir = tmp_path / "tools"
    (tool_dir / "test-data").mkdir(parents=True)
    (tool_dir / "broken.xml").write_text(BROKEN_TOOL)
    (tool_dir / "test-data" / "rows.bed").write_text("chr1\t10\t20\nchr1\t15\t40\n")
    (tool_dir / "test-data" / "wrong.bed").write_text("chr1\t10\t41\n")
    panel = tmp_path / "panel.yml"
    panel.write_text("sections:\n  - id: test\n    name: Test\n    tools: [tools/broken.xml]\n")

    result = _run("broken_merge", env={"NEBULA_TOOL_PANEL": str(panel)}, cwd=tmp_path)

    assert result.returncode == 1
    assert "FAIL broken_merge test 1" in result.stdout
    assert "-chr1\t10\t41" in result.stdout
    assert "+chr1\t10\t40" in result.stdout
    assert "PASS broken_merge test 2" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_unknown_tool_is_a_clear_error(tmp_path: Path) -> None:
    result = _run("no_such_tool", cwd=tmp_path)

    assert result.returncode == 2
    assert "no_such_tool" in result.stderr
    assert "Traceback" not in result.stderr
