"""What the page asks the server for during a lesson, recorded in Chromium (Playwright).

    python -m benchmarks.lesson_requests

A student's lesson: open the page, walk the ten steps with the next button (a few seconds
each, the step-through playing), change the working size once, pick another sample picture,
and upload a photo of their own. Every request to /api/ that reaches the server (counted
from the server's own request log, so the browser's cache hits are left out) is counted by
endpoint; benchmarks/loadtest.py uses these counts as its "page" mix.
"""

from __future__ import annotations

import io
import logging
import re
import sys
from collections import Counter

import numpy as np
from PIL import Image

from tests.e2e.conftest import served_chromium

PATTERNS = [(r"^/api/images/[^/]+$", "GET /api/images/<id>"),
            (r"^/api/models/[^/]+/predict$", "POST /api/models/<name>/predict"),
            (r"^/api/models/[^/]+/filters$", "GET /api/models/<name>/filters"),
            (r"^/api/models/[^/]+/history$", "GET /api/models/<name>/history")]


def endpoint(method: str, url: str) -> str:
    path = re.sub(r"^https?://[^/]+", "", url).split("?")[0]
    for pattern, name in PATTERNS:
        if re.match(pattern, path):
            return name
    return f"{method} {path}"


class Counting(logging.Handler):
    """Counts the API requests werkzeug logs ('"POST /api/conv HTTP/1.1" 200')."""

    def __init__(self, counts: Counter):
        super().__init__()
        self.counts = counts

    def emit(self, record: logging.LogRecord) -> None:
        found = re.search(r'"([A-Z]+) (/api/\S*) HTTP', record.getMessage())
        if found:
            self.counts[endpoint(found[1], found[2])] += 1


def record() -> Counter:
    with served_chromium() as (live, browser):
        counts: Counter = Counter()
        logging.getLogger("werkzeug").addHandler(Counting(counts))
        photo = io.BytesIO()
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (480, 640, 3),
                                                          dtype=np.uint8)).save(photo, "JPEG")
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{live.url}/?step=1")
        page.wait_for_selector("body[data-ready]")
        for _ in range(9):  # steps 1 → 10, a few seconds each
            page.wait_for_timeout(2500)
            page.click("#next-step")  # the "next" button (a clicker sends PageDown)
        page.wait_for_timeout(2500)
        page.goto(f"{live.url}/?step=3&size=64")  # a bigger working picture
        page.wait_for_selector("body[data-ready]")
        page.wait_for_timeout(1500)
        page.goto(f"{live.url}/?step=4&img=sample-cat")  # another sample
        page.wait_for_selector("body[data-ready]")
        page.wait_for_timeout(1500)
        files = page.locator("input[type=file]")
        if files.count():
            files.first.set_input_files(files=[{"name": "me.jpg", "mimeType": "image/jpeg",
                                                "buffer": photo.getvalue()}])
            page.wait_for_timeout(4000)
    return counts


def main() -> int:
    counts = record()
    total = sum(counts.values())
    print(f"{total} API requests in one recorded lesson:")
    for name, n in counts.most_common():
        print(f"  {n:>4}  {100 * n / total:5.1f} %  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
