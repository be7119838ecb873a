"""Temperature scaling: the fit, the calibration error, the split, and the command."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax

from cnn_core import calibrate
from cnn_core.calibrate import ece, fit_temperature, held_out_split, nll
from cnn_core.data import split_validation
from cnn_core.model import load_model
from tests.core.conftest import lenet_copy, picture_folder


def test_ece_by_hand():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]])
    y = np.array([0, 1, 1, 0])
    # bins of 1/15: 0.9 → bin 13, 0.8 → 11, 0.7 → 10, 0.55 → 8; each alone
    # |1 − .9| + |0 − .8| + |1 − .7| + |0 − .55|, each a quarter of the pictures
    assert ece(probs, y) == pytest.approx((0.1 + 0.8 + 0.3 + 0.55) / 4)
    assert ece(probs, y, bins=1) == pytest.approx(abs(0.5 - (0.9 + 0.8 + 0.7 + 0.55) / 4))


def test_nll_equals_scipy():
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((50, 10)) * 4, rng.integers(0, 10, 50)
    assert nll(z, y, 1.7) == pytest.approx(-log_softmax(z / 1.7, axis=1)[np.arange(50), y].mean())


def test_the_fit_recovers_a_known_temperature():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((20000, 10)) * 2
    p = np.exp(log_softmax(z, axis=1))
    y = (p.cumsum(axis=1) > rng.random((20000, 1))).argmax(axis=1)  # labels drawn from p
    t = fit_temperature(z * 2.5, y)  # logits 2.5× too sharp: over-confident
    assert t == pytest.approx(2.5, rel=0.03)
    assert ece(np.exp(log_softmax(z * 2.5 / t, axis=1)), y) < 0.01 < ece(
        np.exp(log_softmax(z * 2.5, axis=1)), y)


def test_the_split_is_the_trainers():
    model = load_model("convnet")
    train, val = held_out_split(model, 50000)
    ref_train, ref_val = split_validation(50000, 0.1, np.random.default_rng([0, 1]))
    np.testing.assert_array_equal(val, ref_val)
    np.testing.assert_array_equal(train, ref_train)
    with pytest.raises(ValueError):
        held_out_split(model, 1000)


def test_shipped_models_are_calibrated():
    for name in ("lenet", "convnet"):
        cal = load_model(name).metadata["calibration"]
        assert cal["images"] == 5000 and cal["ece_after"] <= cal["ece_before"]
        assert cal["nll_after"] <= cal["nll_before"]


def test_the_command_writes_the_temperature(tmp_path):
    data = picture_folder(tmp_path / "data", 10, seed=2)
    models = lenet_copy(tmp_path / "models", 15, 5)
    npz = (models / "lenet.npz").read_bytes()
    assert calibrate.main(["--model", "lenet", "--data", str(data),
                           "--models-dir", str(models)]) == 0
    model = load_model("lenet", models)
    cal = model.metadata["calibration"]
    assert cal["images"] == 5 and model.temperature == cal["temperature"] > 0
    assert (models / "lenet.npz").read_bytes() == npz  # the weights are not rewritten
    x = np.random.default_rng(2).random((2, 32, 32, 3), dtype=np.float32)
    logits = model.forward(x).astype(np.float64) / model.temperature
    np.testing.assert_allclose(model.predict(x)[0], np.exp(log_softmax(logits, axis=1)),
                               atol=1e-6)
    assert calibrate.main(["--model", "nope", "--data", str(data),
                           "--models-dir", str(models)]) == 2
