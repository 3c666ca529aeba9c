"""Column operations on delimited text: Cut1, ChangeCase, mergeCols1 and addValue.

Each follows the Galaxy tool of the same id, including which lines it treats as data:
Cut1 drops `#` lines, mergeCols1 drops `#` lines and empty lines, ChangeCase and
addValue change every line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.text.lines import iter_lines, open_output, perl_split
from nebula.ops.text.sanitized import restore

MISSING_FIELD = "."


@dataclass
class ShortLines:
    """Counts the lines that lack a requested column and keeps the first line number."""

    count: int = 0
    first_line: int = 0

    def add(self, line_number: int) -> None:
        if self.count == 0:
            self.first_line = line_number
        self.count += 1

    def summary(self, needed: int, consequence: str) -> list[str]:
        """Return the info line, or nothing when every line had its columns."""
        if self.count == 0:
            return []
        noun = "line has" if self.count == 1 else "lines have"
        return [
            f"{self.count} {noun} fewer than {needed} columns, first at line "
            f"{self.first_line}; {consequence}."
        ]


def cut(input_path: Path, output: Path, columns: list[int], delimiter: str) -> list[str]:
    """Write the chosen columns (1-based, in the order given) joined by tabs.

    `delimiter` is a key of FIELD_SEPARATORS. A column that a line lacks is written as
    '.'; lines that start with '#' are left out.
    """
    needed = max(columns)
    short = ShortLines()
    comments = 0
    with open_output(output) as out:
        for number, line in iter_lines(input_path):
            if line.startswith("#"):
                comments += 1
                continue
            fields = perl_split(line, delimiter)
            if len(fields) < needed:
                short.add(number)
            picked = [fields[c - 1] if c <= len(fields) else MISSING_FIELD for c in columns]
            out.write("\t".join(picked) + "\n")

    info = short.summary(needed, f"their missing columns are written as '{MISSING_FIELD}'")
    if comments:
        info.append(f"Left out {comments} comment lines (starting with '#').")
    return info


def change_case(
    input_path: Path, output: Path, columns: list[int], delimiter: str, upper: bool
) -> list[str]:
    """Upper- or lower-case the chosen columns; the output is tab-separated.

    Every line is changed, comment lines included, as Galaxy's tool does.
    """
    chosen = {column - 1 for column in columns}
    with open_output(output) as out:
        for _, line in iter_lines(input_path):
            fields = perl_split(line, delimiter)
            for index in chosen:
                if index < len(fields):
                    fields[index] = fields[index].upper() if upper else fields[index].lower()
            out.write("\t".join(fields) + "\n")
    return []


def merge_columns(input_path: Path, output: Path, columns: list[int]) -> list[str]:
    """Append one column holding the chosen columns' values joined without a separator.

    Empty lines and lines that start with '#' are left out. A column a line lacks adds
    nothing to that line's merged value.
    """
    for column in columns:
        if column < 1:
            raise ParameterError("col1", f"column numbers start at 1, got {column}")
    needed = max(columns)
    short = ShortLines()
    with open_output(output) as out:
        for number, line in iter_lines(input_path):
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) < needed:
                short.add(number)
            merged = "".join(fields[c - 1] for c in columns if c <= len(fields))
            out.write(f"{line}\t{merged}\n")
    return short.summary(needed, "their merged value leaves the missing columns out")


def add_value(input_path: Path, output: Path, value: str, iterate: bool) -> list[str]:
    """Append a column with `value` to every line, or a counter when `iterate` is set.

    `value` is the sanitized parameter text; quote and bracket tokens are mapped back.
    With `iterate`, a value of digits is the counter's first value and sets its width
    ('007' gives 007, 008, ...). Any other value gets a suffix counting from 0 ('id-0').
    """
    text = restore(value)
    if "\n" in text or "\r" in text:
        raise ParameterError("exp", f"the value must be one line of text, got {text!r}")
    is_number = text.isascii() and text.isdigit()
    counter = int(text) if is_number else 0
    with open_output(output) as out:
        for _, line in iter_lines(input_path):
            if not iterate:
                added = text
            elif is_number:
                added = f"{counter:0{len(text)}d}"
            else:
                added = f"{text}-{counter}"
            out.write(f"{line}\t{added}\n")
            counter += 1
    return []
