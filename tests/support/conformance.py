"""Galaxy's conformance cases: loading them and comparing outputs by their rules.

Comparison follows the case's rule (diff with lines_diff, sorted when asked) and relaxes
only the output order that the original tool left arbitrary, as each case's notes say.
"""

from __future__ import annotations

import difflib
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

CONFORMANCE_DIR = Path(__file__).resolve().parents[1] / "data" / "conformance"
CONFORMANCE_DATA = CONFORMANCE_DIR / "data"

# Galaxy's flanking_features.py converts the reported feature to GFF coordinates in place,
# so a feature reported a second time is written with its start raised by one again
# (30136508 becomes 30136509). Nebula writes the feature's real start; these lines of the
# expected file are corrected before comparing: {case: {line number: (wrong, right)}}.
GALAXY_DEFECTS = {
    "flanking_features_1#7": {
        8: ('"chr22\tbed2gff\tuc003bnx.1_cds_2_0_chr22_29227_f\t30136509', "30136509"),
        9: ('"chr22\tbed2gff\tuc003bnx.1_cds_2_0_chr22_29227_f\t30140509', "30140509"),
    },
}


def load_cases(tool_ids: Iterable[str]) -> list[dict[str, Any]]:
    wanted = set(tool_ids)
    cases = yaml.safe_load((CONFORMANCE_DIR / "cases.yaml").read_text())
    return [case for case in cases if case["tool_id"] in wanted]


def compare(
    case: dict[str, Any], expected: dict[str, Any], actual: list[str], expected_lines: list[str]
) -> None:
    """Compare as Galaxy does, relaxing only the order the original tool left arbitrary."""
    notes = " ".join(case.get("notes", []))
    if expected.get("sort") or "Python set" in notes:
        actual, expected_lines = sorted(actual), sorted(expected_lines)
    elif "dict iteration" in notes:
        # Galaxy wrote the chromosomes in hash-table order; within one the order is real.
        actual, expected_lines = by_chromosome(actual), by_chromosome(expected_lines)
    elif case["tool_id"] == "gops_join_1" and case["params"]["fill"] in ("left", "both"):
        # Unmatched input2 rows ('.'-filled input1 side) come last, in the hash-table
        # order of their chromosomes in Galaxy's output (chr5, chr2, chr21, ... in the
        # expected files); the rows before them keep input1's order.
        actual, expected_lines = split_unmatched(actual), split_unmatched(expected_lines)
    differing = count_differing_lines(actual, expected_lines)
    assert differing <= int(expected.get("lines_diff", 0)), "\n".join(
        difflib.unified_diff(list(map(str, expected_lines)), list(map(str, actual)), lineterm="")
    )


def by_chromosome(lines: list[str]) -> list[str]:
    """Put the lines of each chromosome together, keeping their order; headers first."""
    headers = [line for line in lines if line.startswith("#")]
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for line in lines:
        if not line.startswith("#"):
            groups.setdefault(line.split("\t")[0], []).append(line)
    return headers + [line for chrom in sorted(groups) for line in groups[chrom]]


def split_unmatched(lines: list[str]) -> list[str]:
    matched = [line for line in lines if not line.startswith(".\t")]
    unmatched = [line for line in lines if line.startswith(".\t")]
    groups: dict[str, list[str]] = {}
    for line in unmatched:
        fields = line.split("\t")
        groups.setdefault(fields[len(fields) // 2], []).append(line)
    return matched + [line for chrom in sorted(groups) for line in groups[chrom]]


def correct_known_defects(case_id: str, lines: list[str]) -> list[str]:
    """Undo the double coordinate conversion listed in GALAXY_DEFECTS for this case."""
    corrected = list(lines)
    for number, (wrong_text, wrong_start) in GALAXY_DEFECTS.get(case_id, {}).items():
        line = corrected[number - 1]
        assert wrong_text in line, f"expected line {number} no longer shows the known defect"
        right_text = wrong_text.replace(wrong_start, str(int(wrong_start) - 1))
        corrected[number - 1] = line.replace(wrong_text, right_text)
    return corrected


def count_differing_lines(actual: list[str], expected_lines: list[str]) -> int:
    """Count lines added or removed by a diff, as Galaxy's lines_diff does."""
    if actual == expected_lines:
        return 0
    diff = difflib.ndiff(expected_lines, actual)
    return sum(1 for line in diff if line[:2] in ("+ ", "- "))
