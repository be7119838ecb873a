"""The page asks /api/conv for the maps alone and derives ReLU and pooling itself, and reads
float16 activations from /predict (issue 12): the numbers it holds are the engine's."""

from __future__ import annotations

import numpy as np

from app.arrays import from_typed, typed
from tests.e2e.conftest import open_app

BODY = {"image_id": "sample-car", "size": 64, "stride": 1, "padding": 1, "dilation": 1,
        "filters": [{"preset": "sobel_x", "size": 5}, {"preset": "red", "size": 5}],
        "pool": {"op": "max", "size": 2, "stride": 2}}

CURRENT = """async () => {
  const m = await import("/static/js/data.js");
  const d = await m.loadConv();
  const arr = (stack) => stack.map((x) => Array.from(x.data));
  return { body: d.body, maps: arr(d.maps), relu: arr(d.relu), pooled: arr(d.pooled) };
}"""


def test_page_derives_relu_and_pooling_equal_to_the_api(page, live_server):
    requests = []
    page.on("request", lambda r: r.url.endswith("/api/conv") and requests.append(r.post_data))
    open_app(page, live_server, "img=sample-car&size=64&p=1&f=sobel_x,red&step=9")
    got = page.evaluate(CURRENT)
    assert requests and all('"outputs":["maps"]' in r for r in requests)
    full = live_server.post_json("/api/conv", {**BODY, **{k: got["body"][k] for k in
                                                          ("size", "padding", "filters")}})
    for key in ("maps", "relu", "pooled"):
        assert len(got[key]) == len(full[key]) == 2
        for mine, theirs in zip(got[key], full[key], strict=True):
            np.testing.assert_array_equal(np.float32(mine), from_typed(theirs).ravel())
    assert page.errors == []


def test_float16_decodes_to_the_same_values(page, live_server):
    open_app(page, live_server, "img=sample-car")
    values = np.array([0, -0.0, 1, -2.5, 65504, 6e-8, 1e-5, 0.1, 3.14159, -np.inf, 1234.5],
                      np.float16)
    got = page.evaluate("""async (ta) => {
      const { decode } = await import("/static/js/api.js");
      return Array.from(decode(ta).data).map(String);
    }""", typed(values, "f2"))
    want = [repr(float(v)).replace("inf", "Infinity") for v in values.astype(np.float32)]
    assert [float(g) for g in got] == [float(w) for w in want]
    assert page.errors == []
