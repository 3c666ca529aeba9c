"""Nebula's upload command: turns staged uploads into job outputs.

Run by the job system as `python -m nebula.jobs.upload_action PARAMS OUTPUT_DIR OVERRIDES`,
so uploads go through the same queue, limits and recovery as every other tool. For each
item it copies the staged file into the output, converting line endings and spaces on the
way when asked, detects the datatype when the format is `auto`, and writes the chosen
datatype to the overrides file for the finishing step.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from nebula.datatypes import default_registry
from nebula.errors import DatatypeError

AUTO = "auto"
_BINARY_PROBE_BYTES = 64 * 1024
_SPACES = re.compile(rb" +")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(
            "usage: python -m nebula.jobs.upload_action PARAMS OUTPUT_DIR OVERRIDES",
            file=sys.stderr,
        )
        return 2
    params = json.loads(Path(argv[0]).read_text())
    output_dir = Path(argv[1])
    overrides: dict[str, dict[str, str]] = {}
    for item in params["items"]:
        try:
            overrides[item["output"]] = _upload_one(item, output_dir)
        except (OSError, DatatypeError, ValueError) as exc:
            print(f"upload of '{item.get('name', '?')}' failed: {exc}", file=sys.stderr)
            return 1
    Path(argv[2]).write_text(json.dumps(overrides))
    return 0


def _upload_one(item: dict[str, Any], output_dir: Path) -> dict[str, str]:
    source = Path(item["staged_path"])
    target = output_dir / f"{item['output']}.dat"
    if not source.exists():
        raise ValueError(f"the uploaded file {source.name} is no longer staged; upload it again")

    is_text = _looks_like_text(source)
    if is_text and (item.get("to_posix_lines", True) or item.get("space_to_tab", False)):
        lines = _convert_lines(source, target, bool(item.get("space_to_tab", False)))
    else:
        lines = None
        _copy(source, target)

    registry = default_registry()
    requested = item.get("ext") or AUTO
    ext = registry.sniff(target) if requested == AUTO else registry.get(requested).ext
    info = f"uploaded {ext} file" + (f", {lines} line{'' if lines == 1 else 's'}" if lines is not None else "")
    print(f"{item.get('name', source.name)}: {info}")
    return {"ext": ext, "info": info}


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as handle:
        probe = handle.read(_BINARY_PROBE_BYTES)
    return b"\0" not in probe


def _convert_lines(source: Path, target: Path, space_to_tab: bool) -> int:
    """Copy line by line, ending every line with a newline; return the line count.

    Opening in binary with universal newlines off and splitting by hand keeps memory flat
    and recognises \\r\\n, \\r and \\n endings alike.
    """
    count = 0
    with open(source, "rb") as reader, open(target, "wb") as writer:
        pending = b""
        while chunk := reader.read(1 << 20):
            data = pending + chunk
            # A chunk ending in \r may be the first half of \r\n: keep it for the next round.
            cut = len(data) - 1 if data.endswith(b"\r") else len(data)
            data, pending = data[:cut], data[cut:]
            parts = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            pending = parts.pop() + pending
            for line in parts:
                writer.write((_SPACES.sub(b"\t", line) if space_to_tab else line) + b"\n")
                count += 1
        if pending.rstrip(b"\r"):
            line = pending.rstrip(b"\r")
            writer.write((_SPACES.sub(b"\t", line) if space_to_tab else line) + b"\n")
            count += 1
    return count


def _copy(source: Path, target: Path) -> None:
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(1 << 20):
            writer.write(chunk)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
