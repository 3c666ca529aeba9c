"""Add_a_column1: append the value of an expression over c1..cN to every row."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from nebula.ops.expressions import ROW_ERRORS, EvaluationError, Expression
from nebula.ops.tables.evaluate import RowEvaluator
from nebula.ops.tables.rows import CommentCount, InvalidLines, data_lines, open_output


def compute_column(
    source: Path,
    output: Path,
    expression: Expression,
    column_types: list[str] | None,
    round_result: bool,
    columns: int | None = None,
) -> list[str]:
    """Write each data row with the expression's value appended as a new last column.

    Comment and blank lines are dropped, and rows on which the expression fails are
    skipped and counted, as in Galaxy's tool (version 1.1.0).
    """
    evaluate = RowEvaluator(expression, column_types)
    invalid = InvalidLines("input")
    comments = CommentCount()
    width = columns
    with open_output(output) as handle:
        for number, text in data_lines(source, comments):
            fields = text.split("\t")
            if width is None:
                width = len(fields)
            try:
                value = format_value(evaluate(fields), round_result)
            except ROW_ERRORS as error:
                invalid.add(number, f"{error} in '{text[:60]}'")
                continue
            invalid.valid += 1
            handle.write(f"{text}\t{value}\n")

    info = [f"Creating column {(width or 0) + 1} with expression {expression.text}"]
    for line in (invalid.summary(), comments.summary()):
        if line:
            info.append(line)
    return info


def format_value(value: Any, round_result: bool) -> str:
    """Render a result as Python prints it, or as the nearest integer with rounding."""
    if round_result:
        if isinstance(value, str) or not isinstance(value, int | float):
            raise EvaluationError(f"the result {value!r} is not a number and cannot be rounded")
        if isinstance(value, float) and not math.isfinite(value):
            raise EvaluationError(f"the result {value} cannot be rounded to an integer")
        return str(int(round(value)))
    return str(value)
