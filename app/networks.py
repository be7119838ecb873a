"""The shipped trained networks, loaded once per worker.

The folder comes from the app (app.config["MODELS_DIR"], resolved in app/config.py),
never from the environment here: the gunicorn hook warms exactly the cache entries the
requests use.
"""

from __future__ import annotations

from functools import lru_cache

from app.problems import ApiError
from cnn_core.model import Model, list_models, load_model


@lru_cache(maxsize=8)
def _load(name: str, directory: str) -> Model:
    return load_model(name, directory)


@lru_cache(maxsize=8)
def _names(directory: str) -> tuple[str, ...]:
    return tuple(list_models(directory))


def names(directory: str) -> list[str]:
    """The shipped models' names (the folder is read once per worker)."""
    return list(_names(directory))


def get(name: str, directory: str) -> Model:
    if name not in names(directory):
        raise ApiError(404, "Unknown model",
                      f"There is no model {name!r}; we have: {', '.join(names(directory))}.",
                      field="name")
    return _load(name, directory)


def warm(directory: str) -> list[Model]:
    """Load every model of the folder now (a worker does it before its first request)."""
    return [get(name, directory) for name in names(directory)]
