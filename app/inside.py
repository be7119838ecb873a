"""Inside a trained network: its filters' top training patches and why it guessed.

Schemas for GET /api/models/<name>/top_patches and POST /api/models/<name>/explain, and
the per-worker cache of NAME.patches.npz (written by `python -m cnn_core.top_patches`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from app.arrays import TypedArray
from app.problems import ApiError
from app.schemas import ImageId, Strict
from cnn_core import top_patches
from cnn_core.model import Model


class PatchesQuery(BaseModel):
    layer: str = Field("conv1", max_length=40, description="a conv layer, e.g. conv2")
    filter: int = Field(0, ge=0, le=4095, description="the filter's index in that layer")


class ReceptiveField(BaseModel):
    """Unit (i, j) of the layer sees input rows start + i·jump … + size − 1 (and columns)."""

    size: int
    jump: int
    start: int


class PatchesResponse(BaseModel):
    layer: str
    filter: int
    filters: int = Field(description="the layer's filters")
    shown: int = Field(description="filters with patches: the first `shown` ones")
    field: ReceptiveField
    patches: TypedArray = Field(description="(9, size, size, 3) uint8 windows, best first; "
                                            "padding (outside the picture) is 0")
    inside: list[list[int]] = Field(description="per patch [top, left, bottom, right): the "
                                                "part of the window inside the picture")
    activations: list[float] = Field(description="the filter's response to each patch")
    searched: int = Field(description="training pictures searched")


class ExplainBody(Strict):
    image_id: ImageId
    class_: int | None = Field(None, alias="class", ge=0, le=999,
                               description="the class to explain; default: the guess")


class ExplainResponse(BaseModel):
    class_: int = Field(alias="class")
    class_name: str
    guess: int = Field(description="the predicted class")
    score: float = Field(description="the class's logit, the explained score")
    layer: str = Field(description="the layer of Grad-CAM: the last conv layer after its ReLU")
    field: ReceptiveField
    saliency: TypedArray = Field(description="(H, W) float32 |d score / d pixel|, max over "
                                             "colour channels")
    grad_cam: TypedArray = Field(description="(H, W) float32 ≥ 0, Grad-CAM at input resolution")
    grad_cam_small: TypedArray = Field(description="(h, w) float32, on the layer's own grid")


@lru_cache(maxsize=8)
def _fingerprint(model: Model) -> str:
    return top_patches.fingerprint(model)  # a worker's models never change: hash them once


@lru_cache(maxsize=8)
def _patches(directory: str, name: str) -> tuple[dict, dict] | None:
    path = Path(directory) / f"{name}.patches.npz"
    return top_patches.load(path) if path.exists() else None


def patches_of(model: Model, directory: str, layer: str, index: int) -> dict:
    """One filter's top patches as PatchesResponse's fields; ApiError 404 if there are none."""
    found = _patches(directory, model.name)
    if found is None or found[0]["fingerprint"] != _fingerprint(model):
        raise ApiError(404, "No top patches",
                       f"Top patches were not computed for this version of {model.name}; "
                       f"run python -m cnn_core.top_patches --model {model.name}.", field="name")
    meta, arrays = found
    layers = {lay["layer"]: lay for lay in meta["layers"]}
    if layer not in layers:
        raise ApiError(404, "No such layer",
                       f"{model.name} has no conv layer {layer!r}; its conv layers: "
                       f"{', '.join(layers)}.", field="layer")
    info = layers[layer]
    if index >= info["shown"]:
        raise ApiError(404, "No such filter",
                       f"{layer} of {model.name} has patches for filters 0–{info['shown'] - 1} "
                       f"(of {info['filters']}).", field="filter")
    size, (H, W) = info["size"], meta["picture"][:2]
    windows = arrays[f"{layer}.windows"][index].astype(int)  # (9, 2) top-left, may be < 0
    stored = arrays[f"{layer}.patches"][index]  # (9, c, c, 3) inside parts at top-left
    out = np.zeros((len(windows), size, size, 3), np.uint8)
    inside = []
    for k, (top, left) in enumerate(windows.tolist()):
        t0, l0 = max(-top, 0), max(-left, 0)
        t1, l1 = min(size, H - top), min(size, W - left)
        out[k, t0:t1, l0:l1] = stored[k, :t1 - t0, :l1 - l0]
        inside.append([t0, l0, t1, l1])
    return {"layer": layer, "filter": index, "filters": info["filters"], "shown": info["shown"],
            "field": {k: info[k] for k in ("size", "jump", "start")}, "patches": out,
            "inside": inside, "activations": arrays[f"{layer}.activations"][index].tolist(),
            "searched": int(meta.get("searched", 0))}
