"""Grouping GFF/GTF rows into features, as Galaxy's intersect and subtract do.

Consecutive rows that belong to one transcript (same GTF `transcript_id`, GFF3 `ID` or
`Parent`, or the same GFF2 group) form one feature, which is kept or dropped as a unit;
its extent is the smallest start to the largest end of its rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nebula.ops.reader import Interval, TextLine

ATTRIBUTE_COLUMN = 8


class GffFeature:
    """Consecutive GFF rows of one transcript (or one row that starts no group)."""

    __slots__ = ("members", "chrom", "start", "end", "_keys")

    def __init__(self, seed: Interval) -> None:
        self.members = [seed]
        self.chrom = seed.chrom
        self.start = seed.start
        self.end = seed.end
        self._keys = _feature_keys(parse_attributes(_attribute_text(seed)))

    def accepts(self, row: Interval) -> bool:
        """Tell whether a row belongs to this feature."""
        if row.chrom != self.chrom or not self._keys:
            return False
        attributes = parse_attributes(_attribute_text(row))
        if _feature_keys(attributes) & self._keys:
            return True
        parents = attributes.get("Parent")
        if parents:
            return any(("ID", parent) in self._keys for parent in parents.split(","))
        return False

    def add(self, row: Interval) -> None:
        self.members.append(row)
        self.start = min(self.start, row.start)
        self.end = max(self.end, row.end)


def parse_attributes(text: str) -> dict[str, str]:
    """Parse a GFF3 (`a=b;c=d`) or GTF (`a "b"; c "d";`) attribute column.

    A column in neither form is a GFF2 group name and is returned as {'group': text}.
    """
    attributes: dict[str, str] = {}
    for part in text.split(";"):
        part = part.strip()
        if "=" in part:
            name, _, value = part.partition("=")
        elif '"' in part:
            name, _, value = part.partition('"')
        else:
            continue
        name = name.strip()
        if name:
            attributes[name] = value.strip(' "')
    if not attributes and text.strip():
        attributes["group"] = text
    return attributes


def group_features(records: Iterable[Interval | TextLine]) -> Iterator[GffFeature | TextLine]:
    """Yield features made of consecutive related rows; header lines end a feature."""
    current: GffFeature | None = None
    for record in records:
        if isinstance(record, TextLine):
            if current is not None:
                yield current
                current = None
            yield record
        elif current is not None and current.accepts(record):
            current.add(record)
        else:
            if current is not None:
                yield current
            current = GffFeature(record)
    if current is not None:
        yield current


def _attribute_text(row: Interval) -> str:
    return row.fields[ATTRIBUTE_COLUMN] if len(row.fields) > ATTRIBUTE_COLUMN else ""


def _feature_keys(attributes: dict[str, str]) -> set[tuple[str, str]]:
    keys = set()
    for name in ("group", "ID", "transcript_id"):
        value = attributes.get(name)
        if value:
            keys.add((name, value))
    return keys
