"""Layers of the engine: each a forward and a backward, side by side.

Functional pairs take arrays and return (out, cache) / gradients; the classes
below wrap them with parameters so a Model can chain them. Shapes are
channels-last: images and activations (N, H, W, C), vectors (N, D).

    conv     (N,H,W,C)  → (N,Ho,Wo,F)     cnn_core.conv
    pool     (N,H,W,C)  → (N,Hp,Wp,C)     cnn_core.pool
    relu     any        → same
    batchnorm (..., C)  → same            cnn_core.batchnorm: over every axis but the last
    flatten  (N,H,W,C)  → (N, H·W·C)      in H, W, C order
    fc       (N,D)      → (N,M)           w (D, M), b (M,)
"""

from __future__ import annotations

import numpy as np

from cnn_core.batchnorm import batchnorm_backward, batchnorm_forward
from cnn_core.conv import conv2d, conv2d_backward, conv2d_forward
from cnn_core.geometry import output_size
from cnn_core.pool import (
    avg_pool2d,
    avg_pool_backward,
    avg_pool_forward,
    max_pool2d,
    max_pool_backward,
    max_pool_forward,
)

__all__ = ["conv2d", "conv2d_forward", "conv2d_backward", "max_pool2d", "avg_pool2d", "relu",
           "softmax", "softmax_cross_entropy", "Conv2D", "ReLU", "MaxPool2D", "AvgPool2D",
           "Flatten", "Dense", "BatchNorm", "LAYER_KINDS"]


def relu(x: np.ndarray) -> np.ndarray:
    """max(0, x), elementwise."""
    return np.maximum(x, 0)


def dense_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray):
    """x (N,D), w (D,M), b (M,) → (x @ w + b (N,M), cache)."""
    return x @ w + b, (x, w)


def dense_backward(dout: np.ndarray, cache):
    """dout (N,M) → (dx (N,D), dw (D,M), db (M,))."""
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def softmax(logits: np.ndarray) -> np.ndarray:
    """(N, K) scores → (N, K) probabilities; shifted by the row max so exp never overflows."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray,
                          smoothing: float = 0.0) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of (N, K) logits against integer labels y (N,) → (loss, dlogits).

    With label smoothing ε the target is q = (1 − ε)·onehot(y) + ε/K instead of onehot(y):
    loss = −Σ_k q_k log p_k, and dloss/dlogits = (p − q)/N.
    """
    N, K = logits.shape
    p = softmax(logits)
    logp_y = np.log(np.maximum(p[np.arange(N), y], 1e-12))
    if smoothing:
        z = logits - logits.max(axis=1, keepdims=True)
        logp_mean = (z - np.log(np.exp(z).sum(axis=1, keepdims=True))).mean(axis=1)
        loss = -((1 - smoothing) * logp_y + smoothing * logp_mean).mean()
    else:
        loss = -logp_y.mean()
    dlogits = p
    if smoothing:
        dlogits -= smoothing / K
    dlogits[np.arange(N), y] -= 1 - smoothing
    return float(loss), dlogits / N


class Layer:
    """A named step of a model: forward(x, train) then backward(dout) fills .grads."""

    kind = "layer"

    def __init__(self, name: str):
        self.name = name
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}  # saved with the weights, not trained
        self.output_shape: tuple = ()

    def build(self, input_shape: tuple, rng: np.random.Generator) -> tuple:
        """Create parameters for inputs of shape input_shape (no batch); return the output shape."""
        self.output_shape = self.output_shape_for(input_shape)
        return self.output_shape

    def output_shape_for(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    @property
    def param_count(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def config(self) -> dict:
        return {"name": self.name, "kind": self.kind}


class Conv2D(Layer):
    kind = "conv"

    def __init__(self, name: str, filters: int, size: int = 5, stride: int = 1,
                 padding: int = 0, dilation: int = 1):
        super().__init__(name)
        self.filters, self.size = filters, size
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.need_dx = True  # the model turns this off for its first layer

    def output_shape_for(self, input_shape):
        H, W, _ = input_shape
        opts = dict(stride=self.stride, padding=self.padding, dilation=self.dilation)
        return (output_size(H, self.size, **opts), output_size(W, self.size, **opts), self.filters)

    def build(self, input_shape, rng):
        C = input_shape[2]
        fan_in = self.size * self.size * C
        # He initialization: keeps activation variance steady through ReLUs
        w = rng.standard_normal((self.filters, self.size, self.size, C)) * np.sqrt(2.0 / fan_in)
        self.params = {"w": w.astype(np.float32), "b": np.zeros(self.filters, np.float32)}
        return super().build(input_shape, rng)

    def forward(self, x, train=False):
        out, self.cache = conv2d_forward(x, self.params["w"], self.params["b"], self.stride,
                                         self.padding, self.dilation)
        return out

    def backward(self, dout):
        dx, self.grads["w"], self.grads["b"] = conv2d_backward(dout, self.cache, self.need_dx)
        return dx

    def config(self):
        return {**super().config(), "filters": self.filters, "size": self.size,
                "stride": self.stride, "padding": self.padding, "dilation": self.dilation}


class ReLU(Layer):
    kind = "relu"

    def forward(self, x, train=False):
        out = np.maximum(x, 0)  # np.where with a scalar is ~10× slower
        self.out = out  # the mask out > 0 is made in backward: inference never pays for it
        return out

    def backward(self, dout):
        return dout * (self.out > 0)


class _Pool(Layer):
    kind = "pool"
    op = ""

    def __init__(self, name: str, size: int = 2, stride: int | None = None):
        super().__init__(name)
        self.size, self.stride = size, stride or size

    def output_shape_for(self, input_shape):
        H, W, C = input_shape
        return (output_size(H, self.size, stride=self.stride),
                output_size(W, self.size, stride=self.stride), C)

    def config(self):
        return {**super().config(), "op": self.op, "size": self.size, "stride": self.stride}


class MaxPool2D(_Pool):
    op = "max"

    def forward(self, x, train=False):
        out, self.cache = max_pool_forward(x, self.size, self.stride)
        return out

    def backward(self, dout):
        return max_pool_backward(dout, self.cache)


class AvgPool2D(_Pool):
    op = "avg"

    def forward(self, x, train=False):
        out, self.cache = avg_pool_forward(x, self.size, self.stride)
        return out

    def backward(self, dout):
        return avg_pool_backward(dout, self.cache)


class Flatten(Layer):
    kind = "flatten"

    def output_shape_for(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, train=False):
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.in_shape)


class Dense(Layer):
    kind = "fc"

    def __init__(self, name: str, units: int):
        super().__init__(name)
        self.units = units

    def output_shape_for(self, input_shape):
        return (self.units,)

    def build(self, input_shape, rng):
        (D,) = input_shape
        w = rng.standard_normal((D, self.units)) * np.sqrt(2.0 / D)
        self.params = {"w": w.astype(np.float32), "b": np.zeros(self.units, np.float32)}
        return super().build(input_shape, rng)

    def forward(self, x, train=False):
        out, self.cache = dense_forward(x, self.params["w"], self.params["b"])
        return out

    def backward(self, dout):
        dx, self.grads["w"], self.grads["b"] = dense_backward(dout, self.cache)
        return dx

    def config(self):
        return {**super().config(), "units": self.units}


class BatchNorm(Layer):
    kind = "batchnorm"

    def build(self, input_shape, rng):
        C = input_shape[-1]
        self.params = {"gamma": np.ones(C, np.float32), "beta": np.zeros(C, np.float32)}
        self.buffers = {"running_mean": np.zeros(C, np.float32),
                        "running_var": np.ones(C, np.float32)}
        return super().build(input_shape, rng)

    def forward(self, x, train=False):
        out, self.cache = batchnorm_forward(x, self.params["gamma"], self.params["beta"],
                                            self.buffers["running_mean"],
                                            self.buffers["running_var"], train)
        return out

    def backward(self, dout):
        dx, self.grads["gamma"], self.grads["beta"] = batchnorm_backward(dout, self.cache)
        return dx


LAYER_KINDS = {"conv": Conv2D, "relu": ReLU, "flatten": Flatten, "fc": Dense,
               "batchnorm": BatchNorm}
POOL_OPS = {"max": MaxPool2D, "avg": AvgPool2D}


def layer_from_config(config: dict) -> Layer:
    """Inverse of Layer.config(): {"name", "kind", ...settings} → an unbuilt layer."""
    settings = {k: v for k, v in config.items() if k not in ("kind",)}
    if config["kind"] == "pool":
        return POOL_OPS[settings.pop("op", "max")](**settings)
    return LAYER_KINDS[config["kind"]](**settings)
