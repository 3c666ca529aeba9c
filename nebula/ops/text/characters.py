"""Condensing runs of a delimiter (Condense characters1) and turning delimiters into tabs
(Convert characters1). Every line is changed, comment lines included."""

from __future__ import annotations

import re
from pathlib import Path

from nebula.ops.text.lines import iter_lines, open_output

# Condense characters1 option values and the single character each one condenses.
CONDENSED_CHARACTERS = {"T": "\t", "Sp": " ", "Dt": ".", "C": ",", "D": "-", "U": "_", "P": "|"}
# Convert characters1 option values and the characters each one converts ('s' is any
# whitespace, as a regular expression class).
CONVERTED_CHARACTERS = {
    "s": r"\s",
    "T": r"\t",
    "Dt": r"\.",
    "C": ",",
    "D": "-",
    "U": "_",
    "P": r"\|",
    "Co": ":",
}


def condense(input_path: Path, output: Path, character: str) -> list[str]:
    """Replace every run of the chosen character by one occurrence of it."""
    single = CONDENSED_CHARACTERS[character]
    run = re.compile(re.escape(single) + "{2,}")
    with open_output(output) as out:
        for _, line in iter_lines(input_path):
            out.write(run.sub(single, line) + "\n")
    return []


def convert(input_path: Path, output: Path, delimiter: str) -> list[str]:
    """Strip each line, then replace every run of the chosen delimiter by one tab."""
    run = re.compile(CONVERTED_CHARACTERS[delimiter] + "+")
    with open_output(output) as out:
        for _, line in iter_lines(input_path):
            out.write(run.sub("\t", line.strip()) + "\n")
    return []
