"""A tool's rules for deciding from exit code, stdout and stderr whether a job failed.

`<stdio>` contains `<exit_code range="1:" level="fatal"/>` and `<regex match="..."
source="stderr" level="warning"/>` rules. Without rules, and with `detect_errors` unset
or `exit_code`, a non-zero exit code is fatal. `detect_errors="aggressive"` also fails
on output lines such as `Error:` or `Exception:`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from lxml import etree

from nebula.tools.xml_support import children, load_error

_RANGE = re.compile(r"^\s*(-?\d+)?\s*(:)?\s*(-?\d+)?\s*$")


class StdioLevel(StrEnum):
    LOG = "log"
    QC = "qc"
    WARNING = "warning"
    FATAL = "fatal"
    FATAL_OOM = "fatal_oom"

    @property
    def is_fatal(self) -> bool:
        return self in (StdioLevel.FATAL, StdioLevel.FATAL_OOM)


@dataclass(frozen=True)
class ExitCodeRule:
    """Matches exit codes from `low` to `high`, both inclusive; None is unbounded."""

    low: int | None
    high: int | None
    level: StdioLevel = StdioLevel.FATAL
    description: str = ""

    def matches(self, exit_code: int) -> bool:
        return (self.low is None or exit_code >= self.low) and (
            self.high is None or exit_code <= self.high
        )


@dataclass(frozen=True)
class RegexRule:
    """Matches a case-insensitive pattern anywhere in the named streams."""

    pattern: str
    sources: tuple[str, ...] = ("stdout", "stderr")
    level: StdioLevel = StdioLevel.FATAL
    description: str = ""


@dataclass(frozen=True)
class StdioOutcome:
    failed: bool
    out_of_memory: bool = False
    messages: list[str] = field(default_factory=list)


StdioRule = ExitCodeRule | RegexRule


def default_rules(detect_errors: str | None) -> list[StdioRule]:
    """Return the rules that apply when a tool declares none in `<stdio>`."""
    rules: list[StdioRule] = [
        ExitCodeRule(None, -1, description="Tool exited with a negative exit code"),
        ExitCodeRule(1, None, description="Tool exited with a non-zero exit code"),
    ]
    if detect_errors == "aggressive":
        rules.append(RegexRule(r"\b(error|exception):", description="Tool reported an error"))
        rules.append(
            RegexRule(
                r"out of memory|MemoryError",
                level=StdioLevel.FATAL_OOM,
                description="Tool ran out of memory",
            )
        )
    return rules


def evaluate_stdio(
    rules: list[StdioRule], exit_code: int, stdout: str, stderr: str
) -> StdioOutcome:
    """Apply `rules` to a finished job's results; the job failed when a fatal rule matched."""
    messages = []
    failed = out_of_memory = False
    streams = {"stdout": stdout, "stderr": stderr}
    for rule in rules:
        if isinstance(rule, ExitCodeRule):
            hit = rule.matches(exit_code)
            default_message = f"exit code {exit_code}"
        else:
            hit = any(
                re.search(rule.pattern, streams[s], re.IGNORECASE | re.MULTILINE)
                for s in rule.sources
            )
            default_message = f"output matched {rule.pattern!r}"
        if not hit:
            continue
        messages.append(f"{rule.level.value}: {rule.description or default_message}")
        failed = failed or rule.level.is_fatal
        out_of_memory = out_of_memory or rule.level is StdioLevel.FATAL_OOM
    return StdioOutcome(failed=failed, out_of_memory=out_of_memory, messages=messages)


def parse_stdio(element: etree._Element, path: str) -> list[StdioRule]:
    """Return the rules of a `<stdio>` element."""
    rules: list[StdioRule] = []
    for child in children(element):
        level = _level(child, path)
        description = child.get("description", "")
        if child.tag == "exit_code":
            low, high = _parse_range(child, path)
            rules.append(ExitCodeRule(low, high, level, description))
        elif child.tag == "regex":
            pattern = child.get("match", "")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise load_error(
                    path, child, f"invalid regular expression {pattern!r}: {exc}"
                ) from exc
            source = child.get("source", "both")
            if source not in ("stdout", "stderr", "both"):
                raise load_error(path, child, f"source {source!r} must be stdout, stderr or both")
            sources = ("stdout", "stderr") if source == "both" else (source,)
            rules.append(RegexRule(pattern, sources, level, description))
        else:
            raise load_error(
                path,
                child,
                f"element <{child.tag}> is not supported in <stdio>; supported: exit_code, regex",
            )
    return rules


def _level(element: etree._Element, path: str) -> StdioLevel:
    text = element.get("level", "fatal").lower()
    try:
        return StdioLevel(text)
    except ValueError as exc:
        allowed = ", ".join(level.value for level in StdioLevel)
        raise load_error(path, element, f"level {text!r} is not one of {allowed}") from exc


def _parse_range(element: etree._Element, path: str) -> tuple[int | None, int | None]:
    text = element.get("range", "")
    match = _RANGE.match(text)
    if not text.strip() or not match or (match.group(1) is None and match.group(3) is None):
        raise load_error(path, element, f"range {text!r} must look like '1', '1:', ':-1' or '2:5'")
    low = int(match.group(1)) if match.group(1) else None
    high = int(match.group(3)) if match.group(3) else None
    if match.group(2) is None:
        return low, low
    return low, high
