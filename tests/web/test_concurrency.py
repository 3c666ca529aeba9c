"""Many requests at once on the embedded SQLite database, more than the server has threads."""

from __future__ import annotations

import asyncio

import httpx

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
