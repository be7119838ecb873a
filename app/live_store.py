"""Where live classes live: one record, the students, the answers and an event log per class.

Two back ends with one interface, chosen like the picture store (app/store.py):
- SqliteClasses (app/live_sqlite.py): one SQLite file in DATA_DIR, shared by every process
  on the machine (`python -m app`, and every gunicorn worker). A follower in the same process
  is woken at once; one in another worker sees a new event at its next poll (POLL_SECONDS).
- RedisClasses (app/live_redis.py): the Redis that holds the pictures
  (CONVSCOPE_STORE=redis://…), shared by every worker and replica. The event log is a Redis
  stream (XADD / XREAD BLOCK), so a follower that reconnects with its Last-Event-ID reads
  exactly what it missed.

Every key/row of a class carries its expiry, refreshed by each write; an idle class and all
that was stored about its students go away together. Event ids are opaque strings, in order.
Leases (acquire/refresh/release) count a token's open event streams across every worker and
replica; each lapses on its own unless its stream refreshes it, so a crashed worker's streams
stop counting within a lease's lifetime.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

STREAM_MAX = 1000  # events kept per class (a 60-minute lesson stepping every 4 s: ~900)


class ClassMissingError(Exception):
    """No such class (never started, ended, or expired)."""


class ClassFullError(Exception):
    """The class already has its maximum number of students."""


Event = tuple[str, str]  # (id, JSON data)
Updater = Callable[[dict], "str | None"]  # changes the record in place; returns the event kind


class ClassStore(ABC):
    """Classes by join code. `ttl` is the idle lifetime in seconds."""

    ttl: float

    @abstractmethod
    def create(self, code: str, record: dict, event: str) -> bool:
        """Store a new class and its first event; False if the code is taken."""

    @abstractmethod
    def load(self, code: str) -> dict | None: ...

    @abstractmethod
    def update(self, code: str, change: Updater, event: Callable[[dict, str], str]) -> dict:
        """Atomically: change(record) → kind; if kind, append event(record, kind) to the log.
        Returns the new record; raises ClassMissingError."""

    @abstractmethod
    def join(self, code: str, token: str, nickname: str, limit: int) -> int:
        """Add a student; the number of students now. Raises ClassMissingError or ClassFullError."""

    @abstractmethod
    def students(self, code: str) -> dict[str, str]:
        """token → nickname ("" when none given)."""

    @abstractmethod
    def answer(self, code: str, qid: str, token: str, value: float) -> None:
        """Record (or replace) one student's answer to one question."""

    @abstractmethod
    def answers(self, code: str, qid: str) -> dict[str, float]: ...

    @abstractmethod
    def events(self, code: str, after: str | None, timeout: float) -> list[Event]:
        """Events after id `after` (None: only the latest), waiting up to timeout for one."""

    @abstractmethod
    def valid_event_id(self, event_id: str) -> bool: ...

    @abstractmethod
    def delete(self, code: str) -> None:
        """Forget the class and everything about its students now."""

    @abstractmethod
    def hit(self, key: str, window: int) -> int:
        """Count one hit of `key` in the current fixed window of `window` seconds."""

    @abstractmethod
    def acquire(self, key: str, lease: str, limit: int, ttl: float) -> bool:
        """Hold `lease`, one of at most `limit` live leases of `key`, for `ttl` seconds:
        False (and nothing held) if `key` already has `limit` others. A lease nobody
        refreshes or releases (its process died) lapses after `ttl`."""

    @abstractmethod
    def refresh(self, key: str, lease: str, ttl: float) -> None:
        """Hold `lease` `ttl` seconds more (again, if it lapsed meanwhile)."""

    @abstractmethod
    def release(self, key: str, lease: str) -> None: ...


# ----------------------------------------------------------------------------------------

def make_class_store(spec: str | None, data_dir: str | Path, ttl: float) -> ClassStore:
    """Redis when the pictures are in Redis, else one SQLite file beside them."""
    if spec and spec.startswith(("redis://", "rediss://")):
        from app.live_redis import RedisClasses  # redis only when configured

        return RedisClasses(spec, ttl)
    from app.live_sqlite import SqliteClasses

    return SqliteClasses(Path(data_dir) / "classes.sqlite3", ttl)
