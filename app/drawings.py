"""The built-in pictures' painters, drawn by code (NumPy + Pillow): nothing downloaded.

Each painter takes a master side n and returns an RGB n×n picture; app/samples.py names them,
shrinks them with a box filter (which anti-aliases every edge) and caches them. Lesson
patterns show what a filter responds to (edges, stripes, blobs); scenes are simple drawings
of CIFAR-10 kinds of things for the trained network to look at. Deterministic.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

MASTER = 1024
Colour = tuple[int, int, int]
Painter = Callable[[int], Image.Image]  # master side n → RGB n×n


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates y, x in (0, 1), each (n, n)."""
    t = (np.arange(n, dtype=np.float64) + 0.5) / n
    return t[:, None] * np.ones((1, n)), np.ones((n, 1)) * t[None, :]


def _image(a: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8), "RGB")


def _mix(c0: Colour, c1: Colour, t: np.ndarray) -> np.ndarray:
    """Per-pixel blend of two colours by t in [0, 1] (any shape) → (..., 3)."""
    t = t[..., None]
    return (1 - t) * np.asarray(c0, float) + t * np.asarray(c1, float)


def _noise(n: int, cells: int, seed: int) -> np.ndarray:
    """Smooth noise in [-1, 1], (n, n): a cells×cells random grid, bicubic-enlarged."""
    g = np.random.default_rng(seed).random((cells, cells)).astype(np.float32)
    return np.asarray(Image.fromarray(g * 2 - 1, "F").resize((n, n), Image.Resampling.BICUBIC))


def _backdrop(n: int, top: Colour, bottom: Colour, horizon: float | None = None,
              ground: tuple[Colour, Colour] | None = None, texture: float = 0.0,
              seed: int = 0) -> Image.Image:
    """A vertical gradient (sky), and below `horizon` a second gradient (sea, field, road)
    with some smooth noise for texture."""
    y, _ = _grid(n)
    a = _mix(top, bottom, y / (horizon or 1.0))
    if horizon is not None and ground is not None:
        below = y >= horizon
        g = _mix(ground[0], ground[1], np.clip((y - horizon) / (1 - horizon), 0, 1))
        g *= 1 + texture * (0.6 * _noise(n, 24, seed) + 0.4 * _noise(n, 96, seed + 1))[..., None]
        a[below] = g[below]
    return _image(a)


def _pen(img: Image.Image) -> Callable[..., None]:
    """draw(kind, points or box in [0, 1] units, colour): polygons, ellipses, rectangles."""
    d, n = ImageDraw.Draw(img), img.size[0]

    def draw(kind: str, pts: list[float], fill: Colour, width: float = 0) -> None:
        xy = [round(v * n) for v in pts]
        if kind == "poly":
            d.polygon(xy, fill=fill)
        elif kind == "ellipse":
            d.ellipse(xy, fill=fill)
        elif kind == "rect":
            d.rectangle(xy, fill=fill)
        elif kind == "line":
            d.line(xy, fill=fill, width=max(1, round(width * n)))
    return draw


# --- lesson pictures ---------------------------------------------------------------------

def colour_wheel(n: int) -> Image.Image:
    y, x = _grid(n)
    angle = np.arctan2(y - 0.5, x - 0.5) % (2 * np.pi)
    hue = np.floor(angle / (2 * np.pi) * 12) / 12  # 12 wedges, each one flat colour
    rgb = np.clip(np.abs(((hue[..., None] * 6 + [0, 4, 2]) % 6) - 3) - 1, 0, 1) * 255
    inside = np.hypot(y - 0.5, x - 0.5) < 0.45
    return _image(np.where(inside[..., None], rgb, 128.0))


def oriented_bars(n: int) -> Image.Image:
    img = Image.new("RGB", (n, n), (128, 128, 128))
    draw = _pen(img)
    bars = [((0.25, 0.25), 0, (220, 30, 30)), ((0.75, 0.25), 45, (30, 170, 40)),
            ((0.25, 0.75), 90, (40, 70, 220)), ((0.75, 0.75), 135, (245, 210, 30))]
    for (cx, cy), degrees, colour in bars:
        a = np.radians(degrees)
        u, v = np.array([np.cos(a), -np.sin(a)]), np.array([np.sin(a), np.cos(a)])
        corners = [(cx, cy) + 0.17 * su * u + 0.045 * sv * v for su, sv in
                   ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        draw("poly", [float(c) for p in corners for c in p], colour)
    return img


def one_edge(n: int) -> Image.Image:
    _, x = _grid(n)
    return _image(np.where((x < 0.5)[..., None], 40.0, 215.0) * np.ones(3))


def vertical_stripes(n: int) -> Image.Image:
    _, x = _grid(n)
    return _image(np.where((np.floor(x * 16) % 2 == 0)[..., None], 20.0, 235.0) * np.ones(3))


def sine_grating(n: int) -> Image.Image:
    y, _ = _grid(n)
    return _image((127.5 + 110 * np.cos(2 * np.pi * 6 * y))[..., None] * np.ones(3))


def checkerboard(n: int) -> Image.Image:
    y, x = _grid(n)
    return _image(((np.floor(y * 8) + np.floor(x * 8)) % 2 * 255)[..., None] * np.ones(3))


def colour_blobs(n: int) -> Image.Image:
    y, x = _grid(n)
    a = np.zeros((n, n, 3))
    for (cy, cx), channel in (((0.35, 0.3), 0), ((0.35, 0.7), 1), ((0.72, 0.5), 2)):
        a[..., channel] += 255 * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * 0.13 ** 2))
    return _image(a)


def rings(n: int) -> Image.Image:
    y, x = _grid(n)
    r = np.hypot(y - 0.5, x - 0.5)
    return _image((127.5 + 120 * np.cos(2 * np.pi * 7 * r))[..., None] * np.ones(3))


# --- scenes ------------------------------------------------------------------------------

def airplane(n: int) -> Image.Image:
    img = _backdrop(n, (60, 115, 200), (165, 200, 240))
    draw = _pen(img)
    draw("poly", [0.50, 0.47, 0.60, 0.47, 0.47, 0.24, 0.42, 0.24], (150, 155, 165))  # far wing
    draw("poly", [0.16, 0.44, 0.22, 0.44, 0.17, 0.28, 0.11, 0.28], (150, 155, 165))
    draw("ellipse", [0.08, 0.42, 0.95, 0.57], (232, 234, 238))  # fuselage
    draw("poly", [0.06, 0.47, 0.20, 0.43, 0.20, 0.53, 0.10, 0.51], (232, 234, 238))
    draw("poly", [0.08, 0.46, 0.17, 0.45, 0.12, 0.20, 0.05, 0.20], (210, 40, 40))  # tail fin
    draw("ellipse", [0.10, 0.51, 0.92, 0.57], (185, 188, 196))  # shaded belly
    draw("poly", [0.44, 0.52, 0.60, 0.52, 0.38, 0.82, 0.31, 0.82], (200, 203, 210))  # near wing
    draw("ellipse", [0.42, 0.60, 0.54, 0.66], (120, 125, 135))  # engine
    for i in range(14):
        draw("ellipse", [0.30 + i * 0.04, 0.463, 0.315 + i * 0.04, 0.478], (60, 70, 90))
    draw("poly", [0.86, 0.46, 0.91, 0.465, 0.915, 0.49, 0.87, 0.485], (40, 50, 70))  # cockpit
    return img


def ship(n: int) -> Image.Image:
    img = _backdrop(n, (120, 165, 215), (200, 220, 235), horizon=0.55,
                    ground=((40, 80, 120), (15, 45, 80)), texture=0.25, seed=11)
    draw = _pen(img)
    draw("poly", [0.06, 0.48, 0.94, 0.46, 0.86, 0.66, 0.12, 0.66], (45, 45, 55))  # hull
    draw("poly", [0.11, 0.61, 0.875, 0.61, 0.86, 0.66, 0.12, 0.66], (170, 40, 35))
    for i, colour in enumerate([(200, 70, 40), (40, 90, 160), (220, 170, 40), (60, 130, 70)]):
        draw("rect", [0.14 + i * 0.11, 0.38, 0.24 + i * 0.11, 0.47], colour)  # containers
    draw("rect", [0.62, 0.28, 0.80, 0.47], (235, 235, 235))  # bridge
    draw("rect", [0.64, 0.31, 0.78, 0.34], (50, 60, 80))
    draw("rect", [0.70, 0.16, 0.75, 0.28], (40, 40, 45))  # funnel
    draw("rect", [0.12, 0.66, 0.86, 0.69], (30, 60, 90))  # its shadow on the water
    return img


def car(n: int) -> Image.Image:
    img = _backdrop(n, (150, 170, 160), (110, 130, 115), horizon=0.62,
                    ground=((95, 95, 100), (70, 70, 75)), texture=0.15, seed=21)
    draw = _pen(img)
    draw("ellipse", [0.06, 0.70, 0.94, 0.80], (40, 40, 42))  # shadow
    draw("poly", [0.30, 0.48, 0.38, 0.32, 0.64, 0.32, 0.76, 0.48], (190, 20, 25))  # cabin
    draw("poly", [0.35, 0.47, 0.41, 0.35, 0.50, 0.35, 0.50, 0.47], (170, 200, 215))
    draw("poly", [0.53, 0.47, 0.53, 0.35, 0.625, 0.35, 0.71, 0.47], (170, 200, 215))
    draw("ellipse", [0.04, 0.45, 0.20, 0.72], (205, 25, 30))  # rounded ends
    draw("ellipse", [0.82, 0.45, 0.97, 0.72], (205, 25, 30))
    draw("rect", [0.12, 0.45, 0.90, 0.72], (205, 25, 30))  # body
    draw("rect", [0.05, 0.57, 0.96, 0.59], (150, 15, 20))
    draw("ellipse", [0.90, 0.50, 0.96, 0.55], (250, 240, 200))  # headlight
    for cx in (0.25, 0.76):
        draw("ellipse", [cx - 0.095, 0.62, cx + 0.095, 0.81], (25, 25, 25))
        draw("ellipse", [cx - 0.045, 0.665, cx + 0.045, 0.765], (170, 170, 175))
    return img


def truck(n: int) -> Image.Image:
    img = _backdrop(n, (110, 160, 215), (190, 215, 235), horizon=0.66,
                    ground=((90, 90, 92), (65, 65, 68)), texture=0.15, seed=31)
    draw = _pen(img)
    draw("rect", [0.04, 0.22, 0.64, 0.70], (235, 235, 230))  # box
    draw("rect", [0.04, 0.64, 0.64, 0.70], (150, 150, 150))
    draw("poly", [0.65, 0.70, 0.65, 0.34, 0.84, 0.34, 0.95, 0.50, 0.95, 0.70], (30, 80, 170))
    draw("poly", [0.70, 0.37, 0.83, 0.37, 0.91, 0.50, 0.70, 0.50], (175, 205, 225))  # window
    draw("rect", [0.64, 0.62, 0.96, 0.66], (40, 40, 45))  # bumper line
    for cx in (0.16, 0.30, 0.80):
        draw("ellipse", [cx - 0.075, 0.64, cx + 0.075, 0.79], (25, 25, 25))
        draw("ellipse", [cx - 0.035, 0.68, cx + 0.035, 0.75], (150, 150, 155))
    return img


def frog(n: int) -> Image.Image:
    y, _ = _grid(n)
    leaves = _mix((95, 80, 45), (60, 90, 40), 0.5 + 0.5 * _noise(n, 12, 41))
    leaves *= 1 + 0.3 * _noise(n, 80, 42)[..., None]
    img = _image(leaves)
    draw = _pen(img)
    dark, body, belly = (55, 85, 30), (95, 140, 45), (170, 180, 100)
    for box in ([0.08, 0.62, 0.38, 0.86], [0.62, 0.62, 0.92, 0.86]):  # hind legs
        draw("ellipse", box, dark)
    draw("ellipse", [0.18, 0.36, 0.82, 0.84], body)
    draw("ellipse", [0.32, 0.62, 0.68, 0.84], belly)
    draw("ellipse", [0.26, 0.26, 0.74, 0.56], body)  # head
    for cx in (0.34, 0.66):
        draw("ellipse", [cx - 0.075, 0.24, cx + 0.075, 0.38], (200, 170, 60))  # eyes
        draw("ellipse", [cx - 0.035, 0.27, cx + 0.035, 0.35], (15, 15, 10))
    for cx, cy in ((0.30, 0.60), (0.70, 0.62), (0.50, 0.52), (0.40, 0.72), (0.60, 0.74)):
        draw("ellipse", [cx - 0.035, cy - 0.025, cx + 0.035, cy + 0.025], dark)  # spots
    draw("line", [0.40, 0.50, 0.60, 0.50], (40, 60, 20), width=0.008)  # mouth
    return img


def horse(n: int) -> Image.Image:
    img = _backdrop(n, (120, 165, 220), (200, 220, 240), horizon=0.50,
                    ground=((110, 150, 60), (70, 115, 40)), texture=0.2, seed=51)
    draw = _pen(img)
    coat, dark = (125, 72, 38), (60, 35, 20)
    for x0, lean in ((0.28, 0.0), (0.36, 0.03), (0.62, -0.03), (0.70, 0.0)):  # legs
        draw("poly", [x0, 0.55, x0 + 0.05, 0.55, x0 + 0.045 + lean, 0.86, x0 + lean, 0.86],
             coat if x0 in (0.28, 0.62) else dark)
        draw("rect", [x0 + lean - 0.005, 0.85, x0 + lean + 0.05, 0.88], (30, 25, 20))
    draw("ellipse", [0.22, 0.38, 0.78, 0.64], coat)  # body
    draw("poly", [0.66, 0.44, 0.74, 0.18, 0.82, 0.18, 0.78, 0.50], coat)  # neck
    draw("poly", [0.74, 0.16, 0.82, 0.13, 0.96, 0.30, 0.92, 0.35, 0.80, 0.28], coat)  # head
    draw("poly", [0.72, 0.19, 0.76, 0.13, 0.70, 0.44, 0.66, 0.44], dark)  # mane
    draw("poly", [0.77, 0.14, 0.78, 0.08, 0.80, 0.14], dark)  # ear
    draw("poly", [0.23, 0.44, 0.19, 0.45, 0.13, 0.72, 0.18, 0.72], dark)  # tail
    draw("ellipse", [0.83, 0.18, 0.85, 0.20], (15, 10, 10))  # eye
    return img


def bird(n: int) -> Image.Image:
    leaves = _mix((60, 100, 40), (140, 170, 80), 0.5 + 0.5 * _noise(n, 8, 61))
    img = _image(leaves * (1 + 0.2 * _noise(n, 40, 62))[..., None])  # out-of-focus foliage
    draw = _pen(img)
    draw("line", [0.0, 0.78, 1.0, 0.70], (90, 60, 35), width=0.05)  # branch
    draw("poly", [0.20, 0.52, 0.06, 0.70, 0.14, 0.73, 0.30, 0.60], (120, 20, 20))  # tail
    draw("ellipse", [0.22, 0.38, 0.70, 0.74], (200, 30, 30))  # body
    draw("ellipse", [0.50, 0.22, 0.78, 0.50], (205, 35, 35))  # head
    draw("poly", [0.58, 0.18, 0.66, 0.08, 0.68, 0.26], (200, 30, 30))  # crest
    draw("poly", [0.76, 0.33, 0.90, 0.38, 0.76, 0.43], (240, 160, 40))  # beak
    draw("poly", [0.68, 0.30, 0.78, 0.32, 0.78, 0.44, 0.70, 0.44], (30, 20, 20))  # mask
    draw("ellipse", [0.67, 0.31, 0.71, 0.35], (250, 250, 250))
    draw("poly", [0.28, 0.48, 0.56, 0.46, 0.48, 0.66, 0.30, 0.62], (150, 20, 20))  # wing
    for cx in (0.42, 0.50):
        draw("line", [cx, 0.72, cx, 0.76], (60, 40, 30), width=0.012)  # feet
    return img


def cat(n: int) -> Image.Image:
    img = _backdrop(n, (70, 60, 55), (40, 35, 30))
    draw = _pen(img)
    fur, dark, pink = (150, 150, 150), (80, 80, 80), (240, 170, 160)
    draw("poly", [0.16, 0.40, 0.22, 0.08, 0.45, 0.28], fur)  # ears
    draw("poly", [0.84, 0.40, 0.78, 0.08, 0.55, 0.28], fur)
    draw("poly", [0.21, 0.33, 0.24, 0.15, 0.38, 0.28], pink)
    draw("poly", [0.79, 0.33, 0.76, 0.15, 0.62, 0.28], pink)
    draw("ellipse", [0.12, 0.20, 0.88, 0.90], fur)  # head
    for x0 in (0.40, 0.47, 0.54):
        draw("poly", [x0, 0.21, x0 + 0.06, 0.21, x0 + 0.03, 0.36], dark)  # tabby stripes
    for y0 in (0.45, 0.52):
        draw("poly", [0.12, y0, 0.22, y0 + 0.02, 0.13, y0 + 0.04], dark)
        draw("poly", [0.88, y0, 0.78, y0 + 0.02, 0.87, y0 + 0.04], dark)
    draw("ellipse", [0.33, 0.58, 0.67, 0.86], (220, 220, 215))  # muzzle
    for cx in (0.34, 0.66):
        draw("ellipse", [cx - 0.08, 0.40, cx + 0.08, 0.54], (200, 190, 60))  # eyes
        draw("ellipse", [cx - 0.02, 0.40, cx + 0.02, 0.54], (10, 10, 10))
    draw("poly", [0.45, 0.60, 0.55, 0.60, 0.50, 0.66], (220, 110, 120))  # nose
    for side in (-1, 1):
        for dy in (0.0, 0.04):
            draw("line", [0.5 + side * 0.12, 0.68 + dy, 0.5 + side * 0.40, 0.64 + dy * 2],
                 (250, 250, 250), width=0.004)  # whiskers
    return img
