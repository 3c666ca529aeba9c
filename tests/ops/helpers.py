"""Running `nebula-ops` as the job system does: a separate process, paths as arguments."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
CONFORMANCE_DIR = TESTS_DIR / "data" / "conformance"
CONFORMANCE_DATA = CONFORMANCE_DIR / "data"
GENOMIC_DATA = TESTS_DIR / "data" / "genomic"


def _ops_command() -> list[str]:
    # The console script sits beside the interpreter in a virtualenv; without it (package
    # not installed as a script) the module runs the same `main`.
    script = Path(sys.executable).parent / "nebula-ops"
    if script.exists():
        return [str(script)]
    found = shutil.which("nebula-ops")
    return [found] if found else [sys.executable, "-m", "nebula.ops.cli"]


COMMAND = _ops_command()


@dataclass
class OpsResult:
    """Exit code, stdout, stderr and the output file's lines of one run."""

    returncode: int
    stdout: str
    stderr: str
    lines: list[str]


def run_ops(*args: str | Path, output: Path | None = None, cwd: Path | None = None) -> OpsResult:
    """Run one `nebula-ops` subcommand and read back its output file."""
    completed = subprocess.run(
        [*COMMAND, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    lines: list[str] = []
    if output is not None and output.exists():
        lines = output.read_text().splitlines()
    return OpsResult(completed.returncode, completed.stdout, completed.stderr, lines)


def write_lines(path: Path, lines: list[str], ending: str = "\n", final: bool = True) -> Path:
    """Write a test input with the given line ending, with or without a final one."""
    text = ending.join(lines) + (ending if final and lines else "")
    path.write_bytes(text.encode())
    return path
