"""Live classes in the Redis that holds the pictures (CONVSCOPE_STORE=redis://…), shared by
every worker and replica; the interface is app/live_store.py. The event log is a Redis stream
(XADD / XREAD BLOCK), so a follower that reconnects with its Last-Event-ID reads exactly what
it missed."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

from app.live_store import STREAM_MAX, ClassFullError, ClassMissingError, ClassStore, Event, Updater

MAX_REDIS_CONNECTIONS = 2000  # per process (gunicorn_events.conf.py: 256 threads per worker)


_JOIN_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('HLEN', KEYS[2])
if n >= tonumber(ARGV[1]) then return -2 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
return n + 1
"""

# KEYS[1]: a sorted set of leases scored by when they lapse (Redis's own clock, ms);
# ARGV: lease, ttl in ms, limit (-1: none, a refresh). 1 if held, 0 if refused.
_LEASE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(ARGV[3])
if limit >= 0 and not redis.call('ZSCORE', KEYS[1], ARGV[1])
   and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


class RedisClasses(ClassStore):
    """Classes in Redis: <prefix>class:<code>:{rec,students,events,answers:<qid>}."""

    def __init__(self, url: str, ttl: float, prefix: str = "convscope:"):
        import redis

        # every follower's stream blocks in XREAD on a connection of its own: room for a
        # worker's every thread (redis-py's default pool stops at 100)
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=10,
                                          max_connections=MAX_REDIS_CONNECTIONS)
        self.ttl, self.prefix = ttl, prefix
        self._join = self.redis.register_script(_JOIN_LUA)
        self._lease = self.redis.register_script(_LEASE_LUA)

    def _k(self, code: str, part: str) -> str:
        return f"{self.prefix}class:{code}:{part}"

    def _keys(self, code: str) -> list[str]:
        return [self._k(code, p) for p in ("rec", "students", "events")]

    def _expire(self, pipe, code: str, *extra: str) -> None:
        for key in (*self._keys(code), *extra):
            pipe.pexpire(key, int(self.ttl * 1000))

    def _xadd(self, pipe, code: str, data: str) -> None:
        pipe.xadd(self._k(code, "events"), {"d": data}, maxlen=STREAM_MAX, approximate=True)

    def create(self, code: str, record: dict, event: str) -> bool:
        if not self.redis.set(self._k(code, "rec"), json.dumps(record), nx=True,
                              px=int(self.ttl * 1000)):
            return False
        pipe = self.redis.pipeline()
        self._xadd(pipe, code, event)
        self._expire(pipe, code)
        pipe.execute()
        return True

    def load(self, code: str) -> dict | None:
        raw = self.redis.get(self._k(code, "rec"))
        return None if raw is None else json.loads(raw)

    def update(self, code: str, change: Updater, event: Callable[[dict, str], str]) -> dict:
        import redis

        key = self._k(code, "rec")
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        raise ClassMissingError(code)
                    record = json.loads(raw)
                    kind = change(record)
                    pipe.multi()
                    pipe.set(key, json.dumps(record))
                    if kind:
                        self._xadd(pipe, code, event(record, kind))
                    self._expire(pipe, code)
                    pipe.execute()
                    return record
                except redis.WatchError:
                    continue

    def join(self, code: str, token: str, nickname: str, limit: int) -> int:
        n = self._join(keys=self._keys(code), args=[limit, token, nickname, int(self.ttl * 1000)])
        if n == -1:
            raise ClassMissingError(code)
        if n == -2:
            raise ClassFullError(code)
        return int(n)

    def students(self, code: str) -> dict[str, str]:
        raw = self.redis.hgetall(self._k(code, "students"))
        return {k.decode(): v.decode() for k, v in raw.items()}

    def answer(self, code: str, qid: str, token: str, value: float) -> None:
        key = self._k(code, f"answers:{qid}")
        pipe = self.redis.pipeline()
        pipe.hset(key, token, repr(float(value)))
        self._expire(pipe, code, key)
        pipe.execute()

    def answers(self, code: str, qid: str) -> dict[str, float]:
        raw = self.redis.hgetall(self._k(code, f"answers:{qid}"))
        return {k.decode(): float(v) for k, v in raw.items()}

    def valid_event_id(self, event_id: str) -> bool:
        return re.fullmatch(r"[0-9]{1,15}-[0-9]{1,10}", event_id) is not None

    def events(self, code: str, after: str | None, timeout: float) -> list[Event]:
        key = self._k(code, "events")
        if after is None:
            rows = self.redis.xrevrange(key, count=1)
        else:
            got = self.redis.xread({key: after}, block=max(1, int(timeout * 1000)), count=500)
            rows = got[0][1] if got else []
        return [(i.decode(), f[b"d"].decode()) for i, f in rows]

    def delete(self, code: str) -> None:
        answers = list(self.redis.scan_iter(self._k(code, "answers:*")))
        self.redis.delete(*self._keys(code), *answers)

    def hit(self, key: str, window: int) -> int:
        slot = f"{self.prefix}hits:{key}:{int(time.time() // window)}"
        pipe = self.redis.pipeline()
        pipe.incr(slot)
        pipe.expire(slot, window + 1)
        return int(pipe.execute()[0])

    def _leases(self, key: str) -> str:
        return f"{self.prefix}leases:{key}"

    def acquire(self, key: str, lease: str, limit: int, ttl: float) -> bool:
        return self._lease(keys=[self._leases(key)],
                           args=[lease, max(1, int(ttl * 1000)), limit]) == 1

    def refresh(self, key: str, lease: str, ttl: float) -> None:
        self._lease(keys=[self._leases(key)], args=[lease, max(1, int(ttl * 1000)), -1])

    def release(self, key: str, lease: str) -> None:
        self.redis.zrem(self._leases(key), lease)
