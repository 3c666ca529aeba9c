"""Selecting the lines that match a regular expression (Galaxy's Grep1).

Galaxy's tool runs `grep -P` (Perl-compatible expressions) with the pattern in a file, so
each line of the pattern is one expression and a line of the input is selected when any
of them matches. Here Python's `re` does the matching, with ASCII classes as PCRE has by
default (`\\w` and `\\d` do not match non-ASCII letters or digits).

Python's `re` backtracks and has no time limit. A pattern with a repeated group that
itself contains an unbounded repeat, such as `(a+)+` or `(\\w*x?)*`, can take time
exponential in the line length on a line that almost matches. Such patterns are rejected
before any line is read. The message shows how to write the inner repeat possessively
(`a++`) or as an atomic group (`(?>...)`): neither can backtrack, so both are accepted.
NOTE: alternations whose branches overlap inside a repeat, such as `(a|ab)*c`, can also
backtrack exponentially and are not detected; for them only the job's time limit applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.text.lines import iter_lines, open_output
from nebula.ops.text.sanitized import restore

try:  # The parser behind `re.compile`; it moved from sre_parse into re in Python 3.11.
    from re import _constants as sre_constants
    from re import _parser as sre_parser
except ImportError:  # pragma: no cover - Python before 3.11
    import sre_constants  # type: ignore[no-redef]
    import sre_parse as sre_parser  # type: ignore[no-redef]

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_UNBOUNDED = sre_constants.MAXREPEAT
# Opcodes whose content cannot backtrack into once matched (Python 3.11 and later).
_NO_BACKTRACK = {
    getattr(sre_constants, name)
    for name in ("POSSESSIVE_REPEAT", "ATOMIC_GROUP")
    if hasattr(sre_constants, name)
}


def grep(input_path: Path, output: Path, pattern: str, invert: bool) -> list[str]:
    """Write the lines of the input that match (or, inverted, do not match) `pattern`.

    `pattern` is the sanitized parameter text; its tokens are mapped back first. Returns
    the info lines for the job.
    """
    expressions = compile_patterns(pattern)
    kept = total = 0
    with open_output(output) as out:
        for _, line in iter_lines(input_path):
            total += 1
            matched = any(expression.search(line) for expression in expressions)
            if matched != invert:
                kept += 1
                out.write(line + "\n")
    verb = "not matching" if invert else "matching"
    return [f"Kept {kept} of {total} lines {verb} the pattern '{restore(pattern)}'."]


def compile_patterns(pattern: str) -> list[re.Pattern[str]]:
    """Compile each line of the restored pattern; raise ParameterError when one is invalid
    or could backtrack catastrophically."""
    text = restore(pattern)
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line != ""]
    if not lines:
        raise ParameterError("pattern", "the pattern is empty; enter text or a regular expression")
    expressions = []
    for line in lines:
        try:
            expression = re.compile(line, re.ASCII)
            tree = sre_parser.parse(line, re.ASCII)
        except re.error as error:
            raise ParameterError(
                "pattern", f"the pattern {line!r} is not a valid regular expression: {error}"
            ) from None
        culprit = _nested_repeat(tree, inside_repeat=False)
        if culprit:
            raise ParameterError(
                "pattern",
                f"the pattern {line!r} repeats a group that contains the unbounded repeat "
                f"{culprit!r}, which can take exponential time on some lines; make the inner "
                "repeat possessive ('a++', 'a*+') or atomic ('(?>a+)') so it cannot backtrack",
            )
        expressions.append(expression)
    return expressions


def _nested_repeat(items: Iterable[tuple[object, object]], inside_repeat: bool) -> str | None:
    """Return a description of an unbounded repeat nested inside a repeat, or None.

    `items` is a parsed expression (re's parser output): a sequence of (opcode, argument).
    """
    for opcode, argument in items:
        if opcode in _NO_BACKTRACK:
            continue
        if opcode in _REPEATS:
            low, high, body = argument  # type: ignore[misc]
            if inside_repeat and high == _UNBOUNDED:
                return _describe_repeat(low)
            culprit = _nested_repeat(body, inside_repeat or high > 1)
            if culprit:
                return culprit
            continue
        for child in _subpatterns(opcode, argument):
            culprit = _nested_repeat(child, inside_repeat)
            if culprit:
                return culprit
    return None


def _subpatterns(opcode: object, argument: object) -> list[Iterable[tuple[object, object]]]:
    """Return the nested expressions of a group, alternation, lookaround or conditional."""
    if opcode == sre_constants.SUBPATTERN:
        return [argument[-1]]  # type: ignore[index]
    if opcode == sre_constants.BRANCH:
        return list(argument[1])  # type: ignore[index]
    if opcode in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [argument[1]]  # type: ignore[index]
    if opcode == sre_constants.GROUPREF_EXISTS:
        return [branch for branch in argument[1:] if branch is not None]  # type: ignore[index]
    return []


def _describe_repeat(low: int) -> str:
    if low == 0:
        return "*"
    if low == 1:
        return "+"
    return f"{{{low},}}"
