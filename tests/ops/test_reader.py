"""Reading interval rows: header and blank lines, coordinates and the reasons for bad rows.

Most rows take a shortcut for coordinates of plain ASCII digits. The unusual rows here
check that everything else still gets the exact tests and reasons.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from nebula.ops.reader import (
    GFF_LAYOUT,
    ColumnLayout,
    DatasetInput,
    Interval,
    TextLine,
    parse_interval,
)

BED6 = ColumnLayout(chrom=0, start=1, end=2, strand=5)


def read_one(tmp_path: Path, line: str, layout: ColumnLayout = BED6) -> DatasetInput:
    path = tmp_path / "input.tsv"
    path.write_bytes(line.encode("utf-8", "surrogateescape"))
    return DatasetInput(path, layout, "input1")


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("#chrom\tstart\tend\n", "#chrom\tstart\tend"),
        ("track name=peaks\n", "track name=peaks"),
        ("browser position chr1:1-100\n", "browser position chr1:1-100"),
        ("  track name=peaks\n", "  track name=peaks"),
        ("track\tname\n", "track\tname"),
        ("\n", "#"),
        (" \t \r\n", "#"),
        ("\u3000\n", "#"),
    ],
)
def test_header_and_blank_lines_pass_through(tmp_path: Path, line: str, text: str) -> None:
    dataset = read_one(tmp_path, line)

    records = list(dataset.records())

    assert len(records) == 1
    assert isinstance(records[0], TextLine)
    assert records[0].text == text
    assert records[0].line_number == 1
    assert dataset.invalid.count == 0


@pytest.mark.parametrize(
    ("line", "chrom", "start", "end", "strand"),
    [
        ("chr1\t10\t20\tname\t0\t+\n", "chr1", 10, 20, "+"),
        ("chr1\t10\t20\tname\t0\t-\r\n", "chr1", 10, 20, "-"),
        ("chr1\t10\t20\tname\t0\t.\n", "chr1", 10, 20, "."),
        ("chr1\t10\t20\n", "chr1", 10, 20, "."),
        ("chr1\t0\t0\tname\t0\t +\n", "chr1", 0, 0, "+"),
        ("chr1\t 10\t20 \tname\n", "chr1", 10, 20, "."),
        ("chr1\t007\t4294967295\n", "chr1", 7, 4294967295, "."),
        (" chr1 \t10\t20\n", "chr1", 10, 20, "."),
        ("\xa0chr1\t10\t20\n", "chr1", 10, 20, "."),
        ("trackless\t10\t20\n", "trackless", 10, 20, "."),
        ("$chr\t10\t20\n", "$chr", 10, 20, "."),
        ("!chr\t10\t20\n", "!chr", 10, 20, "."),
        ("chr\u00e9\t10\t20\n", "chr\u00e9", 10, 20, "."),
    ],
)
def test_data_rows_are_read(
    tmp_path: Path, line: str, chrom: str, start: int, end: int, strand: str
) -> None:
    dataset = read_one(tmp_path, line)

    records = list(dataset.records())

    assert len(records) == 1
    interval = records[0]
    assert isinstance(interval, Interval)
    assert (interval.chrom, interval.start, interval.end) == (chrom, start, end)
    assert interval.strand == strand
    assert interval.fields == line.rstrip("\r\n").split("\t")
    assert interval.line_number == 1
    assert dataset.invalid.valid == 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("chr1\t10\n", "the row has 2 columns, at least 3 needed"),
        (" \t10\t20\n", "the chromosome (column 1) is empty"),
        ("chr1\t+10\t20\n", "start '+10' is not an integer"),
        ("chr1\t1_000\t2000\n", "start '1_000' is not an integer"),
        ("chr1\t\u0661\u0660\t20\n", "start '\u0661\u0660' is not an integer"),
        ("chr1\t\u00b2\t20\n", "start '\u00b2' is not an integer"),
        ("chr1\t\t20\n", "start '' is not an integer"),
        ("chr1\t-5\t20\n", "start -5 is negative"),
        ("chr1\t5\t-20\n", "end -20 is negative"),
        ("chr1\t5\t2.5e1\n", "end '2.5e1' is not an integer"),
        ("chr1\tten\tzz\n", "start 'ten' is not an integer"),
        ("chr1\t30\t20\n", "end 20 is less than start 30"),
        (
            "chr1\t0\t4294967296\n",
            "end 4294967296 is larger than 4294967295, the largest supported",
        ),
    ],
)
def test_invalid_rows_are_skipped_with_reason(tmp_path: Path, line: str, reason: str) -> None:
    dataset = read_one(tmp_path, line)

    records = list(dataset.records())

    assert records == []
    assert dataset.invalid.count == 1
    assert dataset.invalid.first_line == 1
    assert dataset.invalid.first_reason == reason


def test_gff_rows_convert_start_and_unknown_strand(tmp_path: Path) -> None:
    dataset = read_one(tmp_path, "chr1\tsrc\texon\t1\t10\t.\t?\t.\tID=a\n", GFF_LAYOUT)

    (interval,) = list(dataset.records())

    assert isinstance(interval, Interval)
    assert (interval.start, interval.end, interval.strand) == (0, 10, "+")
    assert interval.fields[6] == "+"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("chr1\tsrc\texon\t0\t10\t.\t+\t.\tID=a\n", "GFF start 0 is less than 1"),
        ("chr1\tsrc\texon\t12\t10\t.\t+\t.\tID=a\n", "end 10 is less than start 12"),
    ],
)
def test_invalid_gff_rows_give_reason(tmp_path: Path, line: str, reason: str) -> None:
    dataset = read_one(tmp_path, line, GFF_LAYOUT)

    records = list(dataset.records())

    assert records == []
    assert dataset.invalid.first_reason == reason


def test_line_numbers_count_every_line(tmp_path: Path) -> None:
    text = "track name=x\nchr1\t1\t2\n\nchr1\tbad\t3\nchr1\t5\t6\n"
    dataset = read_one(tmp_path, text)

    numbers = [record.line_number for record in dataset.records()]

    assert numbers == [1, 2, 3, 5]
    assert dataset.invalid.first_line == 4
    assert dataset.invalid.summary() == (
        "skipped 1 invalid line of input1, first at line 4: start 'bad' is not an integer"
    )


def test_parse_interval_checks_columns_of_layout() -> None:
    layout = ColumnLayout(chrom=4, start=1, end=2)

    with pytest.raises(ValueError) as error:
        parse_interval(["a", "1", "2", "x"], layout, 1)

    assert str(error.value) == "the row has 4 columns, at least 5 needed"


def test_layout_needed_columns_follows_replace() -> None:
    layout = ColumnLayout(chrom=0, start=3, end=2)

    gff_layout = replace(layout, is_gff=True, start=6)

    assert layout.needed_columns == 4
    assert gff_layout.needed_columns == 7
    assert ColumnLayout(0, 1, 2) == ColumnLayout(0, 1, 2)
    assert repr(ColumnLayout(0, 1, 2)) == (
        "ColumnLayout(chrom=0, start=1, end=2, strand=None, is_gff=False)"
    )
