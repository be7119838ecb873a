"""Issue 9 in real Chromium: the scrubber moves the window, the clicker's keys always drive the
lesson (after a click on a button or the scrubber too), Back goes to the previous step."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import open_app, state

BASE = "img=sample-car&size=32&f=sobel_x,red"


def _drag_scrubber(page, key: str, value: int) -> None:
    """Set the player's scrubber as a drag does; the state's `key` follows."""
    page.wait_for_selector(".player .scrubber")
    page.eval_on_selector(".player .scrubber", f"el => {{ el.value = {value}; "
                          "el.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_function(f"() => window.convscope.state.{key} === {value}")


def test_the_scrubber_moves_the_window(page, live_server):
    open_app(page, live_server, f"{BASE}&step=2&pos=0")
    # Setting its value (as a drag does) moves the window there.
    _drag_scrubber(page, "pos", 100)
    assert page.text_content(".player .where").startswith("row 3, col 16 · 101 of 784")
    # A click on the scrubber's track: the middle of 784 positions.
    box = page.locator(".player .scrubber").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => Math.abs(window.convscope.state.pos - 392) < 40")
    assert page.errors == []


def test_the_pooling_scrubber_moves_the_window(page, live_server):
    open_app(page, live_server, f"{BASE}&step=9&pp=0")
    _drag_scrubber(page, "pp", 20)


def test_clicker_keys_drive_the_lesson_after_a_click_on_a_button(page, live_server):
    open_app(page, live_server, f"{BASE}&step=2&pos=0&speed=60")
    page.wait_for_selector(".player .scrubber")
    page.click(".player button[aria-label^='Step forward']")
    page.wait_for_function("() => window.convscope.state.pos === 1")
    page.keyboard.press(" ")  # plays; it does not press "step forward" again
    page.wait_for_function("() => document.querySelector('.player .play')"
                           ".getAttribute('aria-pressed') === 'true'")
    page.keyboard.press(" ")
    page.wait_for_function("() => document.querySelector('.player .play')"
                           ".getAttribute('aria-pressed') === 'false'")
    pos = state(page)["pos"]
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => window.convscope.state.pos === {pos + 1}")
    page.keyboard.press("PageDown")
    page.wait_for_function("() => window.convscope.state.step === 3")
    assert page.errors == []


def test_clicker_keys_drive_the_lesson_after_touching_the_scrubber(page, live_server):
    open_app(page, live_server, f"{BASE}&step=2&pos=0")
    page.wait_for_selector(".player .scrubber")
    box = page.locator(".player .scrubber").bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + box["height"] / 2)
    page.focus(".player .scrubber")  # even while the scrubber keeps the focus
    pos = state(page)["pos"]
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => window.convscope.state.pos === {pos + 1}")
    page.keyboard.press("ArrowDown")  # one row down, not one position
    page.wait_for_function(f"() => window.convscope.state.pos === {pos + 1 + 28}")
    page.focus(".player .scrubber")
    page.keyboard.press("PageDown")
    page.wait_for_function("() => window.convscope.state.step === 3")
    page.wait_for_function("() => document.querySelector('.player .play')"
                           ".getAttribute('aria-pressed') === 'true'")  # step 3 opens playing
    page.focus(".player .scrubber")
    page.keyboard.press(" ")
    page.wait_for_function("() => document.querySelector('.player .play')"
                           ".getAttribute('aria-pressed') === 'false'")
    page.focus("#s-input")  # an explorer slider keeps its arrows…
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => window.convscope.state.s === 2")
    page.keyboard.press("PageUp")  # …but not the clicker's page keys
    page.wait_for_function("() => window.convscope.state.step === 2")
    page.keyboard.press("b")  # a clicker's blank key: black screen, and back
    assert page.is_visible("#blank")
    page.keyboard.press("b")
    assert page.is_hidden("#blank")
    assert page.errors == []


def test_back_goes_to_the_previous_step(page, live_server):
    open_app(page, live_server, f"{BASE}&step=1")
    page.focus("main")
    page.keyboard.press("PageDown")
    page.wait_for_function("() => location.search.includes('step=2')")
    page.wait_for_selector("[data-view=stepper]:not([hidden]) #step-value")
    page.wait_for_function("() => window.convscope.state.pos > 0")  # the step's opening
    opened = state(page)["pos"]
    page.keyboard.press("ArrowRight")  # moves the window: no new history entry
    page.keyboard.press("PageDown")
    page.wait_for_function("() => location.search.includes('step=3')")
    page.go_back()
    page.wait_for_function("() => window.convscope.state.step === 2")
    page.wait_for_function("() => document.querySelector('#step-title').textContent"
                           ".startsWith('A filter slides over it')")
    page.wait_for_selector("[data-view=stepper]:not([hidden])")
    assert state(page)["pos"] == opened + 1
    page.go_back()
    page.wait_for_function("() => window.convscope.state.step === 1")
    page.wait_for_selector("[data-view=volume]:not([hidden])")
    page.go_forward()
    page.wait_for_function("() => window.convscope.state.step === 2")
    assert page.url.startswith(live_server.url)
    assert page.errors == []


def ints(page, selector: str) -> list[int]:
    return [int(t.replace("−", "-")) for t in
            page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")]


def test_numbers_add_up_at_many_positions(page, live_server):
    """Sobel's weights (±0.08…) to 2 decimals: the printed terms still add up everywhere."""
    from tests.e2e.test_frontend import assert_step_matches_api, conv_body
    open_app(page, live_server, f"{BASE}&step=2")
    page.wait_for_selector("#step-value")
    for pos in range(0, 784, 37):
        page.evaluate("p => window.convscope.update({pos: p})", pos)
        assert_step_matches_api(page, live_server, conv_body(filter=0), *divmod(pos, 28))
    assert page.errors == []


def test_whole_numbers_are_exact(page, live_server):
    """Pixels 0..255 and Sobel's whole-number weights: every printed number is an exact
    integer, products = pixel × weight, sums = their sums; the map's value follows."""
    import numpy as np

    from tests.e2e.test_frontend import conv_body, shown
    open_app(page, live_server, f"{BASE}&step=2&whole=1&pos=100")
    page.wait_for_selector("#step-value")
    assert page.is_checked("#st-whole")
    ref = live_server.post_json("/api/conv/step", {**conv_body(filter=0), "row": 3, "col": 16})
    w = np.array(ref["weights"])  # 5×5×3: the smoothed Sobel, multiples of 1/144
    unit = np.abs(w[w != 0]).min()
    whole = np.rint(w / unit).astype(int)
    assert np.allclose(whole * unit, w, atol=1e-6)
    pixels = np.rint(np.array(ref["patch"]) * 255).astype(int)
    total = 0
    for ch in range(3):
        assert ints(page, f'[data-grid="patch-{ch}"] span') == pixels[..., ch].ravel().tolist()
        assert ints(page, f'[data-grid="weights-{ch}"] span') == whole[..., ch].ravel().tolist()
        products = (pixels[..., ch] * whole[..., ch]).ravel().tolist()
        assert ints(page, f'[data-grid="products-{ch}"] span') == products
        assert ints(page, f'[data-testid="sum-{ch}"]') == [sum(products)]
        total += sum(products)
    line = page.text_content(".math-total")
    per = round(255 / unit)
    assert f"= {total:d}".replace("-", "−") in line and f"÷ {per:,}" in line
    assert page.text_content("#step-value") == shown(ref["value"])
    assert abs(total / per + ref["bias"] - ref["value"]) < 1e-5
    # A learned filter has no whole-number form: the box is off and greyed.
    page.evaluate("() => window.convscope.update({f: ['lenet.conv1.0']})")
    page.wait_for_function("() => document.querySelector('#st-whole').disabled")
    assert "." in page.text_content("#step-value")
    assert page.errors == []


def test_each_step_opens_on_a_telling_moment(page, live_server):
    import numpy as np

    from app.arrays import from_typed
    from tests.e2e.test_frontend import conv_body
    res = live_server.post_json("/api/conv", conv_body())
    sobel = from_typed(res["maps"][0])
    open_app(page, live_server, f"{BASE}&step=1")
    page.focus("main")
    # Step 2: the window where the filter responds most strongly (largest |value|).
    page.keyboard.press("PageDown")
    strongest = int(np.abs(sobel).argmax())
    page.wait_for_function(f"() => window.convscope.state.pos === {strongest}")
    assert abs(float(page.text_content("#step-value").replace("−", "-"))) > 0.3
    # Step 3: half the map drawn, the window moving.
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('.player .play')"
                           ".getAttribute('aria-pressed') === 'true'")
    start = state(page)["pos"]
    assert start >= 14 * 28
    page.wait_for_function(f"() => window.convscope.state.pos > {start + 5}")
    # Step 9: a window with a clear max (not four zeros).
    page.keyboard.press("9")
    page.wait_for_function("() => window.convscope.state.step === 9")
    page.wait_for_function("() => window.convscope.state.pp > 0")
    values = [float(t.replace("−", "-")) for t in
              page.eval_on_selector_all("#pool-grid span", "els => els.map(e => e.textContent)")]
    relu = from_typed(res["relu"][0])
    windows = relu[:28, :28].reshape(14, 2, 14, 2).transpose(0, 2, 1, 3).reshape(196, 4)
    ordered = np.sort(windows, axis=1)
    clearest = int((ordered[:, -1] - ordered[:, -2]).argmax())
    assert state(page)["pp"] == clearest
    top, second = sorted(values)[-1], sorted(values)[-2]
    assert top - second > 0.05
    # Step 6: epoch 0, random noise, ready to play.
    page.keyboard.press("6")
    page.wait_for_function("() => document.querySelector('#ep-out')?.textContent"
                           ".startsWith('0 (random start)')")
    assert state(page)["ep"] == 0
    page.keyboard.press("ArrowRight")  # one epoch on
    page.wait_for_function("() => window.convscope.state.ep > 0")
    # A link that names the moment still lands on it.
    open_app(page, live_server, f"{BASE}&step=2&pos=5")
    page.wait_for_timeout(300)
    assert state(page)["pos"] == 5
    assert page.errors == []


def set_range(page, selector: str, value: int) -> None:
    page.eval_on_selector(selector, "(el, v) => { el.value = v; "
                          "el.dispatchEvent(new Event('input')); "
                          "el.dispatchEvent(new Event('change')); }", value)


MAP_FILLS_PLOT = """id => {
  const area = document.querySelector(`#${id} .nsewdrag`).getBoundingClientRect();
  const img = document.querySelector(`#${id} .hm image`).getBoundingClientRect();
  return [area.width, img.width, area.height, img.height];
}"""


def test_after_a_geometry_change_the_map_fills_its_plot_and_the_text_follows(page, live_server):
    open_app(page, live_server, f"{BASE}&step=3&pos=0")
    page.wait_for_selector("#st-output .hm image")
    assert "so the map is 28 × 28" in page.text_content("#step-body")
    set_range(page, "#s-input", 3)
    set_range(page, "#p-input", 3)
    page.wait_for_function("() => document.querySelector('#st-output').textContent"
                           ".includes('Feature map 12×12')")
    page.wait_for_timeout(300)
    aw, iw, ah, ih = page.evaluate(MAP_FILLS_PLOT, "st-output")
    assert abs(aw - iw) < 2 and abs(ah - ih) < 2  # no white side bands: the range is 12 wide
    body = page.text_content("#step-body")
    assert "so the map is 12 × 12" in body and "28 × 28" not in body
    assert "(32 − 5 + 2·3)/3 + 1 = 12" in body
    assert page.errors == []


def test_a_kernel_that_does_not_fit_message_goes_when_it_fits_again(page, live_server):
    open_app(page, live_server, "img=sample-car&size=8&f=sobel_x&step=2")
    page.select_option("#kernel-size", "11")
    page.wait_for_selector("#toast:not([hidden])")
    page.select_option("#kernel-size", "3")
    page.wait_for_function("() => document.querySelector('.player .where').textContent"
                           ".endsWith('of 36')")
    page.wait_for_selector("#toast", state="hidden", timeout=2000)


def test_layers_in_sequence_show_filter_shapes_and_pooling_to_come(page, live_server):
    open_app(page, live_server, "img=sample-car&step=5&model=lenet")
    page.wait_for_selector("#seq-arch .arch-box")
    arch = page.text_content("#seq-arch")
    assert "6 filters of 5×5×3" in arch and "16 filters of 5×5×6" in arch
    assert page.eval_on_selector_all("#seq-arch .kind-pool .coming", "els => els.length") == 2
    page.wait_for_selector("#seq-plot .main-svg")
    # Every row has its colour bar; nothing written over another row's label.
    bars = page.evaluate("() => document.getElementById('seq-plot').data"
                         ".filter(t => t.showscale).length")
    assert bars == 4
    labels = page.evaluate("""() => [...document.querySelectorAll('#seq-plot .annotation')]
        .map(a => a.getBoundingClientRect()).map(r => [r.top, r.bottom])""")
    labels.sort()
    assert all(a[1] <= b[0] + 1 for a, b in zip(labels, labels[1:], strict=False))
    # Drawn to scale: pool1 (14×14) is half as wide as conv1 (28×28) in the same-sized cells.
    ranges = page.evaluate("() => { const l = document.getElementById('seq-plot').layout; "
                           "return [l.xaxis.range, l.xaxis9.range]; }")
    assert ranges[0][1] - ranges[0][0] == ranges[1][1] - ranges[1][0] == 28
    assert page.errors == []


def test_words_match_the_layout_and_pictures_their_colours(page, live_server):
    import app.imaging
    open_app(page, live_server, "img=sample-car&step=1")
    page.wait_for_selector("#vol-0 .main-svg")
    scales = page.evaluate("() => [0, 1, 2].map(c => document.getElementById(`vol-${c}`)"
                           ".data[0].colorscale.at(-1)[1])")
    assert scales == ["#ff0000", "#00ff00", "#0000ff"]
    accept = page.get_attribute("#file-input", "accept")
    assert "svg" not in accept and "image/*" not in accept
    for fmt in app.imaging.FORMATS:
        assert f"image/{fmt.lower()}" in accept
    cut = page.evaluate("() => [...document.querySelectorAll('.sample span')]"
                        ".filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.textContent)")
    assert cut == []
    page.keyboard.press("4")
    page.wait_for_function("() => document.querySelector('#step-body').textContent"
                           ".includes('Under each map')")
    assert "beside" not in page.text_content("#step-body")
    page.keyboard.press("0")
    page.wait_for_function("() => window.convscope.state.step === 10")
    page.wait_for_function("() => document.querySelector('#step-body').textContent"
                           ".includes('softmax')")
    assert "below" not in page.text_content("#step-body")
    assert page.errors == []


def test_softmax_turns_the_scores_into_the_probabilities(page, live_server):
    import math

    from app.arrays import from_typed
    pred = live_server.post_json("/api/models/lenet/predict", {"image_id": "sample-car"})
    t = pred["temperature"]  # calibrated: softmax(logits / t)
    assert t != 1.0
    scores = [s / t for s in from_typed(pred["activations"][-1]["maps"]).astype(float).tolist()]
    top = max(scores)
    total = sum(math.exp(s - top) for s in scores)
    order = sorted(range(10), key=lambda i: -scores[i])[:3]
    open_app(page, live_server, "img=sample-car&step=10&model=lenet")
    page.wait_for_function("() => document.querySelector('#net-softmax')?.textContent")
    text = page.text_content("#net-softmax")
    for i in order:
        p = math.exp(scores[i] - top) / total
        assert abs(p - pred["probabilities"][i]) < 1e-4
        assert f"{pred['classes'][i]} {scores[i]:.2f}".replace("-", "−") in text
        assert f"= {100 * p:.1f} %" in text
    assert f"{total:.3f}" in text


def test_parameter_counts_as_three_bars_with_ratios(page, live_server):
    open_app(page, live_server, "img=sample-car&step=8&f=sobel_x,red")
    page.wait_for_selector("#params-plot .main-svg")
    bars = page.evaluate("() => { const gd = document.getElementById('params-plot'); "
                         "return [gd.data[0].y, gd.data[0].x, gd.layout.xaxis.type || 'linear']; }")
    conv = 2 * (5 * 5 * 3 + 1)
    local = 28 * 28 * conv
    fc = 32 * 32 * 3 * 28 * 28 * 2 + 28 * 28 * 2
    assert bars == [["Fully connected", "Locally connected", "Conv layer"], [fc, local, conv],
                    "linear"]
    assert f"{local // conv:,}× the conv layer's" in page.text_content("#params-local")
    assert f"{round(fc / conv):,}× the conv layer's" in page.text_content("#params-fc")


def test_the_colour_range_per_map_or_shared_by_the_layer(page, live_server):
    open_app(page, live_server, "img=sample-car&step=4&f=sobel_x,red,blue")
    page.wait_for_selector("#layer-plot .main-svg")
    peaks = """() => document.getElementById('layer-plot').data.filter((t, i) => i % 4 === 1)
        .map(t => { let m = 0, z = 0; t.customdata.flat().forEach((v, j) => {
          if (Math.abs(v) > m) { m = Math.abs(v); z = Math.abs(t.z.flat()[j]); } });
          return m / z; })"""
    own = page.evaluate(peaks)
    assert len({round(p, 4) for p in own}) == 3  # each map its own ±max
    page.select_option(".range-pick select", "layer")
    page.wait_for_function("() => location.search.includes('range=layer')")
    page.wait_for_timeout(300)
    shared = page.evaluate(peaks)
    assert len({round(p, 4) for p in shared}) == 1 and shared[0] == pytest.approx(max(own))
    # The pooled maps to scale: a 14×14 map drawn in a 28-wide cell.
    r = page.evaluate("() => document.getElementById('layer-plot').layout.xaxis10.range")
    assert r[1] - r[0] == 28
    assert page.errors == []


@pytest.mark.parametrize("mode", ["", "&mode=class&ctl=0"])
def test_step_9_draws_the_pooled_map_to_scale(page, live_server, mode):
    """A pooled cell is as big on screen as a cell of the map it pools: the 14×14 map is drawn
    half the size of the 28×28 one (it was stretched to the same size)."""
    open_app(page, live_server, f"{BASE}&step=9&pp=0{mode}")
    page.wait_for_selector("#pool-out .heatmaplayer image")
    widths = page.evaluate("""() => ['pool-in', 'pool-out'].map((id) =>
        document.querySelector(`#${id} .heatmaplayer image`).getBoundingClientRect().width)""")
    cell_in, cell_out = widths[0] / 28, widths[1] / 14
    assert abs(cell_in - cell_out) <= 0.5, widths
