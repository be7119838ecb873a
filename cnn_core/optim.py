"""The trainer's optimizer and schedule: Nesterov SGD with weight decay (the first layer's
own), a warm-up then cosine learning rate, the decay's integral in e-folds, and an
exponential moving average (EMA) of the weights."""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

from cnn_core.model import Model


class SGD:
    """Nesterov momentum SGD; weight decay on weights only (not biases or batchnorm)."""

    def __init__(self, model: Model, momentum: float = 0.9, weight_decay: float = 5e-4,
                 first_decay: float | None = None):
        self.model, self.momentum, self.weight_decay = model, momentum, weight_decay
        # The first layer may decay faster: before batchnorm its scale is free, and decay is
        # what wipes the high-frequency noise of its random start (the gradient hardly
        # touches it), leaving the smooth blobs and edges the lesson shows.
        self.decay = {layer.name: weight_decay for layer in model.layers}
        if first_decay is not None:
            self.decay[model.layers[0].name] = first_decay
        self.velocity = {
            f"{layer.name}.{k}": np.zeros_like(p)
            for layer in model.layers
            for k, p in layer.params.items()
        }

    def step(self, lr: float) -> None:
        for layer in self.model.layers:
            for key, p in layer.params.items():
                g = layer.grads[key]
                if key == "w":
                    g = g + self.decay[layer.name] * p
                v = self.velocity[f"{layer.name}.{key}"]
                v *= self.momentum
                v -= lr * g
                p += self.momentum * v - lr * g  # Nesterov: look ahead along the velocity


def learning_rate(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up to `peak` over `warmup` steps, then cosine decay to zero."""
    if step < warmup:
        return peak * (step + 1) / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def decay_efolds(total: int, warmup: int, peak: float, decay: float, momentum: float) -> float:
    """How many e-folds weight decay alone shrinks a weight over a run: Σ_steps lr·decay/(1−m).

    With no gradient, each step multiplies w by (1 − lr·decay) and momentum stretches a
    steady push by 1/(1 − m), so w ends near w₀·exp(−this). The first layer's filters are
    clean when this is about 10: the random start's noise, which the gradient hardly
    touches, is gone, while the gradient keeps the useful blobs and edges up.
    """
    lr_sum = sum(learning_rate(s, total, peak, warmup) for s in range(total))
    return lr_sum * decay / (1 - momentum)


class EMA:
    """An exponential moving average of a model's weights and batchnorm statistics.

    After each step: shadow ← d·shadow + (1 − d)·current, with d = min(decay, (1+t)/(10+t))
    at update t (short memory at the start, when the weights move fast).
    """

    def __init__(self, model: Model, decay: float):
        self.decay, self.updates = decay, 0
        self.shadow = {k: v.copy() for k, v in model.state().items()}

    def update(self, model: Model) -> None:
        self.updates += 1
        d = np.float32(min(self.decay, (1 + self.updates) / (10 + self.updates)))
        for key, value in model.state().items():
            s = self.shadow[key]
            s *= d
            s += (1 - d) * value

    @contextmanager
    def applied(self, model: Model):
        """Within the block the model holds the averaged weights; then its own again."""
        own = model.state()
        _assign(model, self.shadow)
        try:
            yield model
        finally:
            _assign(model, own)


def _assign(model: Model, arrays: dict[str, np.ndarray]) -> None:
    """Point the model's params and buffers at arrays (no copy; snapshots untouched)."""
    for layer in model.layers:
        for store in (layer.params, layer.buffers):
            for key in store:
                store[key] = arrays[f"{layer.name}.{key}"]
