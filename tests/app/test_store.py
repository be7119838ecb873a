"""app.store: DiskStore and RedisStore behave the same (a real redis-server for the latter).

Sizes are what the store really spends: a disk block (4096 bytes here) per small file, the
byte count in Redis. Items are 4000 bytes, so the bounds below hold for both.
"""

from __future__ import annotations

import errno
import hashlib
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from app.diskstore import DiskStore
from app.redisstore import RedisStore
from app.store import Store, StoreFullError, make_store, valid_id

UNIT = 4096  # one item's size on disk


def item(n: int, size: int = 4000) -> tuple[str, bytes]:
    """An (id, bytes) pair; the bytes are `size` long and differ for every n."""
    data = (f"{n:08d}".encode() * (size // 8 + 1))[:size]
    return hashlib.sha256(data).hexdigest(), data


@pytest.fixture(params=["disk", "redis"])
def make(request, tmp_path):
    """make(max_bytes, ttl_seconds) → a fresh, empty store of the parametrized kind;
    make(fresh=False) → another handle on the same one (another worker or replica)."""
    def factory(max_bytes: int = 40 * UNIT, ttl_seconds: float = 86400,
                fresh: bool = True) -> Store:
        if request.param == "disk":
            return DiskStore(tmp_path / "images", max_bytes, ttl_seconds=ttl_seconds)
        url = request.getfixturevalue("redis_url")
        if fresh:
            redis.Redis.from_url(url).flushdb()
        return RedisStore(url, max_bytes, prefix="test:", ttl_seconds=ttl_seconds)
    return factory


def test_put_get_round_trip(make):
    store = make()
    image_id, data = item(1)
    assert image_id not in store
    store.put(image_id, data)
    assert image_id in store
    assert store.get(image_id) == data


def test_absent_id_is_none(make):
    store = make()
    store.put(*item(1))
    assert store.get(item(2)[0]) is None
    assert item(2)[0] not in store


def test_same_id_twice_is_stored_once(make):
    store = make(max_bytes=int(2.5 * UNIT))  # room for two items, not three
    a, b = item(1), item(2)
    for _ in range(5):
        store.put(*a)
    store.put(*b)
    assert store.get(a[0]) == a[1] and store.get(b[0]) == b[1]  # five puts counted as one


NASTY = ["", "../" + "a" * 61, "/etc/passwd", "a" * 63, "a" * 65, "A" * 64, "g" * 64,
         "a" * 64 + "\n", "a" * 63 + "\n", "a" * 63 + "\x00", "\x00" + "a" * 63,
         "a" * 32 + "/" + "a" * 31, "aa/../" + "a" * 58, "ａ" * 64, "٣" * 64, " " + "a" * 63,
         "sample-stripes", "..", ".", "0x" + "a" * 62]


@pytest.mark.parametrize("bad", NASTY, ids=range(len(NASTY)))
def test_invalid_ids_are_refused(make, bad):
    store = make()
    assert not valid_id(bad)
    for call in (lambda: store.put(bad, b"x"), lambda: store.get(bad),
                 lambda: bad in store, lambda: store.delete(bad),
                 lambda: store.delete_token(bad)):
        with pytest.raises(ValueError):
            call()


def test_valid_id_is_64_lowercase_hex():
    assert valid_id("0123456789abcdef" * 4)
    assert not valid_id(None) and not valid_id(b"a" * 64)


def test_least_recently_used_goes_first(make):
    store = make(max_bytes=int(3.5 * UNIT))
    a, b, c, d = (item(n) for n in range(4))
    store.put(*a)
    store.put(*b)
    store.put(*c)
    assert store.get(a[0]) == a[1]  # a is now the most recently used; b the least
    store.put(*d)
    assert b[0] not in store
    assert [x[0] in store for x in (a, c, d)] == [True, True, True]
    store.put(*a)  # putting an item again also counts as a use: c is now the oldest
    store.put(*b)
    assert c[0] not in store and a[0] in store


def test_size_bound_is_respected(make):
    store = make(max_bytes=int(3.5 * UNIT))
    items = [item(n) for n in range(10)]
    for i in items:
        store.put(*i)
    assert [i[0] in store for i in items] == [False] * 7 + [True] * 3


def test_evict_after_a_smaller_bound(make):
    store = make(max_bytes=10 * UNIT)
    items = [item(n) for n in range(5)]
    for i in items:
        store.put(*i)
    store.max_bytes = int(2.5 * UNIT)
    store.evict()
    assert [i[0] in store for i in items] == [False, False, False, True, True]


def test_delete(make):
    store = make()
    (a, data), b = item(1), item(2)
    store.put(a, data)
    store.put(*b)
    assert store.delete(a) is True
    assert a not in store and store.get(a) is None
    assert store.delete(a) is False
    assert store.get(b[0]) == b[1]
    store.put(a, data)  # and it can come back
    assert store.get(a) == data


def test_an_upload_expires(make, tmp_path):
    store = make(ttl_seconds=1.0)
    (a, data), b = item(1), item(2)
    store.put(a, data)
    time.sleep(0.6)
    store.put(*b)
    assert store.get(a) == data  # reading does not extend an upload's life
    time.sleep(0.6)
    assert a not in store and store.get(a) is None
    assert store.get(b[0]) == b[1]
    store.put(a, data)  # uploading it again starts a new day
    assert store.get(a) == data


def test_ids_are_an_hmac_under_a_shared_secret(make, tmp_path):
    store = make()
    _, data = item(1)
    image_id = store.image_id(data)
    assert valid_id(image_id) and image_id != hashlib.sha256(data).hexdigest()
    assert store.image_id(data) == image_id != store.image_id(item(2)[1])
    token = store.delete_token(image_id)
    assert valid_id(token) and token != image_id
    assert store.may_delete(image_id, token) and not store.may_delete(image_id, "0" * 64)
    assert not store.may_delete(store.image_id(item(2)[1]), token)
    # another worker or replica of the same store agrees on the secret
    twin = make(fresh=False)
    assert twin.image_id(data) == image_id and twin.delete_token(image_id) == token
    # another store (another server) gives another id
    assert DiskStore(tmp_path / "elsewhere").image_id(data) != image_id


def test_make_store(tmp_path):
    disk = make_store("disk", tmp_path, 123, ttl_seconds=60)
    assert isinstance(disk, DiskStore) and disk.root == tmp_path / "images"
    assert disk.max_bytes == 123 and disk.ttl_seconds == 60 and (tmp_path / "images").is_dir()
    assert isinstance(make_store(None, str(tmp_path), 1), DiskStore)
    # a Redis store connects lazily: building one needs no server
    rs = make_store("redis://127.0.0.1:1/0", tmp_path, 456)
    assert isinstance(rs, RedisStore) and rs.max_bytes == 456
    assert isinstance(make_store("rediss://example.invalid:6380/0", tmp_path, 1), RedisStore)
    with pytest.raises(ValueError, match="CONVSCOPE_STORE"):
        make_store("memcached://x", tmp_path, 1)


# --- DiskStore: files, blocks, temp files, several processes ----------------------------

def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and valid_id(p.name)]


def test_disk_layout_and_no_temp_files_left(tmp_path):
    store = DiskStore(tmp_path, 100 * UNIT)
    ids = [item(n)[0] for n in range(20)]
    for n in range(20):
        store.put(*item(n))
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                   if p.is_file() and not p.name.startswith("."))
    assert files == sorted(f"{i[:2]}/{i}" for i in ids)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_disk_counts_blocks_not_bytes(tmp_path):
    """100 small files of 100 bytes take 100 blocks: the bound counts blocks."""
    store = DiskStore(tmp_path, 10 * UNIT)
    for n in range(100):
        store.put(*item(n, size=100))
    files = stored_files(tmp_path)
    assert sum(p.stat().st_blocks * 512 for p in files) <= 10 * UNIT
    assert len(files) == 10


def test_disk_put_does_not_rescan_the_folder(tmp_path, monkeypatch):
    """A put is O(1): the folder is walked once to learn its size, then again only when a
    batch of eviction candidates runs out (at most every n/8 puts), not on every put."""
    import app.diskstore

    store = DiskStore(tmp_path, 200 * UNIT)
    for n in range(200):
        store.put(*item(n, size=100))
    walks = []
    real_scandir = os.scandir
    monkeypatch.setattr(app.diskstore.os, "scandir",
                        lambda p: (walks.append(p) if p == store.root else None) or real_scandir(p))
    for n in range(200, 2200):  # the store is full: every put evicts one
        store.put(*item(n, size=100))
    assert len(stored_files(tmp_path)) == 200
    assert len(walks) <= 2000 // 25 + 1  # (the old store walked it 2000 times)


def test_disk_sweeps_expired_files_without_reading_them(tmp_path, monkeypatch):
    import app.diskstore

    store = DiskStore(tmp_path, 100 * UNIT, ttl_seconds=3600)
    old = [item(n) for n in range(5)]
    for i in old:
        store.put(*i)
    for p in stored_files(tmp_path):  # stored two hours ago
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    monkeypatch.setattr(app.diskstore, "SWEEP_SECONDS", 0)
    store.put(*item(99))
    assert [p.name for p in stored_files(tmp_path)] == [item(99)[0]]


def test_disk_failed_write_leaves_no_temp_file(tmp_path):
    store = DiskStore(tmp_path)
    with pytest.raises(TypeError):
        store.put(item(1)[0], "not bytes")  # type: ignore[arg-type]
    assert stored_files(tmp_path) == [] and not list(tmp_path.rglob(".tmp-*"))
    assert item(1)[0] not in store


def test_disk_eviction_skips_other_writers_temp_files(tmp_path):
    store = DiskStore(tmp_path, max_bytes=int(1.5 * UNIT))
    image_id, data = item(1)
    shard = tmp_path / image_id[:2]
    shard.mkdir()
    fresh, stale, stranger = shard / ".tmp-writing", shard / ".tmp-dead", shard / "notes.txt"
    for p in (fresh, stale, stranger):
        p.write_bytes(b"x" * 10 * UNIT)  # far over the bound, but not items: not counted, not cut
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    store.put(image_id, data)
    assert store.get(image_id) == data
    assert fresh.exists() and stranger.exists()
    assert not stale.exists()  # a writer that died an hour ago


def test_disk_get_of_a_file_evicted_meanwhile_is_none(tmp_path):
    store = DiskStore(tmp_path)
    image_id, data = item(1)
    store.put(image_id, data)
    (tmp_path / image_id[:2] / image_id).unlink()  # another process evicted it
    assert store.get(image_id) is None
    store.evict()


def fake_disk(monkeypatch, root: Path, capacity: int, other: list[int]) -> None:
    """The disk under root holds `capacity` bytes, `other[0]` of them used by something else:
    writing past it fails with ENOSPC, as a full disk does."""
    import app.diskstore

    real_write = app.diskstore._write

    def write(path, data):
        used = sum(p.stat().st_blocks * 512 for p in stored_files(root))
        if used + other[0] + len(data) > capacity:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(app.diskstore, "_write", write)


def test_disk_full_evicts_to_make_room(tmp_path, monkeypatch):
    """The disk fills before the store reaches its bound: the oldest pictures make room."""
    fake_disk(monkeypatch, tmp_path, capacity=10 * UNIT, other=[4 * UNIT])
    store = DiskStore(tmp_path, 100 * UNIT)
    items = [item(n) for n in range(20)]
    for i in items:
        store.put(*i)  # no error
    assert store.get(items[-1][0]) == items[-1][1]
    assert 2 <= len(stored_files(tmp_path)) <= 6 and not list(tmp_path.rglob(".tmp-*"))


def test_disk_full_of_other_things_is_store_full_and_recovers(tmp_path, monkeypatch):
    other = [10 * UNIT]
    fake_disk(monkeypatch, tmp_path, capacity=10 * UNIT, other=other)
    store = DiskStore(tmp_path, 100 * UNIT)
    with pytest.raises(StoreFullError):
        store.put(*item(1))
    assert not list(tmp_path.rglob(".tmp-*"))
    other[0] = 0  # the admin made room
    store.put(*item(1))
    assert store.get(item(1)[0]) == item(1)[1]


def _writer(root: str, seed: int, max_bytes: int) -> None:
    store = DiskStore(root, max_bytes)
    for n in range(60):
        store.put(*item((n * 7 + seed) % 40, size=50_000 + 1000 * (n % 7)))


def _reader(root: str, ids: list[str], rounds: int, queue) -> None:
    store = DiskStore(root, 10**9)
    seen = bad = 0
    for _ in range(rounds):
        for image_id in ids:
            data = store.get(image_id)
            if data is not None:
                seen += 1
                bad += hashlib.sha256(data).hexdigest() != image_id
    queue.put((seen, bad))


def test_disk_concurrent_processes(tmp_path):
    """Two writers and a reader share one folder under a tight bound: every file the reader
    gets and every file left is whole (its sha256 is its name); nothing is left half done,
    and the running total agrees with the disk."""
    ctx = multiprocessing.get_context("fork")
    max_bytes = 600_000  # about 11 of the 40 items fit: eviction runs constantly
    ids = [item(n % 40, size=50_000 + 1000 * (i % 7))[0] for i, n in
           enumerate(n * 7 + s for s in (0, 3) for n in range(60))]
    queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), s, max_bytes)) for s in (0, 3)]
    procs.append(ctx.Process(target=_reader, args=(str(tmp_path), sorted(set(ids)), 30, queue)))
    for p in procs:
        p.start()
    seen, bad = queue.get(timeout=60)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert bad == 0 and seen > 0
    files = stored_files(tmp_path)
    assert files and all(hashlib.sha256(p.read_bytes()).hexdigest() == p.name for p in files)
    on_disk = sum(p.stat().st_blocks * 512 for p in files)
    assert on_disk <= max_bytes
    books = DiskStore(tmp_path, max_bytes)
    with books._locked() as (total, _):
        assert total == on_disk
    assert not list(tmp_path.rglob(".tmp-*"))


def test_disk_store_root_is_created(tmp_path):
    root = Path(tmp_path) / "a" / "b"
    DiskStore(root).put(*item(1))
    assert root.is_dir() and (root / item(1)[0][:2] / item(1)[0]).read_bytes() == item(1)[1]


def test_disk_put_survives_its_file_being_evicted_at_once(tmp_path, monkeypatch):
    """Another worker may evict a file the moment it is renamed into place: put still works."""
    import app.diskstore

    real_replace = os.replace

    def replace_then_evicted(src, dst):
        real_replace(src, dst)
        os.unlink(dst)  # the other process's eviction, right after the rename

    monkeypatch.setattr(app.diskstore.os, "replace", replace_then_evicted)
    store = DiskStore(tmp_path, 10 * UNIT)
    image_id, data = item(1)
    store.put(image_id, data)  # no FileNotFoundError
    assert store.get(image_id) is None
    assert not stored_files(tmp_path) and not list(tmp_path.rglob(".tmp-*"))


def test_disk_secret_is_private(tmp_path):
    DiskStore(tmp_path).secret()
    assert (tmp_path / ".secret").stat().st_mode & 0o077 == 0
    assert len((tmp_path / ".secret").read_bytes()) == 32


def test_redis_is_not_imported_for_the_disk_store(tmp_path):
    code = ("import sys; from app import create_app; "
            f"create_app({{'DATA_DIR': {str(tmp_path)!r}, 'STORE': 'disk'}}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'redis'))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
