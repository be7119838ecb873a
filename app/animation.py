"""Slides for a teacher: the filter sliding over the picture as an animated GIF, maps as CSV.

gif(x (S, S, 3) in [0, 1], fmap (Ho, Wo), stride, padding, dilation, k) -> GIF bytes:
left the (padded) picture with the window drawn on it, right the feature map filling in
cell by cell, in the app's colour scale (plotly's RdBu, symmetric around zero).
"""

from __future__ import annotations

import csv
import io

import numpy as np
import plotly.colors
from PIL import Image

from cnn_core.geometry import effective_size

PANEL = 288  # pixels of each panel's side, about a third of a slide
GAP = 12
UNFILLED = np.array([225, 225, 225], np.uint8)
PAD_GREY = np.array([150, 150, 150], np.uint8)
WINDOW = np.array([255, 196, 0], np.uint8)  # amber: visible on any picture


def _colour_table(name: str = "RdBu_r", n: int = 256) -> np.ndarray:
    rgb = plotly.colors.sample_colorscale(name, list(np.linspace(0, 1, n)))
    table = np.array([plotly.colors.unlabel_rgb(c) for c in rgb], np.float64)
    return table.round().astype(np.uint8)


def colourize(fmap: np.ndarray) -> np.ndarray:
    """(H, W) → (H, W, 3) uint8, zero at the scale's middle, ±max|fmap| at its ends."""
    peak = float(np.abs(fmap).max()) or 1.0
    idx = np.clip(np.rint((fmap / peak + 1) * 127.5), 0, 255).astype(np.intp)
    return _colour_table()[idx]


def _frame_positions(total: int, frames: int) -> np.ndarray:
    """Output positions to show, in row-major order, the last one always included."""
    if total <= frames:
        return np.arange(total)
    return np.unique(np.linspace(0, total - 1, frames).round().astype(int))


def _outline(img: np.ndarray, top: int, left: int, h: int, w: int, t: int) -> None:
    img[top:top + t, left:left + w] = WINDOW
    img[top + h - t:top + h, left:left + w] = WINDOW
    img[top:top + h, left:left + t] = WINDOW
    img[top:top + h, left + w - t:left + w] = WINDOW


def gif(x: np.ndarray, fmap: np.ndarray, *, k: int, stride: int, padding: int, dilation: int,
        frames: int = 120, ms_per_frame: int = 80) -> bytes:
    S = x.shape[0]
    Ho, Wo = fmap.shape
    padded_side = S + 2 * padding
    cell = max(1, PANEL // padded_side)  # pixels per input pixel
    pic = np.empty((padded_side, padded_side, 3), np.uint8)
    pic[:] = PAD_GREY
    pic[padding:padding + S, padding:padding + S] = np.rint(x * 255).astype(np.uint8)
    pic = pic.repeat(cell, 0).repeat(cell, 1)
    mcell = max(1, pic.shape[0] // max(Ho, Wo))
    colours = colourize(fmap).repeat(mcell, 0).repeat(mcell, 1)
    filled_at = np.arange(Ho * Wo).reshape(Ho, Wo).repeat(mcell, 0).repeat(mcell, 1)

    height = max(pic.shape[0], colours.shape[0])
    width = pic.shape[1] + GAP + colours.shape[1]
    span = effective_size(k, dilation) * cell
    out = []
    for pos in _frame_positions(Ho * Wo, frames):
        canvas = np.full((height, width, 3), 255, np.uint8)
        canvas[:pic.shape[0], :pic.shape[1]] = pic
        r, c = divmod(int(pos), Wo)
        _outline(canvas, r * stride * cell, c * stride * cell, span, span, max(2, cell // 3))
        right = np.where((filled_at <= pos)[..., None], colours, UNFILLED)
        canvas[:right.shape[0], pic.shape[1] + GAP:] = right
        _outline(canvas, r * mcell, pic.shape[1] + GAP + c * mcell, mcell, mcell,
                 max(1, mcell // 4))
        out.append(Image.fromarray(canvas))
    buf = io.BytesIO()
    durations = [ms_per_frame] * (len(out) - 1) + [1500]  # rest on the finished map
    out[0].save(buf, "GIF", save_all=True, append_images=out[1:], duration=durations, loop=0,
                optimize=False)
    return buf.getvalue()


def csv_text(fmap: np.ndarray) -> str:
    """(H, W) → CSV: one line a row, values with 6 significant digits."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in fmap:
        writer.writerow([f"{v:.6g}" for v in row])
    return buf.getvalue()
