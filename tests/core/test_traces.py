"""Teaching traces against a hand-written dot product, the vectorized layers and known cases."""

import numpy as np
import pytest

from cnn_core.geometry import GeometryError
from cnn_core.layers import avg_pool2d, conv2d, max_pool2d
from cnn_core.traces import conv_step, pool_step

# (H, W, C, kh, kw, stride, padding, dilation): square and not, every option on its own and mixed
CASES = [
    (7, 7, 3, 3, 3, 1, 0, 1),
    (8, 6, 2, 3, 3, 2, 1, 1),
    (9, 9, 3, 3, 3, 1, 2, 2),
    (6, 7, 1, 2, 3, 3, 2, 1),
    (10, 8, 4, 3, 2, 2, 0, 3),
    (5, 5, 3, 5, 5, 1, 2, 1),
]


def random_case(H, W, C, kh, kw, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((H, W, C), dtype=np.float32)
    w = rng.standard_normal((kh, kw, C)).astype(np.float32)
    return x, w, float(rng.standard_normal())


def direct_patch(x, kh, kw, row, col, stride, padding, dilation):
    """The window read from an explicitly zero-padded copy of x, with a slice per axis."""
    xp = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
    top, left = row * stride, col * stride
    return xp[
        top : top + dilation * (kh - 1) + 1 : dilation,
        left : left + dilation * (kw - 1) + 1 : dilation,
    ]


@pytest.mark.parametrize("H, W, C, kh, kw, stride, padding, dilation", CASES)
def test_conv_step_agrees_with_direct_sum_and_conv2d_everywhere(
    H, W, C, kh, kw, stride, padding, dilation
):
    x, w, b = random_case(H, W, C, kh, kw)
    opts = {"stride": stride, "padding": padding, "dilation": dilation}
    out = conv2d(x, w[None], np.array([b], np.float32), **opts)[:, :, 0]
    assert out.size > 1
    for row in range(out.shape[0]):
        for col in range(out.shape[1]):
            t = conv_step(x, w, b, row=row, col=col, **opts)
            patch = direct_patch(x, kh, kw, row, col, **opts)
            np.testing.assert_array_equal(t["patch"], patch)
            np.testing.assert_array_equal(t["weights"], w)
            np.testing.assert_array_equal(t["products"], w * patch)
            reference = (w.astype(np.float64) * patch).sum(axis=(0, 1))
            np.testing.assert_allclose(t["channel_sums"], reference, rtol=1e-6, atol=1e-7)
            assert t["value"] == pytest.approx(reference.sum() + b, rel=1e-6, abs=1e-6)
            assert t["value"] == pytest.approx(float(out[row, col]), rel=1e-5, abs=1e-5)
            assert t["bias"] == np.float32(b)


def test_conv_step_arrays_are_float32_with_the_documented_shapes():
    x, w, b = random_case(6, 6, 3, 3, 3)
    t = conv_step(x, w, b, row=1, col=2)
    for key in ("patch", "weights", "products"):
        assert t[key].dtype == np.float32 and t[key].shape == (3, 3, 3)
    assert t["channel_sums"].dtype == np.float32 and t["channel_sums"].shape == (3,)
    assert isinstance(t["value"], float) and isinstance(t["bias"], float)


def test_window_lists_the_input_rows_and_cols_including_padding_and_dilation():
    x, w, b = random_case(8, 8, 1, 3, 3)
    t = conv_step(x, w, b, row=0, col=2, stride=2, padding=2, dilation=2)
    assert t["window"] == {"top": -2, "left": 2, "rows": [-2, 0, 2], "cols": [2, 4, 6]}


def test_all_ones_filter_on_a_constant_image_gives_75c_plus_b():
    c, b = 0.25, 0.5
    x = np.full((32, 32, 3), c, np.float32)
    t = conv_step(x, np.ones((5, 5, 3), np.float32), b, row=13, col=27)
    assert t["value"] == 75 * c + b == 19.25
    np.testing.assert_array_equal(t["channel_sums"], [25 * c] * 3)
    assert t["products"].size == 75


def test_padding_cells_are_zero_in_the_patch():
    x = np.ones((6, 6, 3), np.float32)
    t = conv_step(x, np.ones((5, 5, 3), np.float32), 0.0, row=0, col=0, padding=2)
    assert t["window"]["rows"] == [-2, -1, 0, 1, 2]
    assert (t["patch"][:2] == 0).all() and (t["patch"][:, :2] == 0).all()
    assert (t["patch"][2:, 2:] == 1).all()
    assert t["value"] == 3 * 3 * 3  # only the taps on the image count


@pytest.mark.parametrize(
    "row, col, message",
    [
        (30, 0, "row 30 is outside the 28×28 output map"),
        (0, 28, "col 28 is outside the 28×28 output map"),
        (-1, 3, "row -1 is outside the 28×28 output map"),
    ],
)
def test_position_outside_the_output_map_is_an_error(row, col, message):
    x, w, b = random_case(32, 32, 3, 5, 5)
    with pytest.raises(ValueError, match=message):
        conv_step(x, w, b, row=row, col=col)


def test_kernel_larger_than_the_padded_input_is_a_geometry_error():
    x, w, b = random_case(4, 4, 3, 5, 5)
    with pytest.raises(GeometryError, match="larger than the padded input"):
        conv_step(x, w, b, row=0, col=0)


def test_filter_channels_must_match_the_image():
    x, _, b = random_case(6, 6, 3, 3, 3)
    with pytest.raises(ValueError, match="got"):
        conv_step(x, np.ones((3, 3, 1), np.float32), b, row=0, col=0)


@pytest.mark.parametrize("size, stride", [(2, None), (2, 1), (3, 2), (3, 3), (1, 1)])
def test_pool_step_agrees_with_the_pooling_layers_everywhere(size, stride):
    fmap = np.random.default_rng(1).standard_normal((9, 8)).astype(np.float32)
    pooled_max = max_pool2d(fmap[:, :, None], size, stride)[:, :, 0]
    pooled_avg = avg_pool2d(fmap[:, :, None], size, stride)[:, :, 0]
    s = size if stride is None else stride
    for row in range(pooled_max.shape[0]):
        for col in range(pooled_max.shape[1]):
            window = fmap[row * s : row * s + size, col * s : col * s + size]
            t = pool_step(fmap, row=row, col=col, size=size, stride=stride)
            np.testing.assert_array_equal(t["values"], window)
            assert t["value"] == window.max() == pooled_max[row, col]
            r, c = t["argmax"]
            assert fmap[r, c] == window.max()
            assert t["window"]["rows"] == list(range(row * s, row * s + size))
            assert t["window"]["cols"] == list(range(col * s, col * s + size))
            a = pool_step(fmap, row=row, col=col, size=size, stride=stride, op="avg")
            assert a["value"] == pytest.approx(float(window.mean(dtype=np.float64)), rel=1e-6)
            assert a["value"] == pytest.approx(float(pooled_avg[row, col]), rel=1e-5, abs=1e-6)
            assert a["argmax"] is None


def test_pool_argmax_is_in_map_coordinates_and_ties_go_to_the_first_in_row_major_order():
    fmap = np.zeros((4, 4), np.float32)
    fmap[2:4, 2:4] = [[1.0, 3.0], [3.0, 2.0]]
    t = pool_step(fmap, row=1, col=1)
    assert t["value"] == 3.0
    assert t["argmax"] == [2, 3]  # (2, 3) comes before (3, 2)
    assert pool_step(fmap, row=0, col=0)["argmax"] == [0, 0]  # all four equal: the top-left


def test_pool_step_errors():
    fmap = np.zeros((28, 28), np.float32)
    with pytest.raises(ValueError, match="row 14 is outside the 14×14 pooled map"):
        pool_step(fmap, row=14, col=0)
    with pytest.raises(ValueError, match="op must be 'max' or 'avg'"):
        pool_step(fmap, row=0, col=0, op="min")
    with pytest.raises(ValueError, match=r"2-D feature map"):
        pool_step(np.zeros((4, 4, 1)), row=0, col=0)
