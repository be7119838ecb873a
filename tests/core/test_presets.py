"""Preset kernels do what their explanation says, through the engine's conv2d."""

import numpy as np
import pytest
from scipy.signal import correlate

from cnn_core.layers import conv2d
from cnn_core.presets import list_presets, make_preset, random_filters

GREY = [
    "identity",
    "box_blur",
    "gaussian_blur",
    "sharpen",
    "sobel_x",
    "sobel_y",
    "laplacian",
    "emboss",
]
COLOUR = ["red", "green", "blue", "red_green"]


def respond(name, image, size=5):
    """The preset's feature map on image (H, W, 3), no padding."""
    w, b = make_preset(name, size, image.shape[2])
    return conv2d(image, w[None], np.array([b], np.float32))[:, :, 0]


def step(axis, size=16):
    """Grey picture: black, then white from the middle on, along axis 1 (→) or 0 (↓)."""
    x = np.zeros((size, size, 3), np.float32)
    if axis == 1:
        x[:, size // 2 :] = 1.0
    else:
        x[size // 2 :] = 1.0
    return x


def test_list_presets_names_every_preset_with_a_title_and_an_explanation():
    presets = list_presets()
    assert [p["name"] for p in presets] == GREY + COLOUR + ["random"]
    for p in presets:
        assert set(p) == {"name", "title", "description"}
        assert p["title"] and 20 < len(p["description"]) < 100  # one line on a slide


@pytest.mark.parametrize("size", [1, 3, 5, 7, 11])
@pytest.mark.parametrize("name", GREY + COLOUR + ["random"])
def test_presets_come_in_any_odd_size(name, size):
    w, b = make_preset(name, size)
    assert w.shape == (size, size, 3) and w.dtype == np.float32
    assert isinstance(b, float) and np.isfinite(w).all()


@pytest.mark.parametrize("size", [0, -1, 2, 4, 2.5])
def test_even_or_non_positive_sizes_are_refused(size):
    with pytest.raises(ValueError, match="odd"):
        make_preset("box_blur", size)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown preset 'blurry'.*sobel_x.*red_green"):
        make_preset("blurry")


def test_colour_detectors_need_three_channels():
    with pytest.raises(ValueError, match="3"):
        make_preset("red", channels=1)


@pytest.mark.parametrize("size", [3, 5, 7])
def test_sobel_x_finds_vertical_edges_and_ignores_horizontal_ones(size):
    across = respond("sobel_x", step(axis=1), size)
    assert across.max() == pytest.approx(1.0, abs=1e-6)  # black to white: exactly 1
    assert np.abs(across[:, 0]).max() < 1e-6  # far from the edge: nothing
    np.testing.assert_allclose(respond("sobel_x", step(axis=0), size), 0, atol=1e-6)
    np.testing.assert_allclose(respond("sobel_x", 1 - step(axis=1), size), -across, atol=1e-6)


def test_sobel_y_finds_horizontal_edges_and_ignores_vertical_ones():
    assert respond("sobel_y", step(axis=0)).max() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(respond("sobel_y", step(axis=1)), 0, atol=1e-6)


def test_sobel_3x3_is_the_classic_kernel_scaled():
    w, _ = make_preset("sobel_x", 3, channels=1)
    classic = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
    np.testing.assert_allclose(w[:, :, 0], classic / 4)


def test_identity_reproduces_the_picture_on_the_interior():
    rng = np.random.default_rng(0)
    grey = rng.random((12, 12, 1), dtype=np.float32)
    np.testing.assert_allclose(respond("identity", grey), grey[2:-2, 2:-2, 0], rtol=1e-6)
    colour = rng.random((12, 12, 3), dtype=np.float32)
    np.testing.assert_allclose(
        respond("identity", colour), colour[2:-2, 2:-2].mean(axis=2), rtol=1e-5
    )


@pytest.mark.parametrize("size", [1, 3, 5, 9])
@pytest.mark.parametrize("channels", [1, 3])
def test_blurs_average_so_weights_sum_to_one(size, channels):
    box, _ = make_preset("box_blur", size, channels)
    assert box.sum() == pytest.approx(1.0, rel=1e-6)
    assert np.ptp(box) == 0  # every weight the same
    gauss, _ = make_preset("gaussian_blur", size, channels)
    assert gauss.sum() == pytest.approx(1.0, rel=1e-6)
    g = gauss[:, :, 0]
    np.testing.assert_array_equal(g, g.T)
    assert g.argmax() == (size * size) // 2  # the centre counts most
    if size > 1:
        assert (np.diff(g[size // 2, size // 2 :]) < 0).all()  # and falls off outwards


def test_gaussian_blur_matches_a_separable_reference():
    image = np.random.default_rng(2).random((10, 10, 3), dtype=np.float32)
    w, _ = make_preset("gaussian_blur")
    reference = sum(correlate(image[:, :, c], w[:, :, c], mode="valid") for c in range(3))
    np.testing.assert_allclose(respond("gaussian_blur", image), reference, rtol=1e-5)


def test_flat_picture_edge_kernels_give_zero_sharpen_keeps_it_emboss_is_mid_grey():
    flat = np.full((9, 9, 3), 0.6, np.float32)
    for name in ("sobel_x", "sobel_y", "laplacian"):
        np.testing.assert_allclose(respond(name, flat), 0, atol=1e-6)
    np.testing.assert_allclose(respond("sharpen", flat), 0.6, rtol=1e-5)
    np.testing.assert_allclose(respond("emboss", flat), 0.5, rtol=1e-5)


def test_laplacian_lights_up_a_bright_dot():
    dot = np.zeros((5, 5, 3), np.float32)
    dot[2, 2] = 1.0
    assert respond("laplacian", dot)[0, 0] == pytest.approx(1 - 1 / 25, rel=1e-6)


PIXELS = {
    "red": (1, 0, 0),
    "green": (0, 1, 0),
    "blue": (0, 0, 1),
    "yellow": (1, 1, 0),
    "grey": (0.5, 0.5, 0.5),
    "white": (1, 1, 1),
}


@pytest.mark.parametrize("k, colour", enumerate(["red", "green", "blue"]))
def test_colour_detectors_give_their_channel_minus_the_others_mean(k, colour):
    for pixel, rgb in PIXELS.items():
        patch = np.broadcast_to(np.array(rgb, np.float32), (5, 5, 3))
        value = respond(colour, patch)[0, 0]
        expected = rgb[k] - (sum(rgb) - rgb[k]) / 2
        assert value == pytest.approx(expected, abs=1e-6)
        if pixel == colour:
            assert value == pytest.approx(1.0)
        elif pixel in ("red", "green", "blue"):
            assert value < 0  # another primary
        elif pixel in ("grey", "white"):
            assert value == pytest.approx(0.0, abs=1e-6)


def test_red_green_opponent():
    expected = {"red": 1.0, "green": -1.0, "blue": 0.0, "yellow": 0.0, "grey": 0.0, "white": 0.0}
    for pixel, rgb in PIXELS.items():
        patch = np.broadcast_to(np.array(rgb, np.float32), (5, 5, 3))
        assert respond("red_green", patch)[0, 0] == pytest.approx(expected[pixel], abs=1e-6)


def test_random_is_seeded_he_initialised_and_unbiased():
    w, b = make_preset("random", seed=3)
    np.testing.assert_array_equal(w, make_preset("random", seed=3)[0])
    np.testing.assert_array_equal(w, random_filters(1, seed=3)[0])
    assert not np.array_equal(w, make_preset("random", seed=4)[0])
    assert b == 0.0
    bank = random_filters(64, size=5, channels=3, seed=0)
    assert bank.shape == (64, 5, 5, 3) and bank.dtype == np.float32
    assert bank.std() == pytest.approx(np.sqrt(2 / 75), rel=0.05)  # 4,800 draws
    assert abs(bank.mean()) < 0.01
    assert len({f.tobytes() for f in bank}) == 64
