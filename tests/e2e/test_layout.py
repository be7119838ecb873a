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
  const sideways = [...document.querySelectorAll('main *')].filter((el) => shown(el) &&
    !(el instanceof SVGElement) && (el.getBoundingClientRect().right > innerWidth + 2 ||
    el.getBoundingClientRect().left < -2)).map((el) => `${el.tagName}#${el.id}.${el.className}`);
  const doc = document.documentElement;
  return {fonts, outside: out, overlaps, sideways, scrollWidth: doc.scrollWidth,
          scrollHeight: doc.scrollHeight};
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
    measure(page, live_server, "step=9&mode=class&ctl=0")
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


SMALL_TARGETS = """() => [...document.querySelectorAll(
    '.topbar button, .view:not([hidden]) :is(button, select, input)')]
  .filter((el) => el.checkVisibility({checkVisibilityCSS: true}))
  .map((el) => [el.getAttribute('aria-label') || el.textContent.trim().slice(0, 20) || el.type,
                // a checkbox's target is its label
                (el.type === 'checkbox' && el.closest('label') || el).getBoundingClientRect(),
                el.tagName === 'BUTTON'])
  .filter(([, r, button]) => r.height < 44 || (button && r.width < 44))
  .map(([name, r]) => `${name}: ${Math.round(r.width)}×${Math.round(r.height)}`)"""

SWIPE = """(dx) => {
  const main = document.getElementById('main');
  const touch = (x) => new Touch({identifier: 1, target: main, clientX: x, clientY: 400});
  main.dispatchEvent(new TouchEvent('touchstart', {touches: [touch(200)],
    changedTouches: [touch(200)], bubbles: true}));
  main.dispatchEvent(new TouchEvent('touchend', {touches: [], changedTouches: [touch(200 + dx)],
    bubbles: true}));
}"""


def test_phone_lesson_first_no_sideways_scroll_big_targets(browser, live_server):
    page = new_page(browser, 390, 844, touch=True)
    for step in range(1, 11):
        m = measure(page, live_server, f"step={step}")
        where = f"step {step} on a 390×844 phone"
        assert m["scrollWidth"] <= 390, where
        assert m["sideways"] == [], where
        # the lesson first: its title on the first screen, the controls a closed drawer
        assert page.evaluate("document.querySelector('#step-title').getBoundingClientRect()"
                             ".bottom") < 300, where
        assert not page.is_visible("#controls"), where
        assert page.evaluate(SMALL_TARGETS) == [], where
        steps = page.evaluate("[...document.querySelectorAll('#step-list button')]"
                              ".map((b) => b.getBoundingClientRect().width)")
        assert min(steps) >= 44, where
    # step 4: the filters' names do not overprint each other
    open_app(page, live_server, "step=4")
    names = page.evaluate("""() => [...document.querySelectorAll('#layer-plot .annotation')]
      .filter((a) => /±/.test(a.textContent)).map((a) => a.getBoundingClientRect().toJSON())""")
    assert len(names) == 6
    for a, b in zip(names, names[1:], strict=False):
        assert a["right"] <= b["left"] + 1, (a, b)
    # the explorer opens as a drawer and closes again
    page.tap("#toggle-controls")
    assert page.is_visible("#controls")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.tap("#close-controls")
    assert not page.is_visible("#controls")
    # a swipe or the › ‹ buttons change the step
    page.evaluate(SWIPE, -120)
    page.wait_for_function("window.convscope.state.step === 5")
    page.evaluate(SWIPE, 120)
    page.wait_for_function("window.convscope.state.step === 4")
    page.tap("#next-step")
    page.wait_for_function("window.convscope.state.step === 5")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("w", [1024, 1100])
def test_normal_mode_narrow_lesson_first_and_every_step_in_the_bar(browser, live_server, w):
    page = new_page(browser, w, 768)
    for step in (1, 10):
        open_app(page, live_server, f"step={step}")
        # the lesson starts at the top; the controls wait in a closed drawer
        assert page.evaluate("document.querySelector('#main').getBoundingClientRect().top") < 80
        assert not page.is_visible("#controls")
        assert page.evaluate("document.documentElement.scrollWidth") <= w
        # every step button is inside the bar (the current one at least), none cut off
        bar = page.evaluate("""() => { const l = document.getElementById('step-list')
          .getBoundingClientRect(); const b = document.querySelector('#step-list .current')
          .getBoundingClientRect(); return [l.left, l.right, b.left, b.right]; }""")
        assert bar[0] - 1 <= bar[2] and bar[3] <= bar[1] + 1, (step, bar)
    page.click("#toggle-controls")
    assert page.is_visible("#controls")
    page.context.close()


ARCH_ROWS = """() => new Set([...document.querySelectorAll('#net-arch .arch-box')]
  .map((b) => Math.round(b.getBoundingClientRect().top))).size"""
# the class names beside the probability bars, top to bottom
PROB_LABELS = """() => [...document.querySelectorAll('#net-probs .ytick text')]
  .map((t) => t.getBoundingClientRect().toJSON()).sort((a, b) => a.top - b.top)"""


@pytest.mark.parametrize(("w", "h"), [(1024, 768), (1280, 720)])
def test_classroom_step10_the_deep_convnet_fits_and_reads(browser, live_server, w, h):
    """The 7-conv-layer network's 23 boxes in at most two rows; its ten class names apart."""
    page = new_page(browser, w, h)
    m = measure(page, live_server, "step=10&model=convnet&mode=class&ctl=0")
    where = f"step 10, convnet, at {w}×{h}"
    assert m["scrollWidth"] <= w and m["scrollHeight"] <= h, where
    assert m["outside"] == [] and m["overlaps"] == [], where
    assert [f for f in m["fonts"] if f[0] < 18] == [], where
    assert page.evaluate(ARCH_ROWS) <= 2, where
    labels = page.evaluate(PROB_LABELS)
    assert len(labels) == 10, where
    for a, b in zip(labels, labels[1:], strict=False):
        assert a["bottom"] <= b["top"] + 1, (where, a, b)
    assert page.errors == []
    page.context.close()


STEP7_FIGURE = """() => {
  const gd = document.querySelector('#layer-plot-learned');
  const heads = [...gd.querySelectorAll('.annotation')].filter((a) => a.textContent.includes('±'))
    .map((a) => a.querySelector('text').getBoundingClientRect().toJSON())
    .sort((a, b) => a.left - b.left);
  const rows = gd.layout.annotations.filter((a) => a.xref === 'paper').map((a) => a.text);
  return {heads, rows};
}"""


@pytest.mark.parametrize("model", ["lenet", "convnet"])
def test_step7_headers_apart_and_only_the_first_layers_own_maps(browser, live_server, model):
    page = new_page(browser, 1024, 768)
    measure(page, live_server, f"step=7&model={model}&mode=class&ctl=0")
    page.wait_for_selector("#layer-plot-learned .heatmaplayer image")
    fig = page.evaluate(STEP7_FIGURE)
    assert len(fig["heads"]) == 6
    for a, b in zip(fig["heads"], fig["heads"][1:], strict=False):
        assert a["right"] <= b["left"], (model, a, b)
    # the rows: the filters, conv1, relu1, and the pool after them only if the network pools
    # right there (a deeper network's next layer is another conv: not these filters' maps)
    layers = next(m for m in live_server.get("/api/models")["models"]
                  if m["name"] == model)["layers"]
    names = [lay["name"] for lay in layers]
    expected = names[:2] + ([names[2]] if layers[2]["kind"] == "pool" else [])
    assert [r.split("<br>")[0].removeprefix("<b>") for r in fig["rows"][1:]] == expected, fig
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("model", ["lenet", "convnet"])
def test_step10_at_a_desk_bars_apart_and_maps_beside_their_name(browser, live_server, model):
    """Normal mode at 1280×720: the softmax working open above doesn't squeeze the ten bars;
    the layer's name heads its maps, which get the panel's width."""
    page = new_page(browser, 1280, 720)
    measure(page, live_server, f"step=10&img=sample-car&model={model}")
    page.wait_for_selector("#net-acts .heatmaplayer image")
    labels = page.evaluate(PROB_LABELS)
    assert len(labels) == 10
    for a, b in zip(labels, labels[1:], strict=False):
        assert a["bottom"] <= b["top"] + 1, (model, a, b)
    panel = page.evaluate("document.querySelector('#net-acts').getBoundingClientRect().width")
    maps = page.evaluate("""() => [...document.querySelectorAll('#net-acts .heatmaplayer image')]
      .map((i) => i.getBoundingClientRect().toJSON())""")
    across = max(m["right"] for m in maps) - min(m["left"] for m in maps)
    assert across >= 0.6 * panel, (model, across, panel)
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize(("w", "h"), [(1024, 768), (1280, 720)])
def test_classroom_step10_why_shows_the_picture(browser, live_server, w, h):
    """"Why this guess?" on a projector with the deep network: the picture with Grad-CAM is
    there, big enough to see from the back, and nothing spills out of the screen."""
    page = new_page(browser, w, h)
    m = measure(page, live_server, "step=10&img=sample-cat&model=convnet&nv=why&mode=class&ctl=0")
    page.wait_for_selector("#why-plot .heatmaplayer")
    where = f"why tab at {w}×{h}"
    assert m["scrollWidth"] <= w and m["scrollHeight"] <= h, where
    assert m["outside"] == [], where
    assert [f for f in m["fonts"] if f[0] < 18] == [], where
    box = page.evaluate("""() => [...document.querySelectorAll('#why-plot .nsewdrag')]
      .map((d) => d.getBoundingClientRect().toJSON())[0]""")
    assert box["height"] >= 150 and box["bottom"] <= h, (where, box)
    # what it knows is one click away (open at a desk)
    assert page.text_content(".why-knows").startswith("It knows only ten kinds")
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize(("w", "h"), [(1024, 768), (1280, 720)])
def test_classroom_step10_a_filters_patches_fit_their_pane(browser, live_server, w, h):
    """A clicked map's filter: its weights and 9 patches, with their numbers, all inside the
    pane on a projector (none cut off at the screen's bottom edge)."""
    page = new_page(browser, w, h)
    measure(page, live_server, "step=10&img=sample-horse&model=convnet&nv=filter&pf=3"
            "&mode=class&ctl=0")
    page.wait_for_selector("#why-patches figure canvas")
    pane, last = page.evaluate("""() => [document.querySelector('#why-patches'),
      [...document.querySelectorAll('#why-patches figure')].at(-1)]
      .map((e) => e.getBoundingClientRect().toJSON())""")
    assert page.evaluate("document.querySelectorAll('#why-patches figure').length") == 10
    assert last["bottom"] <= min(pane["bottom"], h) + 1, (w, h, last, pane)
    assert page.errors == []
    page.context.close()


def test_phone_step10_no_reserved_gap_below_the_softmax(browser, live_server):
    page = new_page(browser, 390, 844, touch=True)
    measure(page, live_server, "step=10&img=sample-cat&model=convnet")
    gap = page.evaluate("""() => { const left = document.querySelector('.net-left');
      return left.getBoundingClientRect().bottom
        - left.lastElementChild.getBoundingClientRect().bottom; }""")
    assert gap < 30, gap
    page.context.close()
