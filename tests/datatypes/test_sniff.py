"""Sniffing: which datatype a file's head matches."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from nebula.datatypes import DatatypeRegistry
from nebula.datatypes.lines import HEAD_BYTES

BED12_ROW = "chr1\t1000\t5000\tgene1\t960\t+\t1200\t4900\t255,0,0\t2\t567,488,\t0,3512,\n"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("exons.bed", "bed"),
        ("cpg.bed", "bed"),
        ("lamina.bed", "bed"),
        ("chromsizes.bed", "bed"),
        ("chipseq.bed", "bed"),
        ("gops_bigint.interval", "bed"),
        ("ensembl.gtf", "gtf"),
        ("gff2bed_in2.gff", "gtf"),
        ("4_windows.gff", "gff"),
        ("2_mod.bed", "interval"),
        ("1.interval", "interval"),
        ("closest_features.interval", "interval"),
        ("4.fasta", "fasta"),
        ("454.fasta", "fasta"),
        ("a.tab", "tabular"),
        ("numericalTable1.tabular", "tabular"),
        ("solexa.tabular", "tabular"),
        ("1.txt", "txt"),
    ],
)
def test_sniff_real_file(registry: DatatypeRegistry, data_dir: Path, name: str, expected: str):
    sniffed = registry.sniff(data_dir / name)

    assert sniffed == expected


def test_sniff_gzip_is_data(registry: DatatypeRegistry, data_dir: Path, tmp_path: Path):
    path = tmp_path / "exons.bed.gz"
    path.write_bytes(gzip.compress((data_dir / "exons.bed").read_bytes()))

    assert registry.sniff(path) == "data"


def test_sniff_bytes_with_nul_is_data(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10")

    assert registry.sniff(path) == "data"


def test_sniff_empty_file_is_txt(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "empty"
    path.write_bytes(b"")

    assert registry.sniff(path) == "txt"


def test_sniff_blank_lines_only_is_txt(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "blank"
    path.write_text("\n\n  \n")

    assert registry.sniff(path) == "txt"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("exons.bed", "bed"),
        ("2_mod.bed", "interval"),
        ("ensembl.gtf", "gtf"),
        ("454.fasta", "fasta"),
    ],
)
def test_sniff_crlf_file(
    registry: DatatypeRegistry, data_dir: Path, tmp_path: Path, name: str, expected: str
):
    path = tmp_path / name
    path.write_bytes((data_dir / name).read_bytes().replace(b"\n", b"\r\n"))

    assert registry.sniff(path) == expected


def test_sniff_latin1_text_stays_text(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "genes.bed"
    path.write_bytes("chr1\t10\t20\tg\xe8ne\n".encode("latin-1") * 3)

    assert registry.sniff(path) == "bed"


def test_sniff_utf8_bom_bed(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "bom.bed"
    path.write_bytes(b"\xef\xbb\xbfchr1\t10\t20\n")

    assert registry.sniff(path) == "bed"


def test_sniff_bed_with_track_and_browser_lines(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "ucsc.bed"
    path.write_text(
        "browser position chr1:1-1000\n"
        'track name=peaks description="called peaks"\n'
        "chr1\t10\t20\tpeak1\t0\t+\n"
    )

    assert registry.sniff(path) == "bed"


def test_sniff_bed12(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "genes.bed"
    path.write_text(BED12_ROW * 2)

    assert registry.sniff(path) == "bed"


def test_sniff_bed12_bad_block_count(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "genes.bed"
    path.write_text(BED12_ROW.replace("\t2\t", "\t3\t"))

    assert registry.sniff(path) == "interval"


def test_sniff_start_after_end_is_not_interval(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "reversed.bed"
    path.write_text("chr1\t20\t10\n")

    assert registry.sniff(path) == "tabular"


def test_sniff_numbered_chromosomes_need_header(registry: DatatypeRegistry, tmp_path: Path):
    without_header = tmp_path / "plain.tsv"
    without_header.write_text("1\t10\t20\tA\tG\n2\t30\t40\tC\tT\n")
    with_header = tmp_path / "named.tsv"
    with_header.write_text("#chrom\tstart\tend\tref\talt\n" + without_header.read_text())

    assert registry.sniff(without_header) == "tabular"
    assert registry.sniff(with_header) == "interval"


def test_sniff_fastq_is_not_fasta(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "reads.fastq"
    path.write_text("@read1\nACGT\n+\nIIII\n")

    assert registry.sniff(path) == "txt"


def test_sniff_fasta_with_unwrapped_long_sequence(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "chrom.fa"
    path.write_text(">chr1\n" + "ACGT" * (HEAD_BYTES // 2) + "\n")

    assert registry.sniff(path) == "fasta"


def test_sniff_reads_only_the_head(registry: DatatypeRegistry, tmp_path: Path):
    # Rows past the head would make this file tabular if the sniffer read them.
    row = "chr1\t100\t200\tfeature\t0\t+\n"
    path = tmp_path / "big.bed"
    path.write_text(row * (2 * HEAD_BYTES // len(row)) + "not\tan\tinterval\n")

    assert registry.sniff(path) == "bed"


def test_sniff_gff_with_score_and_frame(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "genes.gff"
    path.write_text(
        "##gff-version 2\n"
        "chr1\tsource\tCDS\t100\t200\t12.5\t-\t2\tgroup1\n"
        "chr1\tsource\tCDS\t300\t400\t.\t+\t0\tgroup1\n"
    )

    assert registry.sniff(path) == "gff"


def test_sniff_gff_with_bad_frame_is_not_gff(registry: DatatypeRegistry, tmp_path: Path):
    path = tmp_path / "genes.gff"
    path.write_text("chr1\tsource\tCDS\t100\t200\t.\t-\t5\tgroup1\n")

    assert registry.sniff(path) != "gff"


def test_sam_alignments_sniff_as_sam(tmp_path):
    from nebula.datatypes import default_registry

    path = tmp_path / "reads.sam"
    path.write_text(
        "@HD\tVN:1.6\n"
        "read1\t0\tchr1\t100\t60\t10M\t*\t0\t0\tACGTACGTAC\tIIIIIIIIII\n"
        "read2\t16\tchr1\t200\t30\t10M\t*\t0\t-5\tACGTACGTAC\tIIIIIIIIII\tNM:i:0\n"
    )

    assert default_registry().sniff(path) == "sam"
