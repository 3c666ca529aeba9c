"""The one-pass table scan, checked against a plain fold of every value with the type rules
of nebula.datatypes.columns."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nebula.datatypes.columns import STR, STRAND_VALUES, guess_value_type, wider_type
from nebula.datatypes.tabular import Tabular, scan_table

# Decimal digits of other scripts, signs, separators, missing values and strands: the
# values where a cheap test and the type rules could disagree.
VALUES = [
    "7", "042", "\u0663\u0660", "-4", "+5", "2.5", "1e3", "nan", "inf", ".", "", "NA",
    "1,2", "3,", "abc", "+", "-", " 7", "1_0", "\u00b2", "chr1",
]  # fmt: skip


def write_table(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join("\t".join(row) + "\n" for row in rows))
    return path


def folded_types(rows: list[list[str]]) -> list[str]:
    """Fold every value of every row into its column's type, the slow and obvious way."""
    width = max(len(row) for row in rows)
    types: list[str | None] = [None] * width
    for row in rows:
        for index, value in enumerate(row):
            types[index] = wider_type(types[index], guess_value_type(value))
    return [column_type or STR for column_type in types]


def strand_columns(rows: list[list[str]]) -> frozenset[int]:
    width = max(len(row) for row in rows)
    return frozenset(
        index
        for index in range(width)
        if all(row[index] in STRAND_VALUES for row in rows if index < len(row))
    )


def random_rows(rng: random.Random) -> list[list[str]]:
    width = rng.randint(1, 6)
    # A few values per column, so that some columns keep one type for long runs.
    pools = [rng.sample(VALUES, rng.randint(1, 4)) for _ in range(width + 2)]
    rows = []
    for _ in range(rng.randint(1, 12)):
        row_width = max(1, width + rng.randint(-2, 2))
        row = [rng.choice(pools[index]) for index in range(row_width)]
        # A line of tabs and spaces only is blank, not a row.
        if "".join(row).strip():
            rows.append(row)
    rows.append(["1"])
    # An integer in the first row keeps it from being taken for a header row.
    rows[0][0] = "1"
    return rows


def test_scan_matches_plain_fold_on_random_tables(tmp_path: Path) -> None:
    rng = random.Random(20240607)
    for case in range(400):
        rows = random_rows(rng)
        path = write_table(tmp_path / f"table{case}.tabular", rows)

        summary = scan_table(path, Tabular())

        assert summary.data_lines == len(rows), rows
        assert summary.columns == max(len(row) for row in rows), rows
        assert summary.column_types == folded_types(rows), rows
        assert summary.strand_columns == strand_columns(rows), rows


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "2", "3"], "int"),
        (["2.5", "3", "4"], "float"),
        (["3", "2.5", "4"], "float"),
        (["1,2", "3", "4"], "list"),
        (["3", "1,2", "4"], "list"),
        (["NA", "3", "."], "int"),
        (["\u0663", "4"], "int"),
        (["-4", "4"], "int"),
        (["+4", "4"], "int"),
        (["4", "\u00b2"], "str"),
        (["4", " 7"], "str"),
        (["4", "x", "5"], "str"),
        (["NA", "", "."], "str"),
    ],
)
def test_column_type_from_values(tmp_path: Path, values: list[str], expected: str) -> None:
    rows = [["1", value] for value in values]
    path = write_table(tmp_path / "column.tabular", rows)

    summary = scan_table(path, Tabular())

    assert summary.column_types == ["int", expected]


def test_strand_column_ends_at_first_other_value(tmp_path: Path) -> None:
    rows = [["1", "+", "-"], ["2", "-", "x"], ["3"], ["4", ".", "+"]]
    path = write_table(tmp_path / "strands.tabular", rows)

    summary = scan_table(path, Tabular())

    assert summary.strand_columns == frozenset({1})
