"""Preset kernels for the lesson: blurs, edges, colour detectors and random filters.

make_preset(name, size, channels) -> (weights (size, size, channels) float32, bias float),
for any odd size ≥ 1; random_filters(n, size, channels) -> (n, size, size, channels).

Scaling, chosen so that on pixels in [0, 1] every response stays readable (about -1..1):
- Grey kernels put the same 2-D kernel k on every channel, divided by the channel count,
  so the filter sees the picture's brightness (the mean of its channels). Identity thus
  gives the grey picture; blurs sum to 1 (flat areas keep their brightness).
- Edge kernels (Sobel, Laplacian, emboss) sum to 0 (flat areas give 0); Sobel gives
  exactly 1 on a black-to-white step.
- Colour detectors need 3 (RGB) channels and average over the window: a pure patch of
  their colour gives 1.
- A 1×1 kernel sees one pixel and has no neighbours to compare: edge kernels are zero.
"""

from __future__ import annotations

from math import comb

import numpy as np

PRESETS: dict[str, tuple[str, str]] = {
    "identity": ("Identity", "Copies the picture (in grey): only the centre weight is on."),
    "box_blur": ("Box blur", "Each output is the plain average of the window: the picture blurs."),
    "gaussian_blur": (
        "Gaussian blur",
        "A weighted average, the centre counting most: a soft, natural blur.",
    ),
    "sharpen": (
        "Sharpen",
        "The picture plus its details (centre minus the window's average): crisper edges.",
    ),
    "sobel_x": (
        "Sobel x",
        "Bright where the picture gets brighter from left to right: vertical edges.",
    ),
    "sobel_y": (
        "Sobel y",
        "Bright where the picture gets brighter from top to bottom: horizontal edges.",
    ),
    "laplacian": (
        "Laplacian",
        "Centre minus the window's average: zero on flat areas, strong on every edge and dot.",
    ),
    "emboss": (
        "Emboss",
        "Flat areas turn mid-grey, edges light up or darken by their direction: a relief.",
    ),
    "red": (
        "Red detector",
        "Bright where the window is red: red minus the mean of green and blue.",
    ),
    "green": (
        "Green detector",
        "Bright where the window is green: green minus the mean of red and blue.",
    ),
    "blue": (
        "Blue detector",
        "Bright where the window is blue: blue minus the mean of red and green.",
    ),
    "red_green": (
        "Red–green opponent",
        "Bright on red, dark on green, zero on grey or yellow: like colour cells of the eye.",
    ),
    "random": (
        "Random",
        "Random weights, as a network's filter before any training: it detects nothing yet.",
    ),
}

_COLOURS = {  # weights per (R, G, B): the colour minus the others' mean, or an opponent pair
    "red": (1.0, -0.5, -0.5),
    "green": (-0.5, 1.0, -0.5),
    "blue": (-0.5, -0.5, 1.0),
    "red_green": (1.0, -1.0, 0.0),
}


def list_presets() -> list[dict]:
    """[{"name", "title", "description"}] for every preset, in teaching order."""
    return [{"name": n, "title": t, "description": d} for n, (t, d) in PRESETS.items()]


def _check(size: int, channels: int) -> None:
    if int(size) != size or size < 1 or size % 2 == 0:
        raise ValueError(f"kernel size must be an odd whole number ≥ 1, got {size}")
    if int(channels) != channels or channels < 1:
        raise ValueError(f"channels must be a whole number ≥ 1, got {channels}")


def _binomial(n: int) -> np.ndarray:
    """Row n−1 of Pascal's triangle: [1], [1, 1], [1, 2, 1], [1, 3, 3, 1], …"""
    return np.array([comb(n - 1, i) for i in range(n)], dtype=np.float64)


def _gaussian(size: int) -> np.ndarray:
    """2-D Gaussian summing to 1, sigma from OpenCV's rule for a kernel of this size."""
    sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8
    t = np.arange(size) - size // 2
    g = np.exp(-(t**2) / (2 * sigma**2))
    g /= g.sum()
    return np.outer(g, g)


def _sobel_x(size: int) -> np.ndarray:
    """Smoothing down the rows × derivative across the columns (OpenCV's Sobel of any size).

    Smoothing: binomial, summing to 1. Derivative: binomial(size − 2) ⊛ [−1, 0, 1]
    ([−1, 0, 1], [−1, −2, 0, 2, 1], …), its positive half summing to 1 so that a
    black-to-white step gives exactly 1.
    """
    if size == 1:
        return np.zeros((1, 1))
    smooth = _binomial(size) / 2 ** (size - 1)
    deriv = np.convolve(_binomial(size - 2), [-1.0, 0.0, 1.0])
    deriv /= deriv[deriv > 0].sum()
    return np.outer(smooth, deriv)


def _grey_kernel(name: str, size: int) -> tuple[np.ndarray, float]:
    """The 2-D kernel (size, size) and bias of a grey (brightness) preset."""
    delta = np.zeros((size, size))
    delta[size // 2, size // 2] = 1.0
    box = np.full((size, size), 1.0 / size**2)
    match name:
        case "identity":
            kernel = delta
        case "box_blur":
            kernel = box
        case "gaussian_blur":
            kernel = _gaussian(size)
        case "sharpen":
            kernel = 2 * delta - box  # picture + (picture − local mean)
        case "sobel_x":
            kernel = _sobel_x(size)
        case "sobel_y":
            kernel = _sobel_x(size).T
        case "laplacian":
            kernel = delta - box
        case "emboss":
            kernel = (_sobel_x(size) + _sobel_x(size).T) / 2  # brighter toward bottom-right
    bias = 0.5 if name == "emboss" else 0.0  # emboss: flat areas become mid-grey
    return kernel, bias


def random_filters(n: int, size: int = 5, channels: int = 3, seed: int = 0) -> np.ndarray:
    """n He-initialised filters (n, size, size, channels) float32, as a fresh network starts.

    He init (std √(2 / fan_in), fan_in = size·size·channels) keeps the variance of the
    activations steady through ReLU layers; the same seed gives the same filters.
    """
    _check(size, channels)
    std = np.sqrt(2.0 / (size * size * channels))
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, size, size, channels)) * std).astype(np.float32)


def make_preset(
    name: str, size: int = 5, channels: int = 3, seed: int = 0
) -> tuple[np.ndarray, float]:
    """Weights (size, size, channels) float32 and bias of preset `name` (see list_presets).

    `seed` only matters for "random". Raises ValueError for an unknown name (listing the
    valid ones), an even or non-positive size, or a colour detector without 3 channels.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
    _check(size, channels)
    if name == "random":
        return random_filters(1, size, channels, seed)[0], 0.0
    if name in _COLOURS:
        if channels != 3:
            raise ValueError(f"the {name} detector needs 3 (RGB) channels, got {channels}")
        box = np.full((size, size, 1), 1.0 / size**2)
        return (box * np.array(_COLOURS[name])).astype(np.float32), 0.0
    kernel, bias = _grey_kernel(name, size)
    # Same kernel on every channel, shared out so the filter responds to the channel mean.
    weights = np.repeat(kernel[:, :, None] / channels, channels, axis=2)
    return weights.astype(np.float32), bias
