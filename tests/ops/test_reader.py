"""Reading interval rows: header and blank lines, coordinates and the reasons for bad rows.

Most rows take a shortcut for coordinates of plain ASCII digits. The unusual rows here
check that everything else still gets the exact tests and reasons.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from nebula.ops.reader import (
    GFF_LAYOUT,
    ColumnLayout,
    DatasetInput,
    Interval,
    TextLine,
    open_text,
    parse_interval,
    split_lines,
)

BED6 = ColumnLayout(chrom=0, start=1, end=2, strand=5)
INVALID_ROWS = [
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
]
# Texts whose line ends are easy to split wrongly. They have a '\r\n' or a lone '\r' on a
# chunk boundary, a last line without a line end, or characters at which str.splitlines
# splits but a file's lines do not end.
TRICKY_TEXTS = [
    "",
    "\n",
    "\r",
    "\r\n",
    "\r\r\n\n",
    "a\r\nb\r\n",
    "a\rb\rc",
    "abc\r",
    "abc\rdefgh\rij",
    "a\x85b\u2028c\x0cd\x1ce\n",
    "no line end at all",
    "x" * 50 + "\r\n" + "y" * 7,
]


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


@pytest.mark.parametrize(("line", "reason"), INVALID_ROWS)
def test_invalid_rows_are_skipped_with_reason(tmp_path: Path, line: str, reason: str) -> None:
    dataset = read_one(tmp_path, line)

    records = list(dataset.records())

    assert records == []
    assert dataset.invalid.count == 1
    assert dataset.invalid.first_line == 1
    assert dataset.invalid.first_reason == reason


@pytest.mark.parametrize(("line", "reason"), INVALID_ROWS)
def test_spans_skip_invalid_rows_with_reason(tmp_path: Path, line: str, reason: str) -> None:
    dataset = read_one(tmp_path, line)

    spans = dataset.spans()

    assert spans == {}
    assert dataset.invalid.count == 1
    assert dataset.invalid.valid == 0
    assert dataset.invalid.first_line == 1
    assert dataset.invalid.first_reason == reason


@pytest.mark.parametrize("layout", [BED6, GFF_LAYOUT])
def test_spans_match_records_on_mixed_file(tmp_path: Path, layout: ColumnLayout) -> None:
    # Some rows are valid under one layout only, because BED6 reads start and end from
    # columns 2 and 3 and GFF reads them from columns 4 and 5.
    rows = [
        "track name=x",
        "chr2\t5\t9\t6\t9\t.\t?\t.",
        "",
        "chr1\tbad\t3\t1\t2",
        "chr1\t30\t40\t31\t40\t.\t-",
        " \t1\t2\t1\t2",
        "chr2\t1\t3\t0\t3",
        "chr1\t2\t3\t3\t3",
        "chr1\t12\t11\t12\t11",
        "#comment",
    ]
    text = "\n".join(rows) + "\n"
    by_records = read_one(tmp_path, text, layout)
    by_spans = DatasetInput(by_records.path, layout, "input1")
    expected: dict[str, list[tuple[int, int]]] = {}
    for interval in by_records.intervals():
        expected.setdefault(interval.chrom, []).append((interval.start, interval.end))

    spans = by_spans.spans()

    assert spans == expected
    assert len(spans) == 2
    assert by_spans.invalid == by_records.invalid
    assert by_spans.invalid.count >= 2
    assert by_spans.invalid.summary() == by_records.invalid.summary()


def test_select_builds_only_accepted_rows(tmp_path: Path) -> None:
    text = "#header\nchr1\t10\t20\nchr1\tx\t5\nchr2\t30\t40\n\nchr1\t50\t60\n"
    dataset = read_one(tmp_path, text)
    seen: list[tuple[str, int, int]] = []

    def select(chrom: str, start: int, end: int) -> bool:
        seen.append((chrom, start, end))
        return chrom == "chr1"

    records = list(dataset.records(select))

    assert [record.line_number for record in records] == [1, 2, 5, 6]
    assert [type(record) for record in records] == [TextLine, Interval, TextLine, Interval]
    assert seen == [("chr1", 10, 20), ("chr2", 30, 40), ("chr1", 50, 60)]
    assert dataset.invalid.valid == 3
    assert dataset.invalid.count == 1


def test_select_gets_zero_based_gff_coordinates(tmp_path: Path) -> None:
    dataset = read_one(tmp_path, "chr1\tsrc\texon\t1\t10\t.\t+\t.\tID=a\n", GFF_LAYOUT)
    seen: list[tuple[str, int, int]] = []

    def select(chrom: str, start: int, end: int) -> bool:
        seen.append((chrom, start, end))
        return False

    records = list(dataset.records(select))

    assert records == []
    assert seen == [("chr1", 0, 10)]
    assert dataset.invalid.valid == 1


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, 7, 64, 1 << 16])
def test_split_lines_matches_file_iteration(tmp_path: Path, chunk_size: int) -> None:
    rng = random.Random(chunk_size)
    pieces = ["a", "b", "\t", " ", "\r", "\n", "\r\n", "\u00e9", "\x85", "\udc80"]
    random_texts = [
        "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(200)
    ]
    path = tmp_path / "lines.txt"

    for text in TRICKY_TEXTS + random_texts:
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        with open_text(path) as handle:
            expected = [line.rstrip("\r\n") for line in handle]
        with open_text(path) as handle:
            lines = list(split_lines(handle, chunk_size))

        assert lines == expected, f"text {text!r}, chunk size {chunk_size}"


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
