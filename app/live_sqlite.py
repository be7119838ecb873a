"""Live classes in one SQLite file in DATA_DIR, shared by every process on the machine
(`python -m app`, and every gunicorn worker); the interface is app/live_store.py. A follower in
the same process is woken at once; one in another worker sees a new event at its next poll."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from app.live_store import STREAM_MAX, ClassFullError, ClassMissingError, ClassStore, Event, Updater

POLL_SECONDS = 0.1  # how often a follower looks for events from other workers


_SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (code TEXT PRIMARY KEY, record TEXT NOT NULL,
                                    expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS students (code TEXT, token TEXT, nickname TEXT,
                                     PRIMARY KEY (code, token));
CREATE TABLE IF NOT EXISTS answers (code TEXT, qid TEXT, token TEXT, value REAL,
                                    PRIMARY KEY (code, qid, token));
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT, data TEXT);
CREATE INDEX IF NOT EXISTS events_code ON events (code, id);
CREATE TABLE IF NOT EXISTS hits (key TEXT PRIMARY KEY, n INTEGER, expires REAL);
CREATE TABLE IF NOT EXISTS leases (key TEXT, lease TEXT, expires REAL, PRIMARY KEY (key, lease));
"""


class _Tx:
    """`with` a connection: one IMMEDIATE write transaction (readers never wait, WAL)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, *_) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


class SqliteClasses(ClassStore):
    """Classes in one SQLite file (WAL), safe for several processes and threads."""

    def __init__(self, path: str | Path, ttl: float, purge_every: float = 60):
        self.path, self.ttl = str(path), ttl
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._wake = threading.Condition()
        self._conn().executescript(_SCHEMA)
        self.purge()
        # expired classes go even when nobody writes: nothing about students outlives them
        threading.Thread(target=self._janitor, args=(purge_every,), daemon=True,
                         name="classes-janitor").start()

    def _janitor(self, every: float) -> None:
        while True:
            time.sleep(every)
            with contextlib.suppress(sqlite3.Error):  # busy, or gone (a test's folder)
                self.purge()

    def purge(self) -> None:
        """Delete every expired class with its students, answers and events, and empty the
        write-ahead log, which still holds the deleted rows' old pages."""
        with self._tx() as db:
            gone = self._purge(db)
        if gone:
            self._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, in autocommit mode (a read sees the last commit)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left
            self._local.db = db
        return db

    def _tx(self) -> _Tx:
        return _Tx(self._conn())

    def _purge(self, db: sqlite3.Connection) -> int:
        now = time.time()
        gone = [r[0] for r in db.execute("SELECT code FROM classes WHERE expires < ?", (now,))]
        for code in gone:
            self._forget(db, code)
        db.execute("DELETE FROM hits WHERE expires < ?", (now,))
        db.execute("DELETE FROM leases WHERE expires < ?", (now,))
        return len(gone)

    @staticmethod
    def _forget(db: sqlite3.Connection, code: str) -> None:
        for table in ("classes", "students", "answers", "events"):
            db.execute(f"DELETE FROM {table} WHERE code = ?", (code,))  # noqa: S608 (fixed names)

    def _touch(self, db: sqlite3.Connection, code: str) -> None:
        db.execute("UPDATE classes SET expires = ? WHERE code = ?", (time.time() + self.ttl, code))

    @staticmethod
    def _live(db: sqlite3.Connection, code: str) -> dict | None:
        row = db.execute("SELECT record, expires FROM classes WHERE code = ?", (code,)).fetchone()
        if row is None or row[1] < time.time():
            return None
        return json.loads(row[0])

    @staticmethod
    def _append(db: sqlite3.Connection, code: str, data: str) -> None:
        cur = db.execute("INSERT INTO events (code, data) VALUES (?, ?)", (code, data))
        db.execute("DELETE FROM events WHERE code = ? AND id <= ?",
                   (code, cur.lastrowid - STREAM_MAX))

    def _notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def create(self, code: str, record: dict, event: str) -> bool:
        with self._tx() as db:
            self._purge(db)
            if db.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone():
                return False
            db.execute("INSERT INTO classes VALUES (?, ?, ?)",
                       (code, json.dumps(record), time.time() + self.ttl))
            self._append(db, code, event)
        return True

    def load(self, code: str) -> dict | None:
        return self._live(self._conn(), code)

    def update(self, code: str, change: Updater, event: Callable[[dict, str], str]) -> dict:
        with self._tx() as db:
            record = self._live(db, code)
            if record is None:
                raise ClassMissingError(code)
            kind = change(record)
            db.execute("UPDATE classes SET record = ?, expires = ? WHERE code = ?",
                       (json.dumps(record), time.time() + self.ttl, code))
            if kind:
                self._append(db, code, event(record, kind))
        self._notify()
        return record

    def join(self, code: str, token: str, nickname: str, limit: int) -> int:
        with self._tx() as db:
            self._purge(db)
            if self._live(db, code) is None:
                raise ClassMissingError(code)
            (n,) = db.execute("SELECT COUNT(*) FROM students WHERE code = ?", (code,)).fetchone()
            if n >= limit:
                raise ClassFullError(code)
            db.execute("INSERT INTO students VALUES (?, ?, ?)", (code, token, nickname))
            self._touch(db, code)
            return n + 1

    def students(self, code: str) -> dict[str, str]:
        rows = self._conn().execute("SELECT token, nickname FROM students WHERE code = ?",
                                    (code,))
        return dict(rows.fetchall())

    def answer(self, code: str, qid: str, token: str, value: float) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                       (code, qid, token, value))
            self._touch(db, code)

    def answers(self, code: str, qid: str) -> dict[str, float]:
        rows = self._conn().execute(
            "SELECT token, value FROM answers WHERE code = ? AND qid = ?", (code, qid))
        return dict(rows.fetchall())

    def valid_event_id(self, event_id: str) -> bool:
        return re.fullmatch(r"[0-9]{1,18}", event_id) is not None

    def _after(self, code: str, after: str | None) -> list[Event]:
        db = self._conn()
        if after is None:
            rows = db.execute("SELECT id, data FROM events WHERE code = ? "
                              "ORDER BY id DESC LIMIT 1", (code,)).fetchall()
        else:
            rows = db.execute("SELECT id, data FROM events WHERE code = ? AND id > ? "
                              "ORDER BY id", (code, int(after))).fetchall()
        return [(str(i), d) for i, d in rows]

    def events(self, code: str, after: str | None, timeout: float) -> list[Event]:
        deadline = time.monotonic() + timeout
        while True:
            found = self._after(code, after)
            left = deadline - time.monotonic()
            if found or left <= 0 or self.load(code) is None:
                return found
            with self._wake:
                self._wake.wait(min(POLL_SECONDS, left))

    def delete(self, code: str) -> None:
        with self._tx() as db:
            self._forget(db, code)
        self._notify()

    def hit(self, key: str, window: int) -> int:
        now = time.time()
        slot = f"{key}:{int(now // window)}"
        with self._tx() as db:
            db.execute("INSERT INTO hits VALUES (?, 1, ?) ON CONFLICT(key) DO UPDATE "
                       "SET n = n + 1", (slot, now + window))
            return db.execute("SELECT n FROM hits WHERE key = ?", (slot,)).fetchone()[0]

    def acquire(self, key: str, lease: str, limit: int, ttl: float) -> bool:
        now = time.time()
        with self._tx() as db:
            (n,) = db.execute("SELECT COUNT(*) FROM leases WHERE key = ? AND lease != ? AND "
                              "expires >= ?", (key, lease, now)).fetchone()
            if n >= limit:
                return False
            db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?)", (key, lease, now + ttl))
        return True

    def refresh(self, key: str, lease: str, ttl: float) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?)",
                       (key, lease, time.time() + ttl))

    def release(self, key: str, lease: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE key = ? AND lease = ?", (key, lease))


# ----------------------------------------------------------------------------------------

