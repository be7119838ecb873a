"""NumPy arrays as the typed-array objects Plotly.js reads natively.

{"dtype": "f4", "shape": [28, 28], "bdata": "<base64 of the little-endian C-order bytes>"}

"f2" (IEEE half precision, on request) halves the bytes of maps only drawn as heatmaps; it is
not a Plotly typed-array dtype, so the page decodes it to a Float32Array itself (api.js).
Rounded to the nearest float16: about 3 significant digits (relative error ≤ 2⁻¹¹).
"""

from __future__ import annotations

import base64

import numpy as np
from pydantic import BaseModel

DTYPES = {"f4": np.dtype("<f4"), "f2": np.dtype("<f2"), "u1": np.dtype("u1")}


class TypedArray(BaseModel):
    dtype: str
    shape: list[int]
    bdata: str


def typed(a: np.ndarray, dtype: str = "f4") -> dict:
    if not (isinstance(a, np.ndarray) and a.dtype == DTYPES[dtype] and a.flags.c_contiguous):
        a = np.ascontiguousarray(a, dtype=DTYPES[dtype])
    return {"dtype": dtype, "shape": list(a.shape),
            "bdata": base64.b64encode(a.data).decode("ascii")}


def maps(stack: np.ndarray, limit: int | None = None, dtype: str = "f4") -> list[dict]:
    """A stack (H, W, C) as a list of C typed 2-D maps, one per channel (each a heatmap's z)."""
    C = stack.shape[-1] if limit is None else min(limit, stack.shape[-1])
    planes = np.moveaxis(stack[..., :C], -1, 0).astype(DTYPES[dtype], order="C")  # one copy
    return [typed(plane, dtype) for plane in planes]


def from_typed(obj: dict) -> np.ndarray:
    """The inverse of typed(), for tests and scripts."""
    raw = base64.b64decode(obj["bdata"])
    return np.frombuffer(raw, dtype=DTYPES[obj["dtype"]]).reshape(obj["shape"])
