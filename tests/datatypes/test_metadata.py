"""Metadata computed by each datatype: line counts, columns and interval columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nebula.datatypes import DatatypeRegistry
from nebula.datatypes import lines as lines_module
from nebula.datatypes.lines import iter_lines

INTERVAL_KEYS = ("chromCol", "startCol", "endCol", "strandCol", "nameCol")


def count_lines(path: Path, comment_prefixes: tuple[str, ...] = ("#",)) -> tuple[int, int]:
    """Count (data lines, comment lines) by plain reading, independently of the datatypes."""
    data = 0
    comments = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        if line.startswith(comment_prefixes):
            comments += 1
        else:
            data += 1
    return data, comments


def interval_columns(metadata: dict) -> tuple:
    return tuple(metadata[key] for key in INTERVAL_KEYS)


def test_bed6_metadata(registry: DatatypeRegistry, data_dir: Path):
    metadata = registry.get("bed").compute_metadata(data_dir / "exons.bed")

    assert metadata["data_lines"] == 1000
    assert metadata["comment_lines"] == 0
    assert metadata["columns"] == 6
    assert metadata["column_types"] == ["str", "int", "int", "str", "int", "str"]
    assert metadata["column_names"] is None
    assert interval_columns(metadata) == (1, 2, 3, 6, 4)


def test_bed4_metadata_has_no_strand(registry: DatatypeRegistry, data_dir: Path):
    metadata = registry.get("bed").compute_metadata(data_dir / "cpg.bed")

    assert metadata["data_lines"] == 1077
    assert metadata["columns"] == 4
    assert metadata["column_types"] == ["str", "int", "int", "int"]
    assert interval_columns(metadata) == (1, 2, 3, None, 4)


def test_bed3_metadata_has_no_name(registry: DatatypeRegistry, data_dir: Path):
    metadata = registry.get("bed").compute_metadata(data_dir / "chromsizes.bed")

    assert metadata["data_lines"] == 25
    assert metadata["columns"] == 3
    assert interval_columns(metadata) == (1, 2, 3, None, None)


def test_bed_line_count_of_large_file(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "chipseq.bed"

    metadata = registry.get("bed").compute_metadata(path)

    assert metadata["data_lines"] == 10000
    assert (metadata["data_lines"], metadata["comment_lines"]) == count_lines(path)


def test_bed_header_line_names_columns(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "lamina.bed"

    metadata = registry.get("bed").compute_metadata(path)

    assert metadata["data_lines"] == 1344
    assert metadata["comment_lines"] == 1
    assert (metadata["data_lines"], metadata["comment_lines"]) == count_lines(path)
    assert metadata["column_names"] == ["chrom", "start", "end", "value"]
    assert metadata["column_types"] == ["str", "int", "int", "float"]


def test_interval_columns_from_header(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "2_mod.bed"

    metadata = registry.get("interval").compute_metadata(path)

    assert (metadata["data_lines"], metadata["comment_lines"]) == count_lines(path)
    assert metadata["comment_lines"] == 1
    assert metadata["column_names"] == ["chr", "name", "score", "strand", "start", "end"]
    assert metadata["chromCol"] == 1
    assert metadata["nameCol"] == 2
    assert metadata["strandCol"] == 4
    assert metadata["startCol"] == 5
    assert metadata["endCol"] == 6
    assert metadata["column_types"] == ["str", "str", "int", "str", "int", "int"]


def test_interval_header_without_strand_or_name(registry: DatatypeRegistry, data_dir: Path):
    metadata = registry.get("interval").compute_metadata(data_dir / "lamina.bed")

    assert interval_columns(metadata) == (1, 2, 3, None, None)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("#seqname\tbegin\tstop\tid\tstrand", (1, 2, 3, 5, 4)),
        ("#Chromosome\tchromStart\tchromEnd\tName\tStrand", (1, 2, 3, 5, 4)),
        ("#name\tstrand\tchr\ttxStart\ttxEnd", (3, 4, 5, 2, 1)),
        ("#chrom start end strand name", (1, 2, 3, 4, 5)),
    ],
)
def test_interval_header_synonyms(
    registry: DatatypeRegistry, tmp_path: Path, header: str, expected: tuple
):
    path = tmp_path / "named.interval"
    path.write_text(header + "\nx\tx\tx\tx\tx\n")

    metadata = registry.get("interval").compute_metadata(path)

    assert interval_columns(metadata) == expected


def test_interval_guess_finds_name_and_strand(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "closest_features.interval"

    metadata = registry.get("interval").compute_metadata(path)

    assert (metadata["data_lines"], metadata["comment_lines"]) == count_lines(path)
    assert metadata["columns"] == 12
    assert interval_columns(metadata) == (1, 2, 3, 6, 4)


def test_interval_guess_skips_numeric_columns(registry: DatatypeRegistry, data_dir: Path):
    metadata = registry.get("interval").compute_metadata(data_dir / "1.interval")

    assert metadata["data_lines"] == 5
    assert metadata["columns"] == 8
    assert metadata["column_types"] == ["str", "int", "int"] + ["float"] * 5
    assert interval_columns(metadata) == (1, 2, 3, None, None)


def test_interval_mismatched_header_ignored(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "odd.interval"
    path.write_text("#end\tstart\tchrom\nchr1\t10\t20\tx\n")

    metadata = registry.get("interval").compute_metadata(path)

    assert metadata["column_names"] is None
    assert interval_columns(metadata) == (1, 2, 3, None, 4)


def test_gtf_metadata(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "ensembl.gtf"

    metadata = registry.get("gtf").compute_metadata(path)

    assert metadata["data_lines"] == 95
    assert metadata["comment_lines"] == 5
    assert (metadata["data_lines"], metadata["comment_lines"]) == count_lines(path)
    assert metadata["columns"] == 9
    assert metadata["column_names"][3:5] == ["start", "end"]
    assert metadata["column_types"] == ["str", "str", "str", "int", "int", "float"] + ["str"] * 3
    assert interval_columns(metadata) == (1, 4, 5, 7, None)


def test_gff_directives_are_comments(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "4_windows.gff"
    text_lines = path.read_text().splitlines()

    metadata = registry.get("gff").compute_metadata(path)

    assert text_lines[2] == ""
    assert metadata["comment_lines"] == 2
    assert metadata["data_lines"] == len(text_lines) - 3
    assert interval_columns(metadata) == (1, 4, 5, 7, None)


@pytest.mark.parametrize(("name", "sequences"), [("4.fasta", 2), ("454.fasta", 18)])
def test_fasta_sequence_count(
    registry: DatatypeRegistry, data_dir: Path, name: str, sequences: int
):
    path = data_dir / name
    text_lines = path.read_text().splitlines()

    metadata = registry.get("fasta").compute_metadata(path)

    assert metadata["sequences"] == sequences
    assert metadata["sequences"] == sum(line.startswith(">") for line in text_lines)
    assert metadata["data_lines"] == len([line for line in text_lines if line.strip()])
    assert metadata["comment_lines"] == 0


def test_fasta_semicolon_lines_are_comments(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "old.fasta"
    path.write_text(";comment\n>seq1\nACGT\n\n;another\n>seq2\nGG\nTT\n")

    metadata = registry.get("fasta").compute_metadata(path)

    assert metadata == {"data_lines": 5, "comment_lines": 2, "sequences": 2}


def test_tabular_unmarked_header_row_ignored(registry: DatatypeRegistry, data_dir: Path):
    path = data_dir / "a.tab"

    metadata = registry.get("tabular").compute_metadata(path)

    assert metadata["data_lines"] == len(path.read_text().splitlines())
    assert metadata["columns"] == 9
    assert metadata["column_names"] is None
    # CHR and BP contain integers below the header row. BETA's `NA` is a missing value.
    assert metadata["column_types"] == [
        "int", "str", "int", "str", "str", "int", "float", "float", "float",
    ]  # fmt: skip


def test_tabular_column_types_widen(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "mixed.tabular"
    path.write_text("1\t1\t1\t1,2\ta\t.\n2\t2.5\t3,4\t5\t1\t.\n3\t4\tx\t6\t2\t.\n")

    metadata = registry.get("tabular").compute_metadata(path)

    assert metadata["column_types"] == ["int", "float", "str", "list", "str", "str"]


def test_tabular_columns_is_widest_row(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "ragged.tabular"
    path.write_text("a\t1\nb\t2\t3.5\nc\n")

    metadata = registry.get("tabular").compute_metadata(path)

    assert metadata["columns"] == 3
    assert metadata["column_types"] == ["str", "int", "float"]


def test_bed_track_and_browser_lines_are_comments(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "ucsc.bed"
    path.write_text("browser hide all\ntrack name=x\n# note\nchr1\t1\t2\n\nchr1\t3\t4\n")

    metadata = registry.get("bed").compute_metadata(path)

    assert metadata["comment_lines"] == 3
    assert metadata["data_lines"] == 2


def test_txt_counts_non_blank_lines(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_text("# not a comment in plain text\n\nline\n   \nlast")

    metadata = registry.get("txt").compute_metadata(path)

    assert metadata == {"data_lines": 3, "comment_lines": 0}


@pytest.mark.parametrize(
    ("name", "ext"),
    [
        ("exons.bed", "bed"),
        ("2_mod.bed", "interval"),
        ("ensembl.gtf", "gtf"),
        ("454.fasta", "fasta"),
    ],
)
def test_crlf_gives_same_metadata(
    registry: DatatypeRegistry, data_dir: Path, tmp_path: Path, name: str, ext: str
):
    crlf = tmp_path / name
    crlf.write_bytes((data_dir / name).read_bytes().replace(b"\n", b"\r\n"))
    datatype = registry.get(ext)

    metadata = datatype.compute_metadata(crlf)

    assert metadata == datatype.compute_metadata(data_dir / name)


def test_missing_final_newline_counts_last_line(
    registry: DatatypeRegistry, data_dir: Path, tmp_path: Path
):
    path = data_dir / "gops_bigint.interval"
    with_newline = tmp_path / "with_newline.interval"
    with_newline.write_bytes(path.read_bytes() + b"\n")

    metadata = registry.get("interval").compute_metadata(path)

    assert not path.read_bytes().endswith(b"\n")
    assert metadata["data_lines"] == len(path.read_text().splitlines())
    assert metadata == registry.get("interval").compute_metadata(with_newline)
    assert metadata["column_types"] == ["str", "int", "int", "str", "int", "str"]


@pytest.mark.parametrize("ext", ["txt", "tabular", "interval", "bed", "gff", "gtf", "fasta"])
def test_empty_file_metadata(registry: DatatypeRegistry, tmp_path: Path, ext: str):
    path = tmp_path / "empty"
    path.write_bytes(b"")

    metadata = registry.get(ext).compute_metadata(path)

    assert metadata["data_lines"] == 0
    assert metadata["comment_lines"] == 0
    if "columns" in metadata:
        assert metadata["columns"] == 0
        assert metadata["column_types"] == []


def test_data_metadata_is_empty(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "blob"
    path.write_bytes(bytes(range(256)))

    assert registry.get("data").compute_metadata(path) == {}


@pytest.mark.parametrize(
    "name", ["exons.bed", "lamina.bed", "2_mod.bed", "ensembl.gtf", "4_windows.gff", "454.fasta"]
)
def test_metadata_is_json_serialisable(registry: DatatypeRegistry, data_dir: Path, name: str):
    path = data_dir / name
    datatype = registry.get(registry.sniff(path))

    metadata = datatype.compute_metadata(path)

    assert json.loads(json.dumps(metadata)) == metadata


def test_long_lines_are_cut_when_streamed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(lines_module, "MAX_LINE_BYTES", 8)
    path = tmp_path / "long.txt"
    path.write_text("short\n" + "x" * 50 + "\nafter\n" + "y" * 20)

    streamed = list(iter_lines(path))

    assert streamed == ["short", "x" * 8, "after", "y" * 8]
