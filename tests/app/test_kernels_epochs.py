"""A learned filter from an epoch snapshot comes with that epoch's bias, not the final one."""

import numpy as np
import pytest

from app import networks
from app.kernels import resolve
from app.schemas import Kernel
from cnn_core.model import build_model


@pytest.fixture
def models_dir(tmp_path):
    """A lenet whose final biases (1…6) differ from each epoch's recorded ones."""
    model = build_model("lenet", seed=2, mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3))
    w = model.filters()
    model.snapshots = {"conv1": np.stack([w * 0.5, w * 0.8, w]).astype(np.float16),
                       "conv1.b": np.array([np.zeros(6), np.full(6, -0.25),
                                            np.arange(6) + 1.0], np.float32)}
    model.layers[0].params["b"][:] = np.arange(6) + 1.0
    model.save(tmp_path)
    networks._load.cache_clear()
    networks._names.cache_clear()
    yield str(tmp_path)
    networks._load.cache_clear()
    networks._names.cache_clear()


def expected_bias(model, raw_bias, w):
    """The filter's bias on [0, 1] pixels: its own minus the folded normalization."""
    return raw_bias - float(((w / model.std) * model.mean).sum(dtype=np.float64))


@pytest.mark.parametrize(("epoch", "raw"), [(0, 0.0), (1, -0.25), (2, 4.0), (None, 4.0)])
def test_each_epoch_pairs_its_weights_with_its_bias(models_dir, epoch, raw):
    model = networks.get("lenet", models_dir)
    w, b, labels = resolve([Kernel(model="lenet", index=3, epoch=epoch)], models_dir)
    bank = model.filters("conv1", epoch)[3]
    np.testing.assert_allclose(w[0], bank / model.std, rtol=1e-6)
    assert b[0] == pytest.approx(expected_bias(model, raw, bank), rel=1e-5)


def test_an_old_file_without_recorded_biases_gives_the_initial_zero_at_epoch_0(models_dir):
    model = networks.get("lenet", models_dir)
    del model.snapshots["conv1.b"]  # as the files trained before biases were recorded
    _, b, _ = resolve([Kernel(model="lenet", index=3, epoch=0)], models_dir)
    assert b[0] == pytest.approx(expected_bias(model, 0.0, model.filters("conv1", 0)[3]),
                                 rel=1e-5)  # not the final bias 4.0
