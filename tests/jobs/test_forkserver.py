"""The fork server runs Nebula's own job commands in forked children or reused job workers,
as the command line would: same output bytes, streams and exit code."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nebula.jobs import forkserver, jobworker
from nebula.jobs.execution import (
    ExecutionResult,
    RunningProcess,
    identified_process_alive,
    job_process_alive,
    process_identity,
)
from nebula.jobs.forkserver import ForkServer, ForkServerError
from nebula.jobs.spec import JobSpec, OutputSpec
from nebula.jobs.workdir import JobDirectory
from nebula.ops import cli
from tests.support.jobs import job_spec

DATA = Path(__file__).resolve().parent.parent / "data" / "datatypes"
COLUMNS = ["--cols1", "1,2,3,6", "--cols2", "1,2,3,", "--min", "1"]


@pytest.fixture(scope="module")
def fork_server() -> Iterator[ForkServer]:
    # Linux limits a Unix socket path to 108 bytes, which pytest's tmp_path can exceed.
    with tempfile.TemporaryDirectory(prefix="nebula-fork-") as folder:
        server = ForkServer(Path(folder) / "fork.sock")
        server.start()
        try:
            yield server
        finally:
            server.stop()


def run_entry(
    server: ForkServer,
    root: Path,
    entry: list[str],
    handle: RunningProcess | None = None,
    memory_limit_mb: int | None = None,
    pids: list[int] | None = None,
) -> ExecutionResult:
    directory = JobDirectory(root)
    directory.working.mkdir(parents=True)
    spec = job_spec(root, entry, memory_limit_mb=memory_limit_mb)
    on_start = pids.append if pids is not None else None
    return server.execute(spec, directory, {}, handle or RunningProcess(), on_start=on_start)


def _big_bed(folder: Path) -> Path:
    big = folder / "big.bed"
    with big.open("w") as handle:
        for number in range(600_000):
            handle.write(f"chr{number % 20}\t{number * 10}\t{number * 10 + 5}\tr{number}\t0\t+\n")
    return big


def _intersect(output: str) -> list[str]:
    return ["nebula.ops.cli", "intersect", str(DATA / "exons.bed"), str(DATA / "cpg.bed"), output, *COLUMNS]


def test_intersect_output_matches_in_process_run(fork_server: ForkServer, tmp_path: Path) -> None:
    forked_output = tmp_path / "forked.bed"
    direct_output = tmp_path / "direct.bed"
    arguments = ["intersect", str(DATA / "exons.bed"), str(DATA / "cpg.bed")]

    result = run_entry(
        fork_server, tmp_path / "job", ["nebula.ops.cli", *arguments, str(forked_output), *COLUMNS]
    )
    direct_code = cli.main([*arguments, str(direct_output), *COLUMNS])

    assert result.exit_code == 0
    assert direct_code == 0
    assert forked_output.read_bytes() == direct_output.read_bytes()
    assert forked_output.stat().st_size > 0
    assert (tmp_path / "job" / "stderr").read_text() == ""


def test_skipped_rows_reported_on_stdout(fork_server: ForkServer, tmp_path: Path) -> None:
    rows = tmp_path / "rows.bed"
    rows.write_text("chr1\t10\t20\ta\t0\t+\nchr1\tabc\t30\tb\t0\t+\n")
    output = tmp_path / "out.bed"

    result = run_entry(
        fork_server,
        tmp_path / "job",
        ["nebula.ops.cli", "intersect", str(rows), str(rows), str(output), *COLUMNS],
    )

    assert result.exit_code == 0
    assert output.read_text() == "chr1\t10\t20\ta\t0\t+\n"
    assert (tmp_path / "job" / "stdout").read_text().splitlines() == [
        "skipped 1 invalid line of input1, first at line 2: start 'abc' is not an integer",
        "skipped 1 invalid line of input2, first at line 2: start 'abc' is not an integer",
    ]


def test_failed_job_gives_exit_code_and_message(fork_server: ForkServer, tmp_path: Path) -> None:
    missing = tmp_path / "missing.bed"
    arguments = [str(missing), str(DATA / "cpg.bed"), str(tmp_path / "out.bed"), *COLUMNS]

    result = run_entry(fork_server, tmp_path / "job", ["nebula.ops.cli", "intersect", *arguments])

    assert result.exit_code == 1
    assert (tmp_path / "job" / "stderr").read_text() == (
        f"nebula-ops intersect: input file '{missing}' does not exist\n"
    )


def test_entry_outside_preloaded_modules_is_rejected(
    fork_server: ForkServer, tmp_path: Path
) -> None:
    with pytest.raises(ForkServerError) as error:
        run_entry(fork_server, tmp_path / "job", ["os", "--help"])

    assert "rejected the job" in str(error.value)
    assert "'os' is not one of" in str(error.value)


def test_worker_reused_with_fresh_folders(
    fork_server: ForkServer, tmp_path: Path
) -> None:
    pids: list[int] = []

    first = run_entry(fork_server, tmp_path / "one", _intersect("out.bed"), pids=pids)
    second = run_entry(fork_server, tmp_path / "two", _intersect("out.bed"), pids=pids)

    assert first.exit_code == 0
    assert second.exit_code == 0
    assert pids[0] == pids[1]
    # A relative output path lands in each job's own working folder.
    first_output = JobDirectory(tmp_path / "one").working / "out.bed"
    second_output = JobDirectory(tmp_path / "two").working / "out.bed"
    assert first_output.read_bytes() == second_output.read_bytes()
    assert first_output.stat().st_size > 0


def test_killed_worker_replaced_for_next_job(
    fork_server: ForkServer, tmp_path: Path
) -> None:
    big = _big_bed(tmp_path)
    handle = RunningProcess()
    pids: list[int] = []
    seen_running: list[int | None] = []

    def check_and_kill() -> None:
        working = JobDirectory(tmp_path / "killed").working
        seen_running.append(job_process_alive(process_identity(pids[0]), working))
        handle.kill()

    killer = threading.Timer(0.5, check_and_kill)
    killer.start()

    killed = run_entry(
        fork_server,
        tmp_path / "killed",
        ["nebula.ops.cli", "intersect", str(big), str(big), str(tmp_path / "big-out.bed"), *COLUMNS],
        handle=handle,
        pids=pids,
    )
    after = run_entry(fork_server, tmp_path / "after", _intersect(str(tmp_path / "after.bed")), pids=pids)

    killer.cancel()
    assert seen_running == [pids[0]]
    assert killed.exit_code == -signal.SIGKILL
    assert killed.killed
    assert after.exit_code == 0
    assert pids[1] != pids[0]


def test_memory_limit_fails_one_job_only(fork_server: ForkServer, tmp_path: Path) -> None:
    big = _big_bed(tmp_path)

    # The limit caps the whole address space; the second input's 600,000 rows need more.
    limited = run_entry(
        fork_server,
        tmp_path / "limited",
        ["nebula.ops.cli", "intersect", str(big), str(big), str(tmp_path / "limited.bed"), *COLUMNS],
        memory_limit_mb=100,
    )
    after = run_entry(fork_server, tmp_path / "after", _intersect(str(tmp_path / "after.bed")))

    assert limited.exit_code != 0
    assert "MemoryError" in (tmp_path / "limited" / "stderr").read_text()
    assert after.exit_code == 0
    assert (tmp_path / "after.bed").stat().st_size > 0


def test_worker_reports_the_jobs_own_cpu_and_memory(fork_server: ForkServer, tmp_path: Path) -> None:
    result = run_entry(fork_server, tmp_path / "job", _intersect(str(tmp_path / "out.bed")))

    assert result.exit_code == 0
    assert 0 < result.cpu_seconds < 5
    assert 1024 * 1024 < result.peak_memory_bytes < 1024 * 1024 * 1024


def test_retiring_workers_report_every_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each worker runs a single job and exits right after its result, the case where
    # the exit can be seen before the result is read.
    socket_path = Path(tempfile.mkdtemp(prefix="nebula-retire-")) / "fork.sock"
    server_pid = os.fork()
    if server_pid == 0:
        jobworker.JOBS_PER_WORKER = 1
        try:
            forkserver.serve(str(socket_path))
        finally:
            os._exit(0)
    client = ForkServer(socket_path)
    try:
        _wait_for(socket_path)
        codes: list[int] = []

        def run_some(name: str) -> None:
            for number in range(6):
                output = str(tmp_path / f"{name}-{number}.bed")
                codes.append(run_entry(client, tmp_path / f"{name}-{number}", _intersect(output)).exit_code)

        threads = [threading.Thread(target=run_some, args=(f"t{index}",)) for index in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        os.kill(server_pid, signal.SIGTERM)
        os.waitpid(server_pid, 0)

    assert len(codes) == 36
    assert codes == [0] * 36


def _wait_for(path: Path) -> None:
    for _ in range(300):
        if path.exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"the fork server did not create {path}")


def test_finished_job_no_longer_names_its_worker(fork_server: ForkServer, tmp_path: Path) -> None:
    pids: list[int] = []
    first = tmp_path / "first"
    run_entry(fork_server, first, _intersect(str(tmp_path / "first.bed")), pids=pids)
    identity = process_identity(pids[0])

    # The worker lives on, but it no longer runs the first job, so recovery must not kill it.
    assert identified_process_alive(identity) == pids[0]
    assert job_process_alive(identity, JobDirectory(first).working) is None


def test_client_leaving_early_leaves_server_running(fork_server: ForkServer, tmp_path: Path) -> None:
    directory = JobDirectory(tmp_path / "left")
    directory.working.mkdir(parents=True)
    request = {
        "entry": _intersect(str(tmp_path / "left.bed")),
        "cwd": str(directory.working),
        "stdout": str(directory.stdout),
        "stderr": str(directory.stderr),
        "env": {},
        "memory_limit_mb": None,
    }
    for message in (request, {"entry": ["os"]}):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.connect(str(fork_server.socket_path))
            connection.sendall(json.dumps(message).encode() + b"\n")

    after = run_entry(fork_server, tmp_path / "after", _intersect(str(tmp_path / "after.bed")))

    assert after.exit_code == 0
    assert (tmp_path / "after.bed").stat().st_size > 0


def _worker_spec(root: Path, entry: list[str], config_files: dict[str, str] | None = None) -> JobSpec:
    return job_spec(
        root,
        entry,
        job_id=7,
        outputs=[OutputSpec(name="output", object_key="dataset_7.dat", ext="bed")],
        config_files=config_files or {},
    )


def test_worker_prepares_the_directory_and_describes_the_outputs(
    fork_server: ForkServer, tmp_path: Path
) -> None:
    root = tmp_path / "job"
    directory = JobDirectory(root)
    root.mkdir()
    (root / "left-by-an-earlier-attempt").write_text("old")
    config = directory.working / "options.txt"
    output = directory.output_path("output")
    spec = _worker_spec(root, _intersect(str(output)), {str(config): "min=1\n"})

    run = fork_server.run_in_worker(spec, directory, {}, RunningProcess())

    assert run.result.exit_code == 0
    assert not (root / "left-by-an-earlier-attempt").exists()
    assert config.read_text() == "min=1\n"
    assert (run.stdout, run.stderr, run.output_error) == ("", "", None)
    assert run.outputs is not None
    [described] = run.outputs
    assert described.name == "output"
    assert described.ext == "bed"
    assert described.size == output.stat().st_size > 0
    assert described.checksum == "sha256:" + hashlib.sha256(output.read_bytes()).hexdigest()
    assert described.metadata["data_lines"] == len(output.read_text().splitlines())
    assert described.peek.splitlines()[0] == output.read_text().splitlines()[0]
    # Recovery finds the worker that ran the job through the job's process file.
    identity = directory.process_file.read_text()
    assert identified_process_alive(identity) is not None


def test_worker_reports_a_missing_output(fork_server: ForkServer, tmp_path: Path) -> None:
    root = tmp_path / "job"
    elsewhere = tmp_path / "elsewhere.bed"
    spec = _worker_spec(root, _intersect(str(elsewhere)))

    run = fork_server.run_in_worker(spec, JobDirectory(root), {}, RunningProcess())

    assert run.result.exit_code == 0
    assert elsewhere.exists()
    assert run.outputs is None
    assert run.output_error == "the tool did not write its output 'output'"


def test_worker_reports_a_directory_it_cannot_make(fork_server: ForkServer, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    root = blocker / "job"
    spec = _worker_spec(root, _intersect(str(JobDirectory(root).output_path("output"))))

    run = fork_server.run_in_worker(spec, JobDirectory(root), {}, RunningProcess())

    assert run.result.exit_code == 1
    assert run.stderr == f"could not prepare the working directory {root}: Not a directory"
    # The worker goes on to the next job.
    good = tmp_path / "job"
    again = fork_server.run_in_worker(
        _worker_spec(good, _intersect(str(JobDirectory(good).output_path("output")))),
        JobDirectory(good),
        {},
        RunningProcess(),
    )
    assert again.result.exit_code == 0


def test_worker_leaves_outputs_undescribed_after_unexpected_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise ValueError("a datatype failed")

    monkeypatch.setattr(jobworker, "describe_outputs", broken)
    directory = JobDirectory(tmp_path / "job")
    directory.create()
    directory.stdout.write_text("done\n")
    request = {"outputs": [["output", "bed"]]}

    collected = jobworker._collect(request, directory, 0)

    # The client then describes the outputs itself and reports the error as an internal one.
    assert collected == {"stdout": "done\n", "stderr": ""}
