"""The working picture of an image id: a built-in sample or an upload from the store.

working(image_id, S) -> (S, S, 3) float32 in [0, 1], read-only and cached per worker:
every step of a lesson asks for the same few pictures again and again.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from app import imaging, samples
from app.problems import ApiError
from app.store import Store


class Pictures:
    def __init__(self, store: Store, cache_size: int = 64):
        self.store = store
        # _cached(image_id, size): least recently used pictures go first (thread-safe)
        self._cached = lru_cache(maxsize=cache_size)(self._working)

    def image(self, image_id: str) -> Image.Image:
        """The stored square picture (RGB, side ≤ 512); ApiError 404 if we don't have it."""
        name = samples.sample_name(image_id)
        if name is not None:
            try:
                return samples.render_sample(name)
            except KeyError:
                raise ApiError(404, "Unknown sample", f"There is no built-in picture {name!r}.",
                              field="image_id", slug="unknown-image") from None
        data = self.store.get(image_id)
        try:
            if data is not None:
                return imaging.decode_stored(data)
        except imaging.ImageError:
            pass  # a damaged stored copy: as good as gone, and uploading again mends it
        raise _unknown()

    def working(self, image_id: str, size: int) -> np.ndarray:
        """(size, size, 3) float32 in [0, 1], read-only; ApiError 404 if we don't have it.
        An upload is looked up in the store every time (cheap): one deleted or expired must
        not live on in this worker's cache."""
        if samples.sample_name(image_id) is None and image_id not in self.store:
            raise _unknown()
        return self._cached(image_id, size)

    def _working(self, image_id: str, size: int) -> np.ndarray:
        x = imaging.working_array(self.image(image_id), size)
        x.flags.writeable = False  # shared by every request of this worker
        return x


def _unknown() -> ApiError:
    return ApiError(404, "Unknown image",
                    "The server no longer has this picture; please upload it again.",
                    field="image_id", slug="unknown-image")
