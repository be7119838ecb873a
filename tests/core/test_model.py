"""Model: shapes and parameter counts, predict, filters, files; and the shipped models."""

import json

import numpy as np
import pytest

from cnn_core.model import ARCHITECTURES, MODELS_DIR, build_model, list_models, load_model

CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

# The lesson's network, by hand: (name, output shape, parameters = weights + biases)
LENET = [
    ("conv1", (28, 28, 6), 6 * (5 * 5 * 3) + 6),  # 456
    ("relu1", (28, 28, 6), 0),
    ("pool1", (14, 14, 6), 0),
    ("conv2", (10, 10, 16), 16 * (5 * 5 * 6) + 16),  # 2416
    ("relu2", (10, 10, 16), 0),
    ("pool2", (5, 5, 16), 0),
    ("flatten", (400,), 0),
    ("fc1", (120,), 400 * 120 + 120),  # 48120
    ("relu3", (120,), 0),
    ("fc2", (84,), 120 * 84 + 84),  # 10164
    ("relu4", (84,), 0),
    ("fc3", (10,), 84 * 10 + 10),  # 850
]


def a_little_trained(arch):
    """A model with non-trivial batchnorm statistics and a two-entry filter history."""
    model = build_model(arch, seed=1, classes=CIFAR10, mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3))
    model.snapshots = {"conv1": model.filters()[None].astype(np.float16)}
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if layer.kind == "batchnorm":
            layer.buffers["running_mean"][:] = rng.standard_normal(layer.output_shape[-1])
            layer.buffers["running_var"][:] = rng.uniform(0.5, 2, layer.output_shape[-1])
    model.filters()[:] *= 1.5  # "after an epoch"
    model.snapshots["conv1"] = np.concatenate(
        [model.snapshots["conv1"], model.filters()[None].astype(np.float16)]
    )
    model.history = {"epochs": [{"epoch": 1, "train_loss": 2.0, "val_acc": 0.25}]}
    model.metadata = {"seed": 1, "accuracy": {"validation": 0.25}}
    return model


def expected_layers(configs, input_shape=(32, 32, 3)):
    """(name, output shape, parameter count) of each layer, from its config, by plain arithmetic."""
    shape, out = tuple(input_shape), []
    for c in configs:
        params = 0
        if c["kind"] == "conv":
            (H, W, C), k, s, p = shape, c["size"], c.get("stride", 1), c.get("padding", 0)
            shape = ((H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1, c["filters"])
            params = c["filters"] * (k * k * C + 1)
        elif c["kind"] == "pool":
            (H, W, C), s = shape, c.get("stride") or c["size"]
            shape = ((H - c["size"]) // s + 1, (W - c["size"]) // s + 1, C)
        elif c["kind"] == "batchnorm":
            params = 2 * shape[-1]  # γ and β; the running mean and variance are not trained
        elif c["kind"] == "flatten":
            shape = (int(np.prod(shape)),)
        elif c["kind"] == "fc":
            params, shape = shape[0] * c["units"] + c["units"], (c["units"],)
        out.append((c["name"], shape, params))
    return out


def test_lenet_layers_and_parameters_are_the_lessons():
    model = build_model("lenet")
    got = [(layer.name, layer.output_shape, layer.param_count) for layer in model.layers]
    assert got == LENET
    assert model.total_params == 456 + 2416 + 48120 + 10164 + 850 == 62006
    assert expected_layers(ARCHITECTURES["lenet"]) == LENET  # the helper agrees with the hand


def test_convnet_v1_layers_and_parameters():
    model = build_model("convnet-v1")
    shapes = [layer.output_shape for layer in model.layers if layer.kind in ("conv", "pool")]
    assert shapes == [
        (32, 32, 32), (16, 16, 32), (16, 16, 64), (8, 8, 64), (8, 8, 128), (8, 8, 128), (4, 4, 128)
    ]  # fmt: skip
    assert model.layers[0].params["w"].shape == (32, 5, 5, 3)  # the lesson's 5×5×3 filters
    # conv 2432 + 18496 + 73856 + 147584, batchnorm 2·(32 + 64 + 128 + 128), fc 2048·10 + 10
    assert model.total_params == 2432 + 18496 + 73856 + 147584 + 704 + 20490 == 263562
    got = [(layer.name, layer.output_shape, layer.param_count) for layer in model.layers]
    assert got == expected_layers(ARCHITECTURES["convnet-v1"])


def test_convnet_layers_and_parameters():
    model = build_model("convnet")
    shapes = [layer.output_shape for layer in model.layers if layer.kind in ("conv", "pool")]
    assert shapes == [
        (32, 32, 32),                                 # conv1 5×5×3, padding 2
        (32, 32, 64), (16, 16, 64), (16, 16, 64),     # stage 2: conv → pool → … → conv
        (16, 16, 128), (8, 8, 128), (8, 8, 128),      # stage 3
        (8, 8, 256), (4, 4, 256), (4, 4, 256),        # stage 4
        (1, 1, 256),                                  # global average pool
    ]  # fmt: skip
    kinds = [layer.kind for layer in model.layers[3:10]]
    assert kinds == ["conv", "pool", "batchnorm", "relu", "conv", "batchnorm", "relu"]
    assert model.layers[0].params["w"].shape == (32, 5, 5, 3)  # the lesson's 5×5×3 filters
    # conv: 32·(75+1), 64·(288+1), 64·(576+1), 128·(576+1), 128·(1152+1), 256·(1152+1),
    # 256·(2304+1); batchnorm 2·(32 + 2·64 + 2·128 + 2·256); fc 256·10 + 10
    convs = 2432 + 18496 + 36928 + 73856 + 147584 + 295168 + 590080
    assert model.total_params == convs + 1856 + 2570 == 1168970
    # stored as float16 that is 2.3 MB: with lenet (0.26 MB) well within 5 MB
    assert model.total_params * 2 + 62006 * 4 < 3 * 1024 * 1024
    got = [(layer.name, layer.output_shape, layer.param_count) for layer in model.layers]
    assert got == expected_layers(ARCHITECTURES["convnet"])


def test_the_same_seed_builds_the_same_weights():
    a, b, c = build_model("lenet", seed=4), build_model("lenet", seed=4), build_model("lenet")
    np.testing.assert_array_equal(a.state()["fc2.w"], b.state()["fc2.w"])
    assert not np.array_equal(a.state()["fc2.w"], c.state()["fc2.w"])


@pytest.mark.parametrize("arch", ["lenet", "convnet"])
def test_predict_gives_probabilities_and_one_activation_per_layer(arch):
    model = a_little_trained(arch)
    x = np.random.default_rng(0).random((3, 32, 32, 3), dtype=np.float32)
    probs, activations = model.predict(x)
    assert probs.shape == (3, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert (probs > 0).all()
    assert [(name, kind) for name, kind, _ in activations] == [
        (layer.name, layer.kind) for layer in model.layers
    ]
    for (_, _, act), layer in zip(activations, model.layers, strict=True):
        assert act.shape == (3, *layer.output_shape)
    # the last activation is the logits, and forward agrees with predict
    np.testing.assert_allclose(activations[-1][2], model.forward(x), rtol=1e-6)
    one, _ = model.predict(x[1])  # a single image (32, 32, 3) is a batch of one
    np.testing.assert_allclose(one[0], probs[1], rtol=1e-5)


def test_predict_normalizes_the_pixels_itself():
    model = build_model("lenet", mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3))
    plain = build_model("lenet")  # mean 0, std 1: the same weights (seed 0)
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    normalized = (x - np.array([0.5, 0.4, 0.3])) / np.array([0.2, 0.25, 0.3])
    np.testing.assert_allclose(model.forward(x), plain.forward(normalized), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("arch", ["lenet", "convnet"])
def test_save_and_load_round_trip(arch, tmp_path):
    model = a_little_trained(arch)
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{arch}.json", f"{arch}.npz"]
    loaded = load_model(arch, tmp_path)
    x = np.random.default_rng(2).random((4, 32, 32, 3), dtype=np.float32)
    np.testing.assert_array_equal(loaded.forward(x), model.forward(x))
    assert loaded.classes == CIFAR10 and loaded.input_shape == (32, 32, 3)
    np.testing.assert_array_equal(loaded.mean, model.mean)
    assert loaded.history == model.history and loaded.metadata == model.metadata
    assert loaded.epochs_available() == [0, 1]
    np.testing.assert_array_equal(loaded.filters(epoch=1), model.filters(epoch=1))
    assert [layer.param_count for layer in loaded.layers] == [
        layer.param_count for layer in model.layers
    ]


def test_filters_now_and_at_an_epoch():
    model = a_little_trained("lenet")
    assert model.filters().shape == (6, 5, 5, 3)
    assert model.filters("conv2").shape == (16, 5, 5, 6)
    np.testing.assert_allclose(model.filters(epoch=1), model.filters(), rtol=1e-3)
    np.testing.assert_allclose(model.filters(epoch=0) * 1.5, model.filters(), rtol=2e-3)
    assert model.filters(epoch=0).dtype == np.float32


def test_filters_at_a_missing_epoch_or_layer_is_a_clear_error():
    model = a_little_trained("lenet")
    with pytest.raises(KeyError, match=r"no snapshot of 'conv1' at epoch 5; available: \[0, 1\]"):
        model.filters(epoch=5)
    with pytest.raises(KeyError, match="available"):
        model.filters(epoch=-1)
    with pytest.raises(KeyError, match="no conv layer 'relu1'"):
        model.filters("relu1")
    assert build_model("lenet").epochs_available() == []


def test_load_model_of_an_unknown_name_is_file_not_found(tmp_path):
    a_little_trained("lenet").save(tmp_path)
    assert list_models(tmp_path) == ["lenet"]
    with pytest.raises(FileNotFoundError, match="no model named 'resnet'"):
        load_model("resnet", tmp_path)
    (tmp_path / "lenet.npz").unlink()  # the weights alone missing: not a model
    assert list_models(tmp_path) == []


# ---- the shipped models, trained on CIFAR-10 (docs/training.md) -------------------------

SHIPPED = {"lenet": 0.62, "convnet": 0.88}  # the issues' minimum validation accuracy


def shipped(name):
    if not (MODELS_DIR / f"{name}.npz").exists():
        pytest.skip(f"{name} is not trained yet (cnn_core/models/{name}.npz)")
    return load_model(name)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_layers_are_what_its_file_says(name):
    model = shipped(name)
    configs = json.loads((MODELS_DIR / f"{name}.json").read_text())["layers"]
    got = [(layer.name, layer.output_shape, layer.param_count) for layer in model.layers]
    assert got == expected_layers(configs)
    assert model.classes == CIFAR10 and model.input_shape == (32, 32, 3)
    saved = np.load(MODELS_DIR / f"{name}.npz")
    trainable = ("w", "b", "gamma", "beta")
    trained = sum(saved[k].size for k in saved.files if k.split(".")[1] in trainable)
    assert model.total_params == trained
    if name == "lenet":
        assert got == LENET
    else:
        assert model.filters().shape == (32, 5, 5, 3)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_metadata_records_how_it_was_trained(name):
    model = shipped(name)
    meta, epochs = model.metadata, model.history["epochs"]
    assert meta["command"].startswith(f"python -m cnn_core.train --arch {name} ")
    assert "cifar10/train" in meta["command"]  # ../shared/data/… or /work/shared/data/…
    assert isinstance(meta["seed"], int)
    assert meta["epochs"] == len(epochs) == epochs[-1]["epoch"]
    assert meta["seconds"] == pytest.approx(sum(e["seconds"] for e in epochs), abs=0.5)
    assert meta["train_images"] == 45000 and meta["validation_images"] == 5000
    assert meta["accuracy"]["validation"] == epochs[-1]["val_acc"] >= SHIPPED[name]
    assert model.epochs_available() == list(range(meta["epochs"] + 1))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_predicts_probabilities(name):
    model = shipped(name)
    x = np.random.default_rng(0).random((5, 32, 32, 3), dtype=np.float32)
    x[0] = 0.0
    probs, activations = model.predict(x)
    assert probs.shape == (5, 10) and np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert len(activations) == len(model.layers)


def test_shipped_models_fit_in_5_mb():
    files = [MODELS_DIR / f"{name}.{ext}" for name in SHIPPED for ext in ("json", "npz")]
    if not all(f.exists() for f in files):
        pytest.skip("the shipped models are not all trained yet")
    assert sum(f.stat().st_size for f in files) <= 5 * 1024 * 1024


# ---- saving: atomic, and float16 ------------------------------------------------------


def test_a_failure_mid_save_leaves_the_old_files_intact(tmp_path, monkeypatch):
    old = a_little_trained("lenet")
    old.save(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    new = build_model("lenet", seed=9, classes=CIFAR10)

    def savez_that_dies(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")  # some bytes reach the file, then the disk fills
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", savez_that_dies)
    with pytest.raises(OSError, match="No space left"):
        new.save(tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # the old model, byte for byte, and no temporary file left over
    np.testing.assert_array_equal(load_model("lenet", tmp_path).filters(), old.filters())


def test_a_failure_writing_the_json_leaves_the_old_json_intact(tmp_path, monkeypatch):
    a_little_trained("lenet").save(tmp_path)
    before = (tmp_path / "lenet.json").read_bytes()
    monkeypatch.setattr(json, "dumps", lambda *a, **k: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError):
        build_model("lenet", seed=9, classes=CIFAR10).save(tmp_path)
    assert (tmp_path / "lenet.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lenet.json", "lenet.npz"]


def test_float16_storage_halves_the_file_and_keeps_the_logits(tmp_path):
    from cnn_core.model import fold_batchnorm

    model = fold_batchnorm(a_little_trained("convnet"))
    model.save(tmp_path / "f32")
    model.save(tmp_path / "f16", dtype=np.float16)
    size = {d: (tmp_path / d / "convnet.npz").stat().st_size for d in ("f32", "f16")}
    assert size["f16"] < 0.6 * size["f32"]
    half = load_model("convnet", tmp_path / "f16")
    assert half.filters().dtype == np.float32  # stored as float16, computed in float32
    x = np.random.default_rng(3).random((16, 32, 32, 3), dtype=np.float32)
    full, rounded = model.forward(x), half.forward(x)
    # float16 keeps 11 significant bits: each weight within 2⁻¹¹ relative; through seven
    # conv layers the logits move by well under 1 % of their spread
    assert np.abs(rounded - full).max() < 0.01 * full.std()
    assert not np.array_equal(rounded, full)  # it was rounded: the check is not vacuous


# ---- an epoch's filters come with the same epoch's biases ------------------------------


def test_filter_bias_pairs_each_snapshot_with_its_own_epoch():
    model = a_little_trained("lenet")
    model.layers[0].params["b"][:] = np.arange(6) + 1.0  # the final biases, far from zero
    np.testing.assert_array_equal(model.filter_bias(), np.arange(6) + 1.0)
    # no biases recorded (files from before they were): the initialization's, zero
    np.testing.assert_array_equal(model.filter_bias(epoch=0), np.zeros(6))
    model.snapshots["conv1.b"] = np.array([np.zeros(6), np.full(6, 0.5)], np.float32)
    np.testing.assert_array_equal(model.filter_bias(epoch=1), np.full(6, 0.5))
    np.testing.assert_array_equal(model.filter_bias(epoch=0), np.zeros(6))
    with pytest.raises(KeyError, match="no snapshot"):
        model.filter_bias(epoch=2)
