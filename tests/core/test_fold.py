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
    model = trained_a_little("convnet-v1")
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
    folded = fold_batchnorm(trained_a_little("convnet-v1"))
    x = np.random.default_rng(6).random((4, 32, 32, 3), dtype=np.float32)
    _, d = softmax_cross_entropy(folded.forward(x, train=True), np.array([0, 1, 2, 3]))
    folded.backward(d)
    assert folded.layers[0].grads["w"].shape == (32, 5, 5, 3)


def test_folding_the_deep_convnet_through_its_max_pools_is_exact():
    # conv → pool → BN: with every γ > 0 the max pool commutes with the per-channel scale
    model = trained_a_little("convnet")
    for layer in model.layers:
        if layer.kind == "batchnorm":
            layer.params["gamma"][:] = np.abs(layer.params["gamma"]) + 0.1
    folded = fold_batchnorm(model)
    assert [layer.kind for layer in folded.layers].count("batchnorm") == 0
    assert [layer.kind for layer in folded.layers[:6]] == ["conv", "relu", "conv", "pool", "relu",
                                                           "conv"]
    x = np.random.default_rng(4).random((8, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(folded.forward(x), model.forward(x), rtol=1e-4, atol=1e-4)


def test_a_negative_scale_after_a_max_pool_keeps_its_batchnorm():
    # max(−z) is −min(z), not −max(z): folding bn2a with one γ < 0 would change the output,
    # so it stays a layer; the batchnorms right after a conv fold whatever their sign
    model = trained_a_little("convnet")
    for layer in model.layers:
        if layer.kind == "batchnorm":
            layer.params["gamma"][:] = np.abs(layer.params["gamma"]) + 0.1
    bn = next(layer for layer in model.layers if layer.name == "bn2a")
    bn.params["gamma"][5] = -1.5
    model.layers[0].params["b"][:] = 0.3  # conv1 → bn1: folds with any sign
    next(layer for layer in model.layers if layer.name == "bn1").params["gamma"][0] = -2.0
    folded = fold_batchnorm(model)
    assert [layer.name for layer in folded.layers if layer.kind == "batchnorm"] == ["bn2a"]
    x = np.random.default_rng(5).random((8, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(folded.forward(x), model.forward(x), rtol=1e-4, atol=1e-4)


def test_folding_a_negative_scale_through_a_max_pool_would_be_wrong():
    # the reason for the rule above, in numbers: the same model folded by force differs
    model = trained_a_little("convnet")
    for layer in model.layers:
        if layer.kind == "batchnorm":
            layer.params["gamma"][:] = -np.abs(layer.params["gamma"]) - 0.1
    forced = fold_batchnorm(model)
    bn = {layer.name for layer in forced.layers if layer.kind == "batchnorm"}
    assert bn == {"bn2a", "bn3a", "bn4a"}
    x = np.random.default_rng(6).random((4, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(forced.forward(x), model.forward(x), rtol=1e-4, atol=1e-4)
    # folding bn2a alone, ignoring the sign, would change the logits
    conv, pool = model.layers[3], model.layers[4]
    z = conv.forward(np.random.default_rng(7).standard_normal((2, 32, 32, 32)).astype(np.float32))
    bn = model.layers[5]
    s = bn.params["gamma"] / np.sqrt(bn.buffers["running_var"] + 1e-5)
    assert not np.allclose(pool.forward(z * s), pool.forward(z) * s)


def test_the_saved_model_gives_the_training_models_logits(tmp_path):
    from cnn_core.model import load_model

    model = trained_a_little("convnet")
    fold_batchnorm(model).save(tmp_path)
    saved = load_model("convnet", tmp_path)
    x = np.random.default_rng(8).random((8, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(saved.forward(x), model.forward(x, train=False), rtol=1e-4,
                               atol=1e-4)
