"""An objective test of a "clean" first-layer filter: one colour times one smooth pattern.

The article's first-layer filters are blobs and edges, each in one colour (or in grey).
For a filter w (kh, kw, C) we measure two shares of its energy Σw²:

    colour  the share explained by its best rank-1 approximation colour × pattern: the
            largest singular value² / Σ singular values² of w as a (kh·kw, C) matrix
            (1 when every channel draws the same pattern, scaled)
    smooth  the share in the low spatial frequencies: the orthonormal 2-D DCT-II of each
            channel, coefficients (i, j) with i + j ≤ 2 (6 of a 5×5 filter's 25), summed
            over the channels (1 for a constant or a gentle gradient; a blob or a wide
            edge keeps most of its energy there; pixel noise spreads evenly, ~6/25)

A filter is clean when colour ≥ 0.8 and smooth ≥ 0.7. Both thresholds lie well above
the 99.9th percentile of the same measures on random Gaussian filters (the
initialization): 0.67 and 0.49 for 5×5×3 (`null_percentiles` recomputes them; medians
0.47 and 0.23), so a filter that passes is not noise, and each share is easy to say in
class ("80 % one colour, 70 % smooth").
Shapes: w (F, kh, kw, C) → per-filter arrays (F,). Scale does not matter.

    python -m cnn_core.filter_quality [--models DIR] [NAME ...]   # counts, per epoch too
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

COLOUR_MIN = 0.8
SMOOTH_MIN = 0.7
LOW = 2  # DCT frequencies (i, j) with i + j ≤ LOW count as low


def dct_matrix(n: int) -> np.ndarray:
    """(n, n) orthonormal DCT-II: row k is the k-th cosine, so c = D @ x."""
    k, x = np.arange(n)[:, None], np.arange(n)[None, :]
    d = np.sqrt(2 / n) * np.cos(np.pi * (2 * x + 1) * k / (2 * n))
    d[0] /= np.sqrt(2)
    return d


def colour_share(w: np.ndarray) -> np.ndarray:
    """(F, kh, kw, C) → (F,): energy share of the best colour × pattern (rank-1) approximation."""
    assert w.ndim == 4, w.shape
    F, kh, kw, C = w.shape
    s = np.linalg.svd(w.reshape(F, kh * kw, C).astype(np.float64), compute_uv=False)
    energy = (s**2).sum(axis=1)
    return np.where(energy > 0, s[:, 0] ** 2 / np.maximum(energy, 1e-300), 0.0)


def smooth_share(w: np.ndarray) -> np.ndarray:
    """(F, kh, kw, C) → (F,): energy share in the 2-D DCT frequencies i + j ≤ 2."""
    assert w.ndim == 4, w.shape
    F, kh, kw, C = w.shape
    c = np.einsum("ij,fjlc,kl->fikc", dct_matrix(kh), w.astype(np.float64), dct_matrix(kw))
    low = (np.arange(kh)[:, None] + np.arange(kw)[None, :]) <= LOW
    energy = (c**2).sum(axis=(1, 2, 3))
    return np.where(energy > 0, (c[:, low] ** 2).sum(axis=(1, 2)) / np.maximum(energy, 1e-300),
                    0.0)


def clean(w: np.ndarray) -> np.ndarray:
    """(F, kh, kw, C) → (F,) bool: one colour (≥ 0.8) and smooth (≥ 0.7)."""
    return (colour_share(w) >= COLOUR_MIN) & (smooth_share(w) >= SMOOTH_MIN)


def summary(w: np.ndarray) -> dict:
    """Counts and per-filter shares, rounded, for docs and reports."""
    colour, smooth = colour_share(w), smooth_share(w)
    ok = (colour >= COLOUR_MIN) & (smooth >= SMOOTH_MIN)
    return {"filters": len(w), "clean": int(ok.sum()), "smooth": int((smooth >= SMOOTH_MIN).sum()),
            "one_colour": int((colour >= COLOUR_MIN).sum()),
            "colour_share": np.round(colour, 3).tolist(),
            "smooth_share": np.round(smooth, 3).tolist()}


def null_percentiles(shape=(5, 5, 3), n: int = 20000, seed: int = 0,
                     q=(50, 99, 99.9)) -> dict[str, list[float]]:
    """Percentiles q of both shares over n random Gaussian filters of `shape`."""
    w = np.random.default_rng(seed).standard_normal((n, *shape))
    return {"colour": np.percentile(colour_share(w), q).tolist(),
            "smooth": np.percentile(smooth_share(w), q).tolist()}


def main(argv: list[str] | None = None) -> int:
    from cnn_core.model import MODELS_DIR, list_models, load_model

    p = argparse.ArgumentParser(prog="python -m cnn_core.filter_quality",
                                description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="*", help="models (default: all in --models)")
    p.add_argument("--models", default=str(MODELS_DIR), help="folder of NAME.json + NAME.npz")
    p.add_argument("--layer", default="conv1")
    args = p.parse_args(argv)
    for name in args.names or list_models(args.models):
        model = load_model(name, args.models)
        s = summary(model.filters(args.layer))
        print(f"{name} {args.layer}: {s['clean']} of {s['filters']} clean "
              f"(smooth {s['smooth']}, one colour {s['one_colour']})")
        for epoch in model.epochs_available(args.layer):
            e = summary(model.filters(args.layer, epoch))
            print(f"  epoch {epoch:2d}: {e['clean']:2d} clean, {e['smooth']:2d} smooth, "
                  f"{e['one_colour']:2d} one colour")
    return 0


if __name__ == "__main__":
    sys.exit(main())
