"""Front-end speed, measured in real Chromium (a printed benchmark, not a test).

    python -m benchmarks.frontend_speed [--out docs/frontend_speed.txt]

- Page load on localhost: Navigation Timing (DOM interactive, DOMContentLoaded: every ES
  module has run) and the moment the first lesson view is drawn (performance mark
  "convscope-ready"), with the partial Plotly.js bundle the app serves and, as the reference
  in the same run, with the full bundle of the Python plotly package served in its place
  (gzipped and cached the same way).
- The step-through playing at working sizes 32 to 512: requestAnimationFrame callbacks
  per second while it plays (the browser's frame rate), positions drawn per second, and the
  longest gap between two frames (a stutter shows there).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import plotly  # noqa: E402

from tests.e2e.conftest import served_chromium  # noqa: E402

RECORD = """() => {
  window.__frames = [];
  const run = (window.__run = (window.__run || 0) + 1);  // an older recording's frames stop
  const tick = (t) => {
    if (run !== window.__run) return;
    window.__frames.push(t);
    if (window.__recording) requestAnimationFrame(tick);
  };
  window.__recording = true;
  requestAnimationFrame(tick);
}"""


FULL_BUNDLE = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")


def serve_bundle(name: str, bundles: dict = {}) -> None:  # noqa: B006 (a cache on purpose)
    """From now on the app serves bundle `name`: "partial" (what it ships) or "full" (the Python
    plotly package's, the reference), gzipped once, in the same way."""
    from app import pages

    if not bundles:
        for key, path in (("partial", pages.PLOTLY_JS), ("full", FULL_BUNDLE)):
            with open(path, "rb") as f:
                bundles[key] = (path, gzip.compress(f.read(), compresslevel=6))
    pages.PLOTLY_JS, body = bundles[name]
    pages._plotly_gzip = lambda: body


def new_context(browser):
    return browser.new_context(viewport={"width": 1280, "height": 720})


def timings(page) -> dict:
    return page.evaluate("""() => {
      const n = performance.getEntriesByType("navigation")[0];
      const ready = performance.getEntriesByName("convscope-ready")[0];
      return {interactive: n.domInteractive, dcl: n.domContentLoadedEventEnd,
              load: n.loadEventEnd, ready: ready ? ready.startTime : null};
    }""")


def load_times(browser, url: str, runs: int = 5) -> dict[tuple[str, str], list[dict]]:
    """Navigation timings of `runs` loads of each bundle, cold (a new context: empty cache) and
    warm (cached); the two bundles alternate so that a busy machine slows both alike."""
    out: dict[tuple[str, str], list[dict]] = {}
    warm = {}
    for name in ("partial", "full"):  # prime the server (first requests) and the warm caches
        serve_bundle(name)
        warm[name] = new_context(browser).new_page()
        warm[name].goto(url)
        warm[name].wait_for_selector("body[data-ready]")
    for _ in range(runs):
        for name in ("partial", "full"):
            serve_bundle(name)
            context = new_context(browser)
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("body[data-ready]")
            out.setdefault((name, "cold"), []).append(timings(page))
            context.close()
            warm[name].goto(url)
            warm[name].wait_for_selector("body[data-ready]")
            out.setdefault((name, "warm"), []).append(timings(warm[name]))
    for page in warm.values():
        page.context.close()
    serve_bundle("partial")
    return out


def idle_fps(page, seconds: float = 1.0) -> float:
    """The browser's frame rate with nothing moving: the reference (a busy machine lowers it)."""
    page.evaluate(RECORD)
    page.wait_for_timeout(int(seconds * 1000))
    frames = page.evaluate("() => { window.__recording = false; return window.__frames; }")
    return (len(frames) - 1) / ((frames[-1] - frames[0]) / 1000)


# The page as it was before the moving window got its own compositor layer and the number
# grids their containment: the reference for the A/B rows below.
WITHOUT_LAYERS = """() => { const s = document.createElement("style"); s.textContent =
  ".overlay { will-change: auto !important } .grid, .grid span, .player, .math-total " +
  "{ contain: none !important }"; document.head.append(s); }"""


TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline"]


def main_thread_cpu_ms(trace: bytes) -> float:
    """CPU time (not wall time: a busy machine does not inflate it) of the page's main thread
    in a Chromium trace: the sum of its top-level tasks' thread durations, in ms."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    mains = {(e["pid"], e["tid"]) for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"
             and e.get("args", {}).get("name") == "CrRendererMain"}
    cpu: dict[tuple[int, int], float] = {}
    for e in events:
        if e.get("name") == "RunTask" and e.get("ph") == "X" and (e["pid"], e["tid"]) in mains:
            cpu[(e["pid"], e["tid"])] = cpu.get((e["pid"], e["tid"]), 0) + e.get("tdur", 0)
    return max(cpu.values(), default=0) / 1000


def play(page, url: str, seconds: float, speed: int, without_layers: bool = False,
         trace: bool = False) -> dict:
    page.goto(url)
    page.wait_for_selector("#step-value")
    if without_layers:
        page.evaluate(WITHOUT_LAYERS)
    page.evaluate(f"() => window.convscope.update({{speed: {speed}, pos: 0}})")
    page.wait_for_timeout(300)
    idle = idle_fps(page)
    if trace:
        page.context.browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    page.evaluate(RECORD)
    page.click(".player .play")
    page.wait_for_timeout(int(seconds * 1000))
    pos = page.evaluate("() => window.convscope.state.pos")
    stats = page.evaluate("() => ({...window.convscope.stats})")
    frames = page.evaluate("() => { window.__recording = false; return window.__frames; }")
    cpu = main_thread_cpu_ms(page.context.browser.stop_tracing()) if trace else None
    page.click(".player .play")
    gaps = [b - a for a, b in zip(frames, frames[1:], strict=False)]
    span = (frames[-1] - frames[0]) / 1000
    return {"idle": idle, "cpu_ms_per_frame": cpu / max(1, stats["frames"]) if trace else None,
            "fps": (len(frames) - 1) / span, "draws_per_s": stats["draws"] / span,
            "positions": pos, "median_gap_ms": statistics.median(gaps),
            "p95_gap_ms": sorted(gaps)[int(0.95 * (len(gaps) - 1))], "max_gap_ms": max(gaps)}


def main() -> None:
    ap = argparse.ArgumentParser(description="front-end speed in Chromium")
    ap.add_argument("--out", type=Path, default=Path("docs/frontend_speed.txt"))
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    lines = []
    with served_chromium() as (live, browser):
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        version = browser.version
        lines += [f"Chromium {version}, headless, 1280x720, localhost (Flask dev server)",
                  "", "Page load (median of 5 loads, ms since navigation start; cold: "
                  "empty cache):",
                  f"  {'':22} {'partial Plotly.js':>17} {'full (reference)':>17}",
                  f"  {'':22} {'cold':>8} {'warm':>8} {'cold':>8} {'warm':>8}"]
        url = f"{live.url}/?img=sample-car&step=2"
        times = load_times(browser, url)
        med = [{k: statistics.median(t[k] for t in times[key]) for k in times[key][0]}
               for key in (("partial", "cold"), ("partial", "warm"), ("full", "cold"),
                           ("full", "warm"))]
        for key, label in (("interactive", "DOM interactive"),
                           ("dcl", "DOMContentLoaded"), ("load", "load event"),
                           ("ready", "first view drawn")):
            lines.append(f"  {label:22} " + " ".join(f"{m[key]:8.0f}" for m in med))
        lines.append(f"  cold first view: {med[2]['ready'] / med[0]['ready']:.2f}× as fast "
                     "with the partial bundle (1.5 MB, 0.50 MB gzipped; full: 4.8 MB, "
                     "1.4 MB gzipped)")
        lines += ["  (DOMContentLoaded: every ES module has run; first view drawn: the "
                  "step-through, after POST /api/conv)", ""]
        lines.append("Step-through playing (rAF = browser frames per second while playing; "
                     "idle: the same page just before, nothing moving, the reference):")
        lines.append(f"  {'size':>5} {'speed':>8} {'rAF fps':>8} {'idle':>6} {'ratio':>6} "
                     f"{'draws/s':>8} {'median':>7} {'p95':>6} {'max gap ms':>10}")
        for size, speeds in ((32, (60, 240)), (128, (60, 480, 2000)), (256, (480,)),
                             (512, (60, 480))):
            for speed in speeds:
                r = play(page, f"{live.url}/?img=sample-car&step=2&size={size}",
                         args.seconds, speed)
                lines.append(f"  {size:>5} {speed:>6}/s {r['fps']:8.1f} {r['idle']:6.1f} "
                             f"{r['fps'] / r['idle']:6.2f} {r['draws_per_s']:8.1f} "
                             f"{r['median_gap_ms']:7.1f} "
                             f"{r['p95_gap_ms']:6.1f} {r['max_gap_ms']:10.1f}")
        lines += ["", "A/B, 480 positions/s, alternating, median of 3 runs each: as shipped "
                  "against the reference without the window's compositor layer and the "
                  "grids' containment (how it was). fps, and the page's main-thread CPU "
                  "time per frame (a trace's thread time: a busy machine does not inflate "
                  "it; 16.7 ms is a 60 Hz frame):",
                  f"  {'size':>5} {'fps':>6} {'ref fps':>8} {'ratio':>6} "
                  f"{'CPU ms/frame':>13} {'ref':>6} {'ratio':>6}"]
        for size in (128, 512):
            url = f"{live.url}/?img=sample-car&step=2&size={size}"
            runs = {False: [], True: []}
            for _ in range(3):
                for without in (False, True):
                    runs[without].append(play(page, url, args.seconds, 480, without, True))
            fps, ref = (statistics.median(r["fps"] for r in runs[w]) for w in (False, True))
            cpu, rcpu = (statistics.median(r["cpu_ms_per_frame"] for r in runs[w])
                         for w in (False, True))
            lines.append(f"  {size:>5} {fps:6.1f} {ref:8.1f} {fps / ref:6.2f} "
                         f"{cpu:13.2f} {rcpu:6.2f} {cpu / rcpu:6.2f}")
    lines += ["", "speed 60/s: one position per frame; 480/s: 8 per frame; 2000/s: ~33 per frame "
              "(each frame draws once).", "The browser paces rAF at the display rate (60 Hz): "
              "~60 fps means no frame was dropped."]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
