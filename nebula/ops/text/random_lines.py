"""Selecting distinct random lines of a dataset, in their original order (random_lines1).

Two passes: the first counts the lines, and the second decides line by line whether to
keep each one by selection sampling (Knuth's Algorithm S). With `needed` lines still to
choose among the `remaining` ones, a line is kept with probability needed / remaining.
Every set of N lines is equally likely, exactly N are kept, and memory stays constant.

A seed makes the choice repeatable: the same seed text, file and count give the same
lines on any platform, because `random.seed` hashes text seeds with SHA-512 and the
draws use only `random()`. Galaxy's tool draws differently (it removes random lines
until N remain), so a seed does not reproduce the lines Galaxy would pick.
"""

from __future__ import annotations

import random
from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.text.lines import iter_lines, open_input, open_output

_BLOCK_SIZE = 1 << 20


def random_lines(input_path: Path, output: Path, count: int, seed: str | None) -> list[str]:
    """Write `count` distinct random lines in file order; return the job's info lines."""
    if count < 1:
        raise ParameterError("num_lines", f"select at least 1 line, got {count}")
    total = count_lines(input_path)
    generator = random.Random(seed) if seed is not None else random.Random()

    needed = min(count, total)
    written = 0
    with open_output(output) as out:
        for number, line in iter_lines(input_path):
            if written == needed:
                break
            remaining = total - number + 1
            if remaining * generator.random() < needed - written:
                out.write(line + "\n")
                written += 1

    info = [f"Kept {written} of {total} total lines."]
    if count > total:
        info.append(
            f"The dataset has only {total} lines, fewer than the {count} requested; "
            "all of them are written."
        )
    if seed is not None:
        info.append(f'Used random seed of "{seed}".')
    return info


def count_lines(path: Path) -> int:
    """Count lines as they are read: a last line without a line end counts too."""
    lines = 0
    last = b"\n"
    with open_input(path) as handle:
        buffer = handle.buffer
        while block := buffer.read(_BLOCK_SIZE):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines if last == b"\n" else lines + 1
