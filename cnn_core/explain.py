"""Why this guess: saliency maps and Grad-CAM, by the engine's own backward passes.

    gradients(model, x, cls, layer)  one forward, then one backward from a one-hot on the
                                     class score: d score / d pixels and d score / d (layer)
    saliency(...)                    |d score / d pixel|, max over the colour channels
                                     (Simonyan et al., 2014)
    grad_cam(...)                    relu(Σ_k α_k A_k) with α_k the spatial mean of
                                     d score / d A_k, on a conv layer's (post-ReLU) maps
                                     (Selvaraju et al., 2017), brought to input resolution

The score is the class's logit (before softmax), as both papers use. Everything runs
in inference mode (batchnorm uses its running statistics) and keeps its caches in
local variables, never on the shared layers: threads of one worker may explain at once.
Shapes: x (H, W, C) pixels in [0, 1]; maps (H, W) at input resolution.
"""

from __future__ import annotations

import numpy as np

from cnn_core.conv import conv2d_backward, conv2d_forward
from cnn_core.layers import dense_backward, dense_forward
from cnn_core.pool import avg_pool_backward, avg_pool_forward, max_pool_backward, max_pool_forward
from cnn_core.receptive_field import field_of, upsample


def _forward(layer, x):
    """(out, backward: dout → dx) for one layer in inference mode."""
    kind, p = layer.kind, layer.params
    if kind == "conv":
        out, cache = conv2d_forward(x, p["w"], p["b"], layer.stride, layer.padding,
                                    layer.dilation)
        return out, lambda d: conv2d_backward(d, cache, True)[0]
    if kind == "relu":
        mask = x > 0
        return x * mask, lambda d: d * mask
    if kind == "pool":
        fwd, bwd = ((max_pool_forward, max_pool_backward) if layer.op == "max"
                    else (avg_pool_forward, avg_pool_backward))
        out, cache = fwd(x, layer.size, layer.stride)
        return out, lambda d: bwd(d, cache)
    if kind == "batchnorm":
        scale = p["gamma"] / np.sqrt(layer.buffers["running_var"] + 1e-5)
        out = (x - layer.buffers["running_mean"]) * scale + p["beta"]
        return out.astype(x.dtype), lambda d: d * scale
    if kind == "flatten":
        shape = x.shape
        return x.reshape(shape[0], -1), lambda d: d.reshape(shape)
    if kind == "fc":
        out, cache = dense_forward(x, p["w"], p["b"])
        return out, lambda d: dense_backward(d, cache)[0]
    raise ValueError(f"cannot backpropagate through {kind!r} ({layer.name})")


def gradients(model, x: np.ndarray, cls: int | None, layer: str | None = None):
    """Forward x (H, W, C), backward from a one-hot on class `cls`'s logit (None: the
    class it guesses, read off the same forward pass).

    Returns (logits (K,), d logit / d pixels (H, W, C), activation of `layer` (h, w, F)
    or None, d logit / d activation (h, w, F) or None).
    """
    assert x.shape == model.input_shape, (x.shape, model.input_shape)
    if cls is not None and not 0 <= cls < len(model.classes):
        raise IndexError(f"class {cls} out of 0..{len(model.classes) - 1}")
    x = np.asarray(x)
    out = (x.astype(np.result_type(x.dtype, np.float32))[None] - model.mean) / model.std
    backs, seen = [], None
    for i, lay in enumerate(model.layers):
        out, back = _forward(lay, out)
        backs.append(back)
        if lay.name == layer:
            seen = (i, out[0].copy())
    if layer is not None and seen is None:
        raise KeyError(f"{model.name} has no layer {layer!r}")
    logits = out[0]
    cls = int(logits.argmax()) if cls is None else cls
    d = np.zeros_like(out)
    d[0, cls] = 1
    d_layer = None
    for i in range(len(backs) - 1, -1, -1):
        d = backs[i](d)
        if seen is not None and i - 1 == seen[0]:
            d_layer = d[0].copy()  # the gradient arriving at the chosen layer's output
    if seen is not None and seen[0] == len(backs) - 1:
        d_layer = np.eye(len(logits), dtype=np.float32)[cls]
    dx = d[0] / model.std  # the model normalizes (x − mean) / std itself
    return logits, dx, (seen[1] if seen else None), d_layer


def cam_layer(model) -> str:
    """The layer Grad-CAM looks at: the last conv's output after its ReLU (if it has one)."""
    names = [lay.name for lay in model.layers]
    last = max(i for i, lay in enumerate(model.layers) if lay.kind == "conv")
    for lay in model.layers[last + 1:]:
        if lay.kind == "relu":
            return lay.name
        if lay.kind not in ("batchnorm",):
            break
    return names[last]


def explain(model, x: np.ndarray, cls: int | None, layer: str | None = None) -> dict:
    """Saliency and Grad-CAM of class `cls` (None: its guess) for picture x (H, W, C).

    Returns {"class", "logits" (K,), "saliency" (H, W) ≥ 0, "cam_small" (h, w) ≥ 0 on `layer`'s
    grid, "grad_cam" (H, W) ≥ 0, "layer", "weights" (F,) the α_k}.
    """
    layer = layer or cam_layer(model)
    logits, dx, a, da = gradients(model, x, cls, layer)
    if a is None or a.ndim != 3:
        raise ValueError(f"Grad-CAM needs a layer of maps, not {layer!r}")
    alpha = da.mean(axis=(0, 1))  # (F,)
    cam = np.maximum(a @ alpha, 0)  # (h, w)
    return {"class": int(logits.argmax()) if cls is None else cls,
            "logits": logits, "saliency": np.abs(dx).max(axis=-1), "cam_small": cam,
            "grad_cam": np.maximum(upsample(cam, field_of(model, layer), x.shape[0]), 0),
            "layer": layer, "weights": alpha}
