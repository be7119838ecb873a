"""Max and average pooling over H and W, each channel on its own: forward and backward.

Shapes (channels-last): x (N, H, W, C) → out (N, Hp, Wp, C), with
Hp = (H − size)/stride + 1 (no padding). Vectorized as a loop over the size²
window offsets: each offset is one strided slab (N, Hp, Wp, C), combined with
np.maximum (or summed), so no Python loop touches a pixel.
"""

from __future__ import annotations

import numpy as np

from cnn_core.geometry import output_size

# Tiles pay from this many channels (their broadcasts' inner loops run over C): 128×32×32×64
# took 14 ms against 26 by slabs, 64×28×28×6 1.0 ms against 0.5.
TILES_MIN_CHANNELS = 16


def _slabs(shape: tuple, size: int, stride: int):
    """Yield (i, j, index) per window offset: x[index][n, r, c] = x[n, r·stride+i, c·stride+j]."""
    Hp = output_size(shape[1], size, stride=stride)
    Wp = output_size(shape[2], size, stride=stride)
    for i in range(size):
        for j in range(size):
            yield i, j, (slice(None), slice(i, i + stride * (Hp - 1) + 1, stride),
                         slice(j, j + stride * (Wp - 1) + 1, stride))


def max_pool_forward(x: np.ndarray, size: int = 2, stride: int | None = None):
    """x (N,H,W,C) → (out (N,Hp,Wp,C), cache)."""
    stride = stride or size
    out = None
    for _, _, idx in _slabs(x.shape, size, stride):
        out = x[idx].copy() if out is None else np.maximum(out, x[idx], out=out)
    return out, (x, out, size, stride)


def max_pool_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Route each window's gradient to its maximum; on ties, to the first in row-major order."""
    x, out, size, stride = cache
    if stride == size and x.shape[3] >= TILES_MIN_CHANNELS:
        return _max_pool_backward_tiles(dout, x, out, size)
    dx = np.zeros_like(x)
    unrouted = np.ones(out.shape, dtype=bool)
    hit = np.empty(out.shape, dtype=bool)
    for _, _, idx in _slabs(x.shape, size, stride):
        np.equal(x[idx], out, out=hit)
        hit &= unrouted
        unrouted ^= hit  # hit ⊆ unrouted: this clears the routed windows
        if stride >= size:  # disjoint windows: each pixel is written once
            np.multiply(dout, hit, out=dx[idx])
        else:  # overlapping windows share pixels: accumulate
            dx[idx] += dout * hit
    return dx


def _max_pool_backward_tiles(dout, x, out, s):
    """Windows that tile the input (stride = size): viewed as (N, Hp, s, Wp, s, C), the
    maxima are where x equals its window's max broadcast; ties (more hits than windows,
    common after a ReLU) are then cleared after the first hit in row-major order (what the
    forward's argmax picks), and one broadcast multiply writes dx. Rows and columns past the
    last window get zero."""
    N, H, W, C = x.shape
    _, Hp, Wp, _ = out.shape
    tiles = x[:, :Hp * s, :Wp * s].reshape(N, Hp, s, Wp, s, C)
    hit = tiles == out[:, :, None, :, None, :]
    if s > 1 and np.count_nonzero(hit) > out.size:  # ties: keep a hit only where no
        seen = hit[:, :, 0, :, 0].copy()              # earlier offset of its window hit
        offsets = [(i, j) for i in range(s) for j in range(s)][1:]
        for n, (i, j) in enumerate(offsets):
            h = hit[:, :, i, :, j]
            np.greater(h, seen, out=h)  # h and not seen
            if n < len(offsets) - 1:
                seen |= h
    dtype = np.result_type(x.dtype, dout.dtype)
    covered = Hp * s == H and Wp * s == W
    dx = np.empty(x.shape, dtype) if covered else np.zeros(x.shape, dtype)
    grad = dx[:, :Hp * s, :Wp * s].reshape(N, Hp, s, Wp, s, C)
    assert np.may_share_memory(grad, dx)  # a view: the multiply writes dx itself
    np.multiply(hit, dout[:, :, None, :, None, :], out=grad)
    return dx


def avg_pool_forward(x: np.ndarray, size: int = 2, stride: int | None = None):
    """x (N,H,W,C) → (out (N,Hp,Wp,C), cache)."""
    stride = stride or size
    out = None
    for _, _, idx in _slabs(x.shape, size, stride):
        out = x[idx].copy() if out is None else np.add(out, x[idx], out=out)
    out *= np.float32(1.0 / (size * size))
    return out, (x.shape, x.dtype, size, stride)


def avg_pool_backward(dout: np.ndarray, cache) -> np.ndarray:
    """Each input pixel gets 1/size² of the gradient of every window it is in."""
    shape, dtype, size, stride = cache
    dx = np.zeros(shape, dtype=dtype)
    share = (dout * np.float32(1.0 / (size * size))).astype(dtype)
    for _, _, idx in _slabs(shape, size, stride):
        dx[idx] += share
    return dx


def _single(fn, x, size, stride):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 3:
        return fn(x[None], size, stride)[0][0]
    return fn(x, size, stride)[0]


def max_pool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Max over each size×size window: (N,H,W,C) → (N,Hp,Wp,C), or (H,W,C) → (Hp,Wp,C)."""
    return _single(max_pool_forward, x, size, stride)


def avg_pool2d(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Mean over each size×size window: (N,H,W,C) → (N,Hp,Wp,C), or (H,W,C) → (Hp,Wp,C)."""
    return _single(avg_pool_forward, x, size, stride)
