"""Reading one page of a dataset by byte offsets."""

from __future__ import annotations

import io

from nebula.web.ui.dataset_pages import (
    MAX_LINE_BYTES,
    column_headers,
    read_table_page,
    read_text_chunk,
)


def table(lines: list[str]) -> tuple[io.BytesIO, int]:
    data = ("\n".join(lines) + "\n").encode()
    return io.BytesIO(data), len(data)


def test_first_page_reads_only_its_rows() -> None:
    handle, size = table([f"chr1\t{n}\t{n + 1}" for n in range(250)])

    page = read_table_page(handle, size, 0, rows=100)

    assert len(page.rows) == 100
    assert page.rows[0] == ["chr1", "0", "1"]
    assert page.rows[-1] == ["chr1", "99", "100"]
    assert page.previous_offset is None
    assert page.next_offset is not None


def test_next_and_previous_offsets_walk_the_pages() -> None:
    handle, size = table([f"row{n}" for n in range(250)])
    first = read_table_page(handle, size, 0, rows=100)

    second = read_table_page(handle, size, first.next_offset or 0, rows=100)
    third = read_table_page(handle, size, second.next_offset or 0, rows=100)
    back = read_table_page(handle, size, third.previous_offset or 0, rows=100)

    assert second.rows[0] == ["row100"]
    assert third.rows[0] == ["row200"]
    assert len(third.rows) == 50
    assert third.next_offset is None
    assert second.previous_offset == 0
    assert back.rows[0] == ["row100"]


def test_comment_lines_are_skipped_and_not_counted() -> None:
    lines = ["#header"] + [f"row{n}" if n % 3 else f"# note {n}" for n in range(30)]
    handle, size = table(lines)

    first = read_table_page(handle, size, 0, rows=5)
    second = read_table_page(handle, size, first.next_offset or 0, rows=5)
    back = read_table_page(handle, size, second.previous_offset or 0, rows=5)

    assert [row[0] for row in first.rows] == ["row1", "row2", "row4", "row5", "row7"]
    assert second.rows[0] == ["row8"]
    assert back.rows == first.rows


def test_long_line_is_cut() -> None:
    handle, size = table(["x" * (MAX_LINE_BYTES * 3), "short"])

    page = read_table_page(handle, size, 0, rows=10)

    assert len(page.rows) == 2
    assert len(page.rows[0][0]) == MAX_LINE_BYTES
    assert page.rows[1] == ["short"]


def test_offset_past_the_end_gives_an_empty_page() -> None:
    handle, size = table(["a", "b"])

    page = read_table_page(handle, size, size + 100, rows=10)

    assert page.rows == []
    assert page.next_offset is None


def test_text_chunk_ends_at_a_line_break() -> None:
    handle, size = table(["first line", "second line", "third line"])

    chunk = read_text_chunk(handle, size, 0, chunk_bytes=15)
    rest = read_text_chunk(handle, size, chunk.next_offset or 0, chunk_bytes=1000)

    assert chunk.text == "first line\n"
    assert rest.text == "second line\nthird line\n"
    assert rest.next_offset is None


def test_text_chunk_replaces_invalid_utf8() -> None:
    data = b"caf\xe9\n"

    chunk = read_text_chunk(io.BytesIO(data), len(data), 0)

    assert chunk.text == "caf\ufffd\n"


def test_column_headers_prefer_the_file_header() -> None:
    headers = column_headers({"column_names": ["gene", "count"], "chromCol": 1}, 3)

    assert headers == ["gene", "count", "c3"]


def test_column_headers_name_interval_columns() -> None:
    metadata = {"chromCol": 1, "startCol": 2, "endCol": 3, "strandCol": 6, "nameCol": 4, "column_names": None}

    headers = column_headers(metadata, 6)

    assert headers == ["chrom", "start", "end", "name", "c5", "strand"]


def test_column_headers_default_to_numbers() -> None:
    assert column_headers({}, 3) == ["c1", "c2", "c3"]
