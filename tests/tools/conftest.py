"""Fixtures for the tool tests: a small datatype hierarchy, datasets and tool files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nebula.errors import NotFound
from nebula.tools import DatasetInfo, InputFile, Tool, load_tool

TOOL_DATA = Path(__file__).resolve().parent.parent / "data" / "tools"


class FakeRegistry:
    """The subtype relations of Nebula's formats that these tests need; the real
    registry lives in nebula.datatypes."""

    PARENTS = {
        "bed": "interval",
        "interval": "tabular",
        "gtf": "gff",
        "gff": "tabular",
        "tabular": "txt",
        "fasta": "txt",
        "txt": "data",
    }

    def is_subtype(self, ext: str, parent: str) -> bool:
        current: str | None = ext
        while current is not None:
            if current == parent:
                return True
            current = self.PARENTS.get(current)
        return False


class FakeResolver:
    """Datasets by id, as a DatasetResolver for one user."""

    def __init__(self, datasets: list[DatasetInfo]) -> None:
        self.datasets = {d.id: d for d in datasets}

    def resolve(self, ref: str) -> DatasetInfo:
        if ref not in self.datasets:
            raise NotFound(f"dataset {ref!r} was not found")
        return self.datasets[ref]


BED = DatasetInfo(
    "bed1",
    "bed",
    {"columns": 6, "chromCol": 1, "startCol": 2, "endCol": 3, "strandCol": 6},
    "exons.bed",
)
BED2 = DatasetInfo(
    "bed2", "bed", {"columns": 3, "chromCol": 1, "startCol": 2, "endCol": 3}, "cpg.bed"
)
GFF = DatasetInfo("gff1", "gff", {"columns": 9}, "genes.gff")
TABLE = DatasetInfo("tab1", "tabular", {"columns": 4}, "table.tab")
FASTA = DatasetInfo("fa1", "fasta", {"sequences": 2}, "seqs.fa")
BROKEN = DatasetInfo("err1", "bed", {"columns": 3}, "failed.bed", state="error")


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver([BED, BED2, GFF, TABLE, FASTA, BROKEN])


def tool_path(name: str) -> Path:
    return TOOL_DATA / name


def load(name: str) -> Tool:
    return load_tool(tool_path(name))


def input_files(state, resolver: FakeResolver, folder: str = "/data") -> dict[str, InputFile]:
    """Build the InputFile of every dataset the state reads, as a job would."""
    files = {}
    for flat_name, dataset_id in state.data_inputs():
        info = resolver.resolve(dataset_id)
        files[flat_name] = InputFile(
            f"{folder}/{dataset_id}.dat", info.ext, info.metadata, info.name, dataset_id
        )
    return files
