"""Data sets for training: an image folder, or the official CIFAR-10 python batches.

Every loader returns (x, y, classes): x (N, H, W, 3) uint8 pixels, y (N,) int64
labels indexing `classes`. Pixels stay uint8 until a batch is drawn (a quarter
of the memory of float32); `to_float` turns a batch into [0, 1] float32.
"""

from __future__ import annotations

import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
CHUNK = 1000  # images a worker decodes per task


def decode_images(paths: list[str], size: int) -> np.ndarray:
    """Decode image files into (len(paths), size, size, 3) uint8 RGB."""
    out = np.empty((len(paths), size, size, 3), np.uint8)
    for i, path in enumerate(paths):
        try:
            with Image.open(path) as im:
                im = im.convert("RGB")
                if im.size != (size, size):
                    im = im.resize((size, size), Image.Resampling.BILINEAR)
                out[i] = np.asarray(im)
        except OSError as e:  # PIL.UnidentifiedImageError is an OSError too
            raise ValueError(f"cannot read image {path}: {e}") from e
    return out


def load_image_folder(
    root: str | os.PathLike, size: int = 32, workers: int | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read root/<class name>/<image>: one sub-folder a class, classes in sorted order.

    Returns x (N, size, size, 3) uint8, y (N,) int64, classes. Images are decoded
    in `workers` processes (all cores by default) and resized to size×size if they
    are not already. FileNotFoundError for a missing folder, ValueError for a folder
    without class sub-folders, an empty class folder or an unreadable image.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no image folder at {root} (expected {root}/<class>/<image>)")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not classes:
        raise ValueError(f"{root} has no class sub-folders (expected {root}/<class>/<image>)")
    paths, labels = [], []
    for label, name in enumerate(classes):
        files = sorted(
            str(p) for p in (root / name).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not files:
            raise ValueError(f"class folder {root / name} has no images")
        paths += files
        labels += [label] * len(files)
    x = np.empty((len(paths), size, size, 3), np.uint8)
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(paths) <= CHUNK:
        x[:] = decode_images(paths, size)
    else:
        # Many small chunks rather than one per process: finished chunks travel back
        # to this process while the workers decode the next ones.
        starts = range(0, len(paths), CHUNK)
        chunks = [paths[i : i + CHUNK] for i in starts]
        with ProcessPoolExecutor(workers) as pool:
            parts = pool.map(decode_images, chunks, [size] * len(chunks))
            for i, part in zip(starts, parts, strict=True):
                x[i : i + len(part)] = part
    return x, np.asarray(labels, np.int64), classes


def load_cifar_batches(
    root: str | os.PathLike, split: str = "train"
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read the official 'cifar-10-batches-py' folder: data_batch_1..5 (train) or test_batch.

    Returns x (N, 32, 32, 3) uint8, y (N,) int64, the class names of batches.meta.
    """
    root = Path(root)
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    missing = [n for n in names if not (root / n).exists()]
    if missing:
        raise FileNotFoundError(f"{root} lacks CIFAR-10 python batches: {', '.join(missing)}")
    xs, ys = [], []
    for name in names:
        with open(root / name, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
        # stored as (N, 3072): 1024 red, then green, then blue values, row-major
        xs.append(batch[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        ys.append(np.asarray(batch[b"labels"], np.int64))
    meta = root / "batches.meta"
    if meta.exists():
        with open(meta, "rb") as f:
            classes = [c.decode() for c in pickle.load(f, encoding="bytes")[b"label_names"]]
    else:
        classes = [str(i) for i in range(10)]
    return np.ascontiguousarray(np.concatenate(xs)), np.concatenate(ys), classes


def load_dataset(
    path: str | os.PathLike, size: int = 32
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """An image folder, or a folder of CIFAR-10 python batches, whichever path holds."""
    if (Path(path) / "data_batch_1").exists():
        return load_cifar_batches(path)
    return load_image_folder(path, size)


def split_validation(
    n: int, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices), each sorted: a random `fraction` of n held out."""
    order = rng.permutation(n)
    n_val = int(round(n * fraction))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std (C,) float64, in [0, 1] units, of uint8 pixels x (N, H, W, C).

    Exact, from a 256-bin histogram a channel: no float32 running sum (which stops
    growing at 2**24, long before 50,000 images' worth of pixels) and no float copy.
    """
    values = np.arange(256) / 255
    mean, std = [], []
    for c in range(x.shape[-1]):
        p = np.bincount(x[..., c].ravel(), minlength=256) / (x.size // x.shape[-1])
        m = p @ values
        mean.append(m)
        std.append(np.sqrt(p @ (values - m) ** 2))
    return np.array(mean), np.array(std)


def to_float(x: np.ndarray) -> np.ndarray:
    """uint8 pixels → float32 in [0, 1]."""
    return x.astype(np.float32) * np.float32(1 / 255)


def augment(x: np.ndarray, rng: np.random.Generator, pad: int = 4) -> np.ndarray:
    """Random crop after zero padding by `pad`, and random horizontal flip: (N,H,W,C) → same.

    One gather for the whole batch: each image's crop offsets become index arrays.
    """
    N, H, W, _ = x.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dy = rng.integers(0, 2 * pad + 1, N)
    dx = rng.integers(0, 2 * pad + 1, N)
    rows = dy[:, None] + np.arange(H)  # (N, H)
    cols = dx[:, None] + np.arange(W)  # (N, W)
    flip = rng.random(N) < 0.5
    cols[flip] = cols[flip, ::-1]
    return xp[np.arange(N)[:, None, None], rows[:, :, None], cols[:, None, :]]
