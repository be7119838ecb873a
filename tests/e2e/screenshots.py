"""Screenshots of every lesson step, normal and classroom, at 1280×720 and 1920×1080.

    python -m tests.e2e.screenshots [--out docs/screenshots] [--steps 1,2,3]

Starts the real app on a free port (image store in a temporary folder) and drives Chromium.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM_ARGS, start_server

SIZES = [(1280, 720), (1920, 1080)]
# A moment of each step worth showing: the window mid-picture, the pool mid-map.
QUERY = "img=sample-car&size=32&pos=430&pp=40&fi=0"


def shoot(out: Path, steps: list[int]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        live, server = start_server(Path(tmp))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for w, h in SIZES:
                page = browser.new_page(viewport={"width": w, "height": h})
                for mode in ("normal", "classroom"):
                    extra = "&mode=class&ctl=0" if mode == "classroom" else ""
                    for step in steps:
                        page.goto(f"{live.url}/?{QUERY}&step={step}{extra}")
                        page.wait_for_selector("body[data-ready]")
                        page.wait_for_selector("#busy[hidden]", state="attached")
                        if step in (2, 3, 9):  # show a position where the filter responds
                            page.keyboard.press("s")
                            page.evaluate("() => window.scrollTo(0, 0)")
                        page.wait_for_timeout(700)  # Plotly's last layout pass, images decoding
                        path = out / f"step{step:02d}-{mode}-{w}x{h}.png"
                        page.screenshot(path=str(path))
                        written.append(path)
                page.close()
            browser.close()
        server.shutdown()
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    ap.add_argument("--steps", default="1,2,3,4,5,6,7,8,9,10")
    args = ap.parse_args()
    for path in shoot(args.out, [int(s) for s in args.steps.split(",")]):
        print(path)


if __name__ == "__main__":
    main()
