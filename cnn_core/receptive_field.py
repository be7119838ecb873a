"""Receptive fields: which input pixels a unit of each layer can see.

For a chain of convolutions and poolings, unit i (along one axis) of a layer sees
input pixels start + i·jump … start + i·jump + size − 1, where, layer by layer
(k the kernel, dilated: d·(k − 1) + 1; s the stride; p the padding):

    size_out  = size_in + (k − 1)·jump_in
    jump_out  = jump_in · s
    start_out = start_in − p·jump_in

starting from the input's size 1, jump 1, start 0 (Araujo et al., "Computing
Receptive Fields of Convolutional Neural Networks", Distill 2019). ReLU and
batchnorm keep the field; a layer after flatten sees the whole picture. A
negative start, or an end past the picture, is padding: the window crosses the
picture's edge there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Field:
    """The input window of one layer's units, the same along both axes."""

    layer: str
    kind: str
    size: int  # pixels on a side
    jump: int  # input pixels between neighbouring units
    start: int  # first input pixel of unit 0 (negative: starts in the padding)

    def window(self, i: int) -> tuple[int, int]:
        """[first, last + 1) input pixels of unit i along one axis (may cross the edge)."""
        first = self.start + i * self.jump
        return first, first + self.size

    def center(self, i: float) -> float:
        """The input coordinate (pixel centres at 0, 1, …) at the middle of unit i's window."""
        return self.start + i * self.jump + (self.size - 1) / 2

    def as_dict(self) -> dict:
        return asdict(self)


def receptive_fields(model) -> list[Field | None]:
    """One Field per layer of model (None from flatten on: those units see everything)."""
    size, jump, start = 1, 1, 0
    out: list[Field | None] = []
    spatial = True
    for layer in model.layers:
        if layer.kind in ("flatten", "fc"):
            spatial = False
        if not spatial:
            out.append(None)
            continue
        if layer.kind == "conv":
            k = layer.dilation * (layer.size - 1) + 1
            size, start = size + (k - 1) * jump, start - layer.padding * jump
            jump *= layer.stride
        elif layer.kind == "pool":
            size += (layer.size - 1) * jump
            jump *= layer.stride
        elif layer.kind not in ("relu", "batchnorm"):
            raise ValueError(f"no receptive-field rule for {layer.kind!r} ({layer.name})")
        out.append(Field(layer.name, layer.kind, size, jump, start))
    return out


def field_of(model, layer: str) -> Field:
    """The Field of the named spatial layer; KeyError if there is none of that name."""
    for lay, field in zip(model.layers, receptive_fields(model), strict=True):
        if lay.name == layer and field is not None:
            return field
    raise KeyError(f"{model.name} has no spatial layer {layer!r}")


def crop(images: np.ndarray, field: Field, rows: np.ndarray, cols: np.ndarray,
         fill: int = 0) -> np.ndarray:
    """The windows of units (rows[n], cols[n]) in images[n]: (N, H, W, C) → (N, s, s, C).

    Where the window crosses the picture's edge, the padding is `fill` (the picture is
    padded, never wrapped).
    """
    N, H, W, C = images.shape
    assert rows.shape == cols.shape == (N,), (rows.shape, cols.shape, N)
    s = field.size
    pad = max(s, -field.start, 0)
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=fill)
    y0 = field.start + rows * field.jump + pad  # (N,)
    x0 = field.start + cols * field.jump + pad
    offs = np.arange(s)
    return padded[np.arange(N)[:, None, None], (y0[:, None] + offs)[:, :, None],
                  (x0[:, None] + offs)[:, None, :]]


def upsample(grid: np.ndarray, field: Field, size: int) -> np.ndarray:
    """A layer's (h, w) map → (size, size) at input resolution, linear between unit centres.

    Input pixel u lies between the units whose window centres surround it; outside the
    first and last centres the edge unit's value holds.
    """
    h, w = grid.shape
    u = np.arange(size, dtype=np.float64)
    fy = np.clip((u - field.center(0)) / field.jump, 0, h - 1)
    fx = np.clip((u - field.center(0)) / field.jump, 0, w - 1)
    y0, x0 = np.floor(fy).astype(int), np.floor(fx).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    ty, tx = (fy - y0)[:, None], (fx - x0)[None, :]
    g = grid.astype(np.float64)
    top = g[y0][:, x0] * (1 - tx) + g[y0][:, x1] * tx
    bottom = g[y1][:, x0] * (1 - tx) + g[y1][:, x1] * tx
    return (top * (1 - ty) + bottom * ty).astype(np.float32)
