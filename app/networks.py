"""The shipped trained networks, loaded once per worker."""

from __future__ import annotations

from functools import lru_cache

from app.problems import ApiError
from cnn_core.model import Model, list_models, load_model


@lru_cache(maxsize=8)
def _load(name: str, directory: str | None) -> Model:
    return load_model(name, directory)


@lru_cache(maxsize=8)
def _names(directory: str | None) -> tuple[str, ...]:
    return tuple(list_models(directory))


def names(directory: str | None = None) -> list[str]:
    """The shipped models' names (the folder is read once per worker)."""
    return list(_names(directory))


def get(name: str, directory: str | None = None) -> Model:
    if name not in names(directory):
        raise ApiError(404, "Unknown model",
                      f"There is no model {name!r}; we have: {', '.join(names(directory))}.",
                      field="name")
    return _load(name, directory)
