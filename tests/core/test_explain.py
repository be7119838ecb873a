"""Saliency and Grad-CAM: the engine's backward against finite differences of its forward."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.explain import cam_layer, explain, gradients
from cnn_core.model import build_model, load_model
from cnn_core.receptive_field import field_of, upsample


def _double(model):
    """The same model in float64, so finite differences are clean."""
    for lay in model.layers:
        for store in (lay.params, lay.buffers):
            for k in store:
                store[k] = store[k].astype(np.float64)
    model.mean, model.std = model.mean.astype(np.float64), model.std.astype(np.float64)
    return model


def _score_from(model, start: int, a: np.ndarray, cls: int) -> float:
    """The class logit, forwarding activation a of layer start-1 through the rest."""
    out = a[None]
    for lay in model.layers[start:]:
        out = lay.forward(out)
    return float(out[0, cls])


def _logit(model, x, cls):
    out = (x[None] - model.mean) / model.std
    for lay in model.layers:
        out = lay.forward(out)
    return float(out[0, cls])


@pytest.mark.parametrize("name", ["lenet", "convnet"])
def test_input_gradient_equals_finite_differences(name):
    model = _double(load_model(name))
    rng = np.random.default_rng(3)
    x = rng.random((32, 32, 3))
    cls = 4
    logits, dx, _, _ = gradients(model, x, cls)
    assert logits[cls] == pytest.approx(_logit(model, x, cls), abs=1e-9)
    h = 1e-8  # piecewise linear (ReLU, max pool): a step of 1e-6 crosses kinks in a deep net
    for _ in range(4):  # directional derivatives along random directions
        v = rng.standard_normal(x.shape)
        fd = (_logit(model, x + h * v, cls) - _logit(model, x - h * v, cls)) / (2 * h)
        assert float((dx * v).sum()) == pytest.approx(fd, rel=1e-5, abs=1e-7)
    for idx in np.argsort(np.abs(dx).ravel())[-3:]:  # and single pixels, the largest ones
        e = np.zeros(x.size)
        e[idx] = h
        e = e.reshape(x.shape)
        fd = (_logit(model, x + e, cls) - _logit(model, x - e, cls)) / (2 * h)
        assert dx.ravel()[idx] == pytest.approx(fd, rel=1e-5)


@pytest.mark.parametrize("name", ["lenet", "convnet"])
def test_layer_gradient_equals_finite_differences(name):
    model = _double(load_model(name))
    rng = np.random.default_rng(4)
    x = rng.random((32, 32, 3))
    layer = cam_layer(model)
    index = [lay.name for lay in model.layers].index(layer)
    _, _, a, da = gradients(model, x, 2, layer)
    assert a.shape == model.layers[index].output_shape and da.shape == a.shape
    h = 1e-8  # piecewise linear (ReLU, max pool): a step of 1e-6 crosses kinks in a deep net
    for _ in range(3):
        # only the positive maps move: a max pool over tied zeros has no derivative
        v = rng.standard_normal(a.shape) * (a > 0)
        fd = (_score_from(model, index + 1, a + h * v, 2)
              - _score_from(model, index + 1, a - h * v, 2)) / (2 * h)
        assert float((da * v).sum()) == pytest.approx(fd, rel=1e-5, abs=1e-7)


def test_batchnorm_in_inference_mode():
    """An unfolded model (batchnorm layers) backpropagates through the running statistics."""
    model = _double(build_model("convnet"))
    rng = np.random.default_rng(5)
    for lay in model.layers:
        if lay.kind == "batchnorm":
            lay.buffers["running_mean"] = rng.standard_normal(lay.buffers["running_mean"].shape)
            lay.buffers["running_var"] = rng.random(lay.buffers["running_var"].shape) + 0.5
    x = rng.random((32, 32, 3))
    _, dx, _, _ = gradients(model, x, 1)
    v = rng.standard_normal(x.shape)
    h = 1e-8  # piecewise linear (ReLU, max pool): a step of 1e-6 crosses kinks in a deep net
    fd = (_logit(model, x + h * v, 1) - _logit(model, x - h * v, 1)) / (2 * h)
    assert float((dx * v).sum()) == pytest.approx(fd, rel=1e-5)


def test_saliency_and_grad_cam_by_their_formulas():
    model = load_model("convnet")
    x = np.random.default_rng(6).random((32, 32, 3), dtype=np.float32)
    out = explain(model, x, 7)
    layer = cam_layer(model)
    _, dx, a, da = gradients(model, x, 7, layer)
    assert out["layer"] == layer and a.ndim == 3
    np.testing.assert_array_equal(out["saliency"], np.abs(dx).max(axis=2))
    alpha = da.reshape(-1, a.shape[-1]).mean(axis=0)
    cam = np.maximum(np.einsum("hwk,k->hw", a, alpha), 0)
    np.testing.assert_allclose(out["cam_small"], cam, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(out["grad_cam"], upsample(cam, field_of(model, layer), 32),
                               rtol=1e-4, atol=1e-7)
    assert out["saliency"].shape == out["grad_cam"].shape == (32, 32)
    assert cam_layer(load_model("lenet")) == "relu2"


def test_bad_class_or_layer():
    model = load_model("lenet")
    x = np.zeros((32, 32, 3), np.float32)
    with pytest.raises(IndexError):
        gradients(model, x, 10)
    with pytest.raises(KeyError):
        gradients(model, x, 0, "conv9")
    with pytest.raises(ValueError):
        explain(model, x, 0, "fc1")


def test_no_class_explains_the_guess_from_the_same_forward_pass():
    model = load_model("lenet")
    x = np.random.default_rng(8).random((32, 32, 3), dtype=np.float32)
    guess = int(model.forward(x[None])[0].argmax())
    out, ref = explain(model, x, None), explain(model, x, guess)
    assert out["class"] == ref["class"] == guess
    np.testing.assert_array_equal(out["grad_cam"], ref["grad_cam"])
    np.testing.assert_array_equal(out["saliency"], ref["saliency"])
