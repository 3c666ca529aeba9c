"""Peeks: the first lines of a dataset, for display."""

from __future__ import annotations

from pathlib import Path

from nebula.datatypes import DatatypeRegistry
from nebula.datatypes.base import PEEK_LINE_CHARS


def test_peek_shows_first_five_lines(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "exons.bed"

    peek = registry.get("bed").make_peek(path)

    assert peek.split("\n") == path.read_text().splitlines()[:5]


def test_peek_line_count_is_a_parameter(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "lamina.bed"

    peek = registry.get("bed").make_peek(path, lines=2)

    assert peek.split("\n") == ["#chrom\tstart\tend\tvalue", path.read_text().splitlines()[1]]


def test_peek_skips_blank_lines(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "4_windows.gff"
    non_blank = [line for line in path.read_text().splitlines() if line.strip()]

    peek = registry.get("gff").make_peek(path, lines=3)

    assert peek.split("\n") == non_blank[:3]


def test_peek_cuts_long_lines(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "wide.tabular"
    path.write_text("a\t" + "b" * 1000 + "\nshort\n")

    lines = registry.get("tabular").make_peek(path).split("\n")

    assert len(lines) == 2
    assert lines[0] == ("a\t" + "b" * 1000)[:PEEK_LINE_CHARS] + "…"
    assert lines[1] == "short"


def test_peek_of_one_huge_line_is_bounded(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "chrom.fa"
    path.write_text(">chr1\n" + "A" * 5_000_000)

    lines = registry.get("fasta").make_peek(path).split("\n")

    assert lines[0] == ">chr1"
    assert lines[1] == "A" * PEEK_LINE_CHARS + "…"


def test_peek_strips_crlf(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "crlf.bed"
    path.write_bytes(b"chr1\t1\t2\r\nchr1\t3\t4")

    peek = registry.get("bed").make_peek(path)

    assert peek == "chr1\t1\t2\nchr1\t3\t4"


def test_peek_of_binary_names_size(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "blob"
    path.write_bytes(bytes(range(256)) * 4)

    peek = registry.get("data").make_peek(path)

    assert peek == "binary data, 1024 bytes"


def test_peek_of_empty_file(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "empty"
    path.write_bytes(b"")

    assert registry.get("txt").make_peek(path) == ""
