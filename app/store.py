"""The image store: the bytes of uploaded pictures, by id, with a size bound (least recently
used go first).

An upload's id is the sha256 of the bytes the user sent (64 lowercase hex digits), so the same
file always gets the same id. Two back ends share one interface, `Store`:
- DiskStore: files under one folder, shared safely by several worker processes;
- RedisStore: one Redis shared by several replicas (CONVSCOPE_STORE=redis://host:port/db).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path

ID_PATTERN = re.compile(r"^[0-9a-f]{64}$")
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600  # a temp file this old belongs to a writer that died


def valid_id(s: str) -> bool:
    """True for exactly 64 lowercase hex digits (no path tricks, no trailing newline)."""
    return isinstance(s, str) and ID_PATTERN.fullmatch(s) is not None


def _check(image_id: str) -> str:
    if not valid_id(image_id):
        raise ValueError(f"not an image id (64 lowercase hex digits): {image_id!r:.80}")
    return image_id


class Store(ABC):
    """Bytes by image id. Every method raises ValueError for an id that isn't valid_id."""

    max_bytes: int

    @abstractmethod
    def put(self, image_id: str, data: bytes) -> None:
        """Store (idempotent: the same id twice keeps one copy), then evict to the bound."""

    @abstractmethod
    def get(self, image_id: str) -> bytes | None:
        """The bytes, marked as just used; None if absent (never stored, or evicted)."""

    @abstractmethod
    def __contains__(self, image_id: str) -> bool: ...

    @abstractmethod
    def evict(self) -> None:
        """Remove least recently used items until the total size is ≤ max_bytes."""


class DiskStore(Store):
    """Files root/ab/abcdef… (sharded by the first two hex digits); last use = mtime.

    Safe for several processes sharing root: writes go to a temp file in the same folder and
    are renamed into place (atomic), so a reader sees a whole file or none; eviction tolerates
    files vanishing under it and never touches another writer's temp file.
    """

    def __init__(self, root: str | Path, max_bytes: int = 200_000_000):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, image_id: str) -> Path:
        return self.root / _check(image_id)[:2] / image_id

    @staticmethod
    def _touch(path: Path) -> None:
        now = time.time_ns()  # explicit: the file system's own clock ticks too coarsely for LRU
        os.utime(path, ns=(now, now))

    def put(self, image_id: str, data: bytes) -> None:
        path = self._path(image_id)
        try:
            self._touch(path)  # already here: same id, same bytes
            return
        except FileNotFoundError:
            pass
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            # Mark it used before it is visible: once renamed, another process may evict it
            # at once, and touching it then would fail this put for nothing.
            self._touch(Path(tmp))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.evict()

    def get(self, image_id: str) -> bytes | None:
        path = self._path(image_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # absent, or evicted by another process just now
            return None
        with contextlib.suppress(FileNotFoundError):  # evicted since: the bytes read are whole
            self._touch(path)
        return data

    def __contains__(self, image_id: str) -> bool:
        return self._path(image_id).is_file()

    def _entries(self) -> list[tuple[int, str, int, str]]:
        """(mtime ns, id, size, path) of every stored file; removes stale temp files."""
        found = []
        now = time.time_ns()
        for shard in os.scandir(self.root):
            if not (shard.is_dir(follow_symlinks=False) and len(shard.name) == 2):
                continue
            try:
                entries = list(os.scandir(shard.path))
            except FileNotFoundError:
                continue
            for e in entries:
                try:
                    st = e.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if valid_id(e.name) and e.name[:2] == shard.name:
                    found.append((st.st_mtime_ns, e.name, st.st_size, e.path))
                elif (e.name.startswith(TEMP_PREFIX)
                      and now - st.st_mtime_ns > STALE_TEMP_SECONDS * 1_000_000_000):
                    Path(e.path).unlink(missing_ok=True)
        return found

    def evict(self) -> None:
        entries = sorted(self._entries())
        total = sum(size for _, _, size, _ in entries)
        for _, _, size, path in entries:
            if total <= self.max_bytes:
                break
            Path(path).unlink(missing_ok=True)  # missing: another process evicted it first
            total -= size


# Redis keys (P = prefix): P img:<id> → bytes; P lru → sorted set id by last use (a logical
# clock P clock, so replicas with skewed clocks agree); P sizes → hash id → byte count;
# P bytes → running total. The scripts run atomically in Redis, so concurrent replicas keep
# all four consistent; eviction needs no server setting (maxmemory-policy).
_EVICT_LUA = """
local lru, sizes, total = KEYS[1], KEYS[2], KEYS[3]
local max, prefix = tonumber(ARGV[1]), ARGV[2]
while tonumber(redis.call('GET', total) or '0') > max do
  local oldest = redis.call('ZRANGE', lru, 0, 0)
  if #oldest == 0 then redis.call('SET', total, 0) break end
  local id = oldest[1]
  local n = tonumber(redis.call('HGET', sizes, id) or '0')
  redis.call('DEL', prefix .. id)
  redis.call('ZREM', lru, id)
  redis.call('HDEL', sizes, id)
  redis.call('DECRBY', total, n)
end
"""

_PUT_LUA = """
local lru, sizes, total, clock, key = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, data = ARGV[3], ARGV[4]
local old = redis.call('HGET', sizes, id)
if not old or redis.call('EXISTS', key) == 0 then
  if old then redis.call('DECRBY', total, old) end
  redis.call('SET', key, data)
  redis.call('HSET', sizes, id, #data)
  redis.call('INCRBY', total, #data)
end
redis.call('ZADD', lru, redis.call('INCR', clock), id)
""" + _EVICT_LUA

_GET_LUA = """
local lru, clock, key, id = KEYS[1], KEYS[2], KEYS[3], ARGV[1]
local data = redis.call('GET', key)
if data then redis.call('ZADD', lru, 'XX', redis.call('INCR', clock), id) end
return data
"""


class RedisStore(Store):
    """The same store in Redis, shared by every replica; LRU kept by our own scripts."""

    def __init__(self, url: str, max_bytes: int = 200_000_000, prefix: str = "convscope:"):
        import redis  # only needed when configured

        self.redis = redis.Redis.from_url(url)
        self.max_bytes = max_bytes
        self.prefix = prefix
        self._keys = [prefix + "lru", prefix + "sizes", prefix + "bytes"]
        self._clock = prefix + "clock"
        self._put = self.redis.register_script(_PUT_LUA)
        self._get = self.redis.register_script(_GET_LUA)
        self._evict = self.redis.register_script(_EVICT_LUA)

    def _key(self, image_id: str) -> str:
        return self.prefix + "img:" + _check(image_id)

    def put(self, image_id: str, data: bytes) -> None:
        key = self._key(image_id)
        self._put(keys=[*self._keys, self._clock, key],
                  args=[self.max_bytes, self.prefix + "img:", image_id, data])

    def get(self, image_id: str) -> bytes | None:
        key = self._key(image_id)
        return self._get(keys=[self._keys[0], self._clock, key], args=[image_id])

    def __contains__(self, image_id: str) -> bool:
        return bool(self.redis.exists(self._key(image_id)))

    def evict(self) -> None:
        self._evict(keys=self._keys, args=[self.max_bytes, self.prefix + "img:"])


def make_store(spec: str | None, data_dir: str | Path, max_bytes: int) -> Store:
    """"redis://…" or "rediss://…" → RedisStore; None, "" or "disk" → DiskStore(data_dir/images).
    Anything else is a configuration mistake: ValueError rather than silently using the disk."""
    if spec and spec.startswith(("redis://", "rediss://")):
        return RedisStore(spec, max_bytes)
    if spec in (None, "", "disk"):
        return DiskStore(Path(data_dir) / "images", max_bytes)
    raise ValueError(f"CONVSCOPE_STORE must be 'disk' or a redis:// URL, not {spec!r}")
