"""Evaluating a checked expression on the rows of a table, typed by column metadata."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nebula.ops.expressions import Expression, build_row, column_converter


def guess_value(text: str) -> Any:
    """Convert a field without a known column type: int, else float, else text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


class RowEvaluator:
    """Converts the columns an expression uses and evaluates it for one row.

    Columns are converted as Galaxy converts them: by the dataset's `column_types`
    metadata (int, float, otherwise text). Without that metadata each value is guessed.
    A row that cannot be converted or evaluated raises one of `expressions.ROW_ERRORS`.
    """

    def __init__(self, expression: Expression, column_types: Sequence[str] | None) -> None:
        self.expression = expression
        converters: list[Callable[[str], Any]] = [guess_value] * expression.max_column
        if column_types is not None:
            for index in range(min(len(column_types), expression.max_column)):
                converters[index] = column_converter(column_types[index])
        self._converters = converters

    def __call__(self, fields: Sequence[str]) -> Any:
        row = build_row(fields, self.expression.columns, self._converters)
        return self.expression.evaluate(row)


def parse_column_types(text: str | None) -> list[str] | None:
    """Parse the comma-separated `column_types` metadata, where None or '' means unknown."""
    if text is None or not text.strip() or text.strip() == "None":
        return None
    return [item.strip() for item in text.split(",")]
