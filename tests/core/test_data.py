"""Data loaders (image folder, official CIFAR-10 batches), validation split, augmentation."""

import pickle

import numpy as np
import pytest
from PIL import Image

from cnn_core.data import (
    augment,
    channel_stats,
    load_cifar_batches,
    load_dataset,
    load_image_folder,
    split_validation,
    to_float,
)

CLASSES = ["cat", "airplane", "dog"]  # written unsorted: the loader sorts them


def write_folder(root, per_class=2, size=32):
    """root/<class>/<i>.png with known pixels; returns {(class, i): pixels (size, size, 3)}."""
    rng = np.random.default_rng(0)
    written = {}
    for name in CLASSES:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")  # PNG: lossless
            written[name, i] = pixels
    return written


def write_cifar_batches(root, per_batch=3, names=("zero", "one", "two")):
    """The official layout: pickled dicts with b"data" (N, 3072) = red, green, blue planes."""
    root.mkdir()
    images, labels = [], []
    for b in range(1, 6):
        x = np.zeros((per_batch, 32, 32, 3), np.uint8)
        # each image: red = its index, green = 100 + row, blue = 200 + column
        for k in range(per_batch):
            x[k, :, :, 0] = len(images) + k
        x[..., 1] = 100 + np.arange(32)[:, None]
        x[..., 2] = 200 + np.arange(32)[None, :] % 50
        y = [(b + k) % len(names) for k in range(per_batch)]
        planes = x.transpose(0, 3, 1, 2).reshape(per_batch, 3072)  # R plane, G plane, B plane
        with open(root / f"data_batch_{b}", "wb") as f:
            pickle.dump({b"data": planes, b"labels": y, b"batch_label": b"fake"}, f)
        images += list(x)
        labels += y
    with open(root / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [n.encode() for n in names], b"num_vis": 3072}, f)
    return np.stack(images), np.array(labels)


def test_image_folder_gives_the_written_pixels_labels_and_sorted_classes(tmp_path):
    written = write_folder(tmp_path)
    x, y, classes = load_image_folder(tmp_path, workers=1)
    assert classes == ["airplane", "cat", "dog"]
    assert x.dtype == np.uint8 and x.shape == (6, 32, 32, 3)
    assert y.dtype == np.int64 and y.tolist() == [0, 0, 1, 1, 2, 2]
    for j, (name, i) in enumerate((n, i) for n in classes for i in range(2)):
        np.testing.assert_array_equal(x[j], written[name, i])


def test_image_folder_with_worker_processes_keeps_the_order(tmp_path, monkeypatch):
    written = write_folder(tmp_path, per_class=3)
    monkeypatch.setattr("cnn_core.data.CHUNK", 2)  # several chunks, spread over 2 processes
    x, y, classes = load_image_folder(tmp_path, workers=2)
    assert y.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    expected = [written[n, i] for n in classes for i in range(3)]
    np.testing.assert_array_equal(x, np.stack(expected))


def test_image_folder_resizes_and_converts_to_rgb(tmp_path):
    (tmp_path / "grey").mkdir()
    Image.new("L", (64, 48), 77).save(tmp_path / "grey" / "a.png")
    x, _, _ = load_image_folder(tmp_path, size=32, workers=1)
    assert x.shape == (1, 32, 32, 3)
    assert (x == 77).all()


def test_missing_folder_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no image folder at .*nowhere"):
        load_image_folder(tmp_path / "nowhere")


def test_empty_class_folder_is_a_value_error_naming_it(tmp_path):
    write_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="class folder .*empty has no images"):
        load_image_folder(tmp_path, workers=1)


def test_folder_without_class_folders_is_a_value_error(tmp_path):
    Image.new("RGB", (32, 32)).save(tmp_path / "loose.png")
    with pytest.raises(ValueError, match="no class sub-folders"):
        load_image_folder(tmp_path)


def test_unreadable_image_is_a_value_error_naming_the_file(tmp_path):
    write_folder(tmp_path)
    (tmp_path / "cat" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="cannot read image .*broken.jpg"):
        load_image_folder(tmp_path, workers=1)


def test_cifar_batches_plane_order_labels_and_class_names(tmp_path):
    images, labels = write_cifar_batches(tmp_path / "cifar-10-batches-py")
    x, y, classes = load_cifar_batches(tmp_path / "cifar-10-batches-py")
    assert classes == ["zero", "one", "two"]
    assert x.shape == (15, 32, 32, 3) and x.dtype == np.uint8 and x.flags.c_contiguous
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    # by hand: image 7's pixel at row 3, column 40 % 32 = 8 is (7, 103, 208)
    assert x[7, 3, 8].tolist() == [7, 103, 208]


def test_load_dataset_picks_the_layout(tmp_path):
    images, _ = write_cifar_batches(tmp_path / "batches")
    write_folder(tmp_path / "folder")
    np.testing.assert_array_equal(load_dataset(tmp_path / "batches")[0], images)
    assert load_dataset(tmp_path / "folder")[2] == ["airplane", "cat", "dog"]


def test_missing_cifar_batch_is_a_file_not_found_error(tmp_path):
    write_cifar_batches(tmp_path / "b")
    (tmp_path / "b" / "data_batch_4").unlink()
    with pytest.raises(FileNotFoundError, match="lacks CIFAR-10 python batches: data_batch_4"):
        load_cifar_batches(tmp_path / "b")


def test_split_validation_is_disjoint_complete_and_reproducible():
    train, val = split_validation(1000, 0.1, np.random.default_rng(7))
    assert len(val) == 100 and len(train) == 900
    assert np.intersect1d(train, val).size == 0
    np.testing.assert_array_equal(np.union1d(train, val), np.arange(1000))
    again = split_validation(1000, 0.1, np.random.default_rng(7))
    np.testing.assert_array_equal(again[1], val)
    other = split_validation(1000, 0.1, np.random.default_rng(8))
    assert not np.array_equal(other[1], val)


def test_channel_stats_match_float64_numpy():
    x = np.random.default_rng(1).integers(0, 256, (50, 8, 8, 3), dtype=np.uint8)
    x[..., 2] //= 4  # a darker blue, so the channels differ
    mean, std = channel_stats(x)
    f = x.astype(np.float64) / 255
    np.testing.assert_allclose(mean, f.mean(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(std, f.std(axis=(0, 1, 2)), rtol=1e-12)


def test_channel_stats_do_not_saturate_on_many_pixels():
    # 1.5·2**24 white pixels a channel: a float32 running sum stops at 2**24 (mean 0.67)
    x = np.full((3 * 2**23, 1, 1, 3), 255, np.uint8)
    mean, std = channel_stats(x)
    np.testing.assert_array_equal(mean, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(std, [0.0, 0.0, 0.0])


def test_to_float_maps_0_255_to_0_1():
    out = to_float(np.array([0, 51, 255], np.uint8))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.0, 0.2, 1.0], rtol=1e-6)


def test_augment_keeps_shape_and_dtype():
    x = np.random.default_rng(0).integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    out = augment(x, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == np.uint8


class FixedRng:
    """Stands in for a Generator: crop offsets dy, dx and flip draws chosen by hand."""

    def __init__(self, dy, dx, u):
        self.draws = [np.array(dy), np.array(dx)]
        self.u = np.array(u)

    def integers(self, low, high, n):
        return self.draws.pop(0)

    def random(self, n):
        return self.u


def test_augment_crops_and_flips_as_hand_computed():
    x = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3, 1) + 1  # no zeros: padding shows
    # image 0: offset (0, 2) with pad 1 → rows -1..1, cols 1..3, not flipped
    # image 1: offset (1, 1) → the image itself, flipped left-right
    out = augment(x, FixedRng(dy=[0, 1], dx=[2, 1], u=[0.9, 0.1]), pad=1)
    img0 = x[0, :, :, 0]
    expected0 = np.array([[0, 0, 0], [img0[0, 1], img0[0, 2], 0], [img0[1, 1], img0[1, 2], 0]])
    np.testing.assert_array_equal(out[0, :, :, 0], expected0)
    np.testing.assert_array_equal(out[1], x[1, :, ::-1])


def test_augment_is_reproducible_with_a_seed():
    x = np.random.default_rng(0).integers(0, 256, (6, 8, 8, 3), dtype=np.uint8)
    a = augment(x, np.random.default_rng(5))
    b = augment(x, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, x)
