"""Grep1's pattern handling: sanitizer tokens mapped back, Perl-style expressions, and
patterns that could backtrack catastrophically rejected before any line is read."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nebula.errors import ParameterError
from nebula.ops.text.grep import compile_patterns

from .helpers import run_ops, write_lines

LINES = ["#chrom\tname", "chr1\tname='geneA'", "chr2\t[geneB]", "chrX\t{geneC}", 'chrY\t"x"']


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("^chr[0-9]", LINES[1:3]),
        ("name=__sq__gene", [LINES[1]]),
        ("\\__ob__geneB\\__cb__", [LINES[2]]),
        ("__oc__geneC__cc__$", [LINES[3]]),
        ("__dq__x__dq__", [LINES[4]]),
        ("^#|Y", [LINES[0], LINES[4]]),
        ("\\tname$", [LINES[0]]),
        ("chr1__cn__chrX", [LINES[1], LINES[3]]),
    ],
)
def test_grep_selects_matching_lines(pattern: str, expected: list[str], tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", LINES, ending="\r\n")
    output = tmp_path / "out"

    result = run_ops("grep", source, output, f"--pattern={pattern}", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == expected


def test_grep_invert_keeps_other_lines(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", LINES, final=False)
    output = tmp_path / "out"

    result = run_ops("grep", source, output, "--pattern=^chr", "--invert", output=output)

    assert result.lines == [LINES[0]]
    assert "Kept 1 of 5 lines not matching the pattern '^chr'." in result.stdout


def test_grep_pattern_may_start_with_dash(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["a-b", "ab"])
    output = tmp_path / "out"

    result = run_ops("grep", source, output, "--pattern=-b", output=output)

    assert result.lines == ["a-b"]


def test_grep_classes_are_ascii(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["é", "e"])
    output = tmp_path / "out"

    result = run_ops("grep", source, output, "--pattern=^\\w$", output=output)

    assert result.lines == ["e"]


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+$", "(a*)*b", "(\\w+\\s?)*x", "((ab)*c)+", "(a|b+)*", "(?:x(y+))+", "(a+){2,}"],
)
def test_nested_unbounded_repeat_is_rejected(pattern: str) -> None:
    with pytest.raises(ParameterError) as caught:
        compile_patterns(pattern)

    assert "exponential time" in caught.value.message
    assert "possessive" in caught.value.message


@pytest.mark.parametrize(
    "pattern",
    [
        "^chr([0-9A-Za-z])+",
        "(ACGT){1,5}",
        "(\\w++\\s)*x",
        "(?>a+)+b",
        "a+b*c+",
        "(ab|cd)*",
        "(a+)?",
    ],
)
def test_safe_patterns_are_accepted(pattern: str) -> None:
    (expression,) = compile_patterns(pattern)

    assert expression.pattern == pattern


def test_rejected_pattern_reads_no_line(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", ["a" * 40 + "!"])

    started = time.monotonic()
    result = run_ops("grep", source, tmp_path / "out", "--pattern=(a+)+$")

    assert result.returncode == 1
    assert time.monotonic() - started < 30
    assert "nebula-ops grep: the pattern '(a+)+$' repeats a group" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("(abc", "is not a valid regular expression: missing )"), ("", "the pattern is empty")],
)
def test_invalid_pattern_is_one_line_error(pattern: str, message: str, tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.txt", LINES)

    result = run_ops("grep", source, tmp_path / "out", f"--pattern={pattern}")

    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
