"""Interval operations on real annotation data, checked against brute-force answers.

exons.bed (RefSeq exons) and cpg.bed (CpG islands) cover chrX and chrY of hg19; every
expected result here is computed pair by pair, O(n*m), in the test itself.
"""

from __future__ import annotations

from pathlib import Path

from .helpers import GENOMIC_DATA, run_ops

EXONS = GENOMIC_DATA / "exons.bed"
CPG = GENOMIC_DATA / "cpg.bed"
BED6 = "1,2,3,6"
BED4 = "1,2,3,0"


def read_rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines() if line and line[0] != "#"]


def overlap(first: list[str], second: list[str]) -> int:
    if first[0] != second[0]:
        return 0
    return max(0, min(int(first[2]), int(second[2])) - max(int(first[1]), int(second[1])))


def covered_bases(row: list[str], others: list[list[str]]) -> int:
    """Count the bases of `row` inside any of `others`, base by base."""
    bases: set[int] = set()
    for other in others:
        if overlap(row, other):
            start = max(int(row[1]), int(other[1]))
            end = min(int(row[2]), int(other[2]))
            bases.update(range(start, end))
    return len(bases)


def test_exons_intersect_cpg_matches_brute_force(tmp_path: Path) -> None:
    exons, islands = read_rows(EXONS), read_rows(CPG)
    output = tmp_path / "out.bed"

    result = run_ops(
        "intersect", EXONS, CPG, output, "--cols1", BED6, "--cols2", BED4, output=output
    )

    expected = ["\t".join(e) for e in exons if any(overlap(e, c) for c in islands)]
    assert result.returncode == 0, result.stderr
    assert result.lines == expected
    assert 0 < len(expected) < len(exons)


def test_exons_subtract_cpg_matches_brute_force(tmp_path: Path) -> None:
    exons, islands = read_rows(EXONS), read_rows(CPG)
    output = tmp_path / "out.bed"

    result = run_ops(
        "subtract", EXONS, CPG, output, "--cols1", BED6, "--cols2", BED4, output=output
    )

    expected = ["\t".join(e) for e in exons if not any(overlap(e, c) for c in islands)]
    assert result.returncode == 0, result.stderr
    assert result.lines == expected


def test_exons_intersect_min_overlap_matches_brute_force(tmp_path: Path) -> None:
    exons, islands = read_rows(EXONS), read_rows(CPG)
    output = tmp_path / "out.bed"

    result = run_ops(
        "intersect",
        EXONS,
        CPG,
        output,
        "--cols1",
        BED6,
        "--cols2",
        BED4,
        "--min",
        "100",
        output=output,
    )

    expected = ["\t".join(e) for e in exons if covered_bases(e, islands) >= 100]
    assert result.returncode == 0, result.stderr
    assert result.lines == expected


def test_exons_coverage_matches_brute_force(tmp_path: Path) -> None:
    exons, islands = read_rows(EXONS), read_rows(CPG)
    output = tmp_path / "out.bed"

    result = run_ops(
        "coverage", EXONS, CPG, output, "--cols1", BED6, "--cols2", BED4, output=output
    )

    covered = [int(line.split("\t")[6]) for line in result.lines]
    assert result.returncode == 0, result.stderr
    assert covered == [covered_bases(e, islands) for e in exons]


def test_exons_join_matches_brute_force(tmp_path: Path) -> None:
    exons, islands = read_rows(EXONS), read_rows(CPG)
    output = tmp_path / "out.bed"

    result = run_ops("join", EXONS, CPG, output, "--cols1", BED6, "--cols2", BED4, output=output)

    expected = {"\t".join(e + c) for e in exons for c in islands if overlap(e, c) >= 1}
    assert result.returncode == 0, result.stderr
    assert sorted(result.lines) == sorted(expected)
    assert len(result.lines) == len(expected)


def test_cpg_base_coverage_matches_brute_force(tmp_path: Path) -> None:
    islands = read_rows(CPG)
    output = tmp_path / "out.txt"
    bases = {(c[0], position) for c in islands for position in range(int(c[1]), int(c[2]))}

    result = run_ops("basecoverage", CPG, output, "--cols1", BED4, output=output)

    assert result.returncode == 0, result.stderr
    assert result.lines == [str(len(bases))]


def test_lamina_header_line_passes_through_merge(tmp_path: Path) -> None:
    lamina = GENOMIC_DATA / "lamina.bed"
    output = tmp_path / "out.bed"

    result = run_ops(
        "merge", lamina, output, "--cols1", "1,2,3,0", "--three-columns", output=output
    )

    rows = [line.split("\t") for line in result.lines[1:]]
    assert result.returncode == 0, result.stderr
    assert result.lines[0] == "#chrom\tstart\tend\tvalue"
    assert rows == sorted(rows, key=lambda row: (row[0], int(row[1])))
    assert all(int(row[2]) > int(row[1]) for row in rows)
    assert all(
        int(second[1]) > int(first[2])
        for first, second in zip(rows, rows[1:], strict=False)
        if first[0] == second[0]
    )
