"""Receptive fields against brute force: which input pixels move a unit, layer by layer."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.explain import _forward
from cnn_core.layers import layer_from_config
from cnn_core.model import ARCHITECTURES, build_model, load_model
from cnn_core.receptive_field import Field, crop, field_of, receptive_fields, upsample

NETWORKS = ["lenet", "convnet"]


def _structural(model, upto: int) -> list:
    """The model's first upto+1 layers with one all-ones filter each, max pools made averages.

    Every path from a pixel to a unit then carries a positive weight, so a unit's input
    gradient is nonzero exactly on the pixels it can see: the brute-force field.
    """
    layers, shape = [], model.input_shape
    rng = np.random.default_rng(0)
    for lay in model.layers[: upto + 1]:
        config = lay.config()
        if config["kind"] == "pool":
            config["op"] = "avg"
        if config["kind"] == "conv":
            config["filters"] = 1  # every channel is alike: one is enough, and fast
        new = layer_from_config(config)
        shape = new.build(shape, rng)
        for key in new.params:
            new.params[key] = np.ones_like(new.params[key]) * (key != "b")
        layers.append(new)
    return layers


def _seen_pixels(model, upto: int) -> tuple[np.ndarray, tuple]:
    """(N units, H, W) booleans: which input pixels reach each unit (channel 0) of a layer."""
    layers = _structural(model, upto)
    h, w = layers[-1].output_shape[:2]
    n = h * w
    x = np.ones((n, *model.input_shape), np.float32)
    backs = []
    for lay in layers:
        x, back = _forward(lay, x)
        backs.append(back)
    d = np.zeros_like(x)
    d[np.arange(n), np.arange(n) // w, np.arange(n) % w, 0] = 1
    for back in reversed(backs):
        d = back(d)
    return np.abs(d).max(axis=-1) > 0, (h, w)


def _expected(field: Field, h: int, w: int, size: int) -> np.ndarray:
    out = np.zeros((h * w, size, size), bool)
    for n in range(h * w):
        (r0, r1), (c0, c1) = field.window(n // w), field.window(n % w)
        out[n, max(r0, 0):max(r1, 0), max(c0, 0):max(c1, 0)] = True
    return out


@pytest.mark.parametrize("name", NETWORKS)
def test_every_layer_matches_brute_force(name):
    for source in (load_model(name), build_model(name)):  # shipped (folded) and with batchnorm
        fields = receptive_fields(source)
        checked = 0
        for i, field in enumerate(fields):
            if field is None:
                continue
            if field.kind in ("relu", "batchnorm"):  # elementwise: the field before it
                assert field.as_dict() | {"layer": "", "kind": ""} == fields[i - 1].as_dict() | {
                    "layer": "", "kind": ""}
                continue
            seen, (h, w) = _seen_pixels(source, i)
            np.testing.assert_array_equal(seen, _expected(field, h, w, 32), err_msg=field.layer)
            checked += 1
        assert checked == sum(lay.kind in ("conv", "pool") for lay in source.layers)


def _fields(model) -> dict:
    return {f.layer: (f.size, f.jump, f.start) for f in receptive_fields(model) if f}


def test_the_numbers_by_hand():
    v1 = _fields(build_model("convnet-v1"))
    # conv1 5×5 pad 2; pool 2: +1; conv2 3×3 at jump 2: +4; pool: +2; conv3: +8; conv4: +8
    assert v1["conv1"] == (5, 1, -2) and v1["pool1"] == (6, 2, -2)
    assert v1["conv2"] == (10, 2, -4) and v1["conv3"] == (20, 4, -8)
    assert v1["conv4"] == (28, 4, -12) and v1["pool3"] == (32, 8, -12)
    deep = _fields(build_model("convnet"))
    # conv1 5×5 pad 2; conv2a 3×3: +2; pool2: +1, jump 2; conv2b: +4; conv3a: +4; pool3: +2,
    # jump 4; conv3b: +8; conv4a: +8; pool4: +4, jump 8; conv4b: +16
    assert deep["conv1"] == (5, 1, -2) and deep["conv2a"] == (7, 1, -3)
    assert deep["pool2"] == (8, 2, -3) and deep["conv2b"] == (12, 2, -5)
    assert deep["conv3a"] == (16, 2, -7) and deep["pool3"] == (18, 4, -7)
    assert deep["conv3b"] == (26, 4, -11) and deep["conv4a"] == (34, 4, -15)
    assert deep["pool4"] == (38, 8, -15) and deep["conv4b"] == (54, 8, -23)
    lenet = {f.layer: (f.size, f.jump, f.start) for f in receptive_fields(load_model("lenet")) if f}
    assert lenet["conv1"] == (5, 1, 0) and lenet["conv2"] == (14, 2, 0)


def test_strided_padded_layers_and_overlapping_pools_match_brute_force():
    layers = [{"name": "c1", "kind": "conv", "filters": 2, "size": 3, "stride": 2, "padding": 1},
              {"name": "p1", "kind": "pool", "op": "max", "size": 3, "stride": 2},
              {"name": "c2", "kind": "conv", "filters": 2, "size": 3, "padding": 1},
              {"name": "flatten", "kind": "flatten"}, {"name": "fc", "kind": "fc", "units": 2}]
    from cnn_core.model import Model
    model = Model(layers, input_shape=(32, 32, 3))
    fields = receptive_fields(model)
    assert fields[3] is None and fields[4] is None
    for i in range(3):
        seen, (h, w) = _seen_pixels(model, i)
        window = _expected(fields[i], h, w, 32)
        assert not (seen & ~window).any()
        # At the edges a unit may see less than its window: a padded unit of a deeper layer
        # stands where a picture pixel is, and this pool drops c1's last column. Inside, equal.
        rows = [n for n in range(h * w) if fields[i].window(n // w)[0] >= 0
                and fields[i].window(n % w)[0] >= 0 and fields[i].window(n // w)[1] <= 29
                and fields[i].window(n % w)[1] <= 29]
        assert rows
        np.testing.assert_array_equal(seen[rows], window[rows])
    assert (fields[2].size, fields[2].jump, fields[2].start) == (7 + 2 * 4, 4, -1 - 4)


@pytest.mark.parametrize("name", NETWORKS)
def test_the_real_network_never_reaches_outside_the_field(name):
    """Through ReLUs and max pools a unit sees at most its field (often less)."""
    model = load_model(name)
    x = np.random.default_rng(1).random((1, 32, 32, 3), dtype=np.float32)
    out, backs = (x - model.mean) / model.std, []
    for i, (lay, field) in enumerate(zip(model.layers, receptive_fields(model), strict=True)):
        out, back = _forward(lay, out)
        backs.append(back)
        if field is None or lay.kind != "conv":
            continue
        h, w, _ = out.shape[1:]
        for r, c in [(0, 0), (h // 2, w // 3), (h - 1, w - 1)]:
            d = np.zeros_like(out)
            d[0, r, c, 0] = 1
            for b in reversed(backs):
                d = b(d)
            reach = np.abs(d[0]).max(axis=-1) > 0
            (r0, r1), (c0, c1) = field.window(r), field.window(c)
            allowed = np.zeros((32, 32), bool)
            allowed[max(r0, 0):r1, max(c0, 0):c1] = True
            assert reach.any() and not (reach & ~allowed).any(), (lay.name, r, c)
        assert i < len(model.layers)


def test_crop_pads_at_the_edge_never_wraps():
    images = np.arange(2 * 32 * 32 * 3, dtype=np.int64).reshape(2, 32, 32, 3) % 251 + 1
    images = images.astype(np.uint8)
    field = field_of(build_model("convnet-v1"), "conv2")  # 10 pixels, jump 2, start -4
    patches = crop(images, field, np.array([0, 15]), np.array([0, 3]), fill=0)
    assert patches.shape == (2, 10, 10, 3)
    assert (patches[0, :4] == 0).all() and (patches[0, :, :4] == 0).all()
    np.testing.assert_array_equal(patches[0, 4:, 4:], images[0, :6, :6])
    # unit (15, 3): rows 26..35 (the last 4 padding), columns 2..11
    np.testing.assert_array_equal(patches[1, :6], images[1, 26:32, 2:12])
    assert (patches[1, 6:] == 0).all()


def test_upsample_is_linear_between_unit_centres():
    field = Field("x", "relu", 28, 4, -12)  # convnet's conv4: centres at 1.5, 5.5, …
    grid = np.random.default_rng(2).random((8, 8))
    out = upsample(grid, field, 32)
    centres = np.array([field.center(i) for i in range(8)])
    rows = np.array([np.interp(np.arange(32), centres, grid[:, j]) for j in range(8)]).T
    ref = np.array([np.interp(np.arange(32), centres, rows[i]) for i in range(32)])
    np.testing.assert_allclose(out, ref, rtol=1e-5)


def test_architectures_all_have_fields():
    for name in ARCHITECTURES:
        assert receptive_fields(build_model(name))[0].size > 1
