"""Which rendered commands run in a job worker: a single `nebula-ops` call the shell would
take word for word. Everything else runs with bash, which is always correct."""

from __future__ import annotations

import pytest

from nebula.jobs.preparation import plain_ops_arguments


@pytest.mark.parametrize(
    ("command_line", "arguments"),
    [
        (
            "nebula-ops intersect '/data/a b.dat' '/data/c.dat' '/jobs/out.dat' --cols1 '1,2,3,6' --min 1",
            ["intersect", "/data/a b.dat", "/data/c.dat", "/jobs/out.dat", "--cols1", "1,2,3,6", "--min", "1"],
        ),
        ("  nebula-ops   sort  ", ["sort"]),
        ('nebula-ops filter "c5>500 and c6==\'+\'"', ["filter", "c5>500 and c6=='+'"]),
        ("nebula-ops cut 'c1'\"c2\"c3", ["cut", "c1c2c3"]),
        ("nebula-ops cut '$1 is literal here'", ["cut", "$1 is literal here"]),
        ("nebula-ops", []),
        # bash splits words only at spaces and tabs; other white space is part of a word.
        ("nebula-ops\tsort  a\xa0b \x1f\t", ["sort", "a\xa0b", "\x1f"]),
        ("nebula-ops cut 'two\nlines'", ["cut", "two\nlines"]),
    ],
)
def test_plain_call_gives_its_arguments(command_line: str, arguments: list[str]) -> None:
    assert plain_ops_arguments(command_line) == arguments


@pytest.mark.parametrize(
    "command_line",
    [
        "",
        "cat input.dat",
        "nebula-opsx sort",
        "nebula-ops sort a | head",
        "nebula-ops sort a > out",
        "nebula-ops sort a < in",
        "nebula-ops sort a && echo done",
        "nebula-ops sort a; rm b",
        "nebula-ops sort $INPUT",
        'nebula-ops sort "$INPUT"',
        "nebula-ops sort `cat names`",
        "nebula-ops sort $(cat names)",
        "nebula-ops sort a\\ b",
        "nebula-ops sort *.bed",
        "nebula-ops sort ~/input",
        "nebula-ops sort a # comment",
        "nebula-ops sort 'unclosed",
        'nebula-ops sort "unclosed',
        "nebula-ops sort {a,b}",
        "nebula-ops\xa0sort",
        "nebula-ops sort a\nnebula-ops sort b",
        "nebula-ops sort a\x00b",
    ],
)
def test_shell_syntax_needs_bash(command_line: str) -> None:
    assert plain_ops_arguments(command_line) is None
