"""Time and peak memory of bundled tools on generated 1,000,000-line inputs.

Each tool runs the way a Nebula job runs it. Its XML is loaded, a request's parameters are
validated against the metadata that Nebula's datatypes compute for the generated files,
and the rendered `<command>` runs in a shell in its own working directory. Where
GNU coreutils or awk does the same job, that command runs the same way beside it, with
LC_ALL=C. Wall time, CPU time (user plus system) and the peak resident memory of the child process tree (`os.wait4`,
`ru_maxrss`: the largest single process, not their sum) are printed as a table and,
last, as one line of JSON.

A tool whose XML or `nebula-ops` subcommand does not exist yet is skipped with a note, so
the script runs at any stage of the tool library.

    .venv/bin/python benchmarks/tools.py [--lines N] [--seed N] [--tools Cut1,sort1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
BUNDLED_TOOLS = REPOSITORY / "nebula" / "tools" / "bundled"
DEFAULT_LINES = 1_000_000
DEFAULT_SEED = 20240521
CHROMOSOMES = [f"chr{number}" for number in range(1, 23)] + ["chrX", "chrY"]
CHROMOSOME_LENGTH = 50_000_000
TAB = "$'\\t'"

sys.path.insert(0, str(REPOSITORY))


@dataclass
class Run:
    """One measured command: exit status, wall time, peak memory and output size."""

    command: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_mib: float = 0.0
    output_lines: int = 0
    error: str = ""


@dataclass
class Benchmark:
    """A tool, the request that runs it, and the coreutils/awk command that matches it."""

    tool_id: str
    inputs: Callable[[dict[str, str]], dict[str, Any]]
    reference: str | None
    note: str = ""


@dataclass
class Result:
    tool_id: str
    nebula: Run | None = None
    reference: Run | None = None
    skipped: str = ""
    notes: list[str] = field(default_factory=list)


# Runs argv[2:] and writes "exit code, wall seconds, CPU seconds, peak RSS in KiB" to argv[1]. Linux records
# the peak of the address space a child replaces at exec, so a child forked from this
# script would report this script's memory. This small interpreter forks instead, and its
# own size is the floor of every figure (launcher_floor_mib measures it).
LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    cpu = usage.ru_utime + usage.ru_stime
    out.write(f"{os.waitstatus_to_exitcode(status)} {seconds:.3f} {cpu:.3f} {usage.ru_maxrss}")
"""

# Each `inputs` function receives the ids of the generated datasets; the reference
# command reads the files as $A and $B and writes $OUT.
BENCHMARKS = [
    Benchmark(
        "Cut1",
        lambda ids: {"input": ids["a"], "columnList": "c1,c4,c2", "delimiter": "T"},
        f"cut -d {TAB} -f1,4,2 \"$A\" > \"$OUT\"",
        "cut writes columns in file order (1,2,4), Cut1 in the requested order (1,4,2)",
    ),
    Benchmark(
        "sort1",
        lambda ids: {"input": ids["a"], "column": "2", "style": "num", "order": "ASC"},
        f"sort -s -t {TAB} -k2,2n \"$A\" > \"$OUT\"",
    ),
    Benchmark(
        "join1",
        lambda ids: {"input1": ids["a"], "field1": "4", "input2": ids["b"], "field2": "4"},
        f"sort -t {TAB} -k4,4 \"$A\" > a.sorted && sort -t {TAB} -k4,4 \"$B\" > b.sorted"
        f" && join -t {TAB} -1 4 -2 4 a.sorted b.sorted > \"$OUT\"",
        "join needs sorted inputs, so the reference sorts both first; it writes the key "
        "column once, first",
    ),
    Benchmark(
        "Filter1",
        lambda ids: {"input": ids["a"], "cond": "c5>500 and c6=='+'", "header_lines": "0"},
        f"awk -F {TAB} '$5>500 && $6==\"+\"' \"$A\" > \"$OUT\"",
    ),
    Benchmark(
        "Grouping1",
        lambda ids: {
            "input1": ids["a"],
            "groupcol": "1",
            "operations_0|optype": "mean",
            "operations_0|opcol": "5",
            "operations_0|opround": "no",
            "operations_1|optype": "length",
            "operations_1|opcol": "4",
            "operations_1|opround": "no",
        },
        f"awk -F {TAB} -v OFS={TAB} '{{s[$1]+=$5; n[$1]++}} "
        "END {for (k in s) print k, s[k]/n[k], n[k]}' \"$A\" | sort > \"$OUT\"",
        "awk keeps one sum and count per key in memory; its output is sorted after",
    ),
    Benchmark(
        "gops_intersect_1",
        lambda ids: {"input1": ids["a"], "input2": ids["b"], "min": "1", "returntype": ""},
        None,
        "no coreutils equivalent; bedtools intersect -u would be one, but bedtools is not "
        "installed here",
    ),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=DEFAULT_LINES, help="lines per input")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--tools", help="comma-separated tool ids (default: all)")
    args = parser.parse_args(argv)
    chosen = set(args.tools.split(",")) if args.tools else None
    benchmarks = [b for b in BENCHMARKS if chosen is None or b.tool_id in chosen]

    with tempfile.TemporaryDirectory(prefix="nebula-benchmark-") as folder:
        root = Path(folder)
        print(f"generating 2 inputs of {args.lines:,} lines (seed {args.seed}) in {root}")
        started = time.perf_counter()
        files = generate_inputs(root, args.lines, args.seed)
        print(f"generated in {time.perf_counter() - started:.1f} s")
        datasets = describe_datasets(files)
        floor = launcher_floor_mib(root)
        print(f"peak memory floor (the launcher's own share): {floor:.1f} MiB")
        results = [run_benchmark(b, root, files, datasets) for b in benchmarks]

    print()
    print_table(results)
    print()
    print(json.dumps(summary(results, args.lines, args.seed, floor), separators=(",", ":")))
    return 0


def generate_inputs(folder: Path, lines: int, seed: int) -> dict[str, Path]:
    """Write two unsorted BED6 files: `a` with unique names, `b` naming random rows of `a`.

    One 64-bit random draw per row gives chrom, start, length, score and strand, which
    keeps generation to a few seconds.
    """
    rng = random.Random(seed)
    files = {"a": folder / "a.bed", "b": folder / "b.bed"}
    for key, path in files.items():
        with open(path, "w", encoding="ascii", newline="\n") as out:
            rows = []
            for index in range(lines):
                bits = rng.getrandbits(64)
                start = bits % CHROMOSOME_LENGTH
                end = start + 50 + (bits >> 26) % 4950
                chrom = CHROMOSOMES[(bits >> 39) % len(CHROMOSOMES)]
                score = (bits >> 45) % 1001
                strand = "+" if bits >> 63 else "-"
                name = index if key == "a" else rng.randrange(lines)
                rows.append(f"{chrom}\t{start}\t{end}\tr{name:07d}\t{score}\t{strand}\n")
                if len(rows) == 10_000:
                    out.writelines(rows)
                    rows = []
            out.writelines(rows)
    return files


def describe_datasets(files: dict[str, Path]) -> dict[str, Any]:
    """Return the datasets as a job sees them, with the metadata Nebula computes for BED."""
    from nebula.datatypes import default_registry
    from nebula.tools import DatasetInfo

    bed = default_registry().get("bed")
    return {
        key: DatasetInfo(key, "bed", bed.compute_metadata(path), path.name)
        for key, path in files.items()
    }


def run_benchmark(
    benchmark: Benchmark, root: Path, files: dict[str, Path], datasets: dict[str, Any]
) -> Result:
    result = Result(benchmark.tool_id, notes=[benchmark.note] if benchmark.note else [])
    print(f"{benchmark.tool_id}: ", end="", flush=True)
    try:
        command = render_command(benchmark, root, files, datasets)
    except SkipBenchmark as skip:
        result.skipped = str(skip)
        print(f"skipped: {skip}")
        return result

    job_dir = root / f"job-{benchmark.tool_id}"
    result.nebula = measure(command, job_dir, job_dir / "output", {})
    print(f"nebula-ops {_describe(result.nebula)}", end="", flush=True)
    if benchmark.reference is not None:
        reference_dir = root / f"reference-{benchmark.tool_id}"
        variables = {"A": str(files["a"]), "B": str(files["b"])}
        result.reference = measure(
            benchmark.reference, reference_dir, reference_dir / "output", variables
        )
        print(f"; reference {_describe(result.reference)}", end="")
    print()
    return result


class SkipBenchmark(Exception):
    """The tool cannot run yet: its XML or its subcommand is missing or does not load."""


def render_command(
    benchmark: Benchmark, root: Path, files: dict[str, Path], datasets: dict[str, Any]
) -> str:
    """Render the tool's command line for the benchmark's request, as a job would."""
    from nebula.errors import NebulaError
    from nebula.tools import InputFile, OutputFile

    tool = find_tool(benchmark.tool_id)
    resolver = _Resolver(datasets)
    ids = {key: {"src": "hda", "id": key} for key in datasets}
    try:
        state = tool.validate_inputs(benchmark.inputs(ids), resolver)
        input_files = {}
        for flat_name, dataset_id in state.data_inputs():
            info = datasets[dataset_id]
            input_files[flat_name] = InputFile(
                str(files[dataset_id]), info.ext, info.metadata, info.name, dataset_id
            )
        formats = tool.output_formats(state, {n: f.ext for n, f in input_files.items()})
        job_dir = root / f"job-{benchmark.tool_id}"
        outputs = {
            output.name: OutputFile(str(job_dir / "output"), formats[output.name], output.name)
            for output in tool.outputs
        }
        command = tool.build_command(state, input_files, outputs, str(job_dir))
    except NebulaError as error:
        raise SkipBenchmark(f"the request does not fit the tool's XML: {error.message}") from None

    subcommand = _subcommand(command)
    if subcommand is not None and subcommand not in available_subcommands():
        raise SkipBenchmark(f"nebula-ops has no subcommand '{subcommand}' yet")
    return command


def find_tool(tool_id: str) -> Any:
    """Load the bundled XML whose tool id is `tool_id`."""
    from nebula.errors import NebulaError
    from nebula.tools import load_tool

    marker = f'id="{tool_id}"'
    for path in sorted(BUNDLED_TOOLS.rglob("*.xml")):
        head = path.read_text(encoding="utf-8", errors="replace")[:500]
        if marker not in head:
            continue
        try:
            return load_tool(path)
        except NebulaError as error:
            raise SkipBenchmark(f"{path.name} does not load: {error.message}") from None
    raise SkipBenchmark(f"no tool XML with id {tool_id} under {BUNDLED_TOOLS} yet")


def available_subcommands() -> set[str]:
    from nebula.ops.cli import build_parser

    parser = build_parser()
    for action in parser._actions:  # argparse keeps subcommands on a private action
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def measure(command: str, folder: Path, output: Path, variables: dict[str, str]) -> Run:
    """Run `command` with bash in `folder`; return wall time and the tree's peak RSS."""
    folder.mkdir(parents=True, exist_ok=True)
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, LC_ALL="C", GALAXY_SLOTS="1", OUT=str(output), **variables)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "/usr/bin:/bin")])
    env = {key: value for key, value in env.items() if not key.startswith("NEBULA_")}
    result_file = folder / "measurement"
    with open(folder / "stdout", "wb") as stdout, open(folder / "stderr", "wb") as stderr:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", LAUNCHER, str(result_file), "bash", "-c", command],
            cwd=folder, env=env, stdout=stdout, stderr=stderr, check=True,
        )
    exit_code, seconds, cpu_seconds, peak_kib = result_file.read_text().split()
    run = Run(command, float(seconds), float(cpu_seconds), int(peak_kib) / 1024)
    if exit_code != "0":
        lines = (folder / "stderr").read_text(errors="replace").strip().splitlines()
        run.error = f"exit {exit_code}: {lines[-1] if lines else 'no message'}"
    elif output.exists():
        with open(output, "rb") as handle:
            chunks = iter(lambda: handle.read(1 << 20), b"")
            run.output_lines = sum(chunk.count(b"\n") for chunk in chunks)
    return run


def launcher_floor_mib(folder: Path) -> float:
    """Peak RSS reported for a command that does nothing: the launcher's own share."""
    return measure("true", folder / "floor", folder / "floor" / "output", {}).peak_mib


def print_table(results: list[Result]) -> None:
    header = ("tool", "nebula-ops s", "CPU s", "peak MiB", "lines out", "reference", "s",
              "CPU s", "peak MiB", "lines out")
    rows = [header]
    for result in results:
        if result.skipped:
            rows.append((result.tool_id, "skipped", *[""] * (len(header) - 2)))
            continue
        nebula = result.nebula
        assert nebula is not None
        reference = result.reference
        rows.append(
            (
                result.tool_id,
                *_figures(nebula),
                _reference_name(reference.command) if reference else "none",
                *(_figures(reference) if reference else ("", "", "", "")),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for result in results:
        reasons = [result.skipped] if result.skipped else []
        for run in (result.nebula, result.reference):
            if run is not None and run.error:
                reasons.append(run.error)
        for text in [*reasons, *result.notes]:
            print(f"  {result.tool_id}: {text}")


def summary(results: list[Result], lines: int, seed: int, floor_mib: float) -> dict[str, Any]:
    return {
        "lines": lines,
        "seed": seed,
        "peak_mib_floor": round(floor_mib, 1),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "results": [
            {
                "tool": result.tool_id,
                "skipped": result.skipped or None,
                "nebula": asdict(result.nebula) if result.nebula else None,
                "reference": asdict(result.reference) if result.reference else None,
            }
            for result in results
        ],
    }


class _Resolver:
    def __init__(self, datasets: dict[str, Any]) -> None:
        self.datasets = datasets

    def resolve(self, ref: str) -> Any:
        return self.datasets[ref]


def _subcommand(command: str) -> str | None:
    words = shlex.split(command)
    if len(words) >= 2 and Path(words[0]).name == "nebula-ops":
        return words[1]
    return None


def _figures(run: Run) -> tuple[str, str, str, str]:
    if run.error:
        return ("failed", "", "", "")
    return (
        f"{run.seconds:.2f}",
        f"{run.cpu_seconds:.2f}",
        f"{run.peak_mib:.0f}",
        f"{run.output_lines:,}",
    )


def _reference_name(command: str) -> str:
    positions = {word: command.find(f"{word} ") for word in ("sort", "join", "cut", "awk")}
    words = sorted((position, word) for word, position in positions.items() if position >= 0)
    return "+".join(word for _, word in words) or command.split()[0]


def _describe(run: Run) -> str:
    if run.error:
        return f"failed ({run.error})"
    return f"{run.seconds:.2f} s ({run.cpu_seconds:.2f} s CPU), {run.peak_mib:.0f} MiB"


if __name__ == "__main__":
    sys.exit(main())
