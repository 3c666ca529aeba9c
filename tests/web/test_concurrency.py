"""Many requests at once on the embedded SQLite database, more than the server has threads."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

from tests.support.server import Api

REQUESTS = 120


async def _create_histories(api: Api) -> list[httpx.Response]:
    headers = dict(api.client.headers)
    async with httpx.AsyncClient(
        base_url=str(api.client.base_url),
        headers=headers,
        timeout=60,
        limits=httpx.Limits(max_connections=REQUESTS),
    ) as client:
        return await asyncio.gather(
            *(client.post("/api/histories", json={"name": f"busy {n}"}) for n in range(REQUESTS))
        )


def test_requests_beyond_thread_pool_succeed(api: Api) -> None:
    responses = asyncio.run(_create_histories(api))
    names = {history["name"] for history in api.get("/api/histories").json()}

    assert [response.status_code for response in responses] == [200] * REQUESTS
    assert {f"busy {n}" for n in range(REQUESTS)} <= names


def _start_slow_upload(url: str, path: str, headers: dict[str, str]) -> socket.socket:
    """Send the head of a large multipart POST and stop, as a slow client would."""
    parsed = httpx.URL(url)
    connection = socket.create_connection((parsed.host, parsed.port))
    lines = [f"POST {path} HTTP/1.1", f"Host: {parsed.host}:{parsed.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["Content-Type: multipart/form-data; boundary=slow", "Content-Length: 100000000"]
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n--slow\r\n").encode())
    return connection


@pytest.mark.parametrize(
    ("path", "needs_key"), [("/api/tools", True), ("/upload", False)], ids=["api", "page"]
)
def test_slow_uploads_leave_database_free(api: Api, path: str, needs_key: bool) -> None:
    headers = {"x-api-key": api.client.headers["x-api-key"]} if needs_key else {}
    uploads = [_start_slow_upload(str(api.client.base_url), path, headers) for _ in range(12)]
    try:
        time.sleep(0.5)
        began = time.monotonic()

        response = api.get("/api/histories", timeout=10)

        assert response.status_code == 200
        assert time.monotonic() - began < 5
    finally:
        for connection in uploads:
            connection.close()
