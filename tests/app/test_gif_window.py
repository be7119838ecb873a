"""The GIF's window covers the dilated filter's span: (k − 1)·d + 1 pixels of the picture."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.animation import gif


@pytest.mark.parametrize(("k", "dilation", "span"), [(3, 1, 3), (3, 3, 7), (5, 2, 9)])
def test_the_window_spans_the_dilated_filter(k, dilation, span):
    S = 20
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 0.8, (S, S, 3)).astype(np.float32)
    Ho = S - span + 1
    data = gif(x, np.zeros((Ho, Ho), np.float32), k=k, stride=1, padding=0, dilation=dilation,
               frames=2)
    first = Image.open(io.BytesIO(data))
    palette = np.asarray(first.getpalette()[:12], np.uint8).reshape(4, 3)
    window = palette[3]  # the fourth fixed colour: the window's outline
    rgb = np.asarray(first.convert("RGB"))
    # The picture panel: the left part up to the first all-white column gap.
    is_window = (rgb == window).all(axis=2)
    picture_cols = np.flatnonzero(~(rgb == 255).all(axis=(0, 2)))
    gap = np.flatnonzero(np.diff(picture_cols) > 1)
    panel_right = picture_cols[gap[0]] + 1 if len(gap) else picture_cols[-1] + 1
    cell = panel_right / S
    rows, cols = np.nonzero(is_window[:, :panel_right])
    assert rows.min() == 0 and cols.min() == 0  # the first position: the top-left corner
    assert (cols.max() + 1) / cell == pytest.approx(span)
    assert (rows.max() + 1) / cell == pytest.approx(span)
