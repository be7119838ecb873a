"""Helpers for the tests of the offline commands (calibrate, top_patches)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from cnn_core.model import MODELS_DIR


def picture_folder(root: Path, per_class: int, seed: int) -> Path:
    """An image-folder data set like CIFAR-10's: classes a and b, random 32×32 PNGs."""
    rng = np.random.default_rng(seed)
    for c in ("a", "b"):
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
                root / c / f"{i}.png")
    return root


def lenet_copy(models: Path, train_images: int, validation_images: int) -> Path:
    """The shipped lenet in a folder of its own, saying it was trained on a split of that size."""
    models.mkdir()
    for ext in ("json", "npz"):
        shutil.copy(MODELS_DIR / f"lenet.{ext}", models / f"lenet.{ext}")
    config = json.loads((models / "lenet.json").read_text())
    config["metadata"].update(train_images=train_images, validation_images=validation_images)
    (models / "lenet.json").write_text(json.dumps(config))
    return models
