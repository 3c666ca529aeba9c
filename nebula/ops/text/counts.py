"""Counting lines, words and characters (wc_gnu) and message digests of a dataset
(secure_hash_message_digest). Both read fixed-size blocks and write a two-line table: a
'#' header naming the columns, then the values."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.text.lines import open_input, open_output

# wc_gnu's option values, in the order of the output columns whatever the request's order.
COUNT_NAMES = ("lines", "words", "characters")
# secure_hash_message_digest's option values; each is a hashlib algorithm name.
DIGEST_ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
_BLOCK_SIZE = 1 << 20
_WORD = re.compile(r"\S+")


def word_count(
    input_path: Path, output: Path, counts: Sequence[str], header: bool = True
) -> list[str]:
    """Write the chosen counts of the input: lines, words (runs of non-whitespace) and
    characters (Unicode characters, line ends included; an undecodable byte counts as one).

    A last line without a line end is counted as a line, unlike `wc -l`.
    """
    unknown = [name for name in counts if name not in COUNT_NAMES]
    if unknown or not counts:
        raise ParameterError(
            "options",
            f"choose one or more of {', '.join(COUNT_NAMES)} to count, got "
            f"{', '.join(counts) or 'nothing'}",
        )
    values = _count(input_path)
    chosen = [name for name in COUNT_NAMES if name in counts]
    with open_output(output) as out:
        if header:
            out.write("#" + "\t".join(chosen) + "\n")
        out.write("\t".join(str(values[name]) for name in chosen) + "\n")
    return []


def digest(input_path: Path, output: Path, algorithms: Sequence[str]) -> list[str]:
    """Write the hex digest of the input's bytes by each algorithm, in the order given."""
    if not algorithms:
        raise ParameterError(
            "algorithms", f"choose one or more algorithms: {', '.join(DIGEST_ALGORITHMS)}"
        )
    for name in algorithms:
        if name not in DIGEST_ALGORITHMS:
            raise ParameterError(
                "algorithms",
                f"unknown algorithm '{name}'; choose from {', '.join(DIGEST_ALGORITHMS)}",
            )
    if len(set(algorithms)) != len(algorithms):
        raise ParameterError(
            "algorithms", f"each algorithm may be given once, got {', '.join(algorithms)}"
        )

    hashes = [hashlib.new(name) for name in algorithms]
    with open_input(input_path) as handle:
        while block := handle.buffer.read(_BLOCK_SIZE):
            for hash_object in hashes:
                hash_object.update(block)
    with open_output(output) as out:
        out.write("#" + "\t".join(algorithms) + "\n")
        out.write("\t".join(hash_object.hexdigest() for hash_object in hashes) + "\n")
    return []


def _count(input_path: Path) -> dict[str, int]:
    lines = words = characters = 0
    in_word = False
    last = "\n"
    # newline="" keeps '\r' characters, so that they are counted as `wc -m` counts them.
    with open_input(input_path, newline="") as handle:
        while block := handle.read(_BLOCK_SIZE):
            characters += len(block)
            lines += block.count("\n")
            words += len(_WORD.findall(block))
            # A word cut in two by the block boundary was counted twice.
            if in_word and not block[0].isspace():
                words -= 1
            in_word = not block[-1].isspace()
            last = block[-1]
    if last != "\n":
        lines += 1
    return {"lines": lines, "words": words, "characters": characters}
