"""Top patches against a brute-force search, and the command on a small folder."""

from __future__ import annotations

import numpy as np

from cnn_core import top_patches
from cnn_core.calibrate import held_out_split
from cnn_core.data import to_float
from cnn_core.model import MODELS_DIR, load_model
from cnn_core.receptive_field import field_of
from tests.core.conftest import lenet_copy, picture_folder


def test_compute_equals_brute_force():
    model = load_model("convnet")
    x = np.random.default_rng(0).integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
    result = top_patches.compute(model, x, max_filters=3, progress=False)
    arrays = result["arrays"]
    _, acts = model.predict(to_float(x))
    convs = [lay.name for lay in model.layers if lay.kind == "conv"]
    for name, _, a in acts:
        if name not in convs:
            continue
        field = field_of(model, name)
        for f in range(3):
            per_image = a[..., f].reshape(40, -1).max(axis=1)
            order = np.argsort(-per_image, kind="stable")[:9]
            np.testing.assert_array_equal(arrays[f"{name}.images"][f], order)
            np.testing.assert_allclose(arrays[f"{name}.activations"][f], per_image[order])
            for k, i in enumerate(order):
                r, c = np.unravel_index(a[i, ..., f].argmax(), a.shape[1:3])
                top, left = field.window(r)[0], field.window(c)[0]
                assert tuple(arrays[f"{name}.windows"][f, k]) == (top, left)
                part = x[i, max(top, 0):top + field.size, max(left, 0):left + field.size]
                stored = arrays[f"{name}.patches"][f, k]
                np.testing.assert_array_equal(stored[:part.shape[0], :part.shape[1]], part)
    assert [lay["layer"] for lay in result["meta"]["layers"]] == convs
    assert [lay["shown"] for lay in result["meta"]["layers"]] == [3] * len(convs)


def test_shipped_patches_fit_the_budget():
    sizes = [(MODELS_DIR / f"{n}.patches.npz").stat().st_size for n in ("lenet", "convnet")]
    assert sum(sizes) < 5_000_000
    for name in ("lenet", "convnet"):
        meta, _ = top_patches.load(MODELS_DIR / f"{name}.patches.npz")
        assert meta["fingerprint"] == top_patches.fingerprint(load_model(name))
        assert meta["searched"] == 45000


def test_the_command(tmp_path):
    data = picture_folder(tmp_path / "data", 12, seed=1)
    models = lenet_copy(tmp_path / "models", 20, 4)
    assert top_patches.main(["--model", "lenet", "--data", str(data),
                             "--models-dir", str(models)]) == 0
    meta, arrays = top_patches.load(models / "lenet.patches.npz")
    assert meta["searched"] == 20 and arrays["conv2.patches"].shape == (16, 9, 14, 14, 3)
    train, val = held_out_split(load_model("lenet", models), 24)
    for name in ("conv1", "conv2"):  # indices into the folder; its validation part unsearched
        assert set(arrays[f"{name}.images"].ravel()) <= set(train)
        assert not set(arrays[f"{name}.images"].ravel()) & set(val)
