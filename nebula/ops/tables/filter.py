"""Filter1: keep the rows of a table for which a condition over c1..cN is true."""

from __future__ import annotations

from pathlib import Path

from nebula.ops.expressions import ROW_ERRORS, Expression
from nebula.ops.tables.evaluate import RowEvaluator
from nebula.ops.tables.rows import InvalidLines, is_comment, open_output, read_lines


def filter_table(
    source: Path,
    output: Path,
    condition: Expression,
    column_types: list[str] | None,
    header_lines: int = 0,
) -> list[str]:
    """Write the first `header_lines` lines, then the data rows where `condition` holds.

    Comment and blank lines are dropped. A row whose used columns cannot be converted,
    or on which the condition fails, is skipped and counted, as in Galaxy's tool.
    """
    evaluate = RowEvaluator(condition, column_types)
    invalid = InvalidLines("input")
    total = kept = skipped = 0
    with open_output(output) as handle:
        for number, text in read_lines(source):
            total += 1
            if number <= header_lines:
                handle.write(text + "\n")
                continue
            if not text.strip() or is_comment(text):
                skipped += 1
                continue
            try:
                chosen = evaluate(text.split("\t"))
            except ROW_ERRORS as error:
                invalid.add(number, f"{error} in '{_shorten(text)}'")
                continue
            invalid.valid += 1
            if chosen:
                handle.write(text + "\n")
                kept += 1

    valid = invalid.valid
    info = [f"Filtering with {condition.text},"]
    if valid:
        info.append(
            f"kept {100.0 * kept / valid:.2f}% of {valid} valid lines ({total} total lines)."
        )
    else:
        info.append(f"no line could be evaluated with the condition ({total} total lines).")
    if invalid.count:
        info.append(invalid.summary() or "")
    if skipped:
        info.append(f"skipped {skipped} comment or blank line{'s' if skipped != 1 else ''}")
    return info


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
