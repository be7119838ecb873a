"""The shipped trained networks, loaded once per worker."""

from __future__ import annotations

from functools import lru_cache

from app.problems import ApiError
from cnn_core.model import Model, list_models, load_model


@lru_cache(maxsize=8)
def _load(name: str, directory: str | None) -> Model:
    return load_model(name, directory)


def names(directory: str | None = None) -> list[str]:
    return list_models(directory)


def get(name: str, directory: str | None = None) -> Model:
    if name not in names(directory):
        raise ApiError(404, "Unknown model",
                      f"There is no model {name!r}; we have: {', '.join(names(directory))}.",
                      field="name")
    return _load(name, directory)
