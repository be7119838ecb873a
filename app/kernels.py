"""Turn the request's KERNELs into one filter bank w (F, k, k, 3), biases (F,) and labels."""

from __future__ import annotations

import numpy as np

from app import networks
from app.problems import ApiError
from app.schemas import Kernel
from cnn_core.presets import list_presets, make_preset

TITLES = {p["name"]: p["title"] for p in list_presets()}


def _preset(kernel: Kernel, field: str) -> tuple[np.ndarray, float, str]:
    try:
        w, b = make_preset(kernel.preset, kernel.size, 3, kernel.seed)
    except ValueError as e:
        raise ApiError(422, "Unknown or unusable preset", str(e), field=f"{field}.preset") from None
    return w, b, TITLES[kernel.preset]


def _learned(kernel: Kernel, field: str, models_dir: str | None) -> tuple[np.ndarray, float, str]:
    model = networks.get(kernel.model, models_dir)
    try:
        bank = model.filters(kernel.layer, kernel.epoch)
    except KeyError as e:
        raise ApiError(422, "No such filter", str(e.args[0]), field=f"{field}.layer") from None
    if bank.shape[3] != 3:
        raise ApiError(422, "Filter does not fit a picture",
                      f"{kernel.model} {kernel.layer} filters have {bank.shape[3]} channels; "
                      "a picture has 3 (red, green, blue): only a first layer applies to it.",
                      field=f"{field}.layer")
    if kernel.index >= len(bank):
        raise ApiError(422, "No such filter",
                      f"{kernel.model} {kernel.layer} has {len(bank)} filters "
                       f"(0 to {len(bank) - 1}).",
                      field=f"{field}.index")
    # the bias of the same epoch as the weights (never the final bias with an old filter)
    bias = float(model.filter_bias(kernel.layer, kernel.epoch)[kernel.index])
    # The network sees (x − mean)/std; folding that into the filter makes its map on the
    # picture's [0, 1] pixels the network's own conv1 map (wherever no padding is under it).
    w = bank[kernel.index] / model.std
    bias -= float((w * model.mean).sum(dtype=np.float64))
    when = "" if kernel.epoch is None else f" (epoch {kernel.epoch})"
    return w.astype(np.float32), bias, f"{kernel.model} {kernel.layer} #{kernel.index}{when}"


def _weights(kernel: Kernel, field: str) -> tuple[np.ndarray, float, str]:
    w = kernel.weights
    kh, kw = len(w), len(w[0])
    if any(len(row) != kw for row in w) or any(len(px) != 3 for row in w for px in row):
        raise ApiError(422, "Ragged weights",
                      "weights must be kh rows of kw entries, each [red, green, blue].",
                      field=f"{field}.weights")
    if kh != kw:
        raise ApiError(422, "Filter not square", f"weights are {kh}×{kw}; use a square filter.",
                      field=f"{field}.weights")
    return np.asarray(w, np.float32), float(kernel.bias), "hand-made"


def resolve(kernels: list[Kernel], models_dir: str | None = None
            ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(w (F, k, k, 3) float32, b (F,) float32, labels) for the request's filters."""
    parts = []
    for i, kernel in enumerate(kernels):
        field = f"filters.{i}"
        if kernel.preset is not None:
            parts.append(_preset(kernel, field))
        elif kernel.model is not None:
            parts.append(_learned(kernel, field, models_dir))
        else:
            parts.append(_weights(kernel, field))
    sizes = {p[0].shape for p in parts}
    if len(sizes) > 1:
        listed = ", ".join(f"{p[0].shape[0]}×{p[0].shape[1]}" for p in parts)
        raise ApiError(422, "Filters of different sizes",
                      f"a conv layer's filters share one size; these are {listed}.",
                       field="filters")
    w = np.stack([p[0] for p in parts]).astype(np.float32)
    b = np.array([p[1] for p in parts], np.float32)
    return w, b, [p[2] for p in parts]
