"""The page's layout where a class uses it, in real Chromium: a 1024×768 or 1280×720 projector
in classroom mode (every step on one screen, big type, the play buttons there for a touch-only
whiteboard), a laptop in normal mode at ≤ 1,100 px, and a 390×844 phone (touch)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import open_app

# Every piece of text on screen (not the hidden drawer, not screen-reader-only text), its
# font size; every block of the view whose box lies outside the window; blocks that overlap.
MEASURE = """() => {
  const shown = (el) => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) &&
    !el.closest('.sr-only, .skip, .modebar-container, .hoverlayer');
  const fonts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (r.width && r.height && size) {
      fonts.push([size, walker.currentNode.textContent.trim().slice(0, 30),
                  !!el.closest('#views, .lesson-text')]);
    }
  }
  const out = [];
  for (const el of document.querySelectorAll('.topbar *, main *')) {
    if ((el instanceof SVGElement && el.tagName !== 'text') || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width && r.height && (r.right > innerWidth + 2 || r.bottom > innerHeight + 2 ||
        r.left < -2 || r.top < -2)) {
      const at = [r.left, r.top, r.right, r.bottom].map(Math.round).join(",");
      out.push(`${el.tagName}#${el.id}.${el.className.baseVal ?? el.className}: ${at}`);
    }
  }
  const blocks = [...document.querySelectorAll(
    '.lesson-text, .view:not([hidden]) :is(.player, .plot, .grid, .math-total, .formula, .arch, ' +
    '.tiles, .pool-mid, .deck-box, .epoch-bar, .params-sums, .vol-numbers figure)')]
    .filter(shown);
  const overlaps = [];
  blocks.forEach((a, i) => blocks.slice(i + 1).forEach((b) => {
    if (a.contains(b) || b.contains(a)) return;
    const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 2 && h > 2) overlaps.push(`${a.id || a.className} × ${b.id || b.className}`);
  }));
  return {fonts, outside: out, overlaps, scrollWidth: document.documentElement.scrollWidth,
          scrollHeight: document.documentElement.scrollHeight};
}"""

PLAYER_BUTTONS = """() => [...document.querySelectorAll('.view:not([hidden]) .player button')]
  .map((b) => { const r = b.getBoundingClientRect();
    return [b.getAttribute('aria-label') || b.textContent, r.width, r.height,
            r.bottom <= innerHeight && r.right <= innerWidth && r.top >= 0]; })"""


def new_page(browser, w: int, h: int, touch: bool = False):
    context = browser.new_context(viewport={"width": w, "height": h}, has_touch=touch,
                                  is_mobile=touch)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(15_000)
    return page


def measure(page, live, query: str) -> dict:
    open_app(page, live, query)
    page.wait_for_selector("#busy[hidden]", state="attached")
    page.wait_for_timeout(250)  # Plotly's resize after the layout settles
    return page.evaluate(MEASURE)


@pytest.mark.parametrize(("w", "h"), [(1024, 768), (1280, 720)])
def test_classroom_every_step_fits_one_screen_in_big_type(browser, live_server, w, h):
    page = new_page(browser, w, h)
    for step in range(1, 11):
        m = measure(page, live_server, f"step={step}&mode=class&ctl=0")
        where = f"step {step} at {w}×{h}"
        assert m["scrollWidth"] <= w and m["scrollHeight"] <= h, where
        assert m["outside"] == [], where
        assert m["overlaps"] == [], where
        small = [f for f in m["fonts"] if f[0] < 18]
        assert small == [], where
        if step in (2, 3, 9):  # a touch-only whiteboard plays and steps with these
            buttons = page.evaluate(PLAYER_BUTTONS)
            assert len(buttons) >= 5, where
            for name, bw, bh, inside in buttons:
                assert bw >= 44 and bh >= 44 and inside, (where, name, bw, bh)
    assert page.errors == []
    page.context.close()


def test_step9_window_grid_stays_between_the_maps_at_1024(browser, live_server):
    page = new_page(browser, 1024, 768)
    open_app(page, live_server, "step=9&mode=class&ctl=0")
    rects = page.evaluate("""() => ['#pool-in .nsewdrag', '#pool-grid', '#pool-out .nsewdrag',
        '#pool-value'].map((s) => document.querySelector(s).getBoundingClientRect().toJSON())""")
    plot_in, grid, plot_out, value = rects
    assert plot_in["right"] <= grid["left"] and grid["right"] <= plot_out["left"]
    assert plot_in["right"] <= value["left"] and value["right"] <= plot_out["left"]
    assert plot_out["right"] <= 1024
    page.context.close()


@pytest.mark.parametrize(("w", "h"), [(1024, 768), (1280, 720), (1920, 1080)])
def test_classroom_type_is_bigger_than_normal_at_every_size(browser, live_server, w, h):
    page = new_page(browser, w, h)
    sizes = {}
    for mode in ("", "class"):
        m = measure(page, live_server, f"step=2&mode={mode}&ctl=0")
        lesson = [f[0] for f in m["fonts"] if f[2]]
        body = page.evaluate("() => parseFloat(getComputedStyle("
                             "document.querySelector('#step-body p')).fontSize)")
        ticks = page.evaluate("() => Math.min(...[...document.querySelectorAll("
                              "'#st-output text')].map((t) => parseFloat(t.style.fontSize)))")
        sizes[mode] = (min(lesson), body, ticks)
    normal, big = sizes[""], sizes["class"]
    assert big[0] >= 18 and big[0] > normal[0], sizes  # the smallest text of the lesson
    assert big[1] > normal[1], sizes  # the lesson's paragraphs
    assert big[2] >= 18 and big[2] > normal[2], sizes  # Plotly's titles and ticks
    page.context.close()
