"""Putting datasets together: one after another (cat1) or side by side (Paste1)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest
from pathlib import Path

from nebula.ops.text.lines import iter_lines, open_input, open_output

# Paste1 option values and the delimiter each one writes.
PASTE_DELIMITERS = {"T": "\t", "Dt": ".", "C": ",", "D": "-", "U": "_", "P": "|", "Sp": " "}
_BLOCK_SIZE = 1 << 20


def cat(output: Path, inputs: Sequence[Path], text: bool = True) -> list[str]:
    """Copy the inputs, byte for byte, one after another into `output`.

    With `text`, a line end is written after an input whose last line has none when more
    data follows, so that its last line does not run into the next input's first line.
    Binary data (`text` false) is never changed.
    """
    last_byte = b"\n"
    with open(output, "wb") as out:
        for path in inputs:
            with open_input(path) as handle:
                source = handle.buffer
                first = source.read(_BLOCK_SIZE)
                if not first:
                    continue
                if text and last_byte != b"\n":
                    out.write(b"\n")
                out.write(first)
                last_byte = first[-1:]
                while block := source.read(_BLOCK_SIZE):
                    out.write(block)
                    last_byte = block[-1:]
    return [f"Concatenated {len(inputs)} datasets."]


def paste(input1: Path, input2: Path, output: Path, delimiter: str) -> list[str]:
    """Join the lines of two inputs side by side, separated by the chosen delimiter.

    When one input has fewer lines, its side of the remaining lines is empty, as with
    `paste`.
    """
    separator = PASTE_DELIMITERS[delimiter]
    counts = [0, 0]
    with open_output(output) as out:
        pairs = zip_longest(iter_lines(input1), iter_lines(input2), fillvalue=None)
        for first, second in pairs:
            left = right = ""
            if first is not None:
                counts[0] = first[0]
                left = first[1]
            if second is not None:
                counts[1] = second[0]
                right = second[1]
            out.write(f"{left}{separator}{right}\n")
    if counts[0] == counts[1]:
        return []
    return [
        f"The first dataset has {counts[0]} lines and the second {counts[1]}; the "
        "shorter one's side of the remaining lines is empty."
    ]
