"""Replacing each interval by its flanking regions (Galaxy's "Get flanks")."""

from __future__ import annotations

import enum
from pathlib import Path

from nebula.errors import ParameterError
from nebula.ops.index import Span
from nebula.ops.reader import DatasetInput, Interval, TextLine, open_output


class FlankRegion(enum.Enum):
    """Which part of the feature the flanks are measured from."""

    WHOLE = "whole"
    START = "start"
    END = "end"


class FlankDirection(enum.Enum):
    """Which flanks to write, relative to the feature's strand."""

    UPSTREAM = "Upstream"
    DOWNSTREAM = "Downstream"
    BOTH = "Both"


def get_flanks(
    input1: DatasetInput,
    output: Path,
    region: FlankRegion = FlankRegion.WHOLE,
    direction: FlankDirection = FlankDirection.UPSTREAM,
    offset: int = 0,
    size: int = 50,
) -> list[str]:
    """Write, for each row, its `size`-base flanks with the other columns unchanged.

    Upstream and downstream follow the row's strand (unknown strand counts as '+'), and a
    positive `offset` moves the flanks downstream. With both flanks, the upstream one
    comes first. A flank reaching below coordinate 0 is cut at 0 and left out when
    nothing remains. Returns the info lines for the job.
    """
    if size < 0:
        raise ParameterError("size", f"the flank length must be 0 or more, got {size}")
    left_out = 0
    with open_output(output) as out:
        for record in input1.records():
            if isinstance(record, TextLine):
                out.write(record.text + "\n")
                continue
            for start, end in flank_spans(record, region, direction, offset, size):
                if start < 0:
                    if end <= 0:
                        left_out += 1
                        continue
                    start = 0
                out.write(record.with_bounds(start, end).line() + "\n")
    info = [
        f"Location: {direction.value}, region: {region.value}, "
        f"flank length: {size}, offset: {offset}"
    ]
    if left_out:
        info.append(f"left out {left_out} flanks that lay before the chromosome start")
    return info


def flank_spans(
    row: Interval, region: FlankRegion, direction: FlankDirection, offset: int, size: int
) -> list[Span]:
    """Return the flank spans of one row, upstream first."""
    if row.strand == "-":
        # The feature's 5' end is its `end`; upstream lies to the right.
        up_anchor = row.end if region is not FlankRegion.END else row.start
        down_anchor = row.start if region is not FlankRegion.START else row.end
        upstream = (up_anchor - offset, up_anchor - offset + size)
        downstream = (down_anchor - offset - size, down_anchor - offset)
    else:
        up_anchor = row.start if region is not FlankRegion.END else row.end
        down_anchor = row.end if region is not FlankRegion.START else row.start
        upstream = (up_anchor + offset - size, up_anchor + offset)
        downstream = (down_anchor + offset, down_anchor + offset + size)

    if direction is FlankDirection.UPSTREAM:
        return [upstream]
    if direction is FlankDirection.DOWNSTREAM:
        return [downstream]
    return [upstream, downstream]
