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
from PIL import GifImagePlugin, Image

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


def colourize(fmap: np.ndarray, n: int = 256) -> np.ndarray:
    """(H, W) → (H, W, 3) uint8, zero at the scale's middle, ±max|fmap| at its ends."""
    return _colour_table(n=n)[scale_index(fmap, n)]


def scale_index(fmap: np.ndarray, n: int) -> np.ndarray:
    """(H, W) → (H, W) uint8 index into an n-colour scale (n ≤ 256)."""
    peak = float(np.abs(fmap).max()) or 1.0
    return np.clip(np.rint((fmap / peak + 1) * ((n - 1) / 2)), 0, n - 1).astype(np.uint8)


def _frame_positions(total: int, frames: int) -> np.ndarray:
    """Output positions to show, in row-major order, the last one always included."""
    if total <= frames:
        return np.arange(total)
    return np.unique(np.linspace(0, total - 1, frames).round().astype(int))


def _outline(img: np.ndarray, top: int, left: int, h: int, w: int, t: int, value) -> None:
    img[top:top + t, left:left + w] = value
    img[top + h - t:top + h, left:left + w] = value
    img[top:top + h, left:left + t] = value
    img[top:top + h, left + w - t:left + w] = value


# The GIF's one palette: 4 fixed colours, the colour scale, then the picture's own colours.
WHITE_I, UNFILLED_I, PAD_I, WINDOW_I = 0, 1, 2, 3
SCALE_AT, SCALE_N = 4, 64
PICTURE_AT = SCALE_AT + SCALE_N
PICTURE_N = 256 - PICTURE_AT


def _scales(S: int, padding: int, Ho: int, Wo: int) -> tuple[int, int]:
    """(cell, mcell): screen pixels per input pixel and per map cell."""
    cell = max(1, PANEL // (S + 2 * padding))
    return cell, max(1, (S + 2 * padding) * cell // max(Ho, Wo))


def frame_size(S: int, padding: int, Ho: int, Wo: int) -> tuple[int, int]:
    """(width, height) in pixels of every frame of gif() for this geometry."""
    cell, mcell = _scales(S, padding, Ho, Wo)
    side = (S + 2 * padding) * cell
    return side + GAP + Wo * mcell, max(side, Ho * mcell)


def _picture_panel(x: np.ndarray, padding: int, cell: int) -> tuple[np.ndarray, np.ndarray]:
    """The padded picture as palette indices (side, side) and its colours (PICTURE_N, 3)."""
    S = x.shape[0]
    quantized = Image.fromarray(np.rint(x * 255).astype(np.uint8)).quantize(
        PICTURE_N, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    colours = np.zeros((PICTURE_N, 3), np.uint8)
    used = np.asarray(quantized.getpalette()[:PICTURE_N * 3], np.uint8).reshape(-1, 3)
    colours[:len(used)] = used
    pic = np.full((S + 2 * padding,) * 2, PAD_I, np.uint8)
    pic[padding:padding + S, padding:padding + S] = np.asarray(quantized) + PICTURE_AT
    return pic.repeat(cell, 0).repeat(cell, 1), colours


def gif(x: np.ndarray, fmap: np.ndarray, *, k: int, stride: int, padding: int, dilation: int,
        frames: int = 120, ms_per_frame: int = 80, check=None) -> bytes:
    """The animation, written one frame at a time: every frame is a uint8 palette canvas,
    and only the rectangle that changed since the previous frame is encoded, so memory is
    two canvases whatever the frame count. `check()`, if given, is called before each frame
    (a deadline raises there)."""
    S = x.shape[0]
    Ho, Wo = fmap.shape
    cell, mcell = _scales(S, padding, Ho, Wo)
    pic, picture_colours = _picture_panel(x, padding, cell)
    scale = (scale_index(fmap, SCALE_N) + SCALE_AT).repeat(mcell, 0).repeat(mcell, 1)
    filled_at = np.arange(Ho * Wo, dtype=np.int32).reshape(Ho, Wo)
    filled_at = filled_at.repeat(mcell, 0).repeat(mcell, 1)
    palette = np.concatenate([[[255, 255, 255], UNFILLED, PAD_GREY, WINDOW],
                              _colour_table(n=SCALE_N), picture_colours]).astype(np.uint8)

    width, height = frame_size(S, padding, Ho, Wo)
    left = pic.shape[1] + GAP
    base = np.full((height, width), WHITE_I, np.uint8)
    base[:pic.shape[0], :pic.shape[1]] = pic
    right = base[:scale.shape[0], left:left + scale.shape[1]]
    right[:] = UNFILLED_I
    span = effective_size(k, dilation) * cell
    positions = _frame_positions(Ho * Wo, frames)
    buf = io.BytesIO()
    previous = None
    for i, pos in enumerate(positions):
        if check is not None:
            check()
        np.copyto(right, scale, where=filled_at <= pos)  # the map so far stays filled in
        canvas = base.copy()
        r, c = divmod(int(pos), Wo)
        _outline(canvas, r * stride * cell, c * stride * cell, span, span, max(2, cell // 3),
                 WINDOW_I)
        _outline(canvas, r * mcell, left + c * mcell, mcell, mcell, max(1, mcell // 4),
                 WINDOW_I)
        duration = 1500 if i == len(positions) - 1 else ms_per_frame  # rest on the full map
        if previous is None:
            frame = Image.fromarray(canvas, "P")
            frame.putpalette(palette.tobytes())
            header, _ = GifImagePlugin.getheader(frame, palette.tobytes(), {"loop": 0})
            buf.write(b"".join(header))
            box = (0, 0, width, height)
        else:
            rows = np.flatnonzero((canvas != previous).any(axis=1))
            cols = np.flatnonzero((canvas != previous).any(axis=0))
            if not len(rows):  # nothing moved: a frame of one unchanged pixel keeps the time
                rows = cols = np.array([0])
            box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
        crop = Image.fromarray(canvas[box[1]:box[3], box[0]:box[2]], "P")
        for part in GifImagePlugin.getdata(crop, offset=box[:2], duration=duration, disposal=1):
            buf.write(part)
        previous = canvas
    buf.write(b";")  # the GIF trailer
    return buf.getvalue()


def csv_text(fmap: np.ndarray) -> str:
    """(H, W) → CSV: one line a row, values with 6 significant digits."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in fmap:
        writer.writerow([f"{v:.6g}" for v in row])
    return buf.getvalue()
