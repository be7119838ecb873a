"""Convolution geometry: output sizes, the lesson's formula, parameter counts.

Along one axis, an input of n pixels, a kernel of k taps spread by dilation d
(effective size d·(k − 1) + 1), zero padding p on both sides and stride s give

    (n − k_eff + 2p)/s + 1   output positions (rounded down),

the lesson's (W − F + 2P)/S + 1: (32 − 5 + 2·0)/1 + 1 = 28.
"""

from __future__ import annotations


class GeometryError(ValueError):
    """A kernel that does not fit its (padded) input, or a nonsensical setting."""


def effective_size(k: int, dilation: int = 1) -> int:
    """Span of a k-tap kernel with holes of dilation − 1 between taps."""
    return dilation * (k - 1) + 1


def formula(n: int, k: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> str:
    """The output-size formula with the actual numbers, e.g. '(32 − 5 + 2·0)/1 + 1 = 28'."""
    k_eff = effective_size(k, dilation)
    lhs = f"({n} − {k_eff} + 2·{padding})/{stride} + 1"
    span = n - k_eff + 2 * padding
    if span < 0:
        return f"{lhs} = {span / stride + 1:g} < 1"
    out = span // stride + 1
    exact = span % stride == 0
    return f"{lhs} = {out}" if exact else f"⌊{lhs}⌋ = {out}"


def output_size(n: int, k: int, *, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output positions along one axis; GeometryError if the kernel does not fit."""
    for name, value, low in (("size", n, 1), ("kernel", k, 1), ("stride", stride, 1),
                             ("padding", padding, 0), ("dilation", dilation, 1)):
        if int(value) != value or value < low:
            raise GeometryError(f"{name} must be a whole number ≥ {low}, got {value}")
    k_eff = effective_size(k, dilation)
    if k_eff > n + 2 * padding:
        what = f"{k}-tap kernel"
        if dilation > 1:
            what += f" spread by dilation {dilation} to {k_eff}"
        raise GeometryError(
            f"the {what} is larger than the padded input ({n} + 2·{padding} = {n + 2 * padding}): "
            + formula(n, k, stride=stride, padding=padding, dilation=dilation)
        )
    return (n - k_eff + 2 * padding) // stride + 1


def conv_geometry(
    input_shape: tuple[int, int, int],
    kernel: tuple[int, int],
    filters: int,
    *,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> dict:
    """Shapes, formula and parameter counts of one conv layer on an (H, W, C) input.

    params["conv"]: F filters of kh·kw·C weights plus a bias each (shared across
    positions); params["fully_connected"]: a dense layer mapping the same input
    volume to the same output volume (every output unit sees every input value).
    """
    H, W, C = input_shape
    kh, kw = kernel
    opts = {"stride": stride, "padding": padding, "dilation": dilation}
    Ho = output_size(H, kh, **opts)
    Wo = output_size(W, kw, **opts)
    rows = formula(H, kh, **opts)
    cols = formula(W, kw, **opts)
    n_out = Ho * Wo * filters
    return {
        "input": [H, W, C],
        "kernel": [kh, kw, C],
        "filters": filters,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "output": [Ho, Wo, filters],
        "formula": rows if rows == cols else f"height: {rows}; width: {cols}",
        "params": {
            "conv": filters * (kh * kw * C + 1),
            "fully_connected": H * W * C * n_out + n_out,
        },
    }
