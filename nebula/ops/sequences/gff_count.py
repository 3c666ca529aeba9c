"""The number of features in a GFF/GTF dataset, where one feature may span many rows.

Rows are grouped as the interval tools group them (`nebula.ops.gff`): consecutive rows
of one transcript (GTF `transcript_id`, GFF3 `ID`/`Parent`, GFF2 group) are one feature.
Only the current feature is held in memory.
"""

from __future__ import annotations

from pathlib import Path

from nebula.ops.gff import GffFeature, group_features
from nebula.ops.reader import DatasetInput, open_output


def count_features(dataset: DatasetInput, output: Path) -> list[str]:
    """Write the feature count as one line; return the job's info lines.

    Rows that cannot be read are skipped and counted on `dataset.invalid`.
    """
    features = 0
    for item in group_features(dataset.records()):
        if isinstance(item, GffFeature):
            features += 1
    with open_output(output) as out:
        out.write(f"{features}\n")
    rows = dataset.invalid.valid
    return [f"{features} features in {rows} rows" if features != 1 else f"1 feature in {rows} rows"]
