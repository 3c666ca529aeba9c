"""tables_arithmetic_operations: cell-by-cell +, -, * or / of two tables of one shape.

Both tables are read in step, row by row, so memory does not grow with their size.
Numbers are written as Perl prints them (the original tool is a Perl script): integers
exactly, other values with 15 significant digits.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from enum import Enum
from pathlib import Path

from nebula.errors import DatatypeError
from nebula.ops.tables.rows import CommentCount, data_lines, open_output

Number = int | float


class Operation(Enum):
    ADDITION = "Addition"
    SUBTRACTION = "Subtraction"
    MULTIPLICATION = "Multiplication"
    DIVISION = "Division"


def _divide(left: Number, right: Number) -> Number:
    if isinstance(left, int) and isinstance(right, int) and left % right == 0:
        return left // right
    return left / right


_FUNCTIONS: dict[Operation, Callable[[Number, Number], Number]] = {
    Operation.ADDITION: operator.add,
    Operation.SUBTRACTION: operator.sub,
    Operation.MULTIPLICATION: operator.mul,
    Operation.DIVISION: _divide,
}


def combine_tables(first: Path, second: Path, output: Path, operation: Operation) -> list[str]:
    """Write `first` OP `second` cell by cell, raising DatatypeError when the shapes differ."""
    function = _FUNCTIONS[operation]
    comments = CommentCount()
    rows = 0
    with open_output(output) as handle:
        pairs = itertools.zip_longest(data_lines(first, comments), data_lines(second, comments))
        for left, right in pairs:
            if left is None or right is None:
                longer, row = ("input1", left) if right is None else ("input2", right)
                raise DatatypeError(
                    f"the tables have different numbers of rows: {longer} has more, "
                    f"from its line {row[0]}; both tables must have the same shape"
                )
            (number1, text1), (number2, text2) = left, right
            cells1, cells2 = text1.split("\t"), text2.split("\t")
            if len(cells1) != len(cells2):
                raise DatatypeError(
                    f"line {number1} of input1 has {len(cells1)} columns but line {number2} "
                    f"of input2 has {len(cells2)}; both tables must have the same shape"
                )
            results = []
            for column, (cell1, cell2) in enumerate(zip(cells1, cells2, strict=True), start=1):
                a = _number(cell1, "input1", number1, column)
                b = _number(cell2, "input2", number2, column)
                if operation is Operation.DIVISION and b == 0:
                    raise DatatypeError(
                        f"division by zero: line {number2}, column {column} of input2 is 0"
                    )
                results.append(format_number(function(a, b)))
            handle.write("\t".join(results) + "\n")
            rows += 1

    info = [f"{operation.value.lower()} of {rows} row{'s' if rows != 1 else ''}"]
    summary = comments.summary()
    if summary:
        info.append(summary)
    return info


def format_number(value: Number) -> str:
    """Render a number as Perl's default output does."""
    if isinstance(value, int):
        return str(value)
    return f"{value:.15g}"


def _number(text: str, label: str, line: int, column: int) -> Number:
    value = text.strip()
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        raise DatatypeError(
            f"line {line}, column {column} of {label} is not a number: '{value[:40]}'"
        ) from None
