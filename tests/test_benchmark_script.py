"""The benchmark scripts still run end to end, at a tiny size.

Benchmarks print figures and tests do not time them, so only the outcome is checked:
every job it submits ends ok with the right output.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPT = BENCHMARKS / "thousand_users.py"


def test_embedded_run_ends_every_job_ok() -> None:
    finished = subprocess.run(
        [sys.executable, str(SCRIPT), "--setup", "embedded", "--users", "4", "--queries", "3"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    assert figures["jobs_submitted"] == 12
    assert figures["jobs_ok"] == 12
    assert figures["outputs_wrong"] == 0
    assert figures["submissions_failed"] == 0
    assert figures["users_without_result"] == 0
    assert set(figures["cpu_ms_per_job"]) >= {"web", "handler", "job", "benchmark client"}


def test_tool_requests_prints_web_cpu() -> None:
    finished = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "tool_requests.py"),
            *("--requests", "20", "--concurrency", "4", "--warm-up", "5"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    cpu = re.search(r"^web CPU per request +([0-9.]+) ms$", finished.stdout, re.MULTILINE)
    assert cpu is not None, finished.stdout
    assert float(cpu.group(1)) > 0
