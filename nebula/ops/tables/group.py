"""Grouping1: one output row per distinct value of a column, with aggregates of others.

Rows are sorted by the group column with the external sort and read back one group at a
time. Count, sum, mean, minimum, maximum and standard deviation keep a few numbers per
group; median, mode, count distinct and the two concatenations keep the group's values
of their column, so their memory grows with the largest group, not with the file.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from nebula.errors import DatatypeError
from nebula.ops.external_sort import sorted_lines
from nebula.ops.tables.rows import CommentCount, InvalidLines, open_output, read_lines
from nebula.ops.tables.sort_keys import fold_case


class Aggregate(Enum):
    MEAN = "mean"
    MEDIAN = "median"
    MODE = "mode"
    MAX = "max"
    MIN = "min"
    SUM = "sum"
    COUNT = "length"
    COUNT_DISTINCT = "unique"
    CONCATENATE = "cat"
    CONCATENATE_DISTINCT = "cat_uniq"
    RANDOM = "random"
    STD = "std"


NUMERIC_AGGREGATES = frozenset(
    {Aggregate.MEAN, Aggregate.MEDIAN, Aggregate.MAX, Aggregate.MIN, Aggregate.SUM, Aggregate.STD}
)
# Names in the info line, as Galaxy's tool writes them.
_INFO_NAMES = {
    Aggregate.CONCATENATE: "concat",
    Aggregate.CONCATENATE_DISTINCT: "concat_distinct",
    Aggregate.COUNT: "count",
    Aggregate.COUNT_DISTINCT: "count_distinct",
    Aggregate.RANDOM: "randomly_pick",
}


@dataclass(frozen=True)
class Operation:
    """One output column: an aggregate of a 1-based column.

    `round_result` rounds numeric results to integers; `default` replaces values that are
    not numbers (numeric aggregates only), which are otherwise an error.
    """

    aggregate: Aggregate
    column: int
    round_result: bool = False
    default: float | None = None


def group_table(
    source: Path,
    output: Path,
    group_column: int,
    operations: Sequence[Operation],
    ignore_case: bool = False,
    ignore_prefixes: str = "",
    temp_dir: Path | None = None,
) -> list[str]:
    """Group the rows of `source` by `group_column` and return the job's info lines."""
    invalid = InvalidLines("input")
    comments = CommentCount()
    needed = max([group_column, *(operation.column for operation in operations)])

    def rows() -> Iterator[str]:
        for number, text in read_lines(source):
            if not text.strip() or text.startswith("#") or text[:1] in ignore_prefixes:
                comments.count += 1
                continue
            columns = text.count("\t") + 1
            if columns < needed:
                invalid.add(number, f"the row has {columns} columns, column {needed} is needed")
                continue
            invalid.valid += 1
            yield f"{number}\t{text}"

    def group_key(tagged: str) -> str:
        value = tagged.split("\t", 1 + group_column)[group_column]
        return fold_case(value) if ignore_case else value

    def sort_key(tagged: str) -> tuple[str, str]:
        # The whole line breaks ties, as GNU sort's last-resort comparison does.
        return group_key(tagged), tagged.split("\t", 1)[1]

    groups = 0
    with (
        open_output(output) as handle,
        sorted_lines(rows(), sort_key, temp_dir=temp_dir) as ordered,
    ):
        for _, members in itertools.groupby(ordered, key=group_key):
            handle.write(_group_line(members, group_column, operations, ignore_case) + "\n")
            groups += 1

    names = " ".join(
        f"{_INFO_NAMES.get(operation.aggregate, operation.aggregate.value)}[c{operation.column}]"
        for operation in operations
    )
    info = [f"--Group by c{group_column}: {names}".rstrip(), f"wrote {groups} groups"]
    for line in (invalid.summary(), comments.summary()):
        if line:
            info.append(line)
    return info


def _group_line(
    members: Iterator[str], group_column: int, operations: Sequence[Operation], ignore_case: bool
) -> str:
    aggregators = [_Aggregator(operation) for operation in operations]
    key = ""
    for position, tagged in enumerate(members):
        number_text, line = tagged.split("\t", 1)
        fields = line.split("\t")
        if position == 0:
            key = fields[group_column - 1]
            key = key.lower() if ignore_case else key
        for aggregator in aggregators:
            aggregator.add(fields[aggregator.operation.column - 1].strip(), int(number_text))
    return "\t".join([key, *(aggregator.result() for aggregator in aggregators)])


class _Aggregator:
    """The running state of one operation over one group."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self.count = 0
        self.total = 0.0
        self.mean = 0.0
        self.squares = 0.0  # sum of squared deviations from the mean (Welford)
        self.low = math.inf
        self.high = -math.inf
        self.values: list[str] = []
        self.numbers: list[float] = []
        self.picked = ""

    def add(self, text: str, line_number: int) -> None:
        aggregate = self.operation.aggregate
        self.count += 1
        if aggregate in NUMERIC_AGGREGATES:
            value = self._number(text, line_number)
            self.total += value
            delta = value - self.mean
            self.mean += delta / self.count
            self.squares += delta * (value - self.mean)
            self.low = min(self.low, value)
            self.high = max(self.high, value)
            if aggregate is Aggregate.MEDIAN:
                self.numbers.append(value)
        elif aggregate is Aggregate.RANDOM:
            # Reservoir sampling of one value: each value is picked with equal chance.
            if random.randrange(self.count) == 0:
                self.picked = text
        elif aggregate is not Aggregate.COUNT:
            self.values.append(text)

    def result(self) -> str:
        aggregate = self.operation.aggregate
        if aggregate is Aggregate.COUNT:
            return str(self.count)
        if aggregate is Aggregate.RANDOM:
            return self.picked
        if aggregate is Aggregate.COUNT_DISTINCT:
            return str(len(set(self.values)))
        if aggregate is Aggregate.CONCATENATE:
            return ",".join(self.values)
        if aggregate is Aggregate.CONCATENATE_DISTINCT:
            return ",".join(sorted(set(self.values)))
        if aggregate is Aggregate.MODE:
            return _modes(self.values)
        numbers = {
            Aggregate.MEAN: self.total / self.count if self.count else math.nan,
            Aggregate.SUM: self.total,
            Aggregate.MIN: self.low,
            Aggregate.MAX: self.high,
            Aggregate.STD: math.sqrt(self.squares / self.count) if self.count else math.nan,
        }
        value = numbers[aggregate] if aggregate in numbers else _median(self.numbers)
        if self.operation.round_result and math.isfinite(value):
            return str(int(round(value)))
        return f"{value:g}"

    def _number(self, text: str, line_number: int) -> float:
        try:
            return float(text)
        except ValueError:
            if self.operation.default is not None:
                return self.operation.default
            raise DatatypeError(
                f"line {line_number}: non-numeric value '{text[:40]}' in column "
                f"{self.operation.column}, which {self.operation.aggregate.name.lower()} needs; "
                "set 'Replace non numeric data' to use a number in its place"
            ) from None


def _median(numbers: list[float]) -> float:
    if not numbers:
        return math.nan
    numbers.sort()
    middle = len(numbers) // 2
    if len(numbers) % 2:
        return numbers[middle]
    return (numbers[middle - 1] + numbers[middle]) / 2


def _modes(values: list[str]) -> str:
    """Return every most frequent value, comma-separated, in order of first appearance."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    if not counts:
        return ""
    top = max(counts.values())
    return ",".join(value for value, count in counts.items() if count == top)
