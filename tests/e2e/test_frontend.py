"""The page in real Chromium: it loads cleanly, takes a picture, steps with the keyboard showing
the API's own numbers, plays, follows stride and padding, shows the trained network, switches
to classroom mode, and a shared URL lands on the same state."""

from __future__ import annotations

import io
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.conftest import open_app, state

BASE = "img=sample-car&size=32&f=sobel_x,red"


def shown(v: float) -> str:
    """How the page prints a number: 2 decimals, halves away from zero (JS toFixed), a true
    minus sign."""
    s = str(Decimal(v).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return "0.00" if s == "-0.00" else s.replace("-", "−")


def cents(text: str) -> int:
    """A printed number ("−0.03") in hundredths."""
    return round(float(text.replace("−", "-")) * 100)


def wait_url(page, fragment: str) -> None:
    """The URL follows the state a moment later (writes are throttled while playing)."""
    page.wait_for_function("f => location.search.includes(f)", arg=fragment)


def texts(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def conv_body(**over) -> dict:
    body = {"image_id": "sample-car", "size": 32, "filters": [{"preset": "sobel_x", "size": 5},
            {"preset": "red", "size": 5}], "stride": 1, "padding": 0, "dilation": 1,
            "pool": {"op": "max", "size": 2, "stride": 2}}
    body.update(over)
    return body


def png_bytes(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, "PNG")
    return buf.getvalue()


def assert_step_matches_api(page, live, body: dict, row: int, col: int) -> None:
    """Every number of the step-through is POST /api/conv/step's at (row, col), to the
    hundredth, and the printed numbers add up: each channel's printed products to its printed
    sum, the printed sums and bias to the printed value (the value correctly rounded)."""
    ref = live.post_json("/api/conv/step", {**body, "row": row, "col": col})
    k = len(ref["patch"])
    value = page.text_content("#step-value")
    assert value == shown(ref["value"])
    sums = []
    for ch in range(3):
        patch = [shown(ref["patch"][i // k][i % k][ch]) for i in range(k * k)]
        weights = [shown(ref["weights"][i // k][i % k][ch]) for i in range(k * k)]
        assert texts(page, f'[data-grid="patch-{ch}"] span') == patch
        assert texts(page, f'[data-grid="weights-{ch}"] span') == weights
        products = [cents(t) for t in texts(page, f'[data-grid="products-{ch}"] span')]
        for got, i in zip(products, range(k * k), strict=True):
            assert abs(got - ref["products"][i // k][i % k][ch] * 100) < 1 + 1e-6
        total = cents(page.text_content(f'[data-testid="sum-{ch}"]'))
        assert abs(total - ref["channel_sums"][ch] * 100) < 1 + 1e-6
        assert sum(products) == total
        sums.append(total)
    bias = round(ref["bias"] * 100)
    assert sum(sums) + bias == cents(value)
    assert "+ -" not in page.text_content(".math-total")


def test_page_loads_with_no_console_errors_and_nothing_from_outside(page, live_server):
    outside = []
    page.on("request", lambda r: r.url.startswith(live_server.url) or outside.append(r.url))
    open_app(page, live_server)
    assert page.title().startswith("Convscope")
    assert page.text_content("#step-title") == "A picture is a volume of numbers"
    assert page.evaluate("typeof window.Plotly.react") == "function"
    assert page.text_content("#vol-count") == "32 × 32 × 3 = 3,072 numbers"
    page.wait_for_timeout(300)
    assert page.errors == []
    assert outside == []


def test_upload_a_picture_and_a_file_that_is_not_one(page, live_server, tmp_path):
    open_app(page, live_server, "step=2")
    data = png_bytes((200, 30, 60))
    page.set_input_files("#file-input", files=[{"name": "red.png", "mimeType": "image/png",
                                                  "buffer": data}])
    digest = live_server.image_id(data)
    page.wait_for_function(f"() => window.convscope.state.img === '{digest}'")
    wait_url(page, f"img={digest}")
    page.wait_for_function("() => document.querySelector('#st-input .main-svg') !== null")
    # The picture is one flat colour: every patch value is 200/255.
    page.wait_for_function("() => document.querySelector('[data-grid=\"patch-0\"] span')"
                           ".textContent === '0.78'")
    assert page.errors == []

    status, body = live_server.post("/api/conv", conv_body())  # the server is still fine
    assert status == 200
    page.set_input_files("#file-input", files=[{"name": "notes.txt", "mimeType": "text/plain",
                                                  "buffer": b"this is not a picture"}])
    toast = page.wait_for_selector("#toast:not([hidden])")
    import urllib.request
    req = urllib.request.Request(live_server.url + "/api/images", method="POST")
    boundary = "xyz"
    req.data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
                f"filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\nthis is not a picture"
                f"\r\n--{boundary}--\r\n").encode()
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    try:
        urllib.request.urlopen(req)
        pytest.fail("the API accepted a text file")
    except urllib.error.HTTPError as e:
        assert e.code == 415
        detail = json.loads(e.read())["detail"]
    assert detail in toast.text_content()
    assert state(page)["img"] == digest  # the previous picture stays


def test_keyboard_steps_show_the_apis_numbers(page, live_server):
    open_app(page, live_server, f"{BASE}&fi=1&step=2&pos=0")
    page.wait_for_selector("#step-value")
    assert_step_matches_api(page, live_server, conv_body(filter=1), 0, 0)
    page.focus("main")
    for key in ["ArrowRight"] * 3 + ["ArrowDown"] * 2 + ["ArrowLeft"]:
        page.keyboard.press(key)
    assert state(page)["pos"] == 2 + 2 * 28
    assert page.text_content(".player .where").startswith("row 2, col 2 · 59 of 784")
    assert_step_matches_api(page, live_server, conv_body(filter=1), 2, 2)
    wait_url(page, "pos=58")
    # Jump to the strongest response: the map's maximum, per POST /api/conv.
    page.keyboard.press("s")
    res = live_server.post_json("/api/conv", conv_body())
    from app.arrays import from_typed
    red = from_typed(res["maps"][1])
    r, c = divmod(int(red.argmax()), red.shape[1])
    assert state(page)["pos"] == r * 28 + c
    assert_step_matches_api(page, live_server, conv_body(filter=1), r, c)
    assert page.text_content("#st-live").endswith(f"= {shown(float(red[r, c]))}")
    assert page.errors == []


def test_play_animates_and_pause_stops(page, live_server):
    open_app(page, live_server, f"{BASE}&step=2&pos=0&speed=240")
    page.wait_for_selector("#step-value")
    page.click(".player .play")
    page.wait_for_function("() => window.convscope.state.pos > 40")
    assert page.get_attribute(".player .play", "aria-pressed") == "true"
    page.click(".player .play")
    stopped = state(page)["pos"]
    page.wait_for_timeout(300)
    assert state(page)["pos"] == stopped
    row, col = divmod(stopped, 28)
    assert_step_matches_api(page, live_server, conv_body(filter=0), row, col)
    # The frames counter advanced with the animation.
    assert page.evaluate("window.convscope.stats.draws") > 0
    assert page.errors == []


def set_range(page, selector: str, value: int) -> None:
    page.eval_on_selector(selector, "(el, v) => { el.value = v; "
                          "el.dispatchEvent(new Event('input')); "
                          "el.dispatchEvent(new Event('change')); }", value)


def test_stride_and_padding_update_the_formula_and_the_map(page, live_server):
    open_app(page, live_server, f"{BASE}&step=3")
    page.wait_for_selector("#st-formula")
    assert page.text_content("#st-formula").endswith("(32 − 5 + 2·0)/1 + 1 = 28")
    set_range(page, "#s-input", 2)
    set_range(page, "#p-input", 2)
    geometry = live_server.post_json("/api/conv", conv_body(stride=2, padding=2))["geometry"]
    assert geometry["output"][:2] == [16, 16]
    # 31/2 + 1 is not whole: said, not silently floored.
    page.wait_for_function("() => document.querySelector('#st-formula').textContent"
                           ".endsWith('(32 − 5 + 2·2)/2 + 1 = 16.5 → 16: the last column (and "
                           "row) is not covered')")
    assert geometry["formula"].endswith("= 16")
    wait_url(page, "s=2")
    wait_url(page, "p=2")
    assert page.get_attribute(".player .scrubber", "max") == str(16 * 16 - 1)
    assert "Feature map 16×16" in page.text_content("#st-output")
    page.focus("main")
    page.keyboard.press("End")
    assert_step_matches_api(page, live_server, conv_body(filter=0, stride=2, padding=2), 15, 15)
    # In the padding, the patch holds zeros.
    texts_r = texts(page, '[data-grid="patch-0"] span')
    assert texts_r[-1] == "0.00" and texts_r[-2] == "0.00"
    assert page.errors == []


def test_a_kernel_that_does_not_fit_is_explained(page, live_server):
    open_app(page, live_server, "img=sample-car&size=8&f=sobel_x&step=2")
    page.select_option("#kernel-size", "11")
    toast = page.wait_for_selector("#toast:not([hidden])")
    status, body = live_server.post("/api/conv", conv_body(size=8, filters=[
        {"preset": "sobel_x", "size": 11}]))
    assert status == 422
    assert json.loads(body)["detail"] in toast.text_content()
    page.select_option("#kernel-size", "3")  # nothing froze: a fitting size works again
    page.wait_for_function("() => document.querySelector('.player .where').textContent"
                           ".endsWith('of 36')")


def test_trained_network_and_its_filters(page, live_server):
    models = live_server.get("/api/models")["models"]
    lenet = next(m for m in models if m["name"] == "lenet")
    open_app(page, live_server, "img=sample-car&step=10&model=lenet")
    page.wait_for_selector("#net-arch .arch-box")
    boxes = page.query_selector_all("#net-arch .arch-box")
    shown_layers = [lay for lay in lenet["layers"] if lay["kind"] != "flatten"]
    assert len(boxes) == 1 + len(shown_layers)
    assert f"{lenet['total_params']:,} parameters" in page.text_content("#net-arch")
    pred = live_server.post_json("/api/models/lenet/predict", {"image_id": "sample-car"})
    best = max(range(10), key=lambda i: pred["probabilities"][i])
    page.wait_for_function("() => document.querySelector('#net-probs .gtitle') !== null")
    assert page.text_content("#net-probs .gtitle") == f"Its guess: {pred['classes'][best]}"
    # A click on a layer shows its maps (and the URL remembers which).
    page.click("#net-arch .arch-box.kind-pool >> nth=1")
    wait_url(page, "lay=pool2")
    page.wait_for_function("() => document.querySelector('#net-acts').textContent"
                           ".includes('5×5×16')")
    assert page.get_attribute("#net-arch .arch-box.chosen", "aria-pressed") == "true"

    page.keyboard.press("6")
    page.wait_for_selector("#ep-tiles canvas")
    filters = live_server.get("/api/models/lenet/filters?layer=conv1")
    assert len(page.query_selector_all("#ep-tiles canvas")) == filters["shape"][0]
    # Step 6 opens at epoch 0 (random noise); the slider's end is the trained filters.
    page.wait_for_function("() => document.querySelector('#ep-out').textContent.startsWith('0')")
    noise = page.eval_on_selector("#ep-tiles canvas", "c => c.toDataURL()")
    last = int(page.get_attribute("#ep-range", "max"))
    set_range(page, "#ep-range", last)
    page.wait_for_function("() => !document.querySelector('#ep-out').textContent.startsWith('0')")
    page.wait_for_function(f"() => document.querySelector('#ep-tiles canvas').toDataURL() !== "
                           f"{json.dumps(noise)}")
    wait_url(page, "ep=")
    assert page.errors == []


def test_classroom_mode_keyboard_and_clicker(page, live_server):
    open_app(page, live_server, f"{BASE}&step=2")
    page.focus("main")
    page.keyboard.press("k")
    page.wait_for_function("() => document.body.classList.contains('classroom')")
    assert page.is_hidden("#controls")
    wait_url(page, "mode=class")
    font = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert font >= 20
    page.keyboard.press("PageDown")
    page.wait_for_function("() => window.convscope.state.step === 3")
    page.keyboard.press("PageUp")
    page.keyboard.press("PageUp")
    page.wait_for_function("() => window.convscope.state.step === 1")
    page.keyboard.press("ArrowRight")  # nothing to step on step 1: next lesson step
    page.wait_for_function("() => window.convscope.state.step === 2")
    page.keyboard.press("c")
    assert page.is_visible("#controls")
    page.keyboard.press("?")
    assert page.is_visible("#help")
    page.keyboard.press("Escape")
    assert page.is_hidden("#help")
    assert page.errors == []


def test_a_shared_url_lands_on_the_same_state(page, live_server, browser):
    open_app(page, live_server, "img=sample-cat&size=16&f=sobel_y,red&fi=1&s=2&p=1&step=3&pos=0")
    page.focus("main")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("k")
    wait_url(page, "mode=class")
    wait_url(page, "pos=8")
    url, before = page.url, state(page)
    other = browser.new_page(viewport={"width": 1280, "height": 720})
    other.goto(url)
    other.wait_for_selector("body[data-ready]")
    after = state(other)
    assert after == before
    assert after["pos"] == 1 + 7  # one right, one row down: the map is (16 − 5 + 2)/2 + 1 = 7 wide
    assert other.evaluate("document.body.classList.contains('classroom')")
    assert other.text_content("#step-title") == page.text_content("#step-title")
    assert other.text_content("#step-value") == page.text_content("#step-value")
    assert_step_matches_api(other, live_server, conv_body(
        image_id="sample-cat", size=16, filters=[{"preset": "sobel_y", "size": 5},
                                                  {"preset": "red", "size": 5}],
        stride=2, padding=1, filter=1), 1, 1)
    other.close()


def test_pooling_step_shows_the_apis_max(page, live_server):
    open_app(page, live_server, f"{BASE}&fi=1&step=9&pp=0")
    page.wait_for_selector("#pool-value")
    page.focus("main")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    ref = live_server.post_json("/api/pool/step", {**conv_body(), "filter": 1, "row": 1, "col": 1})
    assert page.text_content("#pool-value") == shown(ref["value"])
    assert texts(page, "#pool-grid span") == [shown(v) for row in ref["values"] for v in row]
    assert page.errors == []


def test_exports_csv_and_gif(page, live_server):
    open_app(page, live_server, f"{BASE}&fi=1&step=2")
    with page.expect_download() as dl:
        page.click("#export-csv")
    csv = Path(dl.value.path()).read_bytes()
    status, ref = live_server.post("/api/conv/csv", {**conv_body(), "filter": 1, "stage": "maps"})
    assert status == 200 and csv == ref
    with page.expect_download() as dl:
        page.click("#export-gif")
    assert Path(dl.value.path()).read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    assert re.match(r"convscope-filter2\.gif", dl.value.suggested_filename)
    # A PNG of a plot, from its camera button (Plotly.downloadImage), under the app's CSP.
    page.hover("#st-output")
    with page.expect_download() as dl:
        page.click('#st-output .modebar-btn[data-title^="Download plot"]')
    assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.errors == []


@pytest.mark.parametrize(("query", "body"), [
    ("img=sample-cat&size=32&f=lenet.conv1.2,lenet.conv1.4&fi=1&p=2",
     conv_body(image_id="sample-cat", padding=2, filters=[
         {"model": "lenet", "layer": "conv1", "index": 2},
         {"model": "lenet", "layer": "conv1", "index": 4}], filter=1)),
    ("img=sample-colour_wheel&size=20&f=random:3&s=3&p=1&d=2",
     conv_body(image_id="sample-colour_wheel", size=20, stride=3, padding=1, dilation=2,
               filters=[{"preset": "random", "size": 5, "seed": 3}], filter=0)),
    ("img=sample-frog&size=9&k=3&f=gaussian_blur,sharpen&fi=1&s=2",
     conv_body(image_id="sample-frog", size=9, stride=2, filters=[
         {"preset": "gaussian_blur", "size": 3}, {"preset": "sharpen", "size": 3}], filter=1)),
])
def test_every_shown_number_equals_the_api_at_many_positions(page, live_server, query, body):
    open_app(page, live_server, f"{query}&step=2")
    page.wait_for_selector("#step-value")
    g = live_server.post_json("/api/conv", {k: v for k, v in body.items() if k != "filter"})[
        "geometry"]
    ho, wo = g["output"][:2]
    for row, col in [(0, 0), (0, wo - 1), (ho - 1, 0), (ho - 1, wo - 1), (ho // 2, wo // 3)]:
        page.evaluate("p => window.convscope.update({pos: p})", row * wo + col)
        assert_step_matches_api(page, live_server, body, row, col)
    assert page.errors == []


def test_colour_ranges_stay_fixed_while_the_window_moves(page, live_server):
    open_app(page, live_server, f"{BASE}&fi=1&step=2&speed=240")
    page.wait_for_selector("#step-value")
    ranges = "() => ['st-input', 'st-output'].map(id => " \
             "document.getElementById(id).data.map(t => [t.zmin ?? null, t.zmax ?? null]))"
    before = page.evaluate(ranges)
    from app.arrays import from_typed
    red = from_typed(live_server.post_json("/api/conv", conv_body())["maps"][1])
    peak = float(abs(red).max())
    assert before[1] == [[pytest.approx(-peak), pytest.approx(peak)]]  # symmetric ±max|map|
    page.focus("main")
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    page.click(".player .play")
    page.wait_for_function("() => window.convscope.state.pos > 300")
    page.click(".player .play")
    assert page.evaluate(ranges) == before
