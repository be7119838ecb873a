"""The image store: the bytes of uploaded pictures, by id, with a size bound (least recently
used go first) and a time bound (an upload expires `ttl_seconds` after it was stored).

An upload's id is an HMAC of its bytes under a secret kept in the store itself (64 lowercase
hex digits): the same file gets the same id from every worker and replica (so a page can
re-upload a picture the server lost and its shared URL still works), yet the id says nothing
about the content to anyone without the secret. The same secret makes the delete token.
Two back ends share one interface, `Store`:
- DiskStore (app/diskstore.py): files under one folder, shared by several worker processes;
- RedisStore (app/redisstore.py): one Redis shared by replicas (CONVSCOPE_STORE=redis://…).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from abc import ABC, abstractmethod
from pathlib import Path

ID_PATTERN = re.compile(r"^[0-9a-f]{64}$")
DAY = 86_400


def valid_id(s: str) -> bool:
    """True for exactly 64 lowercase hex digits (no path tricks, no trailing newline)."""
    return isinstance(s, str) and ID_PATTERN.fullmatch(s) is not None


def check_id(image_id: str) -> str:
    if not valid_id(image_id):
        raise ValueError(f"not an image id (64 lowercase hex digits): {image_id!r:.80}")
    return image_id


class StoreFullError(Exception):
    """No room for a picture even after evicting everything we may (the disk is full)."""


class Store(ABC):
    """Bytes by image id. Every method taking an id raises ValueError for one that isn't
    valid_id. A stored item counts as absent once expired."""

    max_bytes: int
    ttl_seconds: float = DAY
    # errors that mean "the store is unreachable just now": the API answers 503
    transient_errors: tuple[type[Exception], ...] = ()

    @abstractmethod
    def secret(self) -> bytes:
        """32 random bytes made once and kept in the store, shared by every process using it."""

    def image_id(self, data: bytes) -> str:
        """The id of these bytes: HMAC-SHA256 under the store's secret."""
        return hmac.new(self.secret(), data, hashlib.sha256).hexdigest()

    def delete_token(self, image_id: str) -> str:
        """The capability to delete an upload, given only to whoever uploaded its bytes."""
        return hmac.new(self.secret(), b"delete:" + check_id(image_id).encode(),
                        hashlib.sha256).hexdigest()

    def may_delete(self, image_id: str, token: str) -> bool:
        return hmac.compare_digest(self.delete_token(image_id), token)

    @abstractmethod
    def put(self, image_id: str, data: bytes) -> None:
        """Store (idempotent: the same id twice keeps one copy), then evict to the bound.
        StoreFullError if there is no room even after evicting."""

    @abstractmethod
    def get(self, image_id: str) -> bytes | None:
        """The bytes, marked as just used; None if absent (never stored, evicted, expired)."""

    @abstractmethod
    def __contains__(self, image_id: str) -> bool: ...

    @abstractmethod
    def delete(self, image_id: str) -> bool:
        """Remove now; True if it was there."""

    @abstractmethod
    def evict(self) -> None:
        """Remove expired items, then least recently used ones until the size is ≤ max_bytes."""

    def check(self) -> list[str]:
        """Warnings about the store's setting, for the log at start; raises ValueError for a
        setting that cannot work."""
        return []


def make_store(spec: str | None, data_dir: str | Path, max_bytes: int,
               ttl_seconds: float = DAY) -> Store:
    """"redis://…" or "rediss://…" → RedisStore; None, "" or "disk" → DiskStore(data_dir/images).
    Anything else is a configuration mistake: ValueError rather than silently using the disk."""
    if spec and spec.startswith(("redis://", "rediss://")):
        from app.redisstore import RedisStore  # imports redis: only when configured

        return RedisStore(spec, max_bytes, ttl_seconds=ttl_seconds)
    if spec in (None, "", "disk"):
        from app.diskstore import DiskStore

        return DiskStore(Path(data_dir) / "images", max_bytes, ttl_seconds=ttl_seconds)
    raise ValueError(f"CONVSCOPE_STORE must be 'disk' or a redis:// URL, not {spec!r}")
