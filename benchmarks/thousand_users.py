"""Many users at once: U users each submit Q interval intersections to a fresh deployment.

The script starts a Nebula deployment of its own in a temporary folder, on free loopback
ports, and stops it again at the end, on Ctrl-C and on error:

- `embedded`: one `nebula serve` on SQLite, as it starts by default: a web process, and
  a job handler in a child process that runs jobs with the local runner and its fork
  server. With `--web-workers N` above 1, it is `nebula serve --workers N`: N web
  processes answer the requests. `--set handler_process=false` runs the handler in a
  thread of the web process instead.
- `distributed`: a new PostgreSQL database (dropped at the end), `nebula db upgrade`,
  `nebula serve --workers N` without a handler, H `nebula handler` processes with the
  Celery runner and W `nebula worker` processes on Redis or RabbitMQ, on a queue of
  their own. With `--runner local`, each handler runs its jobs itself and no Celery
  worker starts.

It creates U users, each with an API key and a history holding exons.bed and cpg.bed.
Both files are uploaded once by the administrator and copied into every history with
the dataset-copy route, so that setting up a thousand users takes a minute rather than
two thousand upload jobs. Then every user submits Q `gops_intersect_1` jobs at once
through the HTTP API, with at most `--concurrency` requests in flight. The script waits
for every job, checks every output's row count against a count computed here from the
two files, and prints the figures, then one line of JSON with the same figures.

Job end times are the server's `end_time` of each job, so how often the script polls
does not change the makespan or the time to first result. Peak memory is VmHWM from
/proc, sampled every half second for each started process and its descendants; jobs
that live shorter than that are missed. CPU per job is the CPU time each process kind
used from the start of submission to the end of the last job, divided by the jobs.

    .venv/bin/python benchmarks/thousand_users.py --users 20 --queries 3 --setup embedded
    .venv/bin/python benchmarks/thousand_users.py --setup distributed --web-workers 2 \\
        --handlers 2 --celery-workers 1 --broker rabbitmq
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import http.client
import json
import math
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPOSITORY = Path(__file__).resolve().parent.parent
GENOMIC_DATA = REPOSITORY / "tests" / "data" / "genomic"
QUERY_FILE = GENOMIC_DATA / "exons.bed"
REFERENCE_FILE = GENOMIC_DATA / "cpg.bed"
NEBULA = str(Path(sys.executable).parent / "nebula")
LOOPBACK = "127.0.0.1"
POSTGRES_ADMIN_URL = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
BROKERS = {"redis": "redis://127.0.0.1:6379/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}
TERMINAL_STATES = ("ok", "error", "deleted")
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
SAMPLE_SECONDS = 0.5
PROGRESS_SECONDS = 15.0
SETUP_ATTEMPTS = 5
MIB = 1024 * 1024
CLIENT_KIND = "benchmark client"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Failures to connect, send or read a response. The script never calls raise_for_status,
# so every aiohttp.ClientError is one of these. When the total of ClientTimeout runs out,
# aiohttp (3.14) raises a TimeoutError without a message.
TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError)

# Set-up requests that a server error made the script send again.
_setup_retries: list[str] = []


class HTTPStatusError(Exception):
    """An error status from Nebula, with the request line and the start of the response body."""

    def __init__(self, method: str, path: str, status: int, body: bytes) -> None:
        self.status = status
        self.text = body.decode(errors="replace")
        super().__init__(f"{method} {path} returned HTTP {status}: {self.text[:200]}")


class SetupError(Exception):
    """Creating the inputs or the users failed, so no job was submitted."""


@dataclass
class Started:
    """A process the script started, in a session of its own so its children stop with it."""

    kind: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Deployment:
    """Everything the script starts and must remove: processes, database, broker queue."""

    folder: Path
    env: dict[str, str]
    url: str = ""
    processes: list[Started] = field(default_factory=list)
    database: str | None = None
    broker_url: str | None = None
    queue: str | None = None

    def start(self, kind: str, *argv: str, env: dict[str, str] | None = None) -> Started:
        log = self.folder / f"{kind}-{len(self.processes)}.log"
        process = subprocess.Popen(
            [NEBULA, *argv],
            env={**self.env, **(env or {})},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        started = Started(kind, process, log)
        self.processes.append(started)
        return started

    def stop(self) -> None:
        """Stop every process group, then drop the database and delete the broker queue."""
        for started in self.processes:
            _signal_group(started.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for started in self.processes:
            try:
                started.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(
                    f"{started.kind} {started.process.pid} did not stop in {STOP_TIMEOUT} s; killing it",
                    file=sys.stderr,
                )
            # Jobs run in sessions of their own, so a group signal misses any left behind.
            _signal_group(started.process, signal.SIGKILL)
            started.process.wait()
        if self.database:
            _drop_database(self.database)
        if self.queue and self.broker_url:
            _delete_queue(self.broker_url, self.queue)


@dataclass
class User:
    email: str
    key: str
    history_id: str
    query_id: str
    reference_id: str


@dataclass
class Submission:
    user: int
    job_id: str
    output_id: str
    latency: float
    state: str = "new"
    end_time: float | None = None


@dataclass
class Results:
    submitted: list[Submission] = field(default_factory=list)
    failed_submissions: list[str] = field(default_factory=list)
    start: float = 0.0
    submit_seconds: float = 0.0
    wrong_outputs: list[str] = field(default_factory=list)
    peak_memory: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    cpu_seconds: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    # CPU seconds by process kind when submission began and when the last job had ended.
    cpu_at_start: dict[str, float] = field(default_factory=dict)
    cpu_at_end: dict[str, float] = field(default_factory=dict)
    load_averages: list[float] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.web_workers is None:
        args.web_workers = 2 if args.setup == "distributed" else 1
    for name in (
        "users",
        "queries",
        "web_workers",
        "handlers",
        "celery_workers",
        "worker_concurrency",
        "concurrency",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be 1 or more, got {getattr(args, name)}")
    if args.poll_rate <= 0:
        parser.error(f"--poll-rate must be more than 0 requests per second, got {args.poll_rate}")
    expected_rows = count_overlapping_rows(QUERY_FILE, REFERENCE_FILE)
    # SIGTERM takes the same way out as Ctrl-C, so the finally block below always runs.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    folder = Path(tempfile.mkdtemp(prefix="nebula-bench-"))
    deployment = Deployment(folder, _base_env(folder, args))
    sampler = MemorySampler(deployment)
    try:
        _log(f"starting the {args.setup} deployment in {folder}")
        admin_key = (
            start_distributed(deployment, args)
            if args.setup == "distributed"
            else start_embedded(deployment, args)
        )
        sampler.start()
        results = asyncio.run(
            run_benchmark(deployment.url, admin_key, args, expected_rows, sampler.cpu_by_kind)
        )
        sampler.stop()
        results.peak_memory = sampler.peaks
        results.cpu_seconds = sampler.cpu_seconds
        results.load_averages = sampler.load_averages
        # The client shares this machine's CPUs with the deployment, so its share is reported too.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        results.cpu_seconds[CLIENT_KIND] = {os.getpid(): usage.ru_utime + usage.ru_stime}
        _report(results, args, expected_rows)
        return (
            0
            if len(ok_jobs(results)) == args.users * args.queries and not results.wrong_outputs
            else 1
        )
    except SetupError as exc:
        _log(f"set-up failed, so no job was submitted: {exc}")
        return 1
    except KeyboardInterrupt:
        _log("interrupted; stopping the deployment")
        return 130
    finally:
        sampler.stop()
        deployment.stop()
        if not args.keep:
            _remove_folder(folder)
        else:
            _log(f"kept {folder}")


def count_overlapping_rows(query_file: Path, reference_file: Path) -> int:
    """Count the rows of `query_file` that overlap an interval of `reference_file` by at least one base.

    BED coordinates are 0-based and half-open, so [s1, e1) and [s2, e2) overlap when
    min(e1, e2) - max(s1, s2) >= 1. This is what gops_intersect_1 returns with its defaults.
    """
    intervals: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for chrom, start, end in _bed_intervals(reference_file):
        intervals[chrom].append((start, end))
    return sum(
        1
        for chrom, start, end in _bed_intervals(query_file)
        if any(
            min(end, other_end) - max(start, other_start) >= 1
            for other_start, other_end in intervals[chrom]
        )
    )


def start_embedded(deployment: Deployment, args: argparse.Namespace) -> str:
    """Start one `nebula serve` on SQLite with its handler; return an admin's API key."""
    port = _free_port()
    deployment.url = f"http://{LOOPBACK}:{port}"
    admin_key = _create_admin(deployment.env)
    # With the handler in a thread of its own process, the web process is both kinds.
    in_thread = deployment.env.get("NEBULA_HANDLER_PROCESS", "true").lower() in ("false", "0", "no")
    kind = "web+handler" if in_thread else "web"
    workers = ["--workers", str(args.web_workers)] if args.web_workers > 1 else []
    serve = deployment.start(kind, "serve", "--port", str(port), *workers)
    _wait_for_web(deployment, serve)
    return admin_key


def start_distributed(deployment: Deployment, args: argparse.Namespace) -> str:
    """Start web, handlers and Celery workers on a new PostgreSQL database; return an admin's API key."""
    import psycopg

    suffix = secrets.token_hex(4)
    deployment.database = f"nebula_bench_{suffix}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{deployment.database}"')
    deployment.env.update(
        {
            "NEBULA_DATABASE_URL": POSTGRES_URL.format(name=deployment.database),
            "NEBULA_RUNNER": args.runner,
        }
    )
    if args.runner == "celery":
        deployment.broker_url = BROKERS[args.broker]
        deployment.queue = f"nebula-bench-{suffix}"
        deployment.env.update(
            {
                "NEBULA_CELERY_BROKER_URL": deployment.broker_url,
                "NEBULA_CELERY_QUEUE": deployment.queue,
            }
        )
    subprocess.run([NEBULA, "db", "upgrade"], env=deployment.env, check=True, capture_output=True)
    admin_key = _create_admin(deployment.env)

    workers = [
        deployment.start(
            "worker",
            "worker",
            "--concurrency",
            str(args.worker_concurrency),
            "--hostname",
            f"bench{number}-{suffix}@%h",
        )
        for number in range(args.celery_workers if args.runner == "celery" else 0)
    ]
    handlers = [
        deployment.start("handler", "handler", "--name", f"bench-{suffix}-{number}")
        for number in range(args.handlers)
    ]
    port = _free_port()
    deployment.url = f"http://{LOOPBACK}:{port}"
    serve = deployment.start(
        "web",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(args.web_workers),
        env={"NEBULA_RUN_HANDLER": "false"},
    )
    for started in workers:
        _wait_for_log(started, " ready.")
    for started in handlers:
        _wait_for_log(started, f"running with the {args.runner} runner")
    _wait_for_web(deployment, serve)
    return admin_key


async def run_benchmark(
    url: str,
    admin_key: str,
    args: argparse.Namespace,
    expected_rows: int,
    cpu_by_kind: Callable[[], dict[str, float]],
) -> Results:
    # The connector opens at most `--concurrency` connections and keeps idle ones for reuse
    # for 15 s (aiohttp's default), shorter than Nebula's default keep_alive_timeout of 75 s.
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    # Requests authenticate with API keys, so the session stores no cookies. One shared jar
    # would mix the cookies of all users.
    async with aiohttp.ClientSession(
        url, connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as client:
        gate = asyncio.Semaphore(args.concurrency)
        admin = {"x-api-key": admin_key}

        began = time.monotonic()
        try:
            query_id, reference_id = await _upload_inputs(client, admin)
            users = await asyncio.gather(
                *(
                    _create_user(client, gate, admin, number, query_id, reference_id)
                    for number in range(args.users)
                )
            )
        except (HTTPStatusError, *TRANSPORT_ERRORS) as exc:
            raise SetupError(_describe(exc)) from exc
        _log(
            f"created {len(users)} users with histories and inputs in {time.monotonic() - began:.1f} s"
        )

        results = Results(start=time.time(), cpu_at_start=cpu_by_kind())
        began = time.monotonic()
        await asyncio.gather(
            *(
                _submit_queries(client, gate, results, users, number, args.queries)
                for number in range(len(users))
            )
        )
        results.submit_seconds = time.monotonic() - began
        _log(
            f"submitted {len(results.submitted)} jobs in {results.submit_seconds:.1f} s"
            f" ({len(results.failed_submissions)} submissions failed)"
        )

        await _wait_for_jobs(client, results, users, args)
        results.cpu_at_end = cpu_by_kind()
        await _verify_outputs(client, gate, results, users, expected_rows)
    return results


class MemorySampler:
    """Samples VmHWM of every started process and its descendants, by process kind."""

    def __init__(self, deployment: Deployment) -> None:
        self._deployment = deployment
        self.peaks: dict[str, dict[int, int]] = defaultdict(dict)
        self.cpu_seconds: dict[str, dict[int, float]] = defaultdict(dict)
        self.load_averages: list[float] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._stopping.set()
            self._thread.join()
            self.sample()

    def cpu_by_kind(self) -> dict[str, float]:
        """Sample now and return the CPU seconds used so far by each process kind and the client."""
        self.sample()
        with self._lock:
            totals = {kind: sum(used.values()) for kind, used in self.cpu_seconds.items()}
        usage = resource.getrusage(resource.RUSAGE_SELF)
        totals[CLIENT_KIND] = usage.ru_utime + usage.ru_stime
        return totals

    def sample(self) -> None:
        with self._lock:
            self._sample()

    def _sample(self) -> None:
        parents, commands = _process_table()
        children: dict[int, list[int]] = defaultdict(list)
        for pid, parent in parents.items():
            children[parent].append(pid)
        for started in self._deployment.processes:
            for pid, kind in _classify(started, children, commands):
                peak = _vm_hwm(pid)
                if peak is not None:
                    self.peaks[kind][pid] = max(peak, self.peaks[kind].get(pid, 0))
                cpu = _cpu_seconds(pid)
                if cpu is not None:
                    self.cpu_seconds[kind][pid] = max(cpu, self.cpu_seconds[kind].get(pid, 0.0))
        self.load_averages.append(os.getloadavg()[0])

    def _run(self) -> None:
        while not self._stopping.wait(SAMPLE_SECONDS):
            self.sample()


def ok_jobs(results: Results) -> list[Submission]:
    return [
        submission
        for submission in results.submitted
        if submission.state == "ok" and submission.end_time is not None
    ]


def percentile(values: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of `values`, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def summarize(results: Results, args: argparse.Namespace, expected_rows: int) -> dict[str, Any]:
    """Collect the reported figures; times are in seconds, memory in MiB."""
    finished = ok_jobs(results)
    latencies = [submission.latency for submission in results.submitted]
    first_result: dict[int, float] = {}
    for submission in finished:
        assert submission.end_time is not None
        elapsed = submission.end_time - results.start
        first_result[submission.user] = min(elapsed, first_result.get(submission.user, elapsed))
    waits = list(first_result.values())
    makespan = (
        max((submission.end_time or 0.0) - results.start for submission in finished)
        if finished
        else None
    )
    return {
        "setup": args.setup,
        "users": args.users,
        "queries_per_user": args.queries,
        "web_workers": args.web_workers,
        "handlers": args.handlers if args.setup == "distributed" else 1,
        "runner": args.runner if args.setup == "distributed" else "local",
        "celery_workers": args.celery_workers if _uses_celery(args) else 0,
        "broker": args.broker if _uses_celery(args) else None,
        "jobs_submitted": len(results.submitted),
        "submissions_failed": len(results.failed_submissions),
        "setup_retries": len(_setup_retries),
        "jobs_ok": len(finished),
        "jobs_lost": len(results.submitted) - len(finished),
        "outputs_wrong": len(results.wrong_outputs),
        "expected_rows": expected_rows,
        "submit_seconds": _round(results.submit_seconds),
        "submit_latency_p50": _round(percentile(latencies, 0.50)),
        "submit_latency_p95": _round(percentile(latencies, 0.95)),
        "submit_latency_p99": _round(percentile(latencies, 0.99)),
        "users_without_result": args.users - len(first_result),
        "first_result_p95": _round(percentile(waits, 0.95)),
        "first_result_max": _round(max(waits) if waits else None),
        "makespan": _round(makespan),
        "jobs_per_second": _round(len(finished) / makespan if makespan else None),
        "peak_rss_mib": {
            kind: {
                "processes": len(peaks),
                "largest": _round(max(peaks.values()) / MIB),
                # Jobs do not all live at once, so a sum of their peaks would mean nothing.
                "sum": None if kind == "job" else _round(sum(peaks.values()) / MIB),
            }
            for kind, peaks in sorted(results.peak_memory.items())
        },
        "cpu_seconds": {
            kind: _round(sum(used.values())) for kind, used in sorted(results.cpu_seconds.items())
        },
        # Set-up and the download of outputs excluded, so this is what one job costs.
        "cpu_ms_per_job": {
            kind: _round(
                (results.cpu_at_end.get(kind, 0.0) - results.cpu_at_start.get(kind, 0.0))
                * 1000
                / len(finished)
            )
            for kind in sorted(results.cpu_at_start.keys() | results.cpu_at_end.keys())
        }
        if finished and results.cpu_at_end
        else {},
        "cpus": os.cpu_count(),
        "load_average_mean": _round(
            sum(results.load_averages) / len(results.load_averages)
            if results.load_averages
            else None
        ),
        "load_average_max": _round(max(results.load_averages, default=None)),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--users", type=int, default=1000, help="users that submit at once (default 1000)"
    )
    parser.add_argument(
        "--queries",
        type=int,
        default=10,
        help="gops_intersect_1 jobs each user submits (default 10)",
    )
    parser.add_argument(
        "--setup",
        choices=("embedded", "distributed"),
        default="embedded",
        help="deployment to start",
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=None,
        help="web processes of `nebula serve --workers` (default 1 embedded, 2 distributed)",
    )
    parser.add_argument(
        "--handlers",
        type=int,
        default=2,
        help="distributed: `nebula handler` processes (default 2)",
    )
    parser.add_argument(
        "--celery-workers",
        type=int,
        default=1,
        help="distributed: `nebula worker` processes (default 1)",
    )
    parser.add_argument(
        "--worker-concurrency",
        type=int,
        default=os.cpu_count() or 1,
        help="distributed: jobs each worker runs at once (default: CPUs)",
    )
    parser.add_argument(
        "--runner",
        choices=("celery", "local"),
        default="celery",
        help="distributed: how handlers run jobs, through Celery workers or each on its own"
        " local runner (default celery; with local, no Celery worker is started)",
    )
    parser.add_argument(
        "--broker",
        choices=sorted(BROKERS),
        default="redis",
        help="distributed: Celery broker on 127.0.0.1 (default redis)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=64,
        help="HTTP requests in flight during set-up and submission (default 64)",
    )
    parser.add_argument(
        "--poll-rate",
        type=float,
        default=20.0,
        help="job-list requests per second while waiting (default 20)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=300.0,
        help="seconds before one HTTP request counts as failed (default 300)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds to wait for the jobs after submission; jobs unfinished then count as lost",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="NEBULA_LOG_LEVEL of the started processes (default INFO, as in production)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="extra Nebula setting for every process, e.g. local_job_slots=4",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder with the process logs"
    )
    return parser


def _uses_celery(args: argparse.Namespace) -> bool:
    return args.setup == "distributed" and args.runner == "celery"


def _base_env(folder: Path, args: argparse.Namespace) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
    env.update(
        {
            "NEBULA_DATA_DIR": str(folder / "data"),
            "NEBULA_HOST": LOOPBACK,
            "NEBULA_LOG_LEVEL": args.log_level,
            # Every process of a deployment must encode ids and sign sessions alike.
            "NEBULA_SECRET_KEY": secrets.token_hex(32),
        }
    )
    for assignment in args.set:
        name, separator, value = assignment.partition("=")
        if not separator or not name:
            raise SystemExit(f"--set must look like SETTING=VALUE, got {assignment!r}")
        env[f"NEBULA_{name.upper()}"] = value
    return env


def _create_admin(env: dict[str, str]) -> str:
    email = f"admin-{secrets.token_hex(3)}@example.org"
    result = subprocess.run(
        [NEBULA, "user", "create", email, "--admin"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().splitlines()[-1]


def _wait_for_web(deployment: Deployment, web: Started) -> None:
    # An empty ProxyHandler stops http_proxy and similar variables from sending loopback
    # requests to a proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        _check_alive(web)
        try:
            with opener.open(deployment.url + "/api/version", timeout=2) as response:
                if response.status == 200:
                    return
        # urllib raises HTTPError, a subclass of OSError, for an error status, so the loop
        # keeps waiting then too.
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nebula serve did not respond within {START_TIMEOUT} s; see {web.log}")


def _wait_for_log(started: Started, marker: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        _check_alive(started)
        if marker.encode() in started.log.read_bytes():
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"{started.kind} {started.process.pid} did not log {marker!r} within {START_TIMEOUT} s; see {started.log}"
    )


def _check_alive(started: Started) -> None:
    if started.process.poll() is not None:
        raise RuntimeError(
            f"{started.kind} exited with status {started.process.returncode}; see {started.log}"
        )


async def _upload_inputs(client: aiohttp.ClientSession, admin: dict[str, str]) -> tuple[str, str]:
    """Upload the two BED files once, as the administrator, and wait until both are ok."""
    history = await _checked(
        client, "POST", "/api/histories", json={"name": "benchmark inputs"}, headers=admin
    )
    dataset_ids = []
    for path in (QUERY_FILE, REFERENCE_FILE):
        inputs = {
            "file_type": "bed",
            "files_0|url_paste": path.read_text(),
            "files_0|NAME": path.name,
            "files_0|type": "upload_dataset",
        }
        body = {"tool_id": "upload1", "history_id": history["id"], "inputs": inputs}
        created = await _checked(client, "POST", "/api/tools", json=body, headers=admin)
        dataset_ids.append(created["outputs"][0]["id"])
        job_id = created["jobs"][0]["id"]
        while (job := await _checked(client, "GET", f"/api/jobs/{job_id}", headers=admin))[
            "state"
        ] not in TERMINAL_STATES:
            await asyncio.sleep(0.2)
        if job["state"] != "ok":
            raise SetupError(
                f"upload of {path.name} ended in state {job['state']}: {job.get('stderr') or job.get('info')}"
            )
    return dataset_ids[0], dataset_ids[1]


async def _create_user(
    client: aiohttp.ClientSession,
    gate: asyncio.Semaphore,
    admin: dict[str, str],
    number: int,
    query_id: str,
    reference_id: str,
) -> User:
    """Create a user, an API key and a history, and copy both inputs into it as the administrator."""
    email = f"user{number:05d}@example.org"
    async with gate:
        user = await _retried(client, "POST", "/api/users", json={"email": email}, headers=admin)
        key = await _retried(client, "POST", f"/api/users/{user['id']}/api_key", headers=admin)
        history = await _retried(
            client,
            "POST",
            "/api/histories",
            json={"name": "intersections"},
            headers={"x-api-key": key},
        )
        copies = []
        for dataset_id in (query_id, reference_id):
            body = {"source": "hda", "content": dataset_id, "type": "dataset"}
            copies.append(
                await _retried(
                    client,
                    "POST",
                    f"/api/histories/{history['id']}/contents",
                    json=body,
                    headers=admin,
                )
            )
    return User(email, key, history["id"], copies[0]["id"], copies[1]["id"])


async def _submit_queries(
    client: aiohttp.ClientSession,
    gate: asyncio.Semaphore,
    results: Results,
    users: list[User],
    number: int,
    queries: int,
) -> None:
    """Submit one user's queries one after another, as one person clicking Run would."""
    user = users[number]
    inputs = {
        "input1": {"src": "hda", "id": user.query_id},
        "input2": {"src": "hda", "id": user.reference_id},
    }
    body = {"tool_id": "gops_intersect_1", "history_id": user.history_id, "inputs": inputs}
    for _ in range(queries):
        async with gate:
            began = time.monotonic()
            try:
                response_body = await _fetch(
                    client, "POST", "/api/tools", json=body, headers={"x-api-key": user.key}
                )
                latency = time.monotonic() - began
                created = json.loads(response_body)
            except (HTTPStatusError, *TRANSPORT_ERRORS, ValueError) as exc:
                results.failed_submissions.append(f"{user.email}: {_describe(exc)}")
                continue
        results.submitted.append(
            Submission(number, created["jobs"][0]["id"], created["outputs"][0]["id"], latency)
        )


async def _wait_for_jobs(
    client: aiohttp.ClientSession, results: Results, users: list[User], args: argparse.Namespace
) -> None:
    """Poll each user's finished jobs at `--poll-rate` requests per second until none is pending.

    One request returns all of a user's finished jobs, so a round costs one request per
    user with work left, however many jobs each has.
    """
    by_job = {submission.job_id: submission for submission in results.submitted}
    pending: dict[int, set[str]] = defaultdict(set)
    for submission in results.submitted:
        pending[submission.user].add(submission.job_id)
    deadline = time.monotonic() + args.timeout
    interval = 1.0 / args.poll_rate
    began = logged = time.monotonic()
    while pending and time.monotonic() < deadline:
        for number in list(pending):
            tick = time.monotonic()
            params = {
                "state": ",".join(TERMINAL_STATES),
                "view": "admin_job_list",
                "limit": str(args.queries + 10),
            }
            try:
                jobs = await _checked(
                    client,
                    "GET",
                    "/api/jobs",
                    params=params,
                    headers={"x-api-key": users[number].key},
                )
            except (HTTPStatusError, *TRANSPORT_ERRORS) as exc:
                _log(
                    f"polling the jobs of {users[number].email} failed: {_describe(exc)}; retrying next round"
                )
                jobs = []
            for job in jobs:
                finished = by_job.get(job["id"])
                if finished is None or job["id"] not in pending[number]:
                    continue
                finished.state = job["state"]
                finished.end_time = _timestamp(job.get("end_time") or job["update_time"])
                pending[number].discard(job["id"])
            if not pending[number]:
                del pending[number]
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - tick)))
        if time.monotonic() - logged >= PROGRESS_SECONDS:
            logged = time.monotonic()
            remaining = sum(len(jobs) for jobs in pending.values())
            _log(
                f"{logged - began:.0f} s after submission: {remaining} jobs not finished, {len(pending)} users waiting"
            )


async def _verify_outputs(
    client: aiohttp.ClientSession,
    gate: asyncio.Semaphore,
    results: Results,
    users: list[User],
    expected_rows: int,
) -> None:
    async def verify(submission: Submission) -> None:
        async with gate:
            try:
                output = await _fetch(
                    client,
                    "GET",
                    f"/api/datasets/{submission.output_id}/display",
                    headers={"x-api-key": users[submission.user].key},
                )
            except (HTTPStatusError, *TRANSPORT_ERRORS) as exc:
                results.wrong_outputs.append(f"{submission.output_id}: {_describe(exc)}")
                return
        rows = sum(1 for line in output.decode(errors="replace").splitlines() if line.strip())
        if rows != expected_rows:
            results.wrong_outputs.append(
                f"{submission.output_id}: {rows} rows, expected {expected_rows}"
            )

    began = time.monotonic()
    await asyncio.gather(*(verify(submission) for submission in ok_jobs(results)))
    _log(
        f"verified {len(ok_jobs(results))} outputs in {time.monotonic() - began:.1f} s; {len(results.wrong_outputs)} wrong"
    )


async def _fetch(client: aiohttp.ClientSession, method: str, path: str, **options: Any) -> bytes:
    """Send one request and read the whole response body, raising HTTPStatusError on an error status."""
    async with client.request(method, path, **options) as response:
        body = await response.read()
    if response.status >= 400:
        raise HTTPStatusError(method, path, response.status, body)
    return body


async def _checked(client: aiohttp.ClientSession, method: str, path: str, **options: Any) -> Any:
    """Send one request and return its JSON body, raising HTTPStatusError on an error status."""
    return json.loads(await _fetch(client, method, path, **options))


async def _retried(client: aiohttp.ClientSession, method: str, path: str, **options: Any) -> Any:
    """Send a set-up request, repeating it after a server or connection error; return its JSON body.

    Set-up is not measured, and one failed request of five thousand would otherwise end
    the run; each repeat is counted and reported as `setup_retries`. The last attempt
    raises whatever error it meets.

    NOTE: a POST that timed out may have taken effect anyway. Its repeat then fails, as
    `POST /api/users` does with 409 for a user that the first attempt created.
    """
    for attempt in range(SETUP_ATTEMPTS - 1):
        try:
            return await _checked(client, method, path, **options)
        except TRANSPORT_ERRORS as exc:
            # The server drops the connection when an error escapes its error handler.
            _setup_retries.append(f"{method} {path}: {_describe(exc)}")
        except HTTPStatusError as exc:
            if exc.status < 500:
                raise
            _setup_retries.append(f"{method} {path}: {exc.status}")
        await asyncio.sleep(0.5 * 2**attempt)
    return await _checked(client, method, path, **options)


def _report(results: Results, args: argparse.Namespace, expected_rows: int) -> None:
    figures = summarize(results, args, expected_rows)
    lines = [
        f"setup                      {figures['setup']} (web workers {figures['web_workers']}, handlers {figures['handlers']},"
        f" celery workers {figures['celery_workers']}, broker {figures['broker']})",
        f"users x queries            {figures['users']} x {figures['queries_per_user']}",
        f"set-up requests repeated   {figures['setup_retries']} (after a server error)",
        f"jobs submitted             {figures['jobs_submitted']} (failed submissions: {figures['submissions_failed']})",
        f"jobs ok                    {figures['jobs_ok']}",
        f"jobs lost                  {figures['jobs_lost']}",
        f"outputs wrong              {figures['outputs_wrong']} (expected {expected_rows} rows each)",
        f"submission time            {figures['submit_seconds']} s",
        f"submission latency         p50 {figures['submit_latency_p50']} s, p95 {figures['submit_latency_p95']} s, p99 {figures['submit_latency_p99']} s",
        f"time to first result       p95 {figures['first_result_p95']} s, max {figures['first_result_max']} s"
        f" ({figures['users_without_result']} users without one)",
        f"makespan                   {figures['makespan']} s",
        f"jobs per second            {figures['jobs_per_second']}",
    ]
    for kind, memory in figures["peak_rss_mib"].items():
        total = "" if memory["sum"] is None else f", sum {memory['sum']} MiB"
        lines.append(
            f"peak RSS {kind:<18}{memory['processes']} processes, largest {memory['largest']} MiB{total}"
        )
    for kind, seconds in figures["cpu_seconds"].items():
        lines.append(f"CPU time {kind:<18}{seconds} s")
    for kind, milliseconds in figures["cpu_ms_per_job"].items():
        lines.append(f"CPU per job, {kind:<17}{milliseconds} ms (submission to last end)")
    lines.append(
        f"load average (1 min)       mean {figures['load_average_mean']}, max {figures['load_average_max']} on {figures['cpus']} CPUs"
    )
    for problem in (results.failed_submissions + results.wrong_outputs)[:5]:
        lines.append(f"problem: {problem}")
    for reason, count in Counter(_setup_retries).most_common(5):
        lines.append(f"set-up repeat: {count} x {reason}")
    print("\n".join(lines))
    print(json.dumps(figures, sort_keys=True))


def _bed_intervals(path: Path) -> Iterator[tuple[str, int, int]]:
    with path.open() as handle:
        for line in handle:
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\n").split("\t")
            yield fields[0], int(fields[1]), int(fields[2])


def _process_table() -> tuple[dict[int, int], dict[int, str]]:
    """Return the parent pid and the command line of every process on this machine."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            commands[int(entry.name)] = (
                Path(entry.path, "cmdline")
                .read_bytes()
                .replace(b"\0", b" ")
                .decode(errors="replace")
            )
        except OSError:
            continue
        # The command name in parentheses may hold spaces; fields after it are fixed.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents, commands


def _classify(
    started: Started, children: dict[int, list[int]], commands: dict[int, str]
) -> Iterator[tuple[int, str]]:
    """Name the kind of a started process and of each of its descendants.

    The fork server is a child of the web process (embedded) and starts the jobs; in a
    Celery worker, the pool processes start the jobs. Both kinds of job are `job`.
    """
    root = started.process.pid
    if root not in commands:
        return
    stack: list[tuple[int, str, int]] = [(root, started.kind, 0)]
    while stack:
        pid, kind, depth = stack.pop()
        yield pid, kind
        for child in children.get(pid, []):
            if kind in ("fork server", "job") or (started.kind == "worker" and depth >= 1):
                child_kind = "job"
            elif "nebula.jobs.forkserver" in commands.get(child, ""):
                child_kind = "fork server"
            elif "nebula.cli handler" in commands.get(child, ""):
                # The job handler that `nebula serve` starts.
                child_kind = "handler"
            elif "multiprocessing.spawn" in commands.get(child, ""):
                # The web processes of `nebula serve --workers N`.
                child_kind = "web"
            else:
                child_kind = kind
            stack.append((child, child_kind, depth + 1))


def _vm_hwm(pid: int) -> int | None:
    """Return the peak resident set size of a process in bytes, or None once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    """Return the user plus system CPU time a process has used so far, or None once it has gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of /proc/PID/stat, counted from 1 with pid first.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _signal_group(process: subprocess.Popen[bytes], number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


def _drop_database(name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as exc:
        print(f"could not drop database {name}: {exc}; drop it by hand", file=sys.stderr)


def _delete_queue(broker_url: str, queue: str) -> None:
    from kombu import Connection

    try:
        with Connection(broker_url, connect_timeout=5) as connection:
            connection.default_channel.queue_delete(queue)
            # Celery declared an exchange named after the queue; on Redis it is a binding key.
            connection.default_channel.exchange_delete(queue)
    except Exception as exc:  # noqa: BLE001 - clean-up goes on whatever the broker says
        print(f"could not delete broker queue {queue}: {exc}", file=sys.stderr)


def _remove_folder(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _timestamp(value: str) -> float:
    """Convert the server's naive UTC ISO time to seconds since the epoch."""
    return datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.UTC).timestamp()


def _describe(exc: BaseException) -> str:
    """Describe a failed request in one line: the error status and body, or the exception."""
    if isinstance(exc, HTTPStatusError):
        return str(exc)
    if isinstance(exc, TimeoutError) and not str(exc):
        return f"{type(exc).__name__}: no full response within --request-timeout"
    return f"{type(exc).__name__}: {exc}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
