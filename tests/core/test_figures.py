"""Filter pictures for the docs."""

import numpy as np
from PIL import Image

from cnn_core.figures import evolution_epochs, filter_picture, save_figures
from cnn_core.model import build_model


def test_evolution_epochs_are_the_wanted_ones_that_exist_and_the_last():
    assert evolution_epochs(list(range(25))) == [0, 1, 2, 5, 24]
    assert evolution_epochs([0, 1, 2, 3]) == [0, 1, 2, 3]
    assert evolution_epochs([0]) == [0]


def test_filter_picture_enlarges_each_weight_into_a_square():
    w = np.zeros((2, 5, 5, 3), np.float32)
    w[0, 0, 0] = [1.0, -1.0, 0.0]  # top-left weight: full red, no green, grey blue
    pixels = filter_picture(w, cols=2, scale=4)
    # 2 tiles of 20×20 with 2-pixel white padding: 2 + 20 + 2 + 20 + 2 across
    assert pixels.shape == (24, 46, 3)
    assert pixels[2:6, 2:6].reshape(-1, 3).tolist() == [[255, 0, 128]] * 16
    assert (pixels[2:22, 24:44] == 128).all()  # the all-zero filter is plain grey
    assert (pixels[:2] == 255).all()


def test_save_figures_writes_both_pictures_of_each_model(tmp_path):
    model = build_model("lenet")
    model.snapshots = {"conv1": np.stack([model.filters()] * 3).astype(np.float16)}
    model.save(tmp_path / "models")
    written = save_figures(tmp_path / "models", tmp_path / "docs")
    assert [p.name for p in written] == ["filters_lenet.png", "filters_evolution_lenet.png"]
    final = Image.open(tmp_path / "docs" / "filters_lenet.png")
    assert final.size == (6 * (5 * 16 + 2) + 2, 5 * 16 + 4)  # six 5×5 filters, ×16
    evolution = Image.open(tmp_path / "docs" / "filters_evolution_lenet.png")
    panel = (6 * (5 * 8 + 2) + 2, 5 * 8 + 4)  # ×8 there
    # epochs 0, 1 and 2 side by side, 12 pixels apart, under a 22-pixel caption
    assert evolution.size == (3 * panel[0] + 2 * 12, 22 + panel[1])
