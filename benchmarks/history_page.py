"""Time the history page when the current history contains thousands of datasets.

The script makes a temporary data folder, creates its SQLite database with the
migrations, and writes one user (with a password) and one history of N datasets straight
into the database through the model, in a few bulk INSERTs: going through N upload jobs
would take far longer and measure the job system instead. The datasets are bed files in
state ok with realistic metadata and sizes; their files are not written, because neither
page reads them. Then it starts `nebula serve` on a free loopback port, logs in through the
login form like a browser, and times, after one warm-up request each:

- GET /               the whole page: tool panel, the newest 100 datasets, state counts
- GET /history/panel  the history panel fragment that htmx loads
- GET /history/items  the next 100 older datasets ("show older datasets")

It prints the median and the slowest of R requests per page, and the server is stopped at
the end, on Ctrl-C and on error.

    .venv/bin/python benchmarks/history_page.py
    .venv/bin/python benchmarks/history_page.py --datasets 20000 --repeats 20
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from local_server import start_server, stop_server
from sqlalchemy import insert, select

from nebula.config import load_settings
from nebula.managers.actors import Actor
from nebula.managers.histories import create_history
from nebula.managers.users import create_user
from nebula.model import Dataset, DatasetState, HistoryItem
from nebula.model.database import make_engine, make_session_factory, transaction, upgrade

EMAIL = "benchmark@example.org"
PASSWORD = "benchmark password"
START_TIMEOUT = 120.0
_CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')
_HISTORY_ID = re.compile(r'name="history" value="([0-9a-f]{16})"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--datasets", type=int, default=5000, help="datasets in the history (default 5000)")
    parser.add_argument("--repeats", type=int, default=10, help="timed requests per page (default 10)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nebula-history-bench-") as folder:
        data_dir = Path(folder) / "data"
        started = time.perf_counter()
        fill_database(data_dir, args.datasets)
        print(f"wrote {args.datasets} datasets into the database in {time.perf_counter() - started:.1f} s")

        env = {key: value for key, value in os.environ.items() if not key.startswith("NEBULA_")}
        env.update({"NEBULA_DATA_DIR": str(data_dir), "NEBULA_LOG_LEVEL": "WARNING"})
        url, server = start_server(env, Path(folder) / "server.log", START_TIMEOUT)
        try:
            client = _logged_in_client(url)
            history_id = _HISTORY_ID.search(client.get("/").text)
            assert history_id, "the page shows no current history"
            pages = {
                "GET / (whole page)": "/",
                "GET /history/panel": "/history/panel",
                "GET /history/items (next 100)": f"/history/items?history={history_id.group(1)}&offset=100",
            }
            _check_page(client, args.datasets)
            print(f"{'request':<32} {'median ms':>10} {'slowest ms':>11} {'KiB':>7}")
            for label, path in pages.items():
                median, slowest, size = _time_requests(client, path, args.repeats)
                print(f"{label:<32} {median * 1000:>10.1f} {slowest * 1000:>11.1f} {size / 1024:>7.1f}")
        finally:
            stop_server(server)
    return 0


def fill_database(data_dir: Path, count: int) -> None:
    """Create the schema, a user with a password and one history of `count` ok bed datasets."""
    settings = load_settings(environ={"NEBULA_DATA_DIR": str(data_dir)})
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    factory = make_session_factory(make_engine(settings.resolved_database_url))
    metadata = {
        "data_lines": 1000, "comment_lines": 0, "columns": 6,
        "column_types": ["str", "int", "int", "str", "int", "str"], "column_names": None,
        "chromCol": 1, "startCol": 2, "endCol": 3, "strandCol": 6, "nameCol": 4,
    }
    with transaction(factory) as session:
        user = create_user(session, EMAIL, PASSWORD)
        history = create_history(session, Actor(user=user), f"{count} datasets")
        keys = [f"benchmark_{uuid.uuid4().hex}" for _ in range(count)]
        session.execute(
            insert(Dataset),
            [{"object_key": key, "state": DatasetState.OK, "file_size": 40_000 + index} for index, key in enumerate(keys)],
        )
        ids = dict(session.execute(select(Dataset.object_key, Dataset.id).where(Dataset.object_key.in_(keys))).all())
        session.execute(
            insert(HistoryItem),
            [
                {
                    "history_id": history.id, "dataset_id": ids[key], "hid": index + 1, "name": f"exons part {index + 1}.bed",
                    "extension": "bed", "metadata_": metadata, "peek": "chrX\t100\t200\tgene\t0\t+\n",
                }
                for index, key in enumerate(keys)
            ],
        )
        history.hid_counter = count + 1


def _logged_in_client(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    token = _CSRF.search(client.get("/login").text)
    assert token, "the login page carries no CSRF token"
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)})
    assert response.status_code == 303, f"login failed with {response.status_code}"
    return client


def _check_page(client: httpx.Client, count: int) -> None:
    page = client.get("/").text
    shown = page.count('class="item-title ')
    assert shown == 100, f"the page shows {shown} datasets, expected the newest 100"
    assert f'<span class="name">exons part {count}.bed</span>' in page, "the newest dataset is not shown first"
    assert f'<span class="history-count">{count} datasets</span>' in page, "the header does not count every dataset"


def _time_requests(client: httpx.Client, path: str, repeats: int) -> tuple[float, float, int]:
    warm_up = client.get(path)
    warm_up.raise_for_status()
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path)
        durations.append(time.perf_counter() - started)
        response.raise_for_status()
    return statistics.median(durations), max(durations), len(warm_up.content)


if __name__ == "__main__":
    sys.exit(main())
