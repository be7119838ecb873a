"""Filter display: symmetric per-filter scaling (zero is mid-grey), heatmaps, the mosaic."""

import numpy as np
import pytest

from cnn_core.display import channel_maps, filter_tiles, tile_grid


def test_zero_is_mid_grey_and_the_largest_weight_reaches_black_or_white():
    w = np.zeros((2, 1, 5, 3), np.float32)
    w[0, 0, :, 0] = [-2, -1, 0, 1, 2]  # red channel of filter 0; filter 1 stays all zero
    tiles = filter_tiles(w)
    assert tiles.shape == (2, 1, 5, 3) and tiles.dtype == np.uint8
    np.testing.assert_array_equal(tiles[0, 0, :, 0], [0, 64, 128, 192, 255])
    assert (tiles[0, :, :, 1:] == 128).all()  # green and blue weights are 0
    assert (tiles[1] == 128).all()  # an all-zero filter is plain grey


def test_scaling_is_symmetric_and_per_filter():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 5, 5, 3)).astype(np.float32) * np.float32(
        [[[[0.01]]], [[[1]]], [[[100]]]]
    )
    tiles = filter_tiles(w).astype(int)
    negated = filter_tiles(-w).astype(int)
    for f in range(3):  # each filter uses the full range, however small its weights
        peak = np.unravel_index(np.abs(w[f]).argmax(), w[f].shape)
        assert tiles[f][peak] in (0, 255)
    not_clipped = (tiles < 255) & (negated < 255)
    np.testing.assert_array_equal((tiles + negated)[not_clipped], 256)  # w and −w mirror at 128
    np.testing.assert_array_equal(filter_tiles(w * 7), filter_tiles(w))


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_other_channel_counts_show_the_channel_mean_in_grey(channels):
    w = np.random.default_rng(1).standard_normal((4, 3, 3, channels)).astype(np.float32)
    tiles = filter_tiles(w)
    assert tiles.shape == (4, 3, 3, 3)
    assert (tiles[..., 0] == tiles[..., 1]).all() and (tiles[..., 1] == tiles[..., 2]).all()
    mean = w.mean(axis=3)
    expected = np.rint(128 + 128 * mean / np.abs(mean).max(axis=(1, 2), keepdims=True))
    np.testing.assert_array_equal(tiles[..., 0], np.clip(expected, 0, 255))


def test_channel_maps_are_one_heatmap_per_filter_and_channel():
    w = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    maps = channel_maps(w)
    assert maps.shape == (2, 5, 3, 4) and maps.dtype == np.float32
    assert maps.flags.c_contiguous
    for f in range(2):
        for c in range(5):
            np.testing.assert_array_equal(maps[f, c], w[f, :, :, c])


def test_tile_grid_places_enlarged_tiles_on_the_background():
    tiles = np.stack([np.full((2, 3, 3), 10 * (i + 1), np.uint8) for i in range(5)])
    grid = tile_grid(tiles, cols=3, pad=1, scale=2, background=255)
    assert grid.shape == (2 * (4 + 1) + 1, 3 * (6 + 1) + 1, 3) and grid.dtype == np.uint8
    for i in range(5):
        r, c = divmod(i, 3)
        top, left = 1 + r * 5, 1 + c * 7
        assert (grid[top : top + 4, left : left + 6] == 10 * (i + 1)).all()
    assert (grid[0] == 255).all() and (grid[:, 0] == 255).all()
    assert (grid[6:10, 15:21] == 255).all()  # the empty sixth cell
    assert tile_grid(tiles, cols=8).shape == (2 + 2, 5 * 4 + 1, 3)  # fewer tiles than cols


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"\(F, kh, kw, C\)"):
        filter_tiles(np.zeros((5, 5, 3)))
    with pytest.raises(ValueError, match=r"\(F, kh, kw, C\)"):
        channel_maps(np.zeros((5, 5, 3)))
    with pytest.raises(ValueError, match="RGB tiles"):
        tile_grid(np.zeros((2, 5, 5, 1), np.uint8))
