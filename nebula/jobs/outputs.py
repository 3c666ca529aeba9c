"""Describing a finished job's output files: datatype, metadata, peek, checksum and size.

Outputs are described where they were written: in the job worker that ran the job, or in
the thread or Celery task that waited for its process. Both read the same files in the
same way, so a job's outputs are described alike whichever way it ran.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from nebula.datatypes import DatatypeRegistry
from nebula.errors import DatatypeError
from nebula.jobs.spec import OutputReport
from nebula.jobs.workdir import JobDirectory


class OutputError(Exception):
    """An output is missing or cannot be typed."""


def describe_outputs(
    outputs: Iterable[tuple[str, str]], directory: JobDirectory, datatypes: DatatypeRegistry
) -> list[OutputReport]:
    """Describe each (name, declared format) output of the job in `directory`.

    A command may decide an output's format or name itself (uploads do) in the
    directory's overrides file. Raises OutputError for a missing output or an unknown format.
    """
    overrides = _read_overrides(directory)
    reports = []
    for name, ext in outputs:
        path = directory.output_path(name)
        if not path.exists():
            raise OutputError(f"the tool did not write its output '{name}'")
        override = overrides.get(name, {})
        try:
            datatype = datatypes.get(override.get("ext") or ext)
        except DatatypeError as exc:
            raise OutputError(exc.message) from None
        reports.append(
            OutputReport(
                name=name,
                ext=datatype.ext,
                size=path.stat().st_size,
                checksum="sha256:" + _sha256(path),
                metadata=datatype.compute_metadata(path),
                peek=datatype.make_peek(path),
                info=override.get("info"),
                dataset_name=override.get("name"),
            )
        )
    return reports


def _read_overrides(directory: JobDirectory) -> dict[str, dict[str, str]]:
    try:
        return json.loads(directory.overrides.read_text())
    except FileNotFoundError:
        return {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
