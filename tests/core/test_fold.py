import numpy as np
import pytest

from cnn_core.layers import softmax_cross_entropy
from cnn_core.model import Model, build_model, fold_batchnorm


def trained_a_little(arch: str) -> Model:
    """A model whose batchnorm running statistics and affine parameters are not trivial."""
    model = build_model(arch, seed=3)
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = rng.random((16, 32, 32, 3), dtype=np.float32) * 2 - 0.3
        model.forward(x, train=True)
    for layer in model.layers:
        if layer.kind == "batchnorm":
            layer.params["gamma"][:] = rng.uniform(-2, 2, layer.params["gamma"].shape)
            layer.params["beta"][:] = rng.standard_normal(layer.params["beta"].shape)
    return model


def test_folding_batchnorm_keeps_every_prediction():
    model = trained_a_little("convnet")
    folded = fold_batchnorm(model)
    assert [layer.kind for layer in folded.layers].count("batchnorm") == 0
    assert len(folded.layers) == len(model.layers) - 4
    x = np.random.default_rng(4).random((8, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(folded.forward(x), model.forward(x), rtol=1e-4, atol=1e-4)
    # parameters: the four batchnorms' γ and β are gone, nothing else changed
    assert folded.total_params == model.total_params - 2 * (32 + 64 + 128 + 128)


def test_folding_a_model_without_batchnorm_changes_nothing():
    model = build_model("lenet")
    folded = fold_batchnorm(model)
    x = np.random.default_rng(5).random((2, 32, 32, 3), dtype=np.float32)
    np.testing.assert_array_equal(folded.forward(x), model.forward(x))


def test_batchnorm_first_cannot_be_folded():
    model = Model([{"name": "bn", "kind": "batchnorm"}, {"name": "flat", "kind": "flatten"},
                   {"name": "fc", "kind": "fc", "units": 2}], input_shape=(2, 2, 1))
    with pytest.raises(ValueError, match="does not follow a conv or fc"):
        fold_batchnorm(model)


def test_folded_model_still_trains_with_a_gradient():
    folded = fold_batchnorm(trained_a_little("convnet"))
    x = np.random.default_rng(6).random((4, 32, 32, 3), dtype=np.float32)
    _, d = softmax_cross_entropy(folded.forward(x, train=True), np.array([0, 1, 2, 3]))
    folded.backward(d)
    assert folded.layers[0].grads["w"].shape == (32, 5, 5, 3)
