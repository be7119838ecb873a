"""What POST /api/conv and /predict send: the stacks asked for, float32 or float16 (issue 12),
and pooling windows whose size and stride differ."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate

from app.arrays import from_typed
from cnn_core.model import load_model
from cnn_core.presets import make_preset

FILTERS = [{"preset": "sobel_x"}, {"preset": "red"}, {"preset": "laplacian"}]


def reference_maps(pixels: np.ndarray, stride=1, padding=0) -> np.ndarray:
    """(Ho, Wo, 3) maps of FILTERS by scipy in float64 (not our engine)."""
    x = np.pad(pixels / 255.0, ((padding, padding), (padding, padding), (0, 0)))
    maps = []
    for f in FILTERS:
        w, b = make_preset(f["preset"])
        full = sum(correlate(x[..., c], w[..., c].astype(np.float64), mode="valid")
                   for c in range(3))
        maps.append(full[::stride, ::stride] + b)
    return np.stack(maps, axis=-1)


def reference_pool(fmap: np.ndarray, size: int, stride: int, op: str) -> np.ndarray:
    """Pooled (Hp, Wp) map by a plain loop over the windows."""
    Hp, Wp = (fmap.shape[0] - size) // stride + 1, (fmap.shape[1] - size) // stride + 1
    agg = np.max if op == "max" else np.mean
    return np.array([[agg(fmap[r * stride:r * stride + size, c * stride:c * stride + size])
                      for c in range(Wp)] for r in range(Hp)])


def post(client, body):
    response = client.post("/api/conv", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_by_default_all_three_stacks_as_before(client, image_id, pixels):
    out = post(client, {"image_id": image_id, "filters": FILTERS})
    assert {"maps", "relu", "pooled"} <= out.keys()
    assert all(m["dtype"] == "f4" for m in out["maps"] + out["relu"] + out["pooled"])


@pytest.mark.parametrize("outputs", [["maps"], ["pooled"], ["relu", "pooled"]])
def test_only_the_stacks_asked_for_and_the_same_numbers(client, image_id, pixels, outputs):
    body = {"image_id": image_id, "filters": FILTERS}
    full = post(client, body)
    out = post(client, {**body, "outputs": outputs})
    for key in ("maps", "relu", "pooled"):
        if key not in outputs:
            assert key not in out
            continue
        assert len(out[key]) == len(FILTERS)
        for got, want in zip(out[key], full[key], strict=True):
            np.testing.assert_array_equal(from_typed(got), from_typed(want))
    want = reference_maps(pixels)
    if "pooled" in outputs:
        for i in range(len(FILTERS)):
            np.testing.assert_allclose(from_typed(out["pooled"][i]),
                                       reference_pool(np.maximum(want[..., i], 0), 2, 2, "max"),
                                       atol=1e-5)


def test_float16_maps_are_the_engines_rounded_to_half_precision(client, image_id, pixels):
    body = {"image_id": image_id, "filters": FILTERS, "size": 64, "padding": 1}
    full = post(client, body)
    half = post(client, {**body, "dtype": "f2"})
    for key in ("maps", "relu", "pooled"):
        for got, want in zip(half[key], full[key], strict=True):
            assert got["dtype"] == "f2" and got["shape"] == want["shape"]
            f32 = from_typed(want)
            # exactly the float32 values rounded to the nearest float16: ≤ 2⁻¹¹ relative
            np.testing.assert_array_equal(from_typed(got), f32.astype(np.float16))
            np.testing.assert_allclose(from_typed(got), f32, rtol=2**-11, atol=2**-24)
    # the picture and the filters stay exact
    assert half["image"] == full["image"] and half["filters"] == full["filters"]


def test_outputs_and_dtype_are_validated(client, image_id):
    for bad in ({"outputs": []}, {"outputs": ["maps", "soup"]}, {"dtype": "f8"}):
        response = client.post("/api/conv", json={"image_id": image_id, "filters": FILTERS,
                                                  **bad})
        assert response.status_code == 422, bad
        assert response.content_type == "application/problem+json"


def test_predict_in_float16_is_the_engines_rounded(client, image_id, pixels):
    full = client.post("/api/models/lenet/predict", json={"image_id": image_id}).get_json()
    half = client.post("/api/models/lenet/predict",
                       json={"image_id": image_id, "dtype": "f2"}).get_json()
    assert half["probabilities"] == full["probabilities"]  # always full precision
    _, activations = load_model("lenet").predict(pixels[None] / np.float32(255))
    for got, (name, _, a) in zip(half["activations"], activations, strict=True):
        assert got["layer"] == name
        maps = got["maps"] if isinstance(got["maps"], list) else [got["maps"]]
        want = [a[0]] if a.ndim == 2 else np.moveaxis(a[0], -1, 0)
        for m, w in zip(maps, want, strict=False):
            assert m["dtype"] == "f2"
            np.testing.assert_allclose(from_typed(m), w.astype(np.float16), rtol=2**-10)


def test_openapi_describes_outputs_and_dtype(client):
    doc = client.get("/api/openapi.json").get_json()
    op = doc["paths"]["/api/conv"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    props = doc["components"]["schemas"][ref]["properties"]
    assert "outputs" in props and "derive" in props["outputs"]["description"]
    assert "f2" in props["dtype"]["description"]
    assert "dtype" in doc["components"]["schemas"]["PredictBody"]["properties"]


@pytest.mark.parametrize("op", ["max", "avg"])
@pytest.mark.parametrize("size,stride", [(3, 2), (2, 3), (3, 1), (2, 2)])
def test_pool_step_and_pooled_map_when_size_and_stride_differ(client, image_id, pixels, op,
                                                              size, stride):
    pool = {"op": op, "size": size, "stride": stride}
    body = {"image_id": image_id, "filters": FILTERS, "pool": pool}
    out = post(client, body)
    relu = np.maximum(reference_maps(pixels), 0)
    Hp = (28 - size) // stride + 1
    assert out["geometry"]["pooled"] == [Hp, Hp, len(FILTERS)]
    for f in range(len(FILTERS)):
        want = reference_pool(relu[..., f], size, stride, op)
        np.testing.assert_allclose(from_typed(out["pooled"][f]), want, atol=1e-5)
        for row, col in ((0, 0), (1, 2), (Hp - 1, Hp - 2), (Hp - 1, Hp - 1)):
            t = client.post("/api/pool/step", json={**body, "filter": f, "row": row,
                                                    "col": col}).get_json()
            top, left = row * stride, col * stride
            assert t["window"]["rows"] == list(range(top, top + size))
            assert t["window"]["cols"] == list(range(left, left + size))
            window = relu[top:top + size, left:left + size, f]
            np.testing.assert_allclose(t["values"], window, atol=1e-5)
            assert t["value"] == pytest.approx(want[row, col], abs=1e-5)
            if op == "max":
                r, c = np.unravel_index(np.argmax(np.asarray(t["values"])), (size, size))
                assert t["argmax"] == [top + r, left + c]
    response = client.post("/api/pool/step", json={**body, "filter": 0, "row": Hp, "col": 0})
    assert response.status_code == 422 and response.get_json()["field"] == "row"


def test_responses_are_written_by_orjson(app, client, image_id):
    from app.jsonio import OrjsonProvider

    assert isinstance(app.json, OrjsonProvider)  # not replaced by a later provider
    # orjson's marks: compact, keys in insertion order (the standard library sorts them)
    raw = client.post("/api/conv", json={"image_id": image_id, "filters": FILTERS}).get_data()
    assert raw.startswith(b'{"geometry":{') and b'"image":' in raw[:2000]
