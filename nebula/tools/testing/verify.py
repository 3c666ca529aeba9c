"""Comparison of a tool's output with the expected file, by Galaxy's rules.

`diff` passes when at most `lines_diff` lines differ (lines counted in a unified diff,
after sorting both sides when `sort` is set); `re_match` matches each expected line as a
regular expression against the actual line; `contains` looks for the expected text inside
the output; `sim_size` compares sizes within `delta` bytes. Content assertions (has_text,
not_has_text, has_line, has_text_matching, has_n_lines, has_n_columns) check the output
alone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SIM_SIZE_DELTA = 10000
_MAX_SHOWN_DIFF_LINES = 20


@dataclass(frozen=True)
class Assertion:
    kind: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Expectation:
    """How one output must look: an expected file and rule, or assertions, or both."""

    file: Path | None = None
    compare: str = "diff"
    lines_diff: int = 0
    sort: bool = False
    delta: int = DEFAULT_SIM_SIZE_DELTA
    asserts: Sequence[Assertion] = ()


def verify_output(actual: bytes, expected: Expectation) -> list[str]:
    """Return the problems found; an empty list means the output passes."""
    problems: list[str] = []
    if expected.file is not None:
        problems.extend(_compare_file(actual, expected))
    text = actual.decode("utf-8", errors="replace")
    for assertion in expected.asserts:
        problem = check_assertion(text, assertion)
        if problem:
            problems.append(problem)
    return problems


def check_assertion(text: str, assertion: Assertion) -> str | None:
    attributes = assertion.attributes
    lines = text.splitlines()
    kind = assertion.kind
    if kind == "has_text":
        needle = attributes.get("text", "")
        return None if needle in text else f"output does not contain {needle!r}"
    if kind == "not_has_text":
        needle = attributes.get("text", "")
        return None if needle not in text else f"output contains {needle!r}, which it must not"
    if kind == "has_line":
        line = attributes.get("line", "")
        return None if line in lines else f"output has no line equal to {line!r}"
    if kind == "has_text_matching":
        pattern = attributes.get("expression", "")
        return None if re.search(pattern, text) else f"output has no text matching /{pattern}/"
    if kind == "has_line_matching":
        pattern = attributes.get("expression", "")
        return (
            None
            if any(re.fullmatch(pattern, line) for line in lines)
            else f"output has no line matching /{pattern}/"
        )
    if kind == "has_n_lines":
        expected = int(attributes.get("n", "0"))
        delta = int(attributes.get("delta", "0"))
        return (
            None
            if abs(len(lines) - expected) <= delta
            else f"output has {len(lines)} lines, expected {expected}"
        )
    if kind == "has_n_columns":
        expected = int(attributes.get("n", "0"))
        separator = attributes.get("sep", "\t")
        comment = attributes.get("comment", "")
        counts = {
            len(line.split(separator))
            for line in lines
            if line and not (comment and line.startswith(comment))
        }
        return (
            None
            if counts <= {expected}
            else f"output lines have {sorted(counts)} columns, expected {expected}"
        )
    return f"assertion {kind!r} is not supported by Nebula's test runner"


def _compare_file(actual: bytes, expected: Expectation) -> list[str]:
    assert expected.file is not None
    wanted = expected.file.read_bytes()
    if expected.compare == "sim_size":
        difference = abs(len(actual) - len(wanted))
        return (
            []
            if difference <= expected.delta
            else [
                f"output size {len(actual)} differs from expected {len(wanted)} by more than {expected.delta} bytes"
            ]
        )
    actual_lines = actual.decode("utf-8", errors="replace").splitlines()
    wanted_lines = wanted.decode("utf-8", errors="replace").splitlines()
    if expected.compare == "contains":
        return (
            []
            if wanted.decode("utf-8", errors="replace") in actual.decode("utf-8", errors="replace")
            else [f"output does not contain the content of {expected.file.name}"]
        )
    if expected.sort:
        actual_lines, wanted_lines = sorted(actual_lines), sorted(wanted_lines)
    if expected.compare == "re_match":
        return _compare_regex(actual_lines, wanted_lines, expected)
    if expected.compare == "re_match_multiline":
        pattern = wanted.decode("utf-8", errors="replace")
        return (
            []
            if re.fullmatch(pattern, actual.decode("utf-8", errors="replace"), re.DOTALL)
            else [f"output does not match the multi-line pattern in {expected.file.name}"]
        )
    if expected.compare != "diff":
        return [
            f"comparison {expected.compare!r} is not supported; supported: diff, re_match, re_match_multiline, contains, sim_size"
        ]

    diff = [
        line
        for line in difflib.unified_diff(
            wanted_lines, actual_lines, "expected", "actual", lineterm=""
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    if len(diff) <= expected.lines_diff:
        return []
    shown = "\n".join(diff[:_MAX_SHOWN_DIFF_LINES])
    return [
        f"{len(diff)} lines differ from {expected.file.name} (allowed: {expected.lines_diff}):\n{shown}"
    ]


def _compare_regex(
    actual_lines: list[str], wanted_lines: list[str], expected: Expectation
) -> list[str]:
    mismatches = abs(len(actual_lines) - len(wanted_lines))
    for actual_line, pattern in zip(actual_lines, wanted_lines, strict=False):
        if not re.fullmatch(pattern, actual_line):
            mismatches += 1
    if mismatches <= expected.lines_diff:
        return []
    return [
        f"{mismatches} lines do not match the patterns of {expected.file.name if expected.file else '?'} (allowed: {expected.lines_diff})"
    ]
