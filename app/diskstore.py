"""DiskStore: pictures as files root/ab/abcdef… (sharded by the first two hex digits).

A file's mtime is when it was stored (its expiry clock), its atime when it was last used (the
LRU order; set explicitly, so mount options don't matter). Sizes count what the disk really
spends (st_blocks × 512), kept as a running total in root/.usage that every process updates
under a lock (root/.lock): a put costs O(1). A full scan of the folder runs only when the
total passes the bound (and then yields a batch of the oldest files to evict, enough for many
puts), or every SWEEP_SECONDS to drop expired files: O(1) amortized per put.

Safe for several processes sharing root: writes go to a temp file in the same folder and are
renamed into place (atomic), so a reader sees a whole file or none; eviction tolerates files
vanishing under it and never touches another writer's temp file. A full disk (ENOSPC) evicts
to make room and tries once more, then raises StoreFullError; the next put tries again.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import os
import secrets
import struct
import tempfile
import threading
import time
from pathlib import Path

from app.store import DAY, Store, StoreFullError, check_id, valid_id

try:
    import fcntl
except ImportError:  # Windows: one process (python -m app); the thread lock is enough
    fcntl = None

TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600  # a temp file this old belongs to a writer that died
SWEEP_SECONDS = 600  # at most this long between sweeps for expired files
NS = 1_000_000_000
FULL = (errno.ENOSPC, errno.EDQUOT)


def used_bytes(st: os.stat_result) -> int:
    """What a file really costs on disk (a 100-byte file takes a whole block)."""
    return st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size


def _write(path: str, data: bytes) -> None:
    """Write data to the (new, empty) file at path and flush it to the disk."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


class DiskStore(Store):
    def __init__(self, root: str | Path, max_bytes: int = 200_000_000, *,
                 ttl_seconds: float = DAY):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.root.mkdir(parents=True, exist_ok=True)
        self._usage = self.root / ".usage"
        self._thread_lock = threading.Lock()
        self._candidates: list[tuple[int, str]] = []  # (atime ns, path): oldest first
        self._secret: bytes | None = None
        # made now, while there is room: a full disk later must not fail the bookkeeping
        for name in (".lock", ".usage"):
            os.close(os.open(self.root / name, os.O_RDWR | os.O_CREAT, 0o600))
        self.secret()

    # --- ids and the secret ---------------------------------------------------------------
    def secret(self) -> bytes:
        if self._secret is None:
            path = self.root / ".secret"
            if not path.exists():
                fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.root)  # mode 0600
                with os.fdopen(fd, "wb") as f:
                    f.write(secrets.token_bytes(32))
                with contextlib.suppress(FileExistsError):  # another process was first
                    os.link(tmp, path)
                os.unlink(tmp)
            self._secret = path.read_bytes()
        return self._secret

    def _path(self, image_id: str) -> Path:
        return self.root / check_id(image_id)[:2] / image_id

    def _expired(self, st: os.stat_result, now: int) -> bool:
        return now - st.st_mtime_ns > self.ttl_seconds * NS

    # --- the shared running total ---------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self):
        """Exclusive, across threads and processes: (total bytes, last sweep ns) to update."""
        with self._thread_lock, open(self.root / ".lock", "a+b") as lock:
            if fcntl:
                fcntl.flock(lock, fcntl.LOCK_EX)
            fd = os.open(self._usage, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                raw = os.pread(fd, 16, 0)
                books = list(struct.unpack("<qq", raw)) if len(raw) == 16 else [0, 0]
                yield books
                # in place, same length: no new block, so this works on a full disk too
                os.pwrite(fd, struct.pack("<qq", max(books[0], 0), books[1]), 0)
            finally:
                os.close(fd)
                if fcntl:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    # --- the interface --------------------------------------------------------------------
    def put(self, image_id: str, data: bytes) -> None:
        path = self._path(image_id)
        now = time.time_ns()
        replaced = 0  # an expired copy, overwritten below
        try:
            st = os.stat(path)
            if not self._expired(st, now):  # already here: same id, same bytes
                os.utime(path, ns=(now, st.st_mtime_ns))
                return
            replaced = used_bytes(st)
        except FileNotFoundError:
            pass
        try:
            size = self._write_new(path, data, now)
        except OSError as e:
            if e.errno not in FULL:
                raise
            with self._locked() as books:  # make room: evict more than this picture needs
                self._evict(books, free=2 * len(data) + 65536)
            try:
                size = self._write_new(path, data, now)
            except OSError as e2:
                if e2.errno in FULL:
                    raise StoreFullError("no room for this picture on the server's disk") from None
                raise
        with self._locked() as books:
            books[0] += size - replaced
            if books[0] > self.max_bytes or now - books[1] > SWEEP_SECONDS * NS:
                self._evict(books)

    def _write_new(self, path: Path, data: bytes, now: int) -> int:
        """Write the file whole (temp file, then rename); its size on disk."""
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        os.close(fd)
        try:
            _write(tmp, data)
            # Dated before it is visible: once renamed, another process may evict it at once.
            os.utime(tmp, ns=(now, now))
            size = used_bytes(os.stat(tmp))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return size

    def get(self, image_id: str) -> bytes | None:
        path = self._path(image_id)
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                now = time.time_ns()
                if self._expired(st, now):
                    self._remove(str(path), st)
                    return None
                data = f.read()
                with contextlib.suppress(OSError):  # a read-only copy: LRU is only a hint
                    os.utime(f.fileno(), ns=(now, st.st_mtime_ns))
        except FileNotFoundError:  # absent, or evicted by another process just now
            return None
        return data

    def __contains__(self, image_id: str) -> bool:
        """Present and not expired (an expired file found here is removed at once)."""
        path = self._path(image_id)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return False
        if self._expired(st, time.time_ns()):
            self._remove(str(path), st)
            return False
        return True

    def delete(self, image_id: str) -> bool:
        path = self._path(image_id)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return False
        return self._remove(str(path), st)

    def _remove(self, path: str, st: os.stat_result) -> bool:
        try:
            os.unlink(path)
        except FileNotFoundError:  # another process removed it first (and counted it)
            return False
        with self._locked() as books:
            books[0] -= used_bytes(st)
        return True

    def evict(self) -> None:
        with self._locked() as books:
            self._candidates = []  # a fresh look, whatever we knew
            self._evict(books)

    # --- eviction (called holding the lock) -----------------------------------------------
    def _evict(self, books: list[int], free: int = 0) -> None:
        """Sweep if due, then remove least recently used files until the total is within the
        bound and, if `free` is given, at least that many bytes below what it was."""
        now = time.time_ns()
        if now - books[1] > SWEEP_SECONDS * NS or not self._candidates:
            books[0] = self._scan(now)
            books[1] = now
        target = min(self.max_bytes, books[0] - free) if free else self.max_bytes
        while books[0] > target:
            if not self._candidates:
                books[0] = self._scan(now)
                if not self._candidates:
                    return  # nothing of ours left to evict
            atime, path = self._candidates.pop()
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            if st.st_atime_ns != atime:
                continue  # used since the scan: no longer among the oldest
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                books[0] -= used_bytes(st)

    def _scan(self, now: int) -> int:
        """Walk the folder: remove expired files and stale temp files; remember a batch of the
        least recently used files (the eviction candidates); return the total size."""
        total = 0
        entries = []
        for shard in os.scandir(self.root):
            if not (shard.is_dir(follow_symlinks=False) and len(shard.name) == 2):
                continue
            try:
                found = list(os.scandir(shard.path))
            except FileNotFoundError:
                continue
            for e in found:
                try:
                    st = e.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if valid_id(e.name) and e.name[:2] == shard.name:
                    if self._expired(st, now):
                        Path(e.path).unlink(missing_ok=True)
                        continue
                    total += used_bytes(st)
                    entries.append((st.st_atime_ns, e.path))
                elif (e.name.startswith(TEMP_PREFIX)
                      and now - st.st_mtime_ns > STALE_TEMP_SECONDS * NS):
                    Path(e.path).unlink(missing_ok=True)
        batch = max(256, len(entries) // 8)  # enough for many puts before the next scan
        self._candidates = sorted(heapq.nsmallest(batch, entries), reverse=True)
        return total
