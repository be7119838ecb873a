"""POST /api/conv, /api/conv/step and /api/pool/step against independent references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate

from app.arrays import from_typed
from cnn_core.model import load_model
from cnn_core.presets import make_preset


def reference_conv(x: np.ndarray, w: np.ndarray, b: float, stride=1, padding=0) -> np.ndarray:
    """float64 cross-correlation, summed over channels (scipy, not our engine)."""
    x = np.pad(x.astype(np.float64), ((padding, padding), (padding, padding), (0, 0)))
    out = sum(correlate(x[..., c], w[..., c].astype(np.float64), mode="valid") for c in range(3))
    return out[::stride, ::stride] + b


def conv(client, image_id, **body):
    response = client.post("/api/conv", json={"image_id": image_id, **body})
    return response.status_code, response.get_json()


def test_feature_maps_relu_and_pooling_equal_scipy(client, image_id, pixels):
    status, out = conv(client, image_id, filters=[{"preset": "sobel_x"}, {"preset": "red"}])
    assert status == 200
    x = pixels / 255.0
    for i, name in enumerate(["sobel_x", "red"]):
        w, b = make_preset(name)
        expected = reference_conv(x, w, b)
        fmap = from_typed(out["maps"][i])
        assert fmap.shape == (28, 28) and fmap.dtype == np.float32
        np.testing.assert_allclose(fmap, expected, atol=1e-5)
        np.testing.assert_array_equal(from_typed(out["relu"][i]), np.maximum(fmap, 0))
        pooled = np.maximum(fmap, 0).reshape(14, 2, 14, 2).max(axis=(1, 3))
        np.testing.assert_array_equal(from_typed(out["pooled"][i]), pooled)
    np.testing.assert_array_equal(from_typed(out["image"]), pixels)
    assert [f["label"] for f in out["filters"]] == ["Sobel x", "Red detector"]
    sobel = make_preset("sobel_x")[0]
    np.testing.assert_array_equal(from_typed(out["filters"][0]["weights"]), sobel)


def test_geometry_has_the_formula_and_parameter_counts(client, image_id):
    _, out = conv(client, image_id, filters=[{"preset": "identity"}] * 6)
    g = out["geometry"]
    assert g["formula"] == "(32 − 5 + 2·0)/1 + 1 = 28"
    assert g["output"] == [28, 28, 6] and g["pooled"] == [14, 14, 6]
    assert g["params"] == {"conv": 6 * (5 * 5 * 3 + 1),
                           "fully_connected": 32 * 32 * 3 * 28 * 28 * 6 + 28 * 28 * 6}


def test_stride_padding_and_dilation(client, image_id, pixels):
    status, out = conv(client, image_id, filters=[{"preset": "laplacian"}], stride=2, padding=2)
    assert status == 200
    assert out["geometry"]["formula"] == "⌊(32 − 5 + 2·2)/2 + 1⌋ = 16"
    w, b = make_preset("laplacian")
    np.testing.assert_allclose(from_typed(out["maps"][0]),
                               reference_conv(pixels / 255.0, w, b, stride=2, padding=2), atol=1e-5)
    _, out = conv(client, image_id, filters=[{"preset": "identity", "size": 3}], dilation=2)
    assert out["geometry"]["output"] == [28, 28, 1]


def test_all_ones_filter_on_a_constant_picture(client):
    """Hand-computed: 75 weights of 1 on pixels of 0.4 (sample-free upload), bias 0.5 → 30.5."""
    import io

    from tests.app.conftest import png

    grey = np.full((16, 16, 3), 102, np.uint8)  # 102/255 = 0.4
    image_id = client.post("/api/images", data={"image": (io.BytesIO(png(grey)), "g.png")}
                           ).get_json()["image_id"]
    ones = [[[1.0, 1.0, 1.0]] * 5] * 5
    _, out = conv(client, image_id, size=16, filters=[{"weights": ones, "bias": 0.5}])
    np.testing.assert_allclose(from_typed(out["maps"][0]), np.full((12, 12), 75 * 0.4 + 0.5),
                               rtol=1e-6)


def test_step_is_the_dot_product_behind_one_map_value(client, image_id, pixels):
    body = {"image_id": image_id, "filters": [{"preset": "sobel_y"}, {"preset": "blue"}],
            "padding": 1}
    fmap = from_typed(client.post("/api/conv", json=body).get_json()["maps"][1])
    response = client.post("/api/conv/step", json={**body, "filter": 1, "row": 0, "col": 5})
    assert response.status_code == 200
    t = response.get_json()
    assert t["window"]["rows"] == [-1, 0, 1, 2, 3] and t["window"]["cols"] == [4, 5, 6, 7, 8]
    patch, weights = np.array(t["patch"]), np.array(t["weights"])
    assert patch.shape == weights.shape == (5, 5, 3)
    np.testing.assert_array_equal(patch[0], 0)  # the padding row
    np.testing.assert_allclose(patch[1:], pixels[0:4, 4:9] / 255.0, rtol=1e-6)
    np.testing.assert_allclose(t["products"], patch * weights, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(t["channel_sums"], (patch * weights).sum(axis=(0, 1)), atol=1e-6)
    assert t["value"] == pytest.approx(sum(t["channel_sums"]) + t["bias"], abs=1e-6)
    assert t["value"] == pytest.approx(float(fmap[0, 5]), abs=1e-5)


def test_pool_step_finds_the_max_of_the_relu_map(client, image_id):
    body = {"image_id": image_id, "filters": [{"preset": "sobel_x"}]}
    out = client.post("/api/conv", json=body).get_json()
    relu, pooled = from_typed(out["relu"][0]), from_typed(out["pooled"][0])
    t = client.post("/api/pool/step", json={**body, "row": 3, "col": 4}).get_json()
    assert t["window"]["rows"] == [6, 7] and t["window"]["cols"] == [8, 9]
    np.testing.assert_array_equal(t["values"], relu[6:8, 8:10])
    assert t["value"] == float(pooled[3, 4])
    r, c = t["argmax"]
    assert relu[r, c] == t["value"]


def test_a_trained_networks_filter_gives_the_networks_own_map(client, image_id, pixels):
    """Its map on the picture is the network's conv1 map (the input normalization folded in)."""
    _, out = conv(client, image_id, filters=[{"model": "lenet", "layer": "conv1", "index": 2}])
    model = load_model("lenet")
    _, activations = model.predict(pixels[None] / np.float32(255))
    assert activations[0][0] == "conv1"
    np.testing.assert_allclose(from_typed(out["maps"][0]), activations[0][2][0, ..., 2],
                               atol=1e-4)
    assert out["filters"][0]["label"] == "lenet conv1 #2"
    # convnet's conv1 pads by 2 with zeros of the normalized input: equal away from the border
    _, out = conv(client, image_id, padding=2, filters=[{"model": "convnet", "index": 5}])
    _, activations = load_model("convnet").predict(pixels[None] / np.float32(255))
    np.testing.assert_allclose(from_typed(out["maps"][0])[2:-2, 2:-2],
                               activations[0][2][0, 2:-2, 2:-2, 5], atol=1e-4)


def test_a_filter_from_the_start_of_training(client, image_id):
    _, out = conv(client, image_id, filters=[{"model": "convnet", "index": 0, "epoch": 0}])
    model = load_model("convnet")
    np.testing.assert_allclose(from_typed(out["filters"][0]["weights"]),
                               model.filters("conv1", 0)[0] / model.std, rtol=1e-6)
    assert out["filters"][0]["label"] == "convnet conv1 #0 (epoch 0)"


@pytest.mark.parametrize(("kernel", "status", "field"), [
    ({"model": "lenet", "layer": "conv2"}, 422, "filters.0.layer"),
    ({"model": "lenet", "index": 6}, 422, "filters.0.index"),
    ({"model": "resnet"}, 404, "name"),
    ({"preset": "nope"}, 422, "filters.0.preset"),
    ({"preset": "sobel_x", "size": 4}, 422, "filters.0.size"),
    ({"weights": [[[1, 1, 1]], [[1, 1]]]}, 422, "filters.0.weights"),
    ({"weights": [[[1, 1, 1], [1, 1, 1]]]}, 422, "filters.0.weights"),
    ({"preset": "sobel_x", "weights": [[[1, 1, 1]]]}, 422, "filters.0"),
])
def test_kernels_that_make_no_sense(client, image_id, kernel, status, field):
    response = client.post("/api/conv", json={"image_id": image_id, "filters": [kernel]})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["field"] == field
    assert "Traceback" not in problem["detail"]


def test_a_kernel_larger_than_the_padded_input_shows_the_formula(client, image_id):
    response = client.post("/api/conv", json={"image_id": image_id, "size": 8,
                                              "filters": [{"preset": "box_blur", "size": 11}]})
    assert response.status_code == 422
    detail = response.get_json()["detail"]
    assert "(8 + 2·0 = 8)" in detail and "(8 − 11 + 2·0)/1 + 1" in detail


def test_filters_of_different_sizes_are_refused(client, image_id):
    response = client.post("/api/conv", json={"image_id": image_id, "filters": [
        {"preset": "sobel_x", "size": 3}, {"preset": "sobel_x"}]})
    assert response.status_code == 422
    assert "3×3, 5×5" in response.get_json()["detail"]


def test_step_outside_the_map_and_missing_filter(client, image_id):
    body = {"image_id": image_id, "filters": [{"preset": "sobel_x"}]}
    response = client.post("/api/conv/step", json={**body, "row": 28, "col": 0})
    assert response.status_code == 422
    assert response.get_json()["detail"] == "row 28 is outside the 28×28 output map"
    response = client.post("/api/conv/step", json={**body, "filter": 1, "row": 0, "col": 0})
    assert response.status_code == 422 and response.get_json()["field"] == "filter"
    response = client.post("/api/pool/step", json={**body, "row": 0, "col": 14})
    assert response.status_code == 422
