"""Turn a filter bank (F, kh, kw, C) into pictures: RGB tiles, per-channel heatmaps, a mosaic.

filter_tiles(w)  -> (F, kh, kw, 3) uint8: each filter scaled symmetrically around zero, so
                    a zero weight is mid-grey 128, its largest |weight| is 0 or 255
channel_maps(w)  -> (F, C, kh, kw) float32: one heatmap per filter and input channel
tile_grid(tiles) -> (rows·(kh·scale + pad) + pad, cols·(kw·scale + pad) + pad, 3) uint8
"""

from __future__ import annotations

import numpy as np


def _check_bank(w: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=np.float32)
    if w.ndim != 4:
        raise ValueError(f"need a filter bank (F, kh, kw, C), got shape {w.shape}")
    return w


def filter_tiles(w: np.ndarray) -> np.ndarray:
    """RGB tiles (F, kh, kw, 3) uint8 of the filters w (F, kh, kw, C).

    With C = 3 the weights of each channel become that colour; otherwise the mean over
    channels is shown in grey. Scaling is per filter and symmetric (128 + 128·w / max|w|,
    clipped to 255), so positive weights are lighter than grey and negative darker, and
    an all-zero filter is plain grey.
    """
    w = _check_bank(w)
    if w.shape[3] != 3:
        w = np.repeat(w.mean(axis=3, keepdims=True), 3, axis=3)
    peak = np.abs(w).max(axis=(1, 2, 3), keepdims=True)
    # A zero filter has peak 0: divide by 1 instead, giving 0 -> 128.
    scaled = w / np.where(peak > 0, peak, 1.0)
    return np.clip(np.rint(128 + 128 * scaled), 0, 255).astype(np.uint8)


def channel_maps(w: np.ndarray) -> np.ndarray:
    """Heatmaps (F, C, kh, kw) float32: filter f's weights on input channel c as a 2-D map."""
    return np.ascontiguousarray(_check_bank(w).transpose(0, 3, 1, 2))


def tile_grid(
    tiles: np.ndarray, cols: int = 8, pad: int = 1, scale: int = 1, background: int = 255
) -> np.ndarray:
    """One mosaic image (uint8 RGB) of tiles (F, kh, kw, 3), `cols` per row.

    Each weight becomes a scale×scale block of pixels (tiny 5×5 filters need enlarging to
    be seen); tiles are separated by `pad` pixels of `background`.
    """
    tiles = np.asarray(tiles, dtype=np.uint8)
    if tiles.ndim != 4 or tiles.shape[3] != 3:
        raise ValueError(f"need RGB tiles (F, kh, kw, 3), got shape {tiles.shape}")
    F, kh, kw, _ = tiles.shape
    tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
    th, tw = kh * scale, kw * scale
    cols = max(1, min(cols, F))
    rows = -(-F // cols)  # ceiling division
    grid = np.full((rows * (th + pad) + pad, cols * (tw + pad) + pad, 3), background, np.uint8)
    for i in range(F):  # a handful of tiles, one slice copy each
        r, c = divmod(i, cols)
        top, left = pad + r * (th + pad), pad + c * (tw + pad)
        grid[top : top + th, left : left + tw] = tiles[i]
    return grid
