"""Evaluating a model on uint8 pictures: logits in batches, loss and accuracy, flip
test-time augmentation, and the Wilson interval of an accuracy."""

from __future__ import annotations

import math

import numpy as np

from cnn_core.data import to_float
from cnn_core.layers import softmax_cross_entropy
from cnn_core.model import Model


def logits_of(model: Model, x: np.ndarray, batch: int = 250, flip: bool = False) -> np.ndarray:
    """Logits (N, K) of uint8 images x (N, H, W, C); flip=True mirrors them left-right first."""
    out = []
    for i in range(0, len(x), batch):
        xb = x[i : i + batch]
        out.append(model.forward(to_float(xb[:, :, ::-1] if flip else xb)))
    return np.concatenate(out)


def evaluate(model: Model, x: np.ndarray, y: np.ndarray, batch: int = 250) -> tuple[float, float]:
    """(mean loss, accuracy) of the model on uint8 images x and labels y."""
    logits = logits_of(model, x, batch)
    loss, _ = softmax_cross_entropy(logits, y)
    return loss, float((logits.argmax(1) == y).mean())


def evaluate_tta(model: Model, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(mean loss, accuracy, accuracy with flip TTA): the TTA prediction is the argmax of
    the mean of the logits of each picture and of its mirror image."""
    logits = logits_of(model, x)
    loss, _ = softmax_cross_entropy(logits, y)
    both = (logits + logits_of(model, x, flip=True)) / 2
    return loss, float((logits.argmax(1) == y).mean()), float((both.argmax(1) == y).mean())


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (95 % for z = 1.96) of a proportion correct/n."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half
