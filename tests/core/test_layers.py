"""Every layer's backward against central finite differences (float64), and forwards
against independent references (scipy.signal.correlate, hand-computed cases)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.signal import correlate

from cnn_core.conv import conv2d_backward, conv2d_forward
from cnn_core.geometry import GeometryError
from cnn_core.layers import (
    BatchNorm,
    Dense,
    Flatten,
    ReLU,
    avg_pool2d,
    batchnorm_backward,
    batchnorm_forward,
    conv2d,
    dense_backward,
    dense_forward,
    max_pool2d,
    softmax,
    softmax_cross_entropy,
)
from cnn_core.pool import avg_pool_backward, avg_pool_forward, max_pool_backward, max_pool_forward


def numerical_grad(f, x, dout, eps=1e-6):
    """d(sum(f(x) * dout))/dx by central differences, one element at a time."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        plus = (f(x) * dout).sum()
        x[i] = old - eps
        minus = (f(x) * dout).sum()
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def reference_conv(x, w, b, stride, padding, dilation):
    """Per-image, per-filter sum over channels of scipy's 2-D cross-correlation."""
    N, H, W, C = x.shape
    F, kh, kw, _ = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    # dilate the kernel by inserting zeros between taps
    wd = np.zeros((F, dilation * (kh - 1) + 1, dilation * (kw - 1) + 1, C))
    wd[:, ::dilation, ::dilation, :] = w
    out = []
    for n in range(N):
        maps = []
        for f in range(F):
            full = sum(correlate(xp[n, :, :, c], wd[f, :, :, c], mode="valid") for c in range(C))
            maps.append(full[::stride, ::stride] + b[f])
        out.append(np.stack(maps, axis=-1))
    return np.stack(out)


CONV_CASES = [  # (H, W, C, F, k, stride, padding, dilation)
    (7, 7, 3, 2, 3, 1, 0, 1),
    (8, 6, 2, 3, 3, 2, 1, 1),
    (9, 9, 3, 2, 5, 1, 2, 1),
    (9, 8, 2, 2, 3, 1, 1, 2),
    (10, 10, 1, 1, 1, 3, 0, 1),
    (8, 8, 4, 2, 2, 2, 0, 1),
]


@pytest.mark.parametrize("H,W,C,F,k,stride,padding,dilation", CONV_CASES)
def test_conv2d_matches_scipy(H, W, C, F, k, stride, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, H, W, C)).astype(np.float32)
    w = rng.standard_normal((F, k, k, C)).astype(np.float32)
    b = rng.standard_normal(F).astype(np.float32)
    got = conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    want = reference_conv(x.astype(np.float64), w, b, stride, padding, dilation)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("H,W,C,F,k,stride,padding,dilation", CONV_CASES)
def test_conv2d_backward_matches_finite_differences(H, W, C, F, k, stride, padding, dilation):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, H, W, C))
    w = rng.standard_normal((F, k, k, C))
    b = rng.standard_normal(F)
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv2d_backward(dout, cache)

    def fwd(xx, ww, bb):
        return conv2d_forward(xx, ww, bb, stride, padding, dilation)[0]

    np.testing.assert_allclose(dx, numerical_grad(lambda v: fwd(v, w, b), x, dout), atol=1e-6)
    np.testing.assert_allclose(dw, numerical_grad(lambda v: fwd(x, v, b), w, dout), atol=1e-6)
    np.testing.assert_allclose(db, numerical_grad(lambda v: fwd(x, w, v), b, dout), atol=1e-6)


def test_all_ones_filter_on_constant_image_gives_75c_plus_b():
    x = np.full((32, 32, 3), 0.5, np.float32)
    w = np.ones((1, 5, 5, 3), np.float32)
    out = conv2d(x, w, np.array([0.25], np.float32))
    assert out.shape == (28, 28, 1)
    assert np.all(out == np.float32(75 * 0.5 + 0.25))


def test_six_filters_on_32x32x3_give_a_28x28x6_volume():
    out = conv2d(np.zeros((2, 32, 32, 3)), np.zeros((6, 5, 5, 3)))
    assert out.shape == (2, 28, 28, 6)


def test_kernel_larger_than_padded_input_raises_with_formula():
    with pytest.raises(GeometryError, match=r"\(4 − 5 \+ 2·0\)/1 \+ 1"):
        conv2d(np.zeros((4, 4, 3)), np.zeros((1, 5, 5, 3)))


def test_conv2d_rejects_channel_mismatch():
    with pytest.raises(ValueError, match="equal C"):
        conv2d(np.zeros((8, 8, 3)), np.zeros((1, 3, 3, 2)))


POOL_CASES = [(2, None), (3, 1), (3, 2), (2, 1)]


@pytest.mark.parametrize("size,stride", POOL_CASES)
def test_max_pool_matches_window_max(size, stride):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 8, 3)).astype(np.float32)
    got = max_pool2d(x, size, stride)
    s = stride or size
    Hp, Wp = (7 - size) // s + 1, (8 - size) // s + 1
    want = np.array([[[[x[n, r * s:r * s + size, c * s:c * s + size, ch].max() for ch in range(3)]
                       for c in range(Wp)] for r in range(Hp)] for n in range(2)])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(avg_pool2d(x, size, stride), np.array(
        [[[[x[n, r * s:r * s + size, c * s:c * s + size, ch].mean() for ch in range(3)]
           for c in range(Wp)] for r in range(Hp)] for n in range(2)]), rtol=1e-5, atol=1e-6)


def test_max_pool_halves_28x28x6():
    assert max_pool2d(np.zeros((28, 28, 6))).shape == (14, 14, 6)


@pytest.mark.parametrize("tiles", [1, 1000])  # the tiles path (stride = size) from C channels
@pytest.mark.parametrize("size,stride", POOL_CASES)
def test_pool_backward_matches_finite_differences(monkeypatch, size, stride, tiles):
    import cnn_core.pool

    monkeypatch.setattr(cnn_core.pool, "TILES_MIN_CHANNELS", tiles)
    rng = np.random.default_rng(3)
    # distinct values: a max's gradient is undefined at ties
    x = rng.permutation(2 * 6 * 7 * 2).reshape(2, 6, 7, 2).astype(np.float64) / 10
    out, cache = max_pool_forward(x, size, stride)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(max_pool_backward(dout, cache), numerical_grad(
        lambda v: max_pool_forward(v, size, stride)[0], x, dout), atol=1e-6)
    out, cache = avg_pool_forward(x, size, stride)
    np.testing.assert_allclose(avg_pool_backward(dout, cache), numerical_grad(
        lambda v: avg_pool_forward(v, size, stride)[0], x, dout), atol=1e-6)


def test_max_pool_ties_route_gradient_once_to_first():
    x = np.ones((1, 2, 2, 1))
    out, cache = max_pool_forward(x, 2, 2)
    dx = max_pool_backward(np.array([[[[5.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[5.0, 0.0], [0.0, 0.0]])


def test_relu_forward_backward():
    layer = ReLU("relu")
    x = np.array([[-1.0, 0.0, 2.0]], np.float32)
    np.testing.assert_array_equal(layer.forward(x), [[0, 0, 2]])
    np.testing.assert_array_equal(layer.backward(np.array([[3.0, 3.0, 3.0]])), [[0, 0, 3]])


def test_dense_backward_matches_finite_differences():
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((3, 5)), rng.standard_normal((5, 4)), rng.standard_normal(4)
    out, cache = dense_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = dense_backward(dout, cache)
    np.testing.assert_allclose(dx, numerical_grad(lambda v: dense_forward(v, w, b)[0], x, dout),
                               atol=1e-6)
    np.testing.assert_allclose(dw, numerical_grad(lambda v: dense_forward(x, v, b)[0], w, dout),
                               atol=1e-6)
    np.testing.assert_allclose(db, numerical_grad(lambda v: dense_forward(x, w, v)[0], b, dout),
                               atol=1e-6)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3, 2)])
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_backward_matches_finite_differences(shape, train):
    # train: through the batch statistics; inference (saliency): through running ones
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape) * 2 + 3  # a mean well away from 0
    C = shape[-1]
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    mean, var = rng.standard_normal(C), rng.random(C) + 0.5

    def fwd(xx, g, bt):
        return batchnorm_forward(xx, g, bt, mean.copy(), var.copy(), train=train)[0]

    out, cache = batchnorm_forward(x, gamma, beta, mean.copy(), var.copy(), train=train)
    dout = rng.standard_normal(out.shape)
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    np.testing.assert_allclose(dx, numerical_grad(lambda v: fwd(v, gamma, beta), x, dout),
                               atol=1e-5)
    np.testing.assert_allclose(dgamma, numerical_grad(lambda v: fwd(x, v, beta), gamma, dout),
                               atol=1e-5)
    np.testing.assert_allclose(dbeta, numerical_grad(lambda v: fwd(x, gamma, v), beta, dout),
                               atol=1e-5)


def test_batchnorm_normalizes_in_training_and_uses_running_stats_after():
    layer = BatchNorm("bn")
    layer.build((2,), np.random.default_rng(0))
    x = np.array([[1.0, 10.0], [3.0, 30.0]], np.float32)
    out = layer.forward(x, train=True)
    np.testing.assert_allclose(out, [[-1, -1], [1, 1]], atol=1e-3)
    np.testing.assert_allclose(layer.buffers["running_mean"], [0.2, 2.0], rtol=1e-6)
    # inference uses the running statistics, not the batch's
    np.testing.assert_allclose(layer.forward(np.array([[0.2, 2.0]], np.float32)), [[0, 0]],
                               atol=1e-6)


def test_batchnorm_running_var_moves_toward_the_batch_variance():
    layer = BatchNorm("bn")
    layer.build((2,), np.random.default_rng(0))
    x = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0]], np.float32)  # variances 8/3, 800/3
    layer.forward(x, train=True)
    # running ← 0.9·running + 0.1·batch, from 1: 0.9 + 0.1·var (biased, over the batch)
    np.testing.assert_allclose(layer.buffers["running_var"], [0.9 + 0.8 / 3, 0.9 + 80 / 3],
                               rtol=1e-6)
    for _ in range(200):
        layer.forward(x, train=True)
    np.testing.assert_allclose(layer.buffers["running_var"], [8 / 3, 800 / 3], rtol=1e-6)
    np.testing.assert_allclose(layer.buffers["running_mean"], [3, 30], rtol=1e-6)
    # and inference then normalizes by it: the batch mean maps to β, one std above to β + γ
    out = layer.forward(np.array([[3 + np.sqrt(8 / 3), 30.0]], np.float32))
    np.testing.assert_allclose(out, [[1, 0]], atol=1e-4)
    # inference leaves the running statistics alone
    before = layer.buffers["running_var"].copy()
    layer.forward(x * 7)
    np.testing.assert_array_equal(layer.buffers["running_var"], before)


def test_flatten_round_trip_in_hwc_order():
    layer = Flatten("flat")
    x = np.arange(24, dtype=np.float32).reshape(2, 2, 3, 2)
    out = layer.forward(x)
    np.testing.assert_array_equal(out[1], np.arange(12, 24))
    np.testing.assert_array_equal(layer.backward(out), x)


def test_softmax_cross_entropy_against_hand_computed_and_finite_differences():
    logits = np.array([[0.0, np.log(3.0)]])  # probabilities 1/4, 3/4
    loss, d = softmax_cross_entropy(logits.copy(), np.array([1]))
    assert loss == pytest.approx(-np.log(0.75))
    np.testing.assert_allclose(d, [[0.25, -0.25]])
    rng = np.random.default_rng(6)
    z, y = rng.standard_normal((4, 5)), np.array([0, 3, 4, 1])
    _, dz = softmax_cross_entropy(z.copy(), y)
    num = numerical_grad(lambda v: np.array(softmax_cross_entropy(v.copy(), y)[0]), z,
                         np.array(1.0))
    np.testing.assert_allclose(dz, num, atol=1e-6)
    assert softmax(np.array([[1000.0, 1000.0]])).tolist() == [[0.5, 0.5]]


def test_label_smoothing_loss_by_hand_and_its_gradient_by_finite_differences():
    # K = 2, ε = 0.2: target (0.1, 0.9) for class 1; probabilities (1/4, 3/4)
    logits = np.array([[0.0, np.log(3.0)]])
    loss, d = softmax_cross_entropy(logits.copy(), np.array([1]), smoothing=0.2)
    assert loss == pytest.approx(-(0.1 * np.log(0.25) + 0.9 * np.log(0.75)))
    np.testing.assert_allclose(d, [[0.25 - 0.1, 0.75 - 0.9]])
    rng = np.random.default_rng(8)
    z, y = rng.standard_normal((4, 5)) * 3, np.array([0, 3, 4, 1])
    for eps in (0.1, 0.2):
        loss, dz = softmax_cross_entropy(z.copy(), y, smoothing=eps)
        # independent reference: −Σ q·log softmax, with q built explicitly
        q = np.full((4, 5), eps / 5)
        q[np.arange(4), y] += 1 - eps
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        assert loss == pytest.approx(-(q * logp).sum(1).mean(), rel=1e-12)
        num = numerical_grad(
            lambda v, e=eps: np.array(softmax_cross_entropy(v.copy(), y, smoothing=e)[0]), z,
            np.array(1.0))
        np.testing.assert_allclose(dz, num, atol=1e-7)
    # ε = 0 is the plain cross-entropy
    assert softmax_cross_entropy(z.copy(), y, 0.0)[0] == softmax_cross_entropy(z.copy(), y)[0]


def test_global_average_pool_backward_matches_finite_differences():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 4, 3))
    out, cache = avg_pool_forward(x, 4, 4)
    assert out.shape == (2, 1, 1, 3)
    np.testing.assert_allclose(out[:, 0, 0], x.mean(axis=(1, 2)))
    dout = rng.standard_normal(out.shape)
    np.testing.assert_allclose(avg_pool_backward(dout, cache),
                               numerical_grad(lambda v: avg_pool_forward(v, 4, 4)[0], x, dout),
                               atol=1e-7)


def test_layer_wrappers_fill_grads():
    rng = np.random.default_rng(7)
    layer = Dense("fc", 3)
    layer.build((4,), rng)
    assert layer.param_count == 4 * 3 + 3
    out = layer.forward(rng.standard_normal((2, 4)).astype(np.float32), train=True)
    layer.backward(np.ones_like(out))
    assert layer.grads["w"].shape == (4, 3)
    np.testing.assert_array_equal(layer.grads["b"], [2, 2, 2])


def reference_conv_grads(x, w, dout, stride, padding, dilation):
    """dx, dw of sum(conv(x, w) * dout) by direct sums over the kernel taps (float64)."""
    F, kh, kw, C = w.shape
    _, Ho, Wo, _ = dout.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dilation, j * dilation
            rows = slice(r, r + stride * (Ho - 1) + 1, stride)
            cols = slice(c, c + stride * (Wo - 1) + 1, stride)
            dw[:, i, j, :] = np.einsum("nhwf,nhwc->fc", dout, xp[:, rows, cols])
            dxp[:, rows, cols] += np.einsum("nhwf,fc->nhwc", dout, w[:, i, j, :])
    H, W = x.shape[1:3]
    return dxp[:, padding:padding + H, padding:padding + W], dw


BLOCK_CASES = [  # (N, H, W, C, F, k, stride, padding, dilation): odd sizes, every path
    (3, 11, 9, 2, 4, 3, 1, 0, 1),  # few channels: flat planes
    (3, 11, 9, 3, 4, 3, 1, 2, 2),
    (2, 10, 13, 3, 5, 5, 1, 2, 1),
    (2, 13, 17, 1, 5, 3, 1, 2, 3),  # one channel, dilation 3: kernel rows 3·Wp apart
    (3, 9, 23, 4, 2, 5, 1, 0, 1),  # four channels, blocks of rows across images
    (2, 9, 10, 3, 17, 3, 1, 1, 1),  # few channels, many filters: channels-last blocks
    (3, 11, 9, 5, 4, 3, 1, 1, 1),  # more channels: channels-last blocks
    (2, 9, 12, 6, 3, 3, 1, 0, 2),
    (3, 11, 9, 2, 4, 3, 2, 1, 1),  # stride 2: channels-last blocks, col2im
    (2, 12, 11, 7, 3, 3, 3, 2, 1),
    (2, 7, 8, 3, 2, 1, 1, 1, 1),   # padding beyond the kernel's reach: col2im
]


@pytest.mark.parametrize("flip", [1, 1000])  # dX: as a conv of dout when C ≥ flip, col2im
@pytest.mark.parametrize("block", [64, 700, 1 << 18])
@pytest.mark.parametrize("N,H,W,C,F,k,stride,padding,dilation", BLOCK_CASES)
def test_blocked_conv_forward_and_backward_match_references(monkeypatch, block, flip, N, H, W,
                                                            C, F, k, stride, padding, dilation):
    # tiny blocks force row-by-row and slice-by-slice blocks, middling ones whole images
    import cnn_core.conv

    monkeypatch.setattr(cnn_core.conv, "CHUNK_FLOATS", block)
    monkeypatch.setattr(cnn_core.conv, "MIN_ROWS", 1)
    monkeypatch.setattr(cnn_core.conv, "FLIP_MIN_CHANNELS", flip)
    # flip = 1000: col2im for every case (no flipped conv for few filters either)
    monkeypatch.setattr(cnn_core.conv, "FLIP_MAX_FILTERS", 8 if flip == 1 else 0)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((N, H, W, C)).astype(np.float32)
    w = rng.standard_normal((F, k, k, C)).astype(np.float32)
    b = rng.standard_normal(F).astype(np.float32)
    opts = dict(stride=stride, padding=padding, dilation=dilation)
    want = reference_conv(x.astype(np.float64), w, b, stride, padding, dilation)
    np.testing.assert_allclose(conv2d(x, w, b, **opts), want, rtol=1e-5, atol=1e-5)
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dx, dw, db = conv2d_backward(dout, cache)
    want_dx, want_dw = reference_conv_grads(x.astype(np.float64), w.astype(np.float64),
                                            dout.astype(np.float64), stride, padding, dilation)
    assert dx.shape == x.shape and dx.dtype == np.float32 and dw.dtype == np.float32
    np.testing.assert_allclose(dx, want_dx, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw, want_dw, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 1, 2)), rtol=1e-5, atol=1e-5)
    none, dw2, _ = conv2d_backward(dout, cache, need_dx=False)
    assert none is None
    np.testing.assert_array_equal(dw2, dw)


@settings(max_examples=40, deadline=None)
@given(N=st.integers(1, 2), H=st.integers(1, 9), W=st.integers(1, 9), C=st.integers(1, 4),
       F=st.integers(1, 3), k=st.integers(1, 4), stride=st.integers(1, 3),
       padding=st.integers(0, 2), dilation=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_conv2d_matches_scipy_on_random_shapes(N, H, W, C, F, k, stride, padding, dilation, seed):
    k_eff = dilation * (k - 1) + 1
    assume(k_eff <= H + 2 * padding and k_eff <= W + 2 * padding)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, H, W, C)).astype(np.float32)
    w = rng.standard_normal((F, k, k, C)).astype(np.float32)
    b = rng.standard_normal(F).astype(np.float32)
    got = conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    want = reference_conv(x.astype(np.float64), w, b, stride, padding, dilation)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def reference_max_pool_backward(x, dout, size, stride):
    """Per window, in a plain loop: the gradient goes to the first maximum (np.argmax)."""
    dx = np.zeros(x.shape)
    N, Hp, Wp, C = dout.shape
    for n in range(N):
        for r in range(Hp):
            for c in range(Wp):
                for ch in range(C):
                    win = x[n, r * stride:r * stride + size, c * stride:c * stride + size, ch]
                    i, j = np.unravel_index(np.argmax(win), win.shape)
                    dx[n, r * stride + i, c * stride + j, ch] += dout[n, r, c, ch]
    return dx


@pytest.mark.parametrize("tiles", [1, 1000])  # the tiles path from this many channels
@pytest.mark.parametrize("H,W,size,stride", [(8, 8, 2, 2), (7, 9, 2, 2), (9, 10, 3, 3),
                                             (6, 7, 1, 1), (8, 7, 3, 2), (8, 9, 2, 3)])
def test_max_pool_backward_with_ties_matches_first_argmax(monkeypatch, H, W, size, stride,
                                                          tiles):
    import cnn_core.pool

    monkeypatch.setattr(cnn_core.pool, "TILES_MIN_CHANNELS", tiles)
    # ReLU'd small integers: most windows hold ties (all-zero ones above all)
    rng = np.random.default_rng(11)
    x = np.maximum(rng.integers(-3, 3, (3, H, W, 4)), 0).astype(np.float32)
    out, cache = max_pool_forward(x, size, stride)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    dx = max_pool_backward(dout, cache)
    assert dx.dtype == np.float32 and dx.shape == x.shape
    np.testing.assert_allclose(dx, reference_max_pool_backward(x, dout, size, stride), atol=1e-6)


@pytest.mark.parametrize("block", [64, 1 << 16])  # blocks of rows: many, or one
@pytest.mark.parametrize("shape", [(64, 8, 8, 4), (3000, 2)])
def test_batchnorm_statistics_keep_float32_precision_far_from_zero(monkeypatch, shape, block):
    # inputs ~1000 ± 0.1: E[x²] − μ² in float32 cancels to noise (ulp(10⁶) = 0.06 ≫ σ² = 0.01)
    import cnn_core.batchnorm

    monkeypatch.setattr(cnn_core.batchnorm, "BN_CHUNK", block)
    rng = np.random.default_rng(12)
    x64 = 1000 + 0.1 * rng.standard_normal(shape) + np.arange(shape[-1])
    x = x64.astype(np.float32)
    C, axes = shape[-1], tuple(range(len(shape) - 1))
    want_mean, want_var = x.astype(np.float64).mean(axes), x.astype(np.float64).var(axes)
    gamma, beta = np.full(C, 2, np.float32), np.full(C, 0.5, np.float32)
    mean, var = np.zeros(C, np.float32), np.zeros(C, np.float32)
    out, cache = batchnorm_forward(x, gamma, beta, mean, var, train=True, momentum=0.0)
    np.testing.assert_allclose(var, want_var, rtol=1e-3)
    np.testing.assert_allclose(mean, want_mean, rtol=1e-6)
    want_out = (x - want_mean) / np.sqrt(want_var + 1e-5) * 2 + 0.5
    np.testing.assert_allclose(out, want_out, atol=2e-3)
    # and the backward: dγ = Σ dout·x̂, dx of the batch statistics (float64 formulas)
    dout = rng.standard_normal(shape).astype(np.float32)
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    xhat = (x - want_mean) / np.sqrt(want_var + 1e-5)
    d64 = dout.astype(np.float64)
    want_dgamma = (d64 * xhat).sum(axes)
    m = x.size // C
    want_dx = 2 / np.sqrt(want_var + 1e-5) * (d64 - d64.sum(axes) / m - xhat * want_dgamma / m)
    np.testing.assert_allclose(dgamma, want_dgamma, rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(dbeta, d64.sum(axes), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-3, atol=1e-2)
