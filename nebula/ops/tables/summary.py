"""Summary_Statistics1: sum, mean, standard deviation and quartiles of an expression.

One pass over the table evaluates the expression on each row and keeps the count, sum,
mean and the running sum of squared deviations (Welford's method), so those need no
memory. Exact quartiles need every value in order: the values are written to the
external sort and the sorted stream is read once to pick the ranks, so memory stays
bounded and only temporary disk space grows with the number of rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

from nebula.ops.expressions import ROW_ERRORS, Expression
from nebula.ops.external_sort import sorted_lines
from nebula.ops.tables.evaluate import RowEvaluator
from nebula.ops.tables.rows import CommentCount, InvalidLines, data_lines, open_output

HEADINGS = ("sum", "mean", "stdev", "0%", "25%", "50%", "75%", "100%")
QUANTILES = (0.0, 0.25, 0.5, 0.75, 1.0)


def summarize(
    source: Path, output: Path, expression: Expression, temp_dir: Path | None = None
) -> list[str]:
    """Write a `#` heading line and one line of statistics, and return the info lines.

    Every column the expression uses is read as a number, as R reads them; rows where
    that fails, or where the expression has no finite numeric value, are skipped.
    """
    evaluate = RowEvaluator(expression, ["float"] * expression.max_column)
    invalid = InvalidLines("input")
    comments = CommentCount()
    count = 0
    total = 0.0
    mean = 0.0
    squares = 0.0

    def values() -> Iterator[str]:
        nonlocal count, total, mean, squares
        for number, text in data_lines(source, comments):
            try:
                value = float(evaluate(text.split("\t")))
            except ROW_ERRORS as error:
                invalid.add(number, str(error))
                continue
            if not math.isfinite(value):
                invalid.add(number, f"the value is {value}")
                continue
            invalid.valid += 1
            count += 1
            total += value
            delta = value - mean
            mean += delta / count
            squares += delta * (value - mean)
            yield repr(value)

    with sorted_lines(values(), float, temp_dir=temp_dir) as ordered:
        quartiles = _quantiles(ordered, count)

    stdev = math.sqrt(squares / (count - 1)) if count > 1 else math.nan
    statistics = [total, mean if count else math.nan, stdev, *quartiles]
    with open_output(output) as handle:
        handle.write("#" + "\t".join(HEADINGS) + "\n")
        handle.write("\t".join(f"{value:g}" for value in statistics) + "\n")

    info = [f"summarized {count} value{'s' if count != 1 else ''} of {expression.text}"]
    for line in (invalid.summary(), comments.summary()):
        if line:
            info.append(line)
    return info


def _quantiles(ordered: Iterator[str], count: int) -> list[float]:
    """Pick R's default (type 7) quantiles from `count` sorted values in one pass."""
    if count == 0:
        return [math.nan] * len(QUANTILES)
    # Each quantile interpolates between the values at two ranks.
    positions = [(count - 1) * q for q in QUANTILES]
    wanted = {
        rank for position in positions for rank in (math.floor(position), math.ceil(position))
    }
    found: dict[int, float] = {}
    for rank, text in enumerate(ordered):
        if rank in wanted:
            found[rank] = float(text)
        if rank >= max(wanted):
            break
    results = []
    for position in positions:
        low, high = math.floor(position), math.ceil(position)
        fraction = position - low
        results.append(found[low] + (found[high] - found[low]) * fraction)
    return results
