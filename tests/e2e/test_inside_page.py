"""Inside the network in real Chromium: the explanation overlay, the verdict, top patches."""

from __future__ import annotations

import base64

import numpy as np

from tests.e2e.conftest import open_app, state


def _typed(obj: dict) -> np.ndarray:
    dtype = {"f4": "<f4", "u1": "u1"}[obj["dtype"]]
    return np.frombuffer(base64.b64decode(obj["bdata"]), dtype).reshape(obj["shape"])


def _overlay(page) -> tuple[str, list]:
    """(mode, z of the overlay heatmap or None) as drawn in #why-plot."""
    return page.evaluate("""() => {
        const gd = document.querySelector('#why-plot');
        const hm = (gd.data || []).find((t) => t.type === 'heatmap');
        return [gd.dataset.mode, hm ? hm.z : null];
    }""")


def _verdict(probabilities, classes) -> str:
    order = sorted(zip(probabilities, classes, strict=True), reverse=True)
    (p1, c1), (p2, c2) = order[:2]
    if p1 < 0.5 or p1 - p2 < 0.2:
        return f"Not sure: maybe {c1} ({round(100 * p1)}%) or {c2} ({round(100 * p2)}%)."
    return f"It says {c1} ({round(100 * p1)}%)."


def test_step_10_overlays_the_apis_grad_cam_and_saliency(page, live_server):
    page.set_default_timeout(45_000)  # the session's first page may meet a cold, loaded machine
    open_app(page, live_server, "img=sample-car&step=10&model=convnet")
    page.click(".net-tabs [data-tab='why']")
    page.wait_for_selector("#why-plot[data-mode='gradcam'] .heatmaplayer")
    assert page.is_hidden("#net-acts")
    page.wait_for_function("() => location.search.includes('nv=why')")  # written within 100 ms
    api = live_server.post_json("/api/models/convnet/explain", {"image_id": "sample-car"})
    mode, z = _overlay(page)
    cam = _typed(api["grad_cam"])
    assert mode == "gradcam" and api["class_name"] == "automobile"
    np.testing.assert_allclose(np.array(z), cam / cam.max(), rtol=1e-6, atol=1e-7)
    assert page.get_attribute("#why-plot", "data-cls") == str(api["guess"])
    page.click(".explain-controls button[data-mode='saliency']")
    page.wait_for_selector("#why-plot[data-mode='saliency']")
    sal = _typed(api["saliency"])
    np.testing.assert_allclose(np.array(_overlay(page)[1]), sal / sal.max(), rtol=1e-6, atol=1e-7)
    assert state(page)["xm"] == "saliency"
    page.wait_for_function("() => location.search.includes('xm=saliency')")
    # another class, from the picker: the API's map for that class
    page.select_option(".explain-class", "9")
    page.wait_for_selector("#why-plot[data-cls='9']")
    truck = live_server.post_json("/api/models/convnet/explain",
                                  {"image_id": "sample-car", "class": 9})
    sal9 = _typed(truck["saliency"])
    np.testing.assert_allclose(np.array(_overlay(page)[1]), sal9 / sal9.max(), rtol=1e-6,
                               atol=1e-7)
    page.click(".explain-controls button[data-mode='none']")
    page.wait_for_selector("#why-plot[data-mode='none']")
    assert _overlay(page)[1] is None
    assert page.errors == []


def test_the_verdict_says_when_it_is_not_sure(page, live_server):
    # one sample the network is sure of and one it is not, whichever they are for this model
    names = [s["image_id"] for s in live_server.get("/api/samples")["samples"]]
    top = {img: max(live_server.post_json("/api/models/convnet/predict",
                                          {"image_id": img})["probabilities"]) for img in names}
    cases = [(next(i for i in names if top[i] >= 0.5), True),
             (next(i for i in names if top[i] < 0.5), False)]
    for img, sure in cases:
        open_app(page, live_server, f"img={img}&step=10&model=convnet&nv=why")
        page.wait_for_selector(".why-verdict:not(:empty)")
        res = live_server.post_json("/api/models/convnet/predict", {"image_id": img})
        text = page.text_content(".why-verdict")
        assert text == _verdict(res["probabilities"], res["classes"])
        assert ("unsure" in page.get_attribute(".why-verdict", "class")) is not sure
        assert text.startswith("Not sure") is not sure
    knows = page.text_content(".why-knows")
    assert "ten kinds of things" in knows and "fills the frame" in knows and "32×32" in knows
    assert "under 50%" in page.text_content(".why-rule")
    assert page.errors == []


def test_a_clicked_map_shows_its_filters_top_patches(page, live_server):
    open_app(page, live_server, "img=sample-horse&step=10&model=lenet&lay=relu2")
    page.wait_for_selector("#net-acts .heatmaplayer image")
    box = page.locator("#net-acts .heatmaplayer image").nth(3).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#why-patches[data-filter='3'][data-layer='conv2'] canvas")
    assert state(page)["pf"] == 3 and state(page)["nv"] == "filter"
    assert page.is_hidden("#net-acts") and page.is_visible("#why-patches")
    api = live_server.get("/api/models/lenet/top_patches?layer=conv2&filter=3")
    shown = [float(v) for v in page.eval_on_selector_all(
        "#why-patches figure", "els => els.map((e) => e.dataset.activation)")]
    np.testing.assert_allclose(shown, api["activations"], rtol=1e-7)
    caption = page.text_content("#why-patches .patches-caption")
    assert "14×14 pixels" in caption and f"{api['searched']:,}" in caption
    sizes = page.eval_on_selector_all("#why-patches canvas", "els => els.map((c) => c.width)")
    assert len(sizes) == 9 and len(set(sizes)) == 1 and sizes[0] % 14 == 0
    assert page.errors == []


def test_step_7_a_learned_tile_shows_its_top_patches(page, live_server):
    open_app(page, live_server, "img=sample-car&step=7&model=convnet")
    page.wait_for_selector("#learned-patches[data-filter='0'] canvas")
    page.hover("#learned-tiles canvas >> nth=4")
    page.wait_for_selector("#learned-patches[data-filter='4'] canvas")
    api = live_server.get("/api/models/convnet/top_patches?layer=conv1&filter=4")
    shown = [float(v) for v in page.eval_on_selector_all(
        "#learned-patches figure[data-activation]", "els => els.map((e) => e.dataset.activation)")]
    np.testing.assert_allclose(shown, api["activations"], rtol=1e-7)
    # the first patch's pixels, as drawn (top-left pixel of each enlarged square)
    drawn = page.evaluate("""() => {
        const c = document.querySelector('#learned-patches canvas:not(.patches-weights)');
        const s = c.width / 5, d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const out = [];
        for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) {
            const i = 4 * (y * s * c.width + x * s);
            out.push([d[i], d[i + 1], d[i + 2]]);
        }
        return out;
    }""")
    patch = _typed(api["patches"])[0]
    t0, l0, t1, l1 = api["inside"][0]
    for n, rgb in enumerate(drawn):
        y, x = divmod(n, 5)
        if t0 <= y < t1 and l0 <= x < l1:
            assert rgb == patch[y, x].tolist()
    assert "picked" in page.get_attribute("#learned-tiles canvas >> nth=4", "class")
    # beside them, the filter's weights: the API's colour tile of filter 4
    weights = page.evaluate("""() => {
        const c = document.querySelector('#learned-patches canvas.patches-weights');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    }""")
    tiles = _typed(live_server.get("/api/models/convnet/filters?layer=conv1")["tiles"])
    assert np.array(weights).reshape(5, 5, 4)[..., :3].tolist() == tiles[4].tolist()
    assert page.errors == []


MAP_TRACES = """() => document.querySelector('#net-acts').data.map((d) => [
  d.showscale, Math.max(...d.z.flat().map(Math.abs)), d.colorbar?.ticktext ?? null])"""


def test_a_layer_wrapped_onto_rows_has_one_range_and_one_colour_bar(page, live_server):
    """conv1's 32 maps take several rows in step 10: "one range for the layer" is the layer's."""
    open_app(page, live_server, "img=sample-car&step=10&model=convnet&lay=conv1&range=layer")
    page.wait_for_selector("#net-acts .heatmaplayer image")
    traces = page.evaluate(MAP_TRACES)
    res = live_server.post_json("/api/models/convnet/predict", {"image_id": "sample-car"})
    conv1 = next(a for a in res["activations"] if a["layer"] == "conv1")
    maps = [_typed(m) for m in conv1["maps"]]
    peak = max(float(np.abs(m).max()) for m in maps)
    assert len(traces) == len(maps) == 32
    bars = [t for t in traces if t[0]]
    assert len(bars) == 1 and bars[0][2] == [f"{-peak:.2f}", "0.00", f"{peak:.2f}"]
    # every map drawn at the layer's scale: its largest |value| over the layer's
    np.testing.assert_allclose([t[1] for t in traces],
                               [float(np.abs(m).max()) / peak for m in maps], rtol=2e-3)  # f2
    assert page.errors == []
