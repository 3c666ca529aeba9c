"""Edge cases of the sequence subcommands of `nebula-ops`: empty inputs, CRLF line ends,
missing final newlines, comment lines, malformed lines, bad parameters, Galaxy data
tables, and flat memory on a long sequence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nebula.ops.reader import open_output
from nebula.ops.sequences import length_filter
from nebula.ops.sequences.length_filter import RecordBuffer

from .helpers import COMMAND, run_ops, write_lines

FASTA = [">seq1 first record", "ACGTACGTAC", "GT", ">seq2", "ACG"]
TABLE = ["read1\tACGT\tlane1", "read2\tGGCC\tlane2"]
GTF = [
    'chr1\tsrc\texon\t100\t200\t.\t+\t.\tgene_id "g1"; transcript_id "t1";',
    'chr1\tsrc\texon\t300\t400\t.\t+\t.\tgene_id "g1"; transcript_id "t1";',
    'chr2\tsrc\texon\t50\t80\t.\t-\t.\tgene_id "g2"; transcript_id "t2";',
]
# Larger than any buffer the subcommands use, and than the memory they may take.
LONG_SEQUENCE_BYTES = 128 << 20
PEAK_MEMORY_LIMIT_MIB = 48
# Runs argv and prints its exit code and peak RSS in KiB. A child's ru_maxrss includes the
# memory of the process it was forked from, so the fork happens in this small interpreter
# rather than in pytest.
MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


# fasta-length


def test_fasta_length_writes_title_and_length(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA)
    output = tmp_path / "out"

    result = run_ops("fasta-length", output, "--input", source, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["seq1 first record\t12", "seq2\t3"]
    assert result.stdout.splitlines() == ["2 sequences"]


def test_fasta_length_id_only_then_keep_first(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA)
    output = tmp_path / "out"

    result = run_ops("fasta-length", output, "--input", source, "--title", "id_only",
                     "--keep-first", "3", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["seq\t12", "seq\t3"]


def test_fasta_length_reads_crlf_and_missing_final_newline(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA, ending="\r\n", final=False)
    output = tmp_path / "out"

    result = run_ops("fasta-length", output, "--input", source, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["seq1 first record\t12", "seq2\t3"]


def test_fasta_length_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    lines = ["# made by hand", ">seq1", "ACGT", "", "# inside", "AC", ">empty", ">seq3", "A"]
    source = write_lines(tmp_path / "in.fa", lines)
    output = tmp_path / "out"

    result = run_ops("fasta-length", output, "--input", source, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["seq1\t6", "empty\t0", "seq3\t1"]


def test_fasta_length_empty_input_gives_empty_output(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", [])
    output = tmp_path / "out"

    result = run_ops("fasta-length", output, "--input", source, output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_text() == ""
    assert result.stdout.splitlines() == ["0 sequences"]


def test_fasta_length_counts_sequence_before_first_header(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", ["ACGT", "TT", *FASTA])
    output = tmp_path / "out"

    result = run_ops("fasta-length", output, "--input", source, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["seq1 first record\t12", "seq2\t3"]
    assert (
        "skipped 2 invalid lines of input, first at line 1: sequence line before the first "
        "'>' header" in result.stdout
    )


def test_fasta_length_rejects_negative_keep_first(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA)

    result = run_ops("fasta-length", tmp_path / "out", "--input", source, "--keep-first", "-2")

    assert result.returncode == 1
    assert "--keep-first" in result.stderr
    assert "got -2" in result.stderr


def test_fasta_length_reads_all_fasta_table(tmp_path: Path) -> None:
    genomes = tmp_path / "genomes"
    genomes.mkdir()
    write_lines(genomes / "tiny.fa", FASTA)
    write_lines(tmp_path / "all_fasta.loc", [
        "#<unique_build_id>\t<dbkey>\t<display_name>\t<file_path>",
        "other\tother\tOther\t/nowhere/other.fa",
        "tiny\ttiny\tTiny genome\t${__HERE__}/genomes/tiny.fa",
    ])
    output = tmp_path / "out"

    result = run_ops("fasta-length", output, "--all-fasta", "tiny", "--tool-data", tmp_path,
                     "--title", "id_only", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["seq1\t12", "seq2\t3"]


def test_fasta_length_copies_dbkey_length_file(tmp_path: Path) -> None:
    write_lines(tmp_path / "tiny.len", ["chr1\t1000", "chr2\t500"])
    write_lines(tmp_path / "dbkeys.loc", ["tiny\tTiny genome\ttiny.len"])
    output = tmp_path / "out"

    result = run_ops("fasta-length", output, "--dbkey", "tiny", "--tool-data", tmp_path,
                     output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["chr1\t1000", "chr2\t500"]


def test_fasta_length_unknown_genome_lists_known_keys(tmp_path: Path) -> None:
    write_lines(tmp_path / "dbkeys.loc", ["hg19\tHuman\t/x/hg19.len", "mm10\tMouse\t/x/mm10.len"])

    result = run_ops("fasta-length", tmp_path / "out", "--dbkey", "hg38", "--tool-data", tmp_path)

    assert result.returncode == 1
    assert "genome 'hg38' is not in data table __dbkeys__; known: hg19, mm10" in result.stderr


def test_fasta_length_missing_table_file_is_reported(tmp_path: Path) -> None:
    result = run_ops("fasta-length", tmp_path / "out", "--all-fasta", "hg38",
                     "--tool-data", tmp_path)

    assert result.returncode == 1
    assert "all_fasta.loc" in result.stderr
    assert "value, dbkey, name, path" in result.stderr


def test_fasta_length_short_table_row_names_its_line(tmp_path: Path) -> None:
    write_lines(tmp_path / "dbkeys.loc", ["# builds", "hg19\tHuman"])

    result = run_ops("fasta-length", tmp_path / "out", "--dbkey", "hg19", "--tool-data", tmp_path)

    assert result.returncode == 1
    assert "line 2 of" in result.stderr
    assert "has 2 columns" in result.stderr


# fasta-to-tabular


def test_fasta_to_tabular_joins_sequence_lines(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA)
    output = tmp_path / "out"

    result = run_ops("fasta-to-tabular", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["seq1 first record\tACGTACGTACGT", "seq2\tACG"]


def test_fasta_to_tabular_splits_title_into_padded_columns(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA)
    output = tmp_path / "out"

    result = run_ops("fasta-to-tabular", source, output, "--title-columns", "3",
                     "--keep-first", "3", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["seq\tfirst\trecord\tACGTACGTACGT", "seq\t\t\tACG"]


def test_fasta_to_tabular_turns_title_tabs_into_spaces(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", [">id\tdescription", "AC"])
    output = tmp_path / "out"

    result = run_ops("fasta-to-tabular", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["id description\tAC"]


def test_fasta_to_tabular_crlf_and_comments(tmp_path: Path) -> None:
    lines = ["# comment", ">seq1", "AC", "", "GT", ">seq2", "T"]
    source = write_lines(tmp_path / "in.fa", lines, ending="\r\n", final=False)
    output = tmp_path / "out"

    result = run_ops("fasta-to-tabular", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == b"seq1\tACGT\nseq2\tT\n"


def test_fasta_to_tabular_empty_input_gives_empty_output(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", [])
    output = tmp_path / "out"

    result = run_ops("fasta-to-tabular", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_text() == ""


def test_fasta_to_tabular_counts_sequence_before_first_header(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", ["NNNN", *FASTA])
    output = tmp_path / "out"

    result = run_ops("fasta-to-tabular", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert len(result.lines) == 2
    assert "skipped 1 invalid line of input, first at line 1" in result.stdout


def test_fasta_to_tabular_rejects_zero_title_columns(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA)

    result = run_ops("fasta-to-tabular", source, tmp_path / "out", "--title-columns", "0")

    assert result.returncode == 1
    assert "--title-columns" in result.stderr
    assert "got 0" in result.stderr


# tabular-to-fasta


def test_tabular_to_fasta_joins_title_columns(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", TABLE)
    output = tmp_path / "out"

    result = run_ops("tabular-to-fasta", source, output, "--title-columns", "1,3",
                     "--sequence-column", "c2", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == [">read1_lane1", "ACGT", ">read2_lane2", "GGCC"]


def test_tabular_to_fasta_crlf_and_comments(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", ["#name\tseq", "", *TABLE], ending="\r\n",
                         final=False)
    output = tmp_path / "out"

    result = run_ops("tabular-to-fasta", source, output, "--title-columns", "1",
                     "--sequence-column", "2", output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == b">read1\nACGT\n>read2\nGGCC\n"


def test_tabular_to_fasta_drops_leading_angle_bracket(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", [">read1\tACGT"])
    output = tmp_path / "out"

    result = run_ops("tabular-to-fasta", source, output, "--title-columns", "1",
                     "--sequence-column", "2", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == [">read1", "ACGT"]


def test_tabular_to_fasta_skips_and_counts_short_rows(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", [TABLE[0], "lonely", TABLE[1], "a\tb"])
    output = tmp_path / "out"

    result = run_ops("tabular-to-fasta", source, output, "--title-columns", "1,3",
                     "--sequence-column", "2", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == [">read1_lane1", "ACGT", ">read2_lane2", "GGCC"]
    assert (
        "skipped 2 invalid lines of input, first at line 2: the row has 1 columns, 3 needed"
        in result.stdout
    )


def test_tabular_to_fasta_empty_input_gives_empty_output(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.tab", [])
    output = tmp_path / "out"

    result = run_ops("tabular-to-fasta", source, output, "--title-columns", "1",
                     "--sequence-column", "2", output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_text() == ""


@pytest.mark.parametrize("columns", ["None", "0", "1,x"])
def test_tabular_to_fasta_rejects_bad_columns(tmp_path: Path, columns: str) -> None:
    source = write_lines(tmp_path / "in.tab", TABLE)

    result = run_ops("tabular-to-fasta", source, tmp_path / "out", "--title-columns", columns,
                     "--sequence-column", "2")

    assert result.returncode == 2
    assert "--title-columns" in result.stderr
    assert "Traceback" not in result.stderr


# fasta-filter-length


def test_fasta_filter_length_keeps_records_in_range(tmp_path: Path) -> None:
    lines = [">short", "ACG", ">middle", "ACGTAC", ">long", "ACGTACGT", "ACGT"]
    source = write_lines(tmp_path / "in.fa", lines)
    output = tmp_path / "out"

    result = run_ops("fasta-filter-length", source, output, "--min-length", "4",
                     "--max-length", "8", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == [">middle", "ACGTAC"]
    assert "kept 1 of 3 sequences of length at least 4, at most 8" in result.stdout


def test_fasta_filter_length_zero_maximum_means_no_limit(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA)
    output = tmp_path / "out"

    result = run_ops("fasta-filter-length", source, output, "--min-length", "5", output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == [">seq1 first record", "ACGTACGTAC", "GT"]


def test_fasta_filter_length_crlf_and_comments(tmp_path: Path) -> None:
    lines = ["# comment", ">seq1", "AC", "", "GT", ">seq2", "T"]
    source = write_lines(tmp_path / "in.fa", lines, ending="\r\n", final=False)
    output = tmp_path / "out"

    result = run_ops("fasta-filter-length", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == b">seq1\nAC\nGT\n>seq2\nT\n"


def test_fasta_filter_length_empty_input_gives_empty_output(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", [])
    output = tmp_path / "out"

    result = run_ops("fasta-filter-length", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_text() == ""


def test_fasta_filter_length_reports_when_nothing_is_kept(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA)
    output = tmp_path / "out"

    result = run_ops("fasta-filter-length", source, output, "--min-length", "100", output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_text() == ""
    assert "no sequence falls within the length range" in result.stdout


def test_fasta_filter_length_counts_sequence_before_first_header(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.fa", ["ACGTACGT", *FASTA])
    output = tmp_path / "out"

    result = run_ops("fasta-filter-length", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == FASTA
    assert "skipped 1 invalid line of input, first at line 1" in result.stdout


@pytest.mark.parametrize(
    ("minimum", "maximum", "message"),
    [("-1", "0", "--min-length"), ("0", "-5", "--max-length"), ("10", "5", "less than")],
)
def test_fasta_filter_length_rejects_bad_range(
    tmp_path: Path, minimum: str, maximum: str, message: str
) -> None:
    source = write_lines(tmp_path / "in.fa", FASTA)

    result = run_ops("fasta-filter-length", source, tmp_path / "out", "--min-length", minimum,
                     "--max-length", maximum)

    assert result.returncode == 1
    assert message in result.stderr


def test_record_buffer_spills_large_record_to_file(tmp_path: Path) -> None:
    buffer = RecordBuffer(tmp_path, spill_size=10)
    for text in (">big\n", "ACGTACGT\n", "ACGT\n"):
        buffer.add(text)
    output = tmp_path / "out"

    with open_output(output) as out:
        buffer.write_to(out)
    buffer.clear()
    buffer.add(">small\n")
    with open_output(tmp_path / "second") as out:
        buffer.write_to(out)
    buffer.close()

    assert output.read_text() == ">big\nACGTACGT\nACGT\n"
    assert (tmp_path / "second").read_text() == ">small\n"


def test_fasta_filter_length_spilled_records_keep_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(length_filter, "SPILL_SIZE", 8)
    monkeypatch.chdir(tmp_path)
    lines = [">a", "ACGTACGTACGT", "ACGT", ">b", "AC", ">c", "ACGTACGTAAAA"]
    source = write_lines(tmp_path / "in.fa", lines)
    output = tmp_path / "out"

    info = length_filter.filter_by_length(source, output, 3, 0)

    assert output.read_text().splitlines() == [">a", "ACGTACGTACGT", "ACGT", ">c", "ACGTACGTAAAA"]
    assert info[0] == "kept 2 of 3 sequences of length at least 3, no maximum"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.fa", "out"]


# count-gff-features


def test_count_gff_features_groups_rows_of_one_transcript(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.gtf", GTF)
    output = tmp_path / "out"

    result = run_ops("count-gff-features", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["2"]
    assert "2 features in 3 rows" in result.stdout


def test_count_gff_features_crlf_and_comments(tmp_path: Path) -> None:
    lines = ["##gff-version 2", GTF[0], "# between", GTF[2]]
    source = write_lines(tmp_path / "in.gtf", lines, ending="\r\n", final=False)
    output = tmp_path / "out"

    result = run_ops("count-gff-features", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["2"]


def test_count_gff_features_empty_input_counts_zero(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.gtf", [])
    output = tmp_path / "out"

    result = run_ops("count-gff-features", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["0"]


def test_count_gff_features_skips_and_counts_bad_rows(tmp_path: Path) -> None:
    bad = GTF[1].replace("\t300\t", "\tthree hundred\t")
    source = write_lines(tmp_path / "in.gtf", [GTF[0], bad, GTF[2]])
    output = tmp_path / "out"

    result = run_ops("count-gff-features", source, output, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == ["2"]
    assert "skipped 1 invalid line of input, first at line 2: start 'three hundred'" in (
        result.stdout
    )


def test_count_gff_features_rejects_file_without_readable_rows(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.gtf", ["not\ta\tgff", "file\tat\tall"])

    result = run_ops("count-gff-features", source, tmp_path / "out")

    assert result.returncode == 1
    assert "none of the 2 data lines of input could be read" in result.stderr


# create-interval


def test_create_interval_writes_one_bed_row(tmp_path: Path) -> None:
    output = tmp_path / "out"

    result = run_ops("create-interval", output, "--chrom", "chrX", "--start", "151087187",
                     "--end", "151370486", "--name", " NM 000808 ", "--strand", "minus",
                     output=output)

    assert result.returncode == 0, result.stderr
    assert output.read_text() == "chrX\t151087187\t151370486\tNM_000808\t0\t-\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--chrom", "chr 1"], "one word"),
        (["--start", "-1"], "0 or more"),
        (["--start", "50", "--end", "10"], "must not be less than the start"),
        (["--name", "  "], "must not be empty"),
    ],
)
def test_create_interval_rejects_bad_parameters(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    values = {"--chrom": "chr1", "--start": "1", "--end": "20", "--name": "x"}
    values.update(dict(zip(arguments[::2], arguments[1::2], strict=True)))
    flat = [item for pair in values.items() for item in pair]

    result = run_ops("create-interval", tmp_path / "out", *flat)

    assert result.returncode == 1
    assert message in result.stderr


# memory


@pytest.mark.parametrize(
    "arguments",
    [
        ["fasta-length", "{output}", "--input", "{source}"],
        ["fasta-to-tabular", "{source}", "{output}"],
        ["fasta-filter-length", "{source}", "{output}", "--min-length", "1"],
    ],
    ids=["fasta-length", "fasta-to-tabular", "fasta-filter-length"],
)
def test_long_unwrapped_sequence_keeps_memory_flat(tmp_path: Path, arguments: list[str]) -> None:
    source = tmp_path / "chromosome.fa"
    with open(source, "wb") as out:
        out.write(b">chrBig one unwrapped line\n")
        block = b"ACGT" * (1 << 18)
        for _ in range(LONG_SEQUENCE_BYTES // len(block)):
            out.write(block)
        out.write(b"\n")
    output = tmp_path / "out"
    argv = [item.format(source=source, output=output) for item in arguments]

    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", MEASURE, *COMMAND, *argv],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    exit_code, peak_kib = map(int, completed.stdout.split())

    assert exit_code == 0, completed.stderr
    assert peak_kib / 1024 < PEAK_MEMORY_LIMIT_MIB
    assert output.stat().st_size >= LONG_SEQUENCE_BYTES or arguments[0] == "fasta-length"
