"""The flat path of cnn_core.conv: stride-1 convs of few channels and few filters (a
picture's 3 channels through a first layer's 6 filters), forward and dW.

Shapes as in cnn_core.conv (channels-last, float32): x (N, H, W, C), w (F, kh, kw, C),
out and dout (N, Ho, Wo, F). The padded input is laid out as flat channels-first planes
(C, N·Hp·Wp): output position p of the padded grid reads tap (i, j) at p + i·d·Wp + j·d,
so a block of padded rows needs only kernel row 0's kw·C shifted slices copied, into B
(kw·C, positions + (kh−1)·d·Wp); kernel row i's colsᵀ is B shifted by i·d·Wp, a strided
BLAS operand, no copy. A conv is then kh GEMMs with K = kw·C, F-major (F × positions: 1.6×
faster than positions-major at 6 filters), summed. Outputs at the Hp−Ho bottom rows and
Wp−Wo right columns of each image are garbage: cropped in the forward, given a zero dout
in dW.
"""

from __future__ import annotations

import numpy as np

from cnn_core.geometry import output_size


class _Planes:
    """x (N,H,W,C) padded and flattened channels-first to (C, N·Hp·Wp + tail) planes, for a
    stride-1 conv with kh×kw taps at dilation d. Output position p (on the padded grid) of
    tap (i, j) reads planes[:, p + i·d·Wp + j·d]."""

    def __init__(self, x: np.ndarray, kh: int, kw: int, padding: int, dilation: int):
        N, H, W, C = x.shape
        self.N, self.C, self.kh, self.kw, self.d = N, C, kh, kw, dilation
        self.Hp, self.Wp = H + 2 * padding, W + 2 * padding
        self.L = N * self.Hp * self.Wp  # output positions on the padded grid
        self.reach = (kh - 1) * dilation * self.Wp  # the last kernel row's shift
        self.planes = np.zeros((C, self.L + self.reach + (kw - 1) * dilation), x.dtype)
        grid = self.planes[:, :self.L].reshape(C, N, self.Hp, self.Wp)
        grid[:, :, padding:padding + H, padding:padding + W] = x.transpose(3, 0, 1, 2)

    def row_blocks(self, chunk: int):
        """Yield (first padded row R0, rows, B) in order over the N·Hp padded rows: B
        (kw·C, rows·Wp + reach) holds, row (j, c), the plane c shifted by j·d from position
        R0·Wp on. Kernel row i's colsᵀ for these rows·Wp positions is then the slice
        B[:, i·d·Wp:][:, :rows·Wp]: one BLAS operand, no copy (kh× fewer copies than
        building every tap's row)."""
        C, Wp = self.C, self.Wp
        run = self.kw * C
        rows = max(self.kh, chunk // (run * Wp) - (self.kh - 1) * self.d)
        buf = np.empty((run, rows * Wp + self.reach), self.planes.dtype)
        total = self.N * self.Hp
        for r0 in range(0, total, rows):
            n = (min(total, r0 + rows) - r0) * Wp
            B = buf[:, :n + self.reach]
            for j in range(self.kw):
                start = r0 * Wp + j * self.d
                B[j * C:(j + 1) * C] = self.planes[:, start:start + n + self.reach]
            yield r0, n // Wp, B

    def crop_into(self, out: np.ndarray, res_t: np.ndarray, r0: int, rows: int):
        """Copy the valid outputs of res_t (F, rows·Wp), padded rows r0.., into out
        (N,Ho,Wo,F): each image's first Ho rows, first Wo columns."""
        N, Ho, Wo, F = out.shape
        res = res_t.reshape(F, rows, self.Wp).transpose(1, 2, 0)
        for n in range(r0 // self.Hp, (r0 + rows - 1) // self.Hp + 1):
            top = n * self.Hp
            lo, hi = max(r0, top), min(r0 + rows, top + Ho)
            if lo < hi:
                out[n, lo - top:hi - top] = res[lo - r0:hi - r0, :Wo]


def flat_weight_grad(x, dout, w_shape, padding: int, dilation: int, chunk: int):
    """dW of a flat (stride-1, few channels and filters) conv: dout laid F-major on the
    padded grid (F, N·Hp·Wp), zero at the garbage positions, and per block of padded rows
    and kernel row i, dW[:, i] += that block of it (F × positions) @ B shifted by i·d·Wp,
    transposed (positions × kw·C). Copies are the kw·C slices of B (the channels-last
    blocks copied kh·kw·C runs of kw·C floats per position: 1.3 of lenet conv1's 1.9 ms)."""
    F, kh, kw, C = w_shape
    N, Ho, Wo, _ = dout.shape
    planes = _Planes(x.astype(dout.dtype, copy=False), kh, kw, padding, dilation)
    Hp, Wp = planes.Hp, planes.Wp
    dw = np.zeros((kh, F, kw * C), dout.dtype)
    grid = np.zeros((F, N, Hp, Wp), dout.dtype)
    grid[:, :, :Ho, :Wo] = dout.transpose(3, 0, 1, 2)
    grid = grid.reshape(F, N * Hp * Wp)
    shift = dilation * Wp
    for r0, rows, B in planes.row_blocks(chunk):
        g = grid[:, r0 * Wp:(r0 + rows) * Wp]
        n = g.shape[1]
        for i in range(kh):
            dw[i] += g @ B[:, i * shift:i * shift + n].T
    return np.ascontiguousarray(dw.reshape(kh, F, kw, C).transpose(1, 0, 2, 3))


def flat_forward(x, w, padding: int, dilation: int, dtype, chunk: int):
    """Stride-1 conv of few channels: per block of padded rows, kh GEMMs (F × kw·C) @
    (kw·C × positions), one per kernel row, on shifted slices of one block B, summed. F-major
    (the F × positions result transposed by the crop): 1.6× faster GEMMs than positions-major
    for 6 filters, more than the strided crop costs."""
    N = x.shape[0]
    F, kh, kw, C = w.shape
    Ho = output_size(x.shape[1], kh, padding=padding, dilation=dilation)
    Wo = output_size(x.shape[2], kw, padding=padding, dilation=dilation)
    planes = _Planes(x.astype(dtype, copy=False), kh, kw, padding, dilation)
    w_rows = [np.ascontiguousarray(w[:, i].reshape(F, kw * C), dtype=dtype)
              for i in range(kh)]  # (F, kw·C) per kernel row, columns (j, c) as B's rows
    out = np.empty((N, Ho, Wo, F), dtype)
    res = tmp = None
    shift = dilation * planes.Wp
    for r0, rows, B in planes.row_blocks(chunk):
        n = rows * planes.Wp
        if res is None:
            res, tmp = np.empty((F, n), dtype), np.empty((F, n), dtype)
        acc = res[:, :n]
        np.matmul(w_rows[0], B[:, :n], out=acc)
        for i in range(1, kh):
            acc += np.matmul(w_rows[i], B[:, i * shift:i * shift + n], out=tmp[:, :n])
        planes.crop_into(out, acc, r0, rows)
    return out
