"""Error pages: HTML in words for the pages, JSON for the API, never a traceback."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from nebula.errors import NotFound
from nebula.web.errors import install_error_handlers
from nebula.web.ui.errors import install_page_error_handlers


def get(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """Send one request to a small app with Nebula's error handlers, in this process."""
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://nebula.test") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(send())


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/broken")
    @app.get("/api/broken")
    def broken() -> None:
        raise RuntimeError("secret internal detail")

    @app.get("/missing")
    def missing() -> None:
        raise NotFound("history not found")

    install_page_error_handlers(app)
    return app


def test_unexpected_page_error_is_a_500_page() -> None:
    response = get("/broken")

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Nebula ran into an unexpected problem" in response.text
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


def test_unexpected_api_error_stays_json() -> None:
    response = get("/api/broken")

    assert response.status_code == 500
    assert response.json()["err_code"] == 500001
    assert "secret internal detail" not in response.text


def test_nebula_error_page_uses_its_message() -> None:
    response = get("/missing")

    assert response.status_code == 404
    assert "History not found." in response.text


def test_htmx_request_gets_a_fragment() -> None:
    response = get("/missing", headers={"HX-Request": "true"})

    assert response.status_code == 404
    assert response.text.strip().startswith('<p class="error"')
    assert "<html" not in response.text
