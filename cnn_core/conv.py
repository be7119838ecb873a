"""2-D convolution (cross-correlation, as in every CNN library): forward and backward.

Shapes (channels-last, float32):
    x    (N, H, W, C)      input batch
    w    (F, kh, kw, C)    F filters
    b    (F,)              one bias per filter
    out  (N, Ho, Wo, F)    Ho, Wo from cnn_core.geometry.output_size

Every conv is im2col + BLAS matmul, done in blocks of about CHUNK_FLOATS cols floats: a
block is written and multiplied while it is still in the cache, never streamed through
memory as one huge matrix (a batch of 128 32×32 pictures has 50 MB of cols for a 5×5×3
layer). Two layouts of the blocks, chosen by the channel and filter counts:

- many channels: channels-last cols, a row per output position, (kh, kw, C) as w's memory
  layout, copied from the input in runs of kw·C floats;
- few channels (a picture's 3) and few filters (below FLAT_MAX_FILTERS: with more, the GEMM
  is the cost and the flat path's wasted border positions lose) at stride 1: flat
  channels-first planes, kh GEMMs on shifted slices of one copied block per kernel row
  (cnn_core.conv_flat), forward and dW.

The backward recomputes each block's cols instead of keeping them (in cache that is cheaper
than reading them back from memory): dW is one GEMM per channels-last block (or the flat
path's); dX at stride 1 (from FLIP_MIN_CHANNELS input channels, or when that conv is a flat
one: few filters) is itself a convolution, of the padded dout with the flipped filters (so
no scatter-add at all); otherwise col2im, a strided add per kernel tap (never per pixel; at
stride 1 on whole padded rows, one long add per tap).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from cnn_core.conv_flat import flat_forward, flat_weight_grad
from cnn_core.geometry import output_size

CHUNK_FLOATS = 1 << 17  # cols floats per block (512 kB of float32): stays in a core's L2,
MIN_ROWS = 1024  # but at least this many rows: each GEMM call packs the whole weight matrix
FLAT_MAX_CHANNELS = 8  # at most this many input channels: the flat-planes layout,
FLAT_MAX_FILTERS = 12  # and fewer filters than this (even at 12 on 64×32×32×3; 16: 0.8×)
FLIP_MIN_CHANNELS = 16  # dX as a conv of dout from this many input channels, or from
FLIP_MAX_FILTERS = 8  # at most this many filters (that conv is then a flat one), else col2im


def _pad(x: np.ndarray, padding: int) -> np.ndarray:
    """Zero-pad H and W of (N, H, W, C) on both sides."""
    if padding == 0:
        return x
    N, H, W, C = x.shape
    xp = np.zeros((N, H + 2 * padding, W + 2 * padding, C), dtype=x.dtype)
    xp[:, padding:padding + H, padding:padding + W] = x
    return xp


def _windows(xp: np.ndarray, kh: int, kw: int, Ho: int, Wo: int, stride: int, dilation: int):
    """Read-only strided view (N, Ho, Wo, kh, kw, C) of every receptive field of xp."""
    sn, sh, sw, sc = xp.strides
    N, C = xp.shape[0], xp.shape[3]
    return as_strided(
        xp,
        shape=(N, Ho, Wo, kh, kw, C),
        strides=(sn, sh * stride, sw * stride, sh * dilation, sw * dilation, sc),
        writeable=False,
    )


def _out_hw(x_shape, w_shape, stride, padding, dilation) -> tuple[int, int]:
    opts = dict(stride=stride, padding=padding, dilation=dilation)
    return (output_size(x_shape[1], w_shape[1], **opts),
            output_size(x_shape[2], w_shape[2], **opts))


def _flat(x: np.ndarray, w_shape, stride: int) -> bool:
    """Whether this forward uses the flat channels-first planes layout: few channels, where
    the copy is the cost, and few filters; with more the GEMM is, and the planes' wasted
    border positions cost more than they save (measured on 128×32×32×3 → 32 and → 16)."""
    return stride == 1 and x.shape[3] <= FLAT_MAX_CHANNELS and w_shape[0] < FLAT_MAX_FILTERS


def _row_blocks(x, kh, kw, Ho, Wo, stride, padding, dilation):
    """Yield (images, rows, cols (n, r, Wo, kh, kw, C)) of channels-last blocks, in order:
    whole images when one image's cols are small, else rows of one image."""
    N, C = x.shape[0], x.shape[3]
    view = _windows(_pad(x, padding), kh, kw, Ho, Wo, stride, dilation)
    K = kh * kw * C
    per_row = Wo * K
    chunk = max(CHUNK_FLOATS, MIN_ROWS * K)
    if Ho * per_row <= chunk:
        step = chunk // (Ho * per_row)
        spans = [(slice(n, min(N, n + step)), slice(0, Ho)) for n in range(0, N, step)]
    else:
        step = max(1, chunk // per_row)
        spans = [(slice(n, n + 1), slice(r, min(Ho, r + step)))
                 for n in range(N) for r in range(0, Ho, step)]
    buf = np.empty(max(chunk, per_row), x.dtype)
    for images, rows in spans:
        src = view[images, rows]
        cols = buf[:src.size].reshape(src.shape)
        cols[...] = src
        yield images, rows, cols


def _forward(x: np.ndarray, w: np.ndarray, stride: int, padding: int, dilation: int):
    """x (N,H,W,C) * w (F,kh,kw,C) → (N,Ho,Wo,F) without bias, in x's dtype."""
    N = x.shape[0]
    F, kh, kw, C = w.shape
    K = kh * kw * C
    Ho, Wo = _out_hw(x.shape, w.shape, stride, padding, dilation)
    dtype = np.result_type(x.dtype, w.dtype)
    if _flat(x, w.shape, stride):
        return flat_forward(x, w, padding, dilation, dtype, CHUNK_FLOATS)
    out = np.empty((N, Ho, Wo, F), dtype)
    wt = np.ascontiguousarray(w.reshape(F, K).T, dtype=dtype)
    for images, rows, cols in _row_blocks(x.astype(dtype, copy=False), kh, kw, Ho, Wo, stride,
                                          padding, dilation):
        np.matmul(cols.reshape(-1, K), wt, out=out[images, rows].reshape(-1, F))
    return out


def _weight_grad(x, dout, w_shape, stride, padding, dilation):
    """dW (F,kh,kw,C) = Σ over positions of dout ⊗ receptive field, block by block."""
    F, kh, kw, C = w_shape
    if _flat(x, w_shape, stride):
        return flat_weight_grad(x, dout, w_shape, padding, dilation, CHUNK_FLOATS)
    K = kh * kw * C
    N, Ho, Wo, _ = dout.shape
    dw_t = np.zeros((K, F), dout.dtype)  # accumulated as (K, F): cols_t @ dout
    part = np.empty((K, F), dout.dtype)
    # channels-last blocks even for few channels: the flat planes' zero-padded dout and
    # wasted positions made it slower (2.0 against 1.8 ms for lenet's conv1, 18 against 12
    # for convnet's)
    for images, rows, cols in _row_blocks(x.astype(dout.dtype, copy=False), kh, kw, Ho, Wo,
                                          stride, padding, dilation):
        d2 = dout[images, rows].reshape(-1, F)
        dw_t += np.matmul(cols.reshape(-1, K).T, d2, out=part)
    return dw_t.T.reshape(w_shape)


def _col2im(dout, w, x_shape, stride, padding, dilation):
    """dX for any stride: dcolsᵀ = Wᵀ·doutᵀ summed back onto the pixels, one strided add per
    kernel tap, channels-first (C, N, Hp, Wp) so every add reads a contiguous slab."""
    N, H, W, C = x_shape
    F, kh, kw, _ = w.shape
    _, Ho, Wo, _ = dout.shape
    if stride == 1:
        return _col2im_rows(dout, w, x_shape, padding, dilation)
    d = (w.reshape(F, -1).T @ dout.reshape(-1, F).T).reshape(kh, kw, C, N, Ho, Wo)
    dxp = np.zeros((C, N, H + 2 * padding, W + 2 * padding), dtype=d.dtype)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dilation, j * dilation
            dxp[:, :, r:r + stride * (Ho - 1) + 1:stride, c:c + stride * (Wo - 1) + 1:stride] \
                += d[i, j]
    return np.ascontiguousarray(
        dxp[:, :, padding:padding + H, padding:padding + W].transpose(1, 2, 3, 0))


def _col2im_rows(dout, w, x_shape, padding, dilation):
    """col2im at stride 1 with whole padded rows: dout laid on (F, n, Ho, Wp), zero past Wo,
    so output position (h, w) of an image is h·Wp + w and tap (i, j) adds to the padded
    pixel h·Wp + w + i·d·Wp + j·d: one (C, n, Ho·Wp) add of long runs per tap (rows of Wo
    floats were 10× more inner loops for lenet's conv2). The zero columns make wrapping
    past a row's end harmless: only positions w ≥ Wo wrap. Blocks of n images keep the
    (kh·kw·C, n·Ho·Wp) product in cache."""
    N, H, W, C = x_shape
    F, kh, kw, _ = w.shape
    _, Ho, Wo, _ = dout.shape
    Hp, Wp = H + 2 * padding, W + 2 * padding
    K, per_image = kh * kw * C, Ho * Wp
    step = max(1, 4 * CHUNK_FLOATS // (K * per_image))
    wt = w.reshape(F, K).T
    grid = np.zeros((F, min(step, N), Ho, Wp), dout.dtype)
    dxp = np.zeros((C, N, Hp * Wp + (kw - 1) * dilation), np.result_type(dout.dtype, w.dtype))
    for n0 in range(0, N, step):
        n = min(step, N - n0)
        g = grid[:, :n]
        g[:, :, :, :Wo] = dout[n0:n0 + n].transpose(3, 0, 1, 2)
        d = (wt @ g.reshape(F, -1)).reshape(kh, kw, C, n, per_image)
        block = dxp[:, n0:n0 + n]
        for i in range(kh):
            for j in range(kw):
                o = (i * Wp + j) * dilation
                block[:, :, o:o + per_image] += d[i, j]
    dxp = dxp[:, :, :Hp * Wp].reshape(C, N, Hp, Wp)
    return np.ascontiguousarray(
        dxp[:, :, padding:padding + H, padding:padding + W].transpose(1, 2, 3, 0))


def _input_grad(dout, w, x_shape, stride, padding, dilation):
    """dX (N,H,W,C). At stride 1, dx[h, w] = Σ dout[h + p − i·d, w + p − j·d]·w[i, j]: the
    correlation of dout padded by q = (k−1)·d − p with the filters flipped in space and
    with F and C swapped. Its GEMM has C columns: below FLIP_MIN_CHANNELS, too thin for
    BLAS, col2im is faster (measured: 1.5 against 2.6 ms for lenet's conv2, C = 6; 63
    against 98 ms at C = 32), unless the flipped conv takes the flat path, with F ≤
    FLIP_MAX_FILTERS channels (2.2 against 4.2 ms for lenet's conv1, F = 6, C = 3; at
    F = 12 they are even)."""
    n_filters, kh, kw, C = w.shape
    q = (kh - 1) * dilation - padding
    flat = n_filters <= min(FLIP_MAX_FILTERS, FLAT_MAX_CHANNELS) and C < FLAT_MAX_FILTERS
    if stride != 1 or kh != kw or q < 0 or (C < FLIP_MIN_CHANNELS and not flat):
        return _col2im(dout, w, x_shape, stride, padding, dilation)
    w_flip = np.ascontiguousarray(w[:, ::-1, ::-1, :].transpose(3, 1, 2, 0))  # (C,kh,kw,F)
    dx = _forward(dout, w_flip, 1, q, dilation)
    assert dx.shape == tuple(x_shape), (dx.shape, x_shape)
    return dx


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int = 1,
                   padding: int = 0, dilation: int = 1, cols: np.ndarray | None = None):
    """x (N,H,W,C), w (F,kh,kw,C), b (F,) → (out (N,Ho,Wo,F), cache for conv2d_backward).

    `cols` is accepted for compatibility and ignored: blocks are recomputed, not kept.
    """
    assert x.ndim == 4 and w.ndim == 4 and x.shape[3] == w.shape[3], (x.shape, w.shape)
    out = _forward(x, w, stride, padding, dilation)
    if b is not None:
        out += b
    return out, (x, w, stride, padding, dilation)


def conv2d_backward(dout: np.ndarray, cache, need_dx: bool = True):
    """dout (N,Ho,Wo,F) → (dx (N,H,W,C) or None, dw (F,kh,kw,C), db (F,)).

    need_dx=False skips the input gradient (the first layer has nobody to pass it to).
    """
    x, w, stride, padding, dilation = cache
    assert dout.shape[0] == x.shape[0] and dout.shape[3] == w.shape[0], (dout.shape, w.shape)
    dw = _weight_grad(x, dout, w.shape, stride, padding, dilation)
    d2 = dout.reshape(-1, w.shape[0])
    db = np.ones(len(d2), d2.dtype) @ d2  # BLAS: 4–7× numpy's sum over axis 0 at F ≤ 32
    dx = _input_grad(dout, w, x.shape, stride, padding, dilation) if need_dx else None
    return dx, dw, db


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: int = 1,
           padding: int = 0, dilation: int = 1) -> np.ndarray:
    """Convolve x (N,H,W,C) — or one image (H,W,C) — with w (F,kh,kw,C) plus b (F,).

    Returns (N,Ho,Wo,F), or (Ho,Wo,F) for a single image. Raises GeometryError
    when the kernel does not fit the padded input.
    """
    x = np.asarray(x, dtype=np.float32)
    w = np.asarray(w, dtype=np.float32)
    single = x.ndim == 3
    if single:
        x = x[None]
    if x.ndim != 4 or w.ndim != 4 or x.shape[3] != w.shape[3]:
        raise ValueError(f"conv2d needs x (N,H,W,C) and w (F,kh,kw,C) with equal C; "
                         f"got x {x.shape} and w {w.shape}")
    out, _ = conv2d_forward(x, w, None if b is None else
                            np.asarray(b, dtype=np.float32).reshape(w.shape[0]),
                            stride, padding, dilation)
    return out[0] if single else out
