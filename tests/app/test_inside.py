"""Top patches and explanations over HTTP: equal to the engine, problems for bad input."""

from __future__ import annotations

import numpy as np
import pytest

from app.arrays import from_typed
from cnn_core import top_patches
from cnn_core.model import MODELS_DIR, load_model


@pytest.mark.parametrize("name", ["lenet", "convnet"])
def test_top_patches_equal_the_shipped_file(client, name):
    meta, arrays = top_patches.load(MODELS_DIR / f"{name}.patches.npz")
    model = load_model(name)
    assert meta["fingerprint"] == top_patches.fingerprint(model)
    for info in meta["layers"]:
        layer, last = info["layer"], info["shown"] - 1
        out = client.get(f"/api/models/{name}/top_patches?layer={layer}&filter={last}")
        assert out.status_code == 200, out.get_json()
        body = out.get_json()
        size = info["size"]
        assert body["field"] == {k: info[k] for k in ("size", "jump", "start")}
        patches = from_typed(body["patches"])
        assert patches.shape == (9, size, size, 3)
        np.testing.assert_array_equal(body["activations"], arrays[f"{layer}.activations"][last])
        assert body["activations"] == sorted(body["activations"], reverse=True)
        for k, (t0, l0, t1, l1) in enumerate(body["inside"]):
            top, left = arrays[f"{layer}.windows"][last, k]
            assert (t0, l0) == (max(-top, 0), max(-left, 0))
            assert (t1, l1) == (min(size, 32 - top), min(size, 32 - left))
            outside = np.ones((size, size), bool)
            outside[t0:t1, l0:l1] = False
            assert (patches[k][outside] == 0).all()  # padding, never wrapped pixels
            np.testing.assert_array_equal(patches[k, t0:t1, l0:l1],
                                          arrays[f"{layer}.patches"][last, k, :t1 - t0, :l1 - l0])


def test_a_patch_is_what_excites_its_filter(client):
    """The stored response equals the engine's response of that filter on the patch's unit."""
    model = load_model("convnet")
    body = client.get("/api/models/convnet/top_patches?layer=conv1&filter=5").get_json()
    patch = from_typed(body["patches"])[0]  # a 5×5 window: conv1's unit sees just that
    (t0, l0, t1, l1) = body["inside"][0]
    w, b = model.layers[0].params["w"][5], model.layers[0].params["b"][5]
    x = (patch / np.float32(255) - model.mean) / model.std
    x[:t0], x[t1:], x[:, :l0], x[:, l1:] = 0, 0, 0, 0  # conv padding is 0 after normalizing
    assert float((x * w).sum() + b) == pytest.approx(body["activations"][0], rel=1e-4)


def test_top_patches_problems(client):
    cases = {"/api/models/convnet/top_patches?layer=conv9": (404, "layer"),
             "/api/models/convnet/top_patches?layer=fc1": (404, "layer"),
             "/api/models/lenet/top_patches?layer=conv1&filter=6": (404, "filter"),
             "/api/models/nope/top_patches": (404, "name"),
             "/api/models/lenet/top_patches?filter=-1": (422, "filter"),
             "/api/models/lenet/top_patches?filter=x": (422, "filter")}
    for url, (status, field) in cases.items():
        out = client.get(url)
        assert out.status_code == status, url
        assert out.mimetype == "application/problem+json"
        assert out.get_json()["field"] == field, (url, out.get_json())


def test_stale_patches_are_refused(client, app, tmp_path):
    """A retrained model without fresh patches says so rather than showing another's."""
    import shutil
    for ext in ("json", "npz", "patches.npz"):
        shutil.copy(MODELS_DIR / f"lenet.{ext}", tmp_path / f"lenet.{ext}")
    model = load_model("lenet", tmp_path)
    model.layers[0].params["w"] = model.layers[0].params["w"] + 1
    model.save(tmp_path)
    app.config["MODELS_DIR"] = str(tmp_path)
    out = app.test_client().get("/api/models/lenet/top_patches?layer=conv1")
    assert out.status_code == 404 and "not computed" in out.get_json()["detail"]


@pytest.mark.parametrize("name", ["lenet", "convnet"])
def test_explain_equals_the_engine(client, image_id, pixels, name):
    model = load_model(name)
    x = pixels / np.float32(255)
    guess = int(model.forward(x)[0].argmax())
    out = client.post(f"/api/models/{name}/explain", json={"image_id": image_id})
    assert out.status_code == 200, out.get_json()
    body = out.get_json()
    ref = model.explain(x, guess)
    assert body["class"] == body["guess"] == guess and body["class_name"] == model.classes[guess]
    assert body["layer"] == ref["layer"] and body["score"] == pytest.approx(ref["logits"][guess])
    np.testing.assert_array_equal(from_typed(body["saliency"]), ref["saliency"])
    np.testing.assert_array_equal(from_typed(body["grad_cam"]), ref["grad_cam"])
    assert from_typed(body["grad_cam"]).shape == (32, 32)
    other = (guess + 1) % 10
    picked = client.post(f"/api/models/{name}/explain",
                         json={"image_id": image_id, "class": other}).get_json()
    assert picked["class"] == other and picked["guess"] == guess
    np.testing.assert_array_equal(from_typed(picked["saliency"]),
                                  model.explain(x, other)["saliency"])


def test_explain_problems(client, image_id):
    cases = [({"image_id": image_id, "class": 10}, 422, "class"),
             ({"image_id": image_id, "class": -1}, 422, "class"),
             ({"image_id": image_id, "class": "cat"}, 422, "class"),
             ({"image_id": "0" * 64}, 404, "image_id"),
             ({"image_id": image_id, "extra": 1}, 422, "extra")]
    for body, status, field in cases:
        out = client.post("/api/models/lenet/explain", json=body)
        assert out.status_code == status, (body, out.get_json())
        assert out.get_json()["field"] == field, (body, out.get_json())


def test_predict_is_calibrated(client, image_id, pixels):
    model = load_model("convnet")
    t = model.metadata["temperature"]
    assert t != 1 and model.temperature == t
    logits = model.forward(pixels / np.float32(255))[0].astype(np.float64) / t
    p = np.exp(logits - logits.max())
    out = client.post("/api/models/convnet/predict", json={"image_id": image_id}).get_json()
    np.testing.assert_allclose(out["probabilities"], p / p.sum(), atol=1e-6)
    assert out["temperature"] == pytest.approx(t)
    # no more arrays than before: the explanation has its own endpoint
    assert set(out) == {"classes", "probabilities", "activations", "temperature"}
