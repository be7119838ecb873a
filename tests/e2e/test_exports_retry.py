"""An export that finds the server busy (503 with Retry-After: its few heavy-job slots are
taken, app/budget.py) is tried again once after the wait the server asked for, if that is
at most 10 s; a longer wait, or a second refusal, is reported. The 503s are made by routing
the request in Chromium (page.route); the retry goes to the real server."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.e2e.conftest import open_app

BASE = "img=sample-car&size=32&f=sobel_x,red&fi=1&step=2"
BUSY = {"type": "/problems/busy", "title": "Server busy", "status": 503,
        "detail": "The server is busy with other exports; try again in a few seconds."}


def busy(times: int, retry_after: str, calls: list[float]):
    """A route handler: the first `times` requests get 503 + Retry-After, the rest go on."""
    def handle(route):
        calls.append(time.monotonic())
        if len(calls) <= times:
            route.fulfill(status=503, body=json.dumps(BUSY),
                          headers={"Content-Type": "application/problem+json",
                                   "Retry-After": retry_after})
        else:
            route.continue_()
    return handle


def real_errors(page) -> list[str]:
    """Console errors, less Chromium's own line for each refused request (the 503s above)."""
    return [e for e in page.errors if "status of 503" not in e]


def test_a_busy_export_waits_for_retry_after_and_tries_again(page, live_server):
    calls: list[float] = []
    page.route("**/api/conv/gif", busy(1, "2", calls))
    open_app(page, live_server, BASE)
    with page.expect_download(timeout=30_000) as dl:
        page.click("#export-gif")
        page.wait_for_function("() => document.getElementById('export-gif').textContent"
                               " === 'Busy: retry in 2 s'")
    assert Path(dl.value.path()).read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 1.9  # it waited the Retry-After
    assert page.locator("#toast").is_hidden()  # no error shown
    page.wait_for_function("() => document.getElementById('export-gif').textContent"
                           " === 'GIF of the sliding'")  # the button is back
    assert page.is_enabled("#export-gif")
    assert real_errors(page) == []


def test_a_second_refusal_or_a_long_wait_is_reported(page, live_server):
    calls: list[float] = []
    page.route("**/api/conv/gif", busy(2, "1", calls))  # busy twice: one retry, then the error
    open_app(page, live_server, BASE)
    label = page.text_content("#export-gif")
    page.click("#export-gif")
    toast = page.wait_for_selector("#toast:not([hidden])", timeout=20_000)
    assert "busy with other exports" in toast.text_content()
    assert len(calls) == 2
    page.wait_for_function("(label) => document.getElementById('export-gif').textContent"
                           " === label", arg=label)
    page.unroute("**/api/conv/gif")

    page.evaluate("() => { document.getElementById('toast').hidden = true; }")
    calls.clear()
    page.route("**/api/conv/csv", busy(5, "60", calls))  # a minute: not waited for
    page.click("#export-csv")
    toast = page.wait_for_selector("#toast:not([hidden])", timeout=10_000)
    assert "busy with other exports" in toast.text_content()
    page.wait_for_timeout(500)
    assert len(calls) == 1
    assert real_errors(page) == []
