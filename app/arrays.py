"""NumPy arrays as the typed-array objects Plotly.js reads natively.

{"dtype": "f4", "shape": [28, 28], "bdata": "<base64 of the little-endian C-order bytes>"}
"""

from __future__ import annotations

import base64

import numpy as np
from pydantic import BaseModel

DTYPES = {"f4": np.dtype("<f4"), "u1": np.dtype("u1")}


class TypedArray(BaseModel):
    dtype: str
    shape: list[int]
    bdata: str


def typed(a: np.ndarray, dtype: str = "f4") -> dict:
    a = np.ascontiguousarray(a, dtype=DTYPES[dtype])
    return {"dtype": dtype, "shape": list(a.shape), "bdata": base64.b64encode(a.data).decode()}


def maps(stack: np.ndarray, limit: int | None = None) -> list[dict]:
    """A stack (H, W, C) as a list of C typed 2-D maps, one per channel (each a heatmap's z)."""
    channels = range(stack.shape[-1] if limit is None else min(limit, stack.shape[-1]))
    return [typed(stack[..., c]) for c in channels]


def from_typed(obj: dict) -> np.ndarray:
    """The inverse of typed(), for tests and scripts."""
    raw = base64.b64decode(obj["bdata"])
    return np.frombuffer(raw, dtype=DTYPES[obj["dtype"]]).reshape(obj["shape"])
