"""End-to-end fixtures: the real app on a free port (werkzeug make_server in a thread, its image
store in a temporary folder) and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import require_executable

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class LiveServer:
    def __init__(self, url: str, data_dir: Path):
        self.url = url
        self.data_dir = data_dir  # the image store's folder

    def image_id(self, data: bytes) -> str:
        """The id the server gives these bytes (an HMAC under its store's secret)."""
        from app.diskstore import DiskStore

        return DiskStore(self.data_dir / "images").image_id(data)

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path) as r:
            return json.load(r)

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def post_json(self, path: str, body: dict) -> dict:
        status, data = self.post(path, body)
        assert status == 200, data
        return json.loads(data)


def start_server(data_dir: Path) -> tuple[LiveServer, object]:
    """The Flask app served by werkzeug on 127.0.0.1 and a free port, in a daemon thread."""
    from werkzeug.serving import make_server

    os.environ["CONVSCOPE_DATA_DIR"] = str(data_dir)
    from app import create_app

    # every test's uploads come from 127.0.0.1: one client, so a generous rate limit
    server = make_server("127.0.0.1", 0, create_app({"UPLOAD_RATE": "600 per minute"}),
                         threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return LiveServer(f"http://127.0.0.1:{server.server_port}", data_dir), server


def click_cell(page, plot: str, row: int, col: int, rows: int, cols: int | None = None) -> None:
    """Click the middle of cell (row, col) of a heatmap drawn over the whole plot area of
    `plot` (a CSS selector), rows × cols cells (square by default)."""
    box = page.locator(f"{plot} .nsewdrag").bounding_box()
    page.mouse.click(box["x"] + box["width"] * (col + 0.5) / (cols or rows),
                     box["y"] + box["height"] * (row + 0.5) / rows)


@contextmanager
def served_chromium() -> Iterator[tuple[LiveServer, object]]:
    """(live server on a fresh data folder, Debian's Chromium): for the screenshot and
    benchmark scripts, which run outside pytest. Both are shut down on leaving."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        live, server = start_server(Path(tmp))
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield live, browser
        finally:
            browser.close()
            server.shutdown()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    old = os.environ.get("CONVSCOPE_DATA_DIR")
    live, server = start_server(tmp_path_factory.mktemp("convscope-data"))
    yield live
    server.shutdown()
    if old is None:
        os.environ.pop("CONVSCOPE_DATA_DIR", None)
    else:
        os.environ["CONVSCOPE_DATA_DIR"] = old


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    chromium = require_executable("chromium", "/usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server: LiveServer) -> Iterator[object]:
    """A fresh 1280×720 page; page.errors collects console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def open_app(page, live: LiveServer, query: str = "") -> None:
    """Load the page and wait until its first view is drawn."""
    page.goto(f"{live.url}/{'?' + query if query else ''}")
    page.wait_for_selector("body[data-ready]")


def state(page) -> dict:
    return page.evaluate("() => JSON.parse(JSON.stringify(window.convscope.state))")
