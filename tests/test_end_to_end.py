"""BioBlend, Galaxy's Python client, against a real `nebula serve` on real data."""

from __future__ import annotations

import time
from pathlib import Path

from bioblend.galaxy import GalaxyInstance

from tests.support.server import NebulaServer

GENOMIC = Path(__file__).parent / "data" / "genomic"


def _read_bed(path: Path) -> list[list[str]]:
    return [
        line.split("\t")
        for line in path.read_text().splitlines()
        if line and not line.startswith(("#", "track", "browser"))
    ]


def _exons_overlapping_cpg(exons: Path, cpg: Path) -> list[str]:
    """Independent answer: every exon row that shares at least one base with an island."""
    islands: dict[str, list[tuple[int, int]]] = {}
    for row in _read_bed(cpg):
        islands.setdefault(row[0], []).append((int(row[1]), int(row[2])))
    kept = []
    for row in _read_bed(exons):
        start, end = int(row[1]), int(row[2])
        if any(
            start < island_end and island_start < end
            for island_start, island_end in islands.get(row[0], [])
        ):
            kept.append("\t".join(row))
    return kept


def test_bioblend_uploads_intersects_and_downloads(
    server: NebulaServer, admin_key: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    gi = GalaxyInstance(server.url, key=admin_key)
    history = gi.histories.create_history("exons and CpG islands")

    exons = gi.tools.upload_file(str(GENOMIC / "exons.bed"), history["id"])["outputs"][0]
    cpg = gi.tools.upload_file(str(GENOMIC / "cpg.bed"), history["id"])["outputs"][0]
    gi.datasets.wait_for_dataset(exons["id"])
    gi.datasets.wait_for_dataset(cpg["id"])
    run = gi.tools.run_tool(
        history["id"],
        "gops_intersect_1",
        {
            "input1": {"src": "hda", "id": exons["id"]},
            "input2": {"src": "hda", "id": cpg["id"]},
            "min": 1,
        },
    )
    job = gi.jobs.wait_for_job(run["jobs"][0]["id"])
    target = tmp_path / "intersect.bed"
    gi.datasets.download_dataset(
        run["outputs"][0]["id"], file_path=str(target), use_default_filename=False
    )
    details = gi.datasets.show_dataset(run["outputs"][0]["id"])
    exons_details = gi.datasets.show_dataset(exons["id"])
    contents = gi.histories.show_history(history["id"], contents=True)
    elapsed = time.monotonic() - started

    expected = _exons_overlapping_cpg(GENOMIC / "exons.bed", GENOMIC / "cpg.bed")
    assert job["state"] == "ok"
    assert exons_details["file_ext"] == "bed"
    assert exons_details["metadata_data_lines"] == 1000
    assert target.read_text().splitlines() == expected
    assert len(expected) == 78, "the data set has 78 exons overlapping an island"
    assert details["file_ext"] == "bed"
    assert details["metadata_data_lines"] == len(expected)
    assert [item["hid"] for item in contents] == [1, 2, 3]
    print(f"BioBlend end-to-end run took {elapsed:.2f} s")


def test_bioblend_sees_job_details_and_metrics(server: NebulaServer, admin_key: str) -> None:
    gi = GalaxyInstance(server.url, key=admin_key)
    history = gi.histories.create_history("merge")
    upload = gi.tools.upload_file(str(GENOMIC / "cpg.bed"), history["id"], file_type="bed")
    gi.jobs.wait_for_job(upload["jobs"][0]["id"])

    run = gi.tools.run_tool(
        history["id"], "gops_merge_1", {"input1": {"src": "hda", "id": upload["outputs"][0]["id"]}}
    )
    job_id = run["jobs"][0]["id"]
    gi.jobs.wait_for_job(job_id)
    job = gi.jobs.show_job(job_id, full_details=True)
    metrics = {metric["name"]: float(metric["raw_value"]) for metric in gi.jobs.get_metrics(job_id)}

    assert job["tool_id"] == "gops_merge_1"
    assert job["exit_code"] == 0
    assert "nebula-ops merge" in job["command_line"]
    assert job["inputs"]["input1"]["id"] == upload["outputs"][0]["id"]
    assert metrics["runtime_seconds"] > 0
    assert metrics["peak_memory_bytes"] > 0
    assert "cpu_seconds" in metrics
