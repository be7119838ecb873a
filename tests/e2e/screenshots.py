"""Screenshots of every lesson step: normal and classroom mode at 1280×720 and 1920×1080,
classroom mode at 1024×768 (a common projector), and a 390×844 phone (touch, the whole page).

    python -m tests.e2e.screenshots [--out docs/screenshots] [--steps 1,2,3]

Starts the real app on a free port (image store in a temporary folder) and drives Chromium.
The PNGs are re-saved optimised (Pillow) to keep the set small.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from tests.e2e.conftest import served_chromium

# (width, height, modes, touch): what a class meets
SHOTS = [(1024, 768, ("classroom",), False), (1280, 720, ("normal", "classroom"), False),
         (1920, 1080, ("normal", "classroom"), False), (390, 844, ("normal",), True)]
# A moment of each step worth showing: the window mid-picture, the pool mid-map.
QUERY = "img=sample-car&size=32&pos=430&pp=40&fi=0"


def shoot(out: Path, steps: list[int]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with served_chromium() as (live, browser):
        for w, h, modes, touch in SHOTS:
            context = browser.new_context(viewport={"width": w, "height": h},
                                          has_touch=touch, is_mobile=touch)
            page = context.new_page()
            for mode in modes:
                extra = "&mode=class&ctl=0" if mode == "classroom" else ""
                for step in steps:
                    page.goto(f"{live.url}/?{QUERY}&step={step}{extra}")
                    page.wait_for_selector("body[data-ready]")
                    page.wait_for_selector("#busy[hidden]", state="attached")
                    if step in (2, 3, 9):  # show a position where the filter responds
                        page.keyboard.press("s")
                        page.evaluate("() => window.scrollTo(0, 0)")
                    page.wait_for_timeout(700)  # Plotly's last layout pass, images decoding
                    name = "phone" if touch else mode
                    path = out / f"step{step:02d}-{name}-{w}x{h}.png"
                    page.screenshot(path=str(path), full_page=touch)
                    Image.open(path).save(path, optimize=True)
                    written.append(path)
            context.close()
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
