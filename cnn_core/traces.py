"""Teaching traces: one output value of a convolution or a pooling, taken apart.

conv_step shows the dot product behind ONE entry of a feature map:
  x (H, W, C) image, w (kh, kw, C) filter, b bias  ->  out[row, col] of conv2d(x, w, b)
  window: the input rows/cols the kernel taps touch (indices < 0 or >= H/W are padding)
  patch (kh, kw, C): the input under the taps, zeros in the padding
  products (kh, kw, C) = weights * patch; channel_sums (C,); value = sum + bias

pool_step shows ONE entry of a pooled map:
  fmap (H, W)  ->  pooled[row, col]: the size×size window, its values, the max (or mean)
  and where the max is.

Both agree with the vectorized layers (cnn_core.layers) to float32 rounding: the layers
sum in a different order (BLAS), so the last bit may differ.
"""

from __future__ import annotations

import operator

import numpy as np

from cnn_core.geometry import output_size


def _check_position(row: int, col: int, Ho: int, Wo: int, what: str) -> tuple[int, int]:
    """Whole-number (row, col) inside an Ho×Wo map, else ValueError saying which."""
    row, col = operator.index(row), operator.index(col)
    for name, value, limit in (("row", row, Ho), ("col", col, Wo)):
        if not 0 <= value < limit:
            raise ValueError(f"{name} {value} is outside the {Ho}×{Wo} {what}")
    return row, col


def conv_step(
    x: np.ndarray,
    w: np.ndarray,
    b: float,
    *,
    row: int,
    col: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> dict:
    """The dot product giving output (row, col) of conv2d(x, w, b, stride, padding, dilation).

    x: (H, W, C) one image; w: (kh, kw, C) one filter; b: its bias.
    Returns {"window": {"top", "left", "rows", "cols"}, "patch", "weights", "products"
    (all (kh, kw, C) float32), "channel_sums" (C,) float32, "bias", "value"}.
    Raises GeometryError if the kernel does not fit, ValueError if (row, col) is off the map.
    """
    x = np.asarray(x, dtype=np.float32)
    w = np.asarray(w, dtype=np.float32)
    if x.ndim != 3 or w.ndim != 3 or x.shape[2] != w.shape[2]:
        raise ValueError(f"need x (H, W, C) and w (kh, kw, C), got {x.shape} and {w.shape}")
    H, W, C = x.shape
    kh, kw, _ = w.shape
    opts = {"stride": stride, "padding": padding, "dilation": dilation}
    Ho, Wo = output_size(H, kh, **opts), output_size(W, kw, **opts)
    row, col = _check_position(row, col, Ho, Wo, "output map")

    # The window starts stride·row into the padded input, i.e. `padding` before the image;
    # taps are `dilation` apart.
    top, left = row * stride - padding, col * stride - padding
    rows = top + dilation * np.arange(kh)
    cols = left + dilation * np.arange(kw)

    # Copy the taps that land on the image; the rest stay 0 (zero padding).
    patch = np.zeros((kh, kw, C), dtype=np.float32)
    r_in = (rows >= 0) & (rows < H)
    c_in = (cols >= 0) & (cols < W)
    patch[np.ix_(r_in, c_in)] = x[np.ix_(rows[r_in], cols[c_in])]

    products = w * patch
    # Accumulate in float64 so the shown sums are the correctly rounded float32 results.
    channel_sums = products.sum(axis=(0, 1), dtype=np.float64)
    bias = float(np.float32(b))
    value = float(np.float32(channel_sums.sum() + bias))
    return {
        "window": {
            "top": int(top),
            "left": int(left),
            "rows": rows.tolist(),
            "cols": cols.tolist(),
        },
        "patch": patch,
        "weights": w.copy(),
        "products": products,
        "channel_sums": channel_sums.astype(np.float32),
        "bias": bias,
        "value": value,
    }


def pool_step(
    fmap: np.ndarray,
    *,
    row: int,
    col: int,
    size: int = 2,
    stride: int | None = None,
    op: str = "max",
) -> dict:
    """The window giving pooled (row, col) of a size×size pooling (stride defaults to size).

    fmap: (H, W) one feature map; op: "max" or "avg".
    Returns {"window": {"top", "left", "rows", "cols"}, "values" (size, size) float32,
    "value", "argmax"}: argmax is [r, c] in fmap coordinates of the maximum, the first one
    in row-major order when several tie (as np.argmax); None for "avg".
    """
    if op not in ("max", "avg"):
        raise ValueError(f"op must be 'max' or 'avg', got {op!r}")
    fmap = np.asarray(fmap, dtype=np.float32)
    if fmap.ndim != 2:
        raise ValueError(f"need one 2-D feature map (H, W), got shape {fmap.shape}")
    stride = size if stride is None else stride
    H, W = fmap.shape
    Hp, Wp = output_size(H, size, stride=stride), output_size(W, size, stride=stride)
    row, col = _check_position(row, col, Hp, Wp, "pooled map")

    top, left = row * stride, col * stride
    values = fmap[top : top + size, left : left + size].copy()
    if op == "max":
        r, c = np.unravel_index(np.argmax(values), values.shape)
        value, argmax = float(values[r, c]), [int(top + r), int(left + c)]
    else:
        value, argmax = float(np.float32(values.mean(dtype=np.float64))), None
    return {
        "window": {
            "top": top,
            "left": left,
            "rows": list(range(top, top + size)),
            "cols": list(range(left, left + size)),
        },
        "values": values,
        "value": value,
        "argmax": argmax,
    }
