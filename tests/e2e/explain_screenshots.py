"""Screenshots of step 10's "why this guess" panel for built-in samples, and step 7's patches.

    python -m tests.e2e.explain_screenshots [--out docs/screenshots]

Writes explain-<sample>.png (the verdict, the probabilities, Grad-CAM or saliency over the
picture) and patches-<sample>-<layer>.png (a filter's top patches) at 1280×720, and steps 10
and 7 at 1024×768.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.e2e.conftest import served_chromium

SAMPLES = [("car", "gradcam", "conv2b", 3), ("cat", "gradcam", "conv3b", 5),
           ("frog", "saliency", "conv4b", 1), ("checkerboard", "gradcam", "conv3a", 5),
           ("horse", "gradcam", "conv1", 0), ("colour_blobs", "gradcam", "conv2a", 2)]


def shoot(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with served_chromium() as (live, browser):

        def snap(page, url: str, ready: str, file: str, part: str | None = None) -> None:
            page.goto(url)
            page.wait_for_selector(ready)
            page.wait_for_timeout(600)  # Plotly's last layout pass, images decoding
            (page.locator(part) if part else page).screenshot(path=str(out / file))
            written.append(out / file)

        page = browser.new_page(viewport={"width": 1280, "height": 720})
        for name, mode, layer, f in SAMPLES:
            base = f"{live.url}/?img=sample-{name}&step=10&model=convnet&ctl=0"
            snap(page, f"{base}&nv=why&xm={mode}", f"#why-plot[data-mode='{mode}']",
                 f"explain-{name}.png", ".net-row")
            snap(page, f"{base}&nv=filter&lay={layer}&pf={f}",
                 f"#why-patches[data-filter='{f}'] canvas", f"patches-{name}-{layer}.png",
                 ".net-row")
        page.close()
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        for query, file, ready in (
                ("step=10&nv=why", "explain-step10-1024x768.png", "#why-plot .heatmaplayer"),
                ("step=10&nv=why&mode=class", "explain-step10-classroom-1024x768.png",
                 ".why-verdict:not(:empty)"),
                ("step=7", "patches-step07-1024x768.png", ".why-patches canvas")):
            snap(page, f"{live.url}/?img=sample-cat&model=convnet&ctl=0&{query}",
                 f"body[data-ready] {ready}", file)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    for path in shoot(ap.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
