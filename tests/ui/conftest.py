"""Fixtures of the web page tests: a server with a test tool panel, page clients, a browser.

The browser is Debian's Chromium driven by Playwright for Python; Playwright's own
browser downloads are never used. Outside CI the browser tests are skipped when Chromium
or Playwright is missing; in CI (the CI variable is set) that is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.server import NebulaServer, write_test_panel

DATA = Path(__file__).resolve().parents[1] / "data"
UI_TOOLS = DATA / "ui_tools"
GENOMIC = DATA / "genomic"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "a long test password"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


def write_ui_panel(folder: Path) -> Path:
    """Write a panel with the bundled tools, the job test tools and the form test tool."""
    panel = yaml.safe_load(write_test_panel(folder).read_text())
    panel["sections"].append(
        {"id": "ui_tests", "name": "Web page tests", "tools": [str(UI_TOOLS / "form_features.xml")]}
    )
    path = folder / "ui_tool_panel.yml"
    path.write_text(yaml.safe_dump(panel))
    return path


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NebulaServer]:
    """One `nebula serve` per module, whose tool panel includes the form test tool."""
    root = tmp_path_factory.mktemp("nebula-ui")
    data_dir = root / "data"
    data_dir.mkdir()
    panel = write_ui_panel(root)
    running = NebulaServer(data_dir, extra_env={"NEBULA_TOOL_PANEL": str(panel)}).start()
    yield running
    running.stop()


class PageClient:
    """A browser-like HTTP client: keeps the session cookie and sends the CSRF token."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)

    def csrf_token(self) -> str:
        page = self.client.get("/login")
        match = _CSRF_META.search(page.text)
        assert match, "the page carries no CSRF token"
        return match.group(1)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post_form(self, path: str, data: dict[str, Any], htmx: bool = False, **kwargs: Any) -> httpx.Response:
        """POST a form with the session's CSRF token, as the pages' forms do."""
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data={"csrf_token": self.csrf_token(), **data}, headers=headers, **kwargs)

    def register(self, email: str) -> httpx.Response:
        return self.post_form("/register", {"email": email, "password": PASSWORD, "confirm": PASSWORD})


def browser_unavailable() -> str | None:
    """Return why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing; install Debian's chromium package (scripts/test.sh does so as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed; install Nebula's test extra"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = browser_unavailable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
