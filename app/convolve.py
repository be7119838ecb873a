"""One conv layer of the lesson on the working picture: CONV → RELU → POOL.

x (S, S, 3) → maps (Ho, Wo, F) → relu (Ho, Wo, F) → pooled (Hp, Wp, F)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flask import current_app

from app import kernels
from app.problems import ApiError
from app.schemas import ConvBody, OneFilterBody
from cnn_core.conv import conv2d
from cnn_core.geometry import GeometryError, conv_geometry, output_size
from cnn_core.layers import relu
from cnn_core.pool import avg_pool2d, max_pool2d


@dataclass
class Layer:
    x: np.ndarray  # (S, S, 3)
    w: np.ndarray  # (F, k, k, 3)
    b: np.ndarray  # (F,)
    labels: list[str]
    geometry: dict


def prepare(body: ConvBody) -> Layer:
    """The picture, the filters and the geometry; ApiError 422 when the kernel doesn't fit
    or the body names a filter it doesn't have."""
    x = current_app.extensions["pictures"].working(body.image_id, body.size)
    w, b, labels = kernels.resolve(body.filters, current_app.config["MODELS_DIR"])
    if isinstance(body, OneFilterBody) and body.filter >= len(w):
        raise ApiError(422, "No such filter",
                       f"there is no filter {body.filter}: the layer has {len(w)} "
                       f"(0 to {len(w) - 1}).", field="filter")
    try:
        geometry = conv_geometry(x.shape, w.shape[1:3], len(w), stride=body.stride,
                                 padding=body.padding, dilation=body.dilation)
        Ho, Wo, F = geometry["output"]
        pool = body.pool
        geometry["pooled"] = [output_size(Ho, pool.size, stride=pool.stride),
                              output_size(Wo, pool.size, stride=pool.stride), F]
    except GeometryError as e:
        raise ApiError(422, "The kernel does not fit", str(e), field="filters", slug="geometry") \
            from None
    return Layer(x, w, b, labels, geometry)


def feature_maps(layer: Layer, body: ConvBody, only: int | None = None) -> np.ndarray:
    """(Ho, Wo, F) maps, or (Ho, Wo, 1) of filter `only`."""
    w, b = (layer.w, layer.b) if only is None else (layer.w[only:only + 1], layer.b[only:only + 1])
    return conv2d(layer.x, w, b, stride=body.stride, padding=body.padding, dilation=body.dilation)


def pooled(maps: np.ndarray, body: ConvBody) -> np.ndarray:
    pool = max_pool2d if body.pool.op == "max" else avg_pool2d
    return pool(relu(maps), body.pool.size, body.pool.stride)

