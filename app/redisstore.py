"""RedisStore: the image store in one Redis shared by every replica (imports redis).

Keys (P = prefix): P img:<id> → bytes (with a Redis expiry too, so an idle server forgets on
time); P lru → sorted set id by last use (a logical clock P clock, so replicas with skewed
clocks agree); P born → sorted set id by upload time (ms); P sizes → hash id → byte count;
P bytes → running total; P secret → the id secret. The scripts run atomically in Redis, so
concurrent replicas keep them consistent; eviction needs no server setting.

Durability is Redis's: with `appendonly yes` (fsync every second) an upload that got its 201
survives a Redis restart; without it, a restart loses them. check() says so at start.
"""

from __future__ import annotations

import secrets
import time

import redis

from app.store import DAY, Store, StoreFullError, check_id

_COMMON = """
local lru, sizes, total, born = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local max, prefix = tonumber(ARGV[1]), ARGV[2]
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local function drop(id)
  local n = tonumber(redis.call('HGET', sizes, id) or '0')
  redis.call('DEL', prefix .. id)
  redis.call('ZREM', lru, id)
  redis.call('ZREM', born, id)
  redis.call('HDEL', sizes, id)
  redis.call('DECRBY', total, n)
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', born, '-inf', now - ttl, 'LIMIT', 0, 100)) do
  drop(id)
end
"""

_EVICT = """
while tonumber(redis.call('GET', total) or '0') > max do
  local oldest = redis.call('ZRANGE', lru, 0, 0)
  if #oldest == 0 then redis.call('SET', total, 0) break end
  drop(oldest[1])
end
"""

_EVICT_LUA = _COMMON + _EVICT

_PUT_LUA = _COMMON + """
local clock, key, id, data = KEYS[5], KEYS[6], ARGV[5], ARGV[6]
local old = redis.call('HGET', sizes, id)
if not old or redis.call('EXISTS', key) == 0 then
  if old then drop(id) end
  redis.call('SET', key, data, 'PXAT', now + ttl)
  redis.call('HSET', sizes, id, #data)
  redis.call('INCRBY', total, #data)
  redis.call('ZADD', born, now, id)
end
redis.call('ZADD', lru, redis.call('INCR', clock), id)
""" + _EVICT

_GET_LUA = _COMMON + """
local clock, key, id = KEYS[5], KEYS[6], ARGV[5]
local data = redis.call('GET', key)
if data then redis.call('ZADD', lru, 'XX', redis.call('INCR', clock), id) end
return data
"""

_DELETE_LUA = _COMMON + """
local key, id = KEYS[5], ARGV[5]
local there = redis.call('EXISTS', key)
if redis.call('HEXISTS', sizes, id) == 1 or there == 1 then drop(id) end
return there
"""


class RedisStore(Store):
    """The same store in Redis, shared by every replica; LRU and expiry kept by our scripts."""

    transient_errors = (redis.RedisError,)

    def __init__(self, url: str, max_bytes: int = 200_000_000, prefix: str = "convscope:", *,
                 ttl_seconds: float = DAY):
        self.redis = redis.Redis.from_url(url)
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix
        self._keys = [prefix + "lru", prefix + "sizes", prefix + "bytes", prefix + "born"]
        self._clock = prefix + "clock"
        self._secret: bytes | None = None
        self._put = self.redis.register_script(_PUT_LUA)
        self._get = self.redis.register_script(_GET_LUA)
        self._delete = self.redis.register_script(_DELETE_LUA)
        self._evict = self.redis.register_script(_EVICT_LUA)

    def secret(self) -> bytes:
        if self._secret is None:
            key = self.prefix + "secret"
            self.redis.set(key, secrets.token_bytes(32), nx=True)  # the first one wins
            self._secret = self.redis.get(key)
        return self._secret

    def _key(self, image_id: str) -> str:
        return self.prefix + "img:" + check_id(image_id)

    def _args(self, *more) -> list:
        return [self.max_bytes, self.prefix + "img:", int(time.time() * 1000),
                int(self.ttl_seconds * 1000), *more]

    def put(self, image_id: str, data: bytes) -> None:
        key = self._key(image_id)
        try:
            self._put(keys=[*self._keys, self._clock, key], args=self._args(image_id, data))
        except redis.exceptions.OutOfMemoryError:
            raise StoreFullError("Redis is out of memory (its maxmemory)") from None

    def get(self, image_id: str) -> bytes | None:
        key = self._key(image_id)
        return self._get(keys=[*self._keys, self._clock, key], args=self._args(image_id))

    def __contains__(self, image_id: str) -> bool:
        born = self.redis.zscore(self._keys[3], check_id(image_id))
        fresh = born is not None and born > time.time() * 1000 - self.ttl_seconds * 1000
        return fresh and bool(self.redis.exists(self._key(image_id)))

    def delete(self, image_id: str) -> bool:
        key = self._key(image_id)
        return bool(self._delete(keys=[*self._keys, key], args=self._args(image_id)))

    def evict(self) -> None:
        self._evict(keys=self._keys, args=self._args())

    def check(self) -> list[str]:
        """Durability and memory, read from the server (CONFIG GET)."""
        try:
            conf = {}
            for name in ("appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy"):
                conf.update({k: str(v) for k, v in self.redis.config_get(name).items()})
        except redis.ResponseError:  # a managed Redis may refuse CONFIG
            return ["Could not read Redis's settings (CONFIG GET was refused): make sure it "
                    "runs with appendonly yes and a maxmemory above CONVSCOPE_STORE_MAX_MB."]
        except redis.ConnectionError as e:
            return [f"Redis is not reachable at start ({e}): uploads answer 503 until it is."]
        warnings = []
        maxmemory = int(conf.get("maxmemory", "0"))
        need = self.max_bytes * 5 // 4 + 2**20  # the pictures, plus Redis's own overhead
        if 0 < maxmemory < need:
            raise ValueError(
                f"Redis maxmemory is {maxmemory / 1e6:.1f} MB, too small for "
                f"CONVSCOPE_STORE_MAX_MB={self.max_bytes // 1_000_000}: uploads would fail "
                f"once it fills. Raise maxmemory to at least {need / 1e6:.0f} MB (or 0), or "
                f"lower CONVSCOPE_STORE_MAX_MB to {int((maxmemory - 2**20) * 0.8 / 1e6)} or less.")
        if conf.get("appendonly") != "yes":
            warnings.append(
                f"Redis persistence is off (appendonly no, save {conf.get('save')!r}): a Redis "
                "restart loses uploads made since its last snapshot (all of them if save is "
                "''). Run it with --appendonly yes --appendfsync everysec.")
        elif conf.get("appendfsync") == "no":
            warnings.append("Redis appendfsync is 'no': a crash may lose recent uploads; "
                            "use --appendfsync everysec.")
        if maxmemory and conf.get("maxmemory-policy") != "noeviction":
            warnings.append(f"Redis maxmemory-policy is {conf.get('maxmemory-policy')}: Redis "
                            "may evict the store's keys itself; use noeviction.")
        return warnings
