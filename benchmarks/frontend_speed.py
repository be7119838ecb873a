"""Front-end speed, measured in real Chromium (a printed benchmark, not a test).

    python -m benchmarks.frontend_speed [--out docs/frontend_speed.txt]

- Page load on localhost: Navigation Timing (DOM interactive, DOMContentLoaded: every ES
  module has run) and the moment the first lesson view is drawn (performance mark
  "convscope-ready"), with the partial Plotly.js bundle the app serves and, as the reference
  in the same run, with the full bundle of the Python plotly package put in its place
  (Playwright's request routing, gzipped the same way).
- The step-through playing at working sizes 32 to 512: requestAnimationFrame callbacks
  per second while it plays (the browser's frame rate), positions drawn per second, and the
  longest gap between two frames (a stutter shows there).
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plotly  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM_ARGS, start_server  # noqa: E402

RECORD = """() => {
  window.__frames = [];
  const tick = (t) => {
    window.__frames.push(t);
    if (window.__recording) requestAnimationFrame(tick);
  };
  window.__recording = true;
  requestAnimationFrame(tick);
}"""


FULL_BUNDLE = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")


def full_bundle(route) -> None:
    """Answer the page's Plotly.js request with the full bundle (the reference)."""
    with open(FULL_BUNDLE, "rb") as f:
        body = gzip.compress(f.read(), compresslevel=6)
    route.fulfill(status=200, body=body, headers={
        "Content-Type": "text/javascript", "Content-Encoding": "gzip",
        "Cache-Control": "public, max-age=31536000"})


def new_context(browser, full: bool):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    if full:
        context.route("**/vendor/plotly.min.js*", full_bundle)
    return context


def load_times(browser, url: str, runs: int = 5, cold: bool = False,
               full: bool = False) -> list[dict]:
    """Navigation timings of `runs` loads; cold: each in a new context (empty cache);
    full: with the full Plotly.js bundle instead of the partial one."""
    out = []
    context = new_context(browser, full)
    page = context.new_page()
    for _ in range(runs):
        if cold:
            context.close()
            context = new_context(browser, full)
            page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready]")
        out.append(page.evaluate("""() => {
          const n = performance.getEntriesByType("navigation")[0];
          const ready = performance.getEntriesByName("convscope-ready")[0];
          return {interactive: n.domInteractive, dcl: n.domContentLoadedEventEnd,
                  load: n.loadEventEnd, ready: ready ? ready.startTime : null};
        }"""))
    context.close()
    return out


def play(page, url: str, seconds: float, speed: int) -> dict:
    page.goto(url)
    page.wait_for_selector("#step-value")
    page.evaluate(f"() => window.convscope.update({{speed: {speed}, pos: 0}})")
    page.wait_for_timeout(300)
    page.evaluate(RECORD)
    page.click(".player .play")
    page.wait_for_timeout(int(seconds * 1000))
    pos = page.evaluate("() => window.convscope.state.pos")
    stats = page.evaluate("() => ({...window.convscope.stats})")
    frames = page.evaluate("() => { window.__recording = false; return window.__frames; }")
    page.click(".player .play")
    gaps = [b - a for a, b in zip(frames, frames[1:], strict=False)]
    span = (frames[-1] - frames[0]) / 1000
    return {"fps": (len(frames) - 1) / span, "draws_per_s": stats["draws"] / span,
            "positions": pos, "median_gap_ms": statistics.median(gaps),
            "p95_gap_ms": sorted(gaps)[int(0.95 * (len(gaps) - 1))], "max_gap_ms": max(gaps)}


def main() -> None:
    ap = argparse.ArgumentParser(description="front-end speed in Chromium")
    ap.add_argument("--out", type=Path, default=Path("docs/frontend_speed.txt"))
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        live, server = start_server(Path(tmp))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            version = browser.version
            lines += [f"Chromium {version}, headless, 1280x720, localhost (Flask dev server)",
                      "", "Page load (median of 5 loads, ms since navigation start; cold: "
                      "empty cache):",
                      f"  {'':22} {'partial Plotly.js':>17} {'full (reference)':>17}",
                      f"  {'':22} {'cold':>8} {'warm':>8} {'cold':>8} {'warm':>8}"]
            url = f"{live.url}/?img=sample-car&step=2"
            med = []
            for full in (False, True):
                for cold in (True, False):
                    times = load_times(browser, url, cold=cold, full=full)
                    med.append({k: statistics.median(t[k] for t in times) for k in times[0]})
            for key, label in (("interactive", "DOM interactive"),
                               ("dcl", "DOMContentLoaded"), ("load", "load event"),
                               ("ready", "first view drawn")):
                lines.append(f"  {label:22} " + " ".join(f"{m[key]:8.0f}" for m in med))
            lines.append(f"  cold first view: {med[2]['ready'] / med[0]['ready']:.2f}× faster "
                         "with the partial bundle (1.5 MB, 0.50 MB gzipped; full: 4.8 MB, "
                         "1.4 MB gzipped)")
            lines += ["  (DOMContentLoaded: every ES module has run; first view drawn: the "
                      "step-through, after POST /api/conv)", ""]
            lines.append("Step-through playing (rAF = browser frames per second while playing):")
            lines.append(f"  {'size':>5} {'speed':>8} {'rAF fps':>8} {'draws/s':>8} "
                         f"{'median':>7} {'p95':>6} {'max gap ms':>10}")
            for size, speeds in ((32, (60, 240)), (128, (60, 480, 2000)), (256, (480,)),
                                 (512, (60, 480))):
                for speed in speeds:
                    r = play(page, f"{live.url}/?img=sample-car&step=2&size={size}",
                             args.seconds, speed)
                    lines.append(f"  {size:>5} {speed:>6}/s {r['fps']:8.1f} "
                                 f"{r['draws_per_s']:8.1f} {r['median_gap_ms']:7.1f} "
                                 f"{r['p95_gap_ms']:6.1f} {r['max_gap_ms']:10.1f}")
            browser.close()
        server.shutdown()
    lines += ["", "speed 60/s: one position per frame; 480/s: 8 per frame; 2000/s: ~33 per frame "
              "(each frame draws once).", "The browser paces rAF at the display rate (60 Hz): "
              "~60 fps means no frame was dropped."]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
