"""Front-end mistakes no test caught before issue 9, each caught here: pooling ties going to the
last max, URL numbers not clamped, a click on the picture ignoring padding, the page pooling
with stride 1, products coloured on the wrong scale, and a Permissions-Policy that forbids the
camera to the page itself."""

from __future__ import annotations

import urllib.request

import numpy as np

from app.arrays import from_typed
from tests.e2e.conftest import click_cell, open_app, state
from tests.e2e.test_frontend import conv_body, shown, texts

BASE = "img=sample-car&size=32&f=sobel_x,red"


def go(page, **changes) -> None:
    page.evaluate("c => window.convscope.update(c)", changes)


def test_a_pooling_tie_keeps_the_first_max(page, live_server):
    """An all-zero 2×2 window (four equal maxima): the marked max is the first, row-major."""
    relu = from_typed(live_server.post_json("/api/conv", conv_body())["relu"][0])
    windows = relu[:28, :28].reshape(14, 2, 14, 2).transpose(0, 2, 1, 3).reshape(196, 4)
    tied = next(i for i, w in enumerate(windows) if (w == w.max()).sum() >= 2 and
                int(np.flatnonzero(w == w.max())[-1]) != int(np.argmax(w)))
    open_app(page, live_server, f"{BASE}&step=9&pp={tied}")
    page.wait_for_selector("#pool-grid span")
    marked = page.eval_on_selector_all("#pool-grid span",
                                       "els => els.findIndex(e => e.classList.contains('max'))")
    assert marked == int(np.argmax(windows[tied]))  # numpy's argmax: the first of equals


def test_pooling_is_2x2_with_stride_2_on_a_window_of_distinct_values(page, live_server):
    res = live_server.post_json("/api/conv", conv_body())
    relu = from_typed(res["relu"][1])
    windows = relu[:28, :28].reshape(14, 2, 14, 2).transpose(0, 2, 1, 3).reshape(196, 4)
    pp = next(i for i, w in enumerate(windows)
              if len({shown(float(v)) for v in w}) == 4 and i % 14 and i // 14)
    row, col = divmod(pp, 14)
    open_app(page, live_server, f"{BASE}&fi=1&step=9&pp={pp}")
    page.wait_for_selector("#pool-value")
    assert page.text_content(".player .where").endswith(f"{pp + 1} of 196")  # 14×14
    ref = live_server.post_json("/api/pool/step", {**conv_body(), "filter": 1, "row": row,
                                                    "col": col})
    assert np.allclose([v for r in ref["values"] for v in r], windows[pp], atol=1e-6)
    assert texts(page, "#pool-grid span") == [shown(v) for r in ref["values"] for v in r]
    assert page.text_content("#pool-value") == shown(ref["value"])


def test_url_numbers_are_clamped(page, live_server):
    open_app(page, live_server, "img=sample-car&size=3&k=0&s=0&p=-1&d=0&step=0&speed=99999"
                                "&pos=-5&pp=-2&ctl=7&whole=5&ep=-9")
    st = state(page)
    assert {k: st[k] for k in ("size", "k", "s", "p", "d", "step", "speed", "pos", "pp", "ctl",
                               "whole", "ep")} == {
        "size": 8, "k": 1, "s": 1, "p": 0, "d": 1, "step": 1, "speed": 4000, "pos": 0, "pp": 0,
        "ctl": 1, "whole": 1, "ep": -1}
    assert page.text_content("#vol-count").startswith("8 × 8 × 3")


def test_a_click_on_the_padded_picture_counts_the_padding(page, live_server):
    open_app(page, live_server, "img=sample-car&f=sobel_x&step=2&p=2&pos=0")
    page.wait_for_selector("#st-input .nsewdrag")
    # The padded picture is 36 cells wide (2 + 32 + 2); pixel (10, 10) is cell (12, 12).
    click_cell(page, "#st-input", 12, 12, 36)
    # The window centred on pixel (10, 10) starts at padded (10, 10): the output (10, 10).
    page.wait_for_function("() => window.convscope.state.pos === 10 * 32 + 10")


RDBU = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582",
        "#d6604d", "#b2182b", "#67001f"]


def rdbu(v: float, lo: float, hi: float) -> tuple[int, int, int]:
    """ColorBrewer RdBu (reversed: blue negative) at v over [lo, hi], linear between stops."""
    stops = [tuple(int(h[i:i + 2], 16) for i in (1, 3, 5)) for h in RDBU]
    t = min(1.0, max(0.0, (v - lo) / (hi - lo))) * (len(stops) - 1)
    i = min(len(stops) - 2, int(t))
    f = t - i
    return tuple(round(stops[i][j] + f * (stops[i + 1][j] - stops[i][j])) for j in range(3))


def test_products_are_coloured_on_the_weights_range(page, live_server):
    body = conv_body(filter=0)
    open_app(page, live_server, f"{BASE}&step=2&pos={5 * 28 + 9}")
    page.wait_for_selector('[data-grid="products-0"] span')
    ref = live_server.post_json("/api/conv/step", {**body, "row": 5, "col": 9})
    w = np.array(ref["weights"])
    products = np.array(ref["products"])
    peak = float(np.abs(w).max())
    colours = page.eval_on_selector_all('[data-grid="products-0"] span',
                                        "els => els.map(e => getComputedStyle(e).backgroundColor)")
    for i, css in enumerate(colours):
        want = rdbu(float(products[i // 5, i % 5, 0]), -peak, peak)
        assert css == f"rgb({want[0]}, {want[1]}, {want[2]})", i


def test_the_page_may_use_the_camera_itself(page, live_server):
    with urllib.request.urlopen(live_server.url + "/") as r:
        policy = r.headers["Permissions-Policy"]
    directives = {d.split("=")[0].strip(): d.split("=")[1].strip() for d in policy.split(",")}
    assert directives["camera"] == "(self)"
    open_app(page, live_server, "step=1")
    assert page.evaluate("document.featurePolicy.allowsFeature('camera')") is True
    assert page.evaluate("document.featurePolicy.allowsFeature('microphone')") is False
