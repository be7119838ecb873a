"""The clean-filter criterion on hand-made filters, and its DCT against scipy's."""

import numpy as np
import pytest
from scipy.fft import dctn

from cnn_core.filter_quality import (
    clean,
    colour_share,
    dct_matrix,
    null_percentiles,
    smooth_share,
    summary,
)

yy, xx = np.mgrid[-2:3, -2:3].astype(float)
BLOB = np.exp(-(xx**2 + yy**2) / 4)  # a soft 5×5 spot
EDGE = np.tanh(xx)  # dark left, light right
GREEN, GREY = np.array([0.1, 1.0, 0.2]), np.array([1.0, 1.0, 1.0])


def bank(*filters):
    return np.stack(filters).astype(np.float32)


def test_dct_matrix_is_scipys_orthonormal_dct_ii():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 5))
    d = dct_matrix(5)
    np.testing.assert_allclose(d @ x @ d.T, dctn(x, type=2, norm="ortho"), atol=1e-12)
    np.testing.assert_allclose(d @ d.T, np.eye(5), atol=1e-12)


def test_smooth_share_by_hand_and_against_scipy():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 5, 5, 3))
    c = np.stack([dctn(w[f, :, :, ch], norm="ortho") for f in range(3) for ch in range(3)])
    c = c.reshape(3, 3, 5, 5)
    low = np.add.outer(np.arange(5), np.arange(5)) <= 2
    expected = (c[:, :, low] ** 2).sum((1, 2)) / (c**2).sum((1, 2, 3))
    np.testing.assert_allclose(smooth_share(w), expected, rtol=1e-12)
    # a constant filter is all DC; the highest DCT frequency (4, 4) has none low
    top = np.outer(dct_matrix(5)[4], dct_matrix(5)[4])
    np.testing.assert_allclose(smooth_share(bank(np.ones((5, 5, 3)), top[..., None] * GREY)),
                               [1.0, 0.0], atol=1e-12)
    # a ±1 checkerboard is nearly that: 1 % of its energy leaks low (5 is odd)
    checker = (-1.0) ** (xx + yy)
    assert smooth_share(bank(checker[..., None] * GREY))[0] < 0.02


def test_colour_share_by_hand():
    one = BLOB[..., None] * GREEN  # exactly one pattern times one colour
    # two orthogonal patterns of equal energy in two channels: half each
    a, b = np.zeros((5, 5)), np.zeros((5, 5))
    a[0, 0], b[4, 4] = 1.0, 1.0
    two = np.stack([a, b, np.zeros((5, 5))], axis=-1)
    np.testing.assert_allclose(colour_share(bank(one, two)), [1.0, 0.5], atol=1e-6)


def test_hand_made_clean_filters_pass_and_noisy_ones_fail():
    rng = np.random.default_rng(2)
    blob = BLOB[..., None] * GREEN
    edge = EDGE[..., None] * GREY
    slightly_noisy_edge = edge + 0.05 * rng.standard_normal(edge.shape)
    noise = rng.standard_normal((5, 5, 3))
    blob_plus_noise = blob + 0.5 * rng.standard_normal(blob.shape)
    checker = ((-1.0) ** (xx + yy))[..., None] * GREY
    two_colours = np.stack([np.where(yy < 0, 1.0, 0), np.where(yy > 0, 1.0, 0),
                            np.zeros((5, 5))], axis=-1)  # red top, green bottom: smooth
    w = bank(blob, edge, slightly_noisy_edge, noise, blob_plus_noise, checker, two_colours)
    assert clean(w).tolist() == [True, True, True, False, False, False, False]
    s = summary(w)
    assert (s["filters"], s["clean"]) == (7, 3)
    assert s["smooth_share"][6] >= 0.7 > s["colour_share"][6]  # smooth, but two colours
    assert s["colour_share"][5] == pytest.approx(1.0) and s["smooth_share"][5] < 0.02
    # the measures ignore scale: ×1000 or ×0.001 changes nothing
    np.testing.assert_array_equal(clean(w * 1000), clean(w))
    np.testing.assert_allclose(smooth_share(w * 1e-3), smooth_share(w), rtol=1e-6)


def test_thresholds_sit_above_what_random_filters_reach():
    null = null_percentiles(n=5000, q=(99.9,))
    assert null["colour"][0] < 0.75 and null["smooth"][0] < 0.6
    w = np.random.default_rng(3).standard_normal((5000, 5, 5, 3))
    assert clean(w).sum() == 0
