"""GET /api/models, predictions, learned filters and history equal the engine's."""

from __future__ import annotations

import numpy as np
import pytest

from app.arrays import from_typed
from cnn_core.display import filter_tiles
from cnn_core.model import load_model


def test_models_describe_their_layers(client):
    models = {m["name"]: m for m in client.get("/api/models").get_json()["models"]}
    assert set(models) == {"lenet", "convnet"}
    lenet = models["lenet"]
    assert lenet["total_params"] == 62006 and lenet["input"] == [32, 32, 3]
    assert lenet["layers"][0] == {"name": "conv1", "kind": "conv", "output_shape": [28, 28, 6],
                                  "params": 456}
    assert lenet["accuracy"] >= 0.62 and models["convnet"]["accuracy"] >= 0.80
    convnet = load_model("convnet")
    assert [(lay["name"], lay["kind"]) for lay in models["convnet"]["layers"]] == [
        (lay.name, lay.kind) for lay in convnet.layers]
    assert models["convnet"]["total_params"] == convnet.total_params


@pytest.mark.parametrize("name", ["lenet", "convnet"])
def test_prediction_equals_the_engine(client, image_id, pixels, name):
    response = client.post(f"/api/models/{name}/predict", json={"image_id": image_id})
    assert response.status_code == 200
    out = response.get_json()
    model = load_model(name)
    probs, activations = model.predict(pixels[None] / np.float32(255))
    np.testing.assert_allclose(out["probabilities"], probs[0], atol=1e-6)
    assert sum(out["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert out["classes"][:2] == ["airplane", "automobile"]
    assert [a["layer"] for a in out["activations"]] == [a[0] for a in activations]
    first = out["activations"][0]
    assert first["shape"] == list(activations[0][2].shape[1:])
    np.testing.assert_allclose(from_typed(first["maps"][0]), activations[0][2][0, ..., 0],
                               atol=1e-5)
    assert len(first["maps"]) == min(32, first["shape"][-1])
    last = out["activations"][-1]
    assert last["shape"] == [10] and from_typed(last["maps"]).shape == (10,)


def test_learned_filters_now_and_at_the_start(client):
    out = client.get("/api/models/convnet/filters?layer=conv1").get_json()
    model = load_model("convnet")
    w = model.filters("conv1")
    assert out["shape"] == [32, 5, 5, 3] and out["epoch"] is None
    assert out["epochs"] == model.epochs_available("conv1") and len(out["epochs"]) > 2
    np.testing.assert_array_equal(from_typed(out["weights"]), w)
    np.testing.assert_array_equal(from_typed(out["tiles"]), filter_tiles(w))
    start = client.get("/api/models/convnet/filters?epoch=0").get_json()
    np.testing.assert_array_equal(from_typed(start["weights"]), model.filters("conv1", 0))


def test_filters_that_do_not_exist(client):
    assert client.get("/api/models/convnet/filters?epoch=999").status_code == 404
    assert client.get("/api/models/lenet/filters?layer=fc1").status_code == 404
    assert client.get("/api/models/nope/filters").status_code == 404


def test_history(client):
    epochs = client.get("/api/models/lenet/history").get_json()["epochs"]
    model = load_model("lenet")
    assert len(epochs) == len(model.history["epochs"]) == 30
    assert epochs[-1]["val_acc"] == model.history["epochs"][-1]["val_acc"]


def test_predict_needs_a_known_picture(client):
    response = client.post("/api/models/lenet/predict", json={"image_id": "f" * 64})
    assert response.status_code == 404
    response = client.post("/api/models/nope/predict", json={"image_id": "sample-checkerboard"})
    assert response.status_code == 404
