"""app.store: DiskStore and RedisStore behave the same (a real redis-server for the latter)."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from pathlib import Path

import pytest
import redis

from app.store import DiskStore, RedisStore, Store, make_store, valid_id


def item(n: int, size: int = 100) -> tuple[str, bytes]:
    """A (sha256 id, bytes) pair; the bytes are `size` long and differ for every n."""
    data = (f"{n:08d}".encode() * (size // 8 + 1))[:size]
    return hashlib.sha256(data).hexdigest(), data


@pytest.fixture(params=["disk", "redis"])
def make(request, tmp_path):
    """make(max_bytes) → a fresh, empty store of the parametrized kind."""
    def factory(max_bytes: int = 10_000) -> Store:
        if request.param == "disk":
            return DiskStore(tmp_path / "images", max_bytes)
        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        return RedisStore(url, max_bytes, prefix="test:")
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
    store = make(max_bytes=250)  # room for two items of 100 bytes, not three
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
    with pytest.raises(ValueError):
        store.put(bad, b"x")
    with pytest.raises(ValueError):
        store.get(bad)
    with pytest.raises(ValueError):
        bad in store  # noqa: B015 — the membership test itself must raise


def test_valid_id_is_64_lowercase_hex():
    assert valid_id("0123456789abcdef" * 4)
    assert not valid_id(None) and not valid_id(b"a" * 64)


def test_least_recently_used_goes_first(make):
    store = make(max_bytes=300)
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
    store = make(max_bytes=350)
    items = [item(n) for n in range(10)]
    for i in items:
        store.put(*i)
    assert [i[0] in store for i in items] == [False] * 7 + [True] * 3


def test_evict_after_a_smaller_bound(make):
    store = make(max_bytes=1000)
    items = [item(n) for n in range(5)]
    for i in items:
        store.put(*i)
    store.max_bytes = 200
    store.evict()
    assert [i[0] in store for i in items] == [False, False, False, True, True]


def test_make_store(tmp_path):
    disk = make_store("disk", tmp_path, 123)
    assert isinstance(disk, DiskStore) and disk.root == tmp_path / "images"
    assert disk.max_bytes == 123 and (tmp_path / "images").is_dir()
    assert isinstance(make_store(None, str(tmp_path), 1), DiskStore)
    # a Redis store connects lazily: building one needs no server
    rs = make_store("redis://127.0.0.1:1/0", tmp_path, 456)
    assert isinstance(rs, RedisStore) and rs.max_bytes == 456
    assert isinstance(make_store("rediss://example.invalid:6380/0", tmp_path, 1), RedisStore)
    with pytest.raises(ValueError, match="CONVSCOPE_STORE"):
        make_store("memcached://x", tmp_path, 1)


# --- DiskStore: files, temp files, several processes -------------------------------------

def test_disk_layout_and_no_temp_files_left(tmp_path):
    store = DiskStore(tmp_path, 10_000)
    ids = [item(n)[0] for n in range(20)]
    for n in range(20):
        store.put(*item(n))
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == sorted(f"{i[:2]}/{i}" for i in ids)


def test_disk_failed_write_leaves_no_temp_file(tmp_path):
    store = DiskStore(tmp_path)
    with pytest.raises(TypeError):
        store.put(item(1)[0], "not bytes")  # type: ignore[arg-type]
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert item(1)[0] not in store


def test_disk_eviction_skips_other_writers_temp_files(tmp_path):
    store = DiskStore(tmp_path, max_bytes=150)
    image_id, data = item(1)
    shard = tmp_path / image_id[:2]
    shard.mkdir()
    fresh, stale, stranger = shard / ".tmp-writing", shard / ".tmp-dead", shard / "notes.txt"
    for p in (fresh, stale, stranger):
        p.write_bytes(b"x" * 1000)  # far over the bound, yet not items: neither counted nor cut
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
    gets and every file left is whole (its sha256 is its name); nothing is left half done."""
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
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and all(hashlib.sha256(p.read_bytes()).hexdigest() == p.name for p in files)
    assert sum(p.stat().st_size for p in files) <= max_bytes


# --- RedisStore: its bookkeeping stays consistent ----------------------------------------

def _redis_writer(url: str, seed: int) -> None:
    store = RedisStore(url, 2_000, prefix="test:")
    for n in range(200):
        store.put(*item((n * 7 + seed) % 50, size=100 + n % 13))
        store.get(item((n * 3 + seed) % 50)[0])


def redis_books(client: redis.Redis) -> tuple[int, dict[str, int], set[str], dict[str, int]]:
    """(running total, sizes hash, LRU members, actual lengths of the stored values)."""
    total = int(client.get("test:bytes") or 0)
    sizes = {k.decode(): int(v) for k, v in client.hgetall("test:sizes").items()}
    members = {m.decode() for m in client.zrange("test:lru", 0, -1)}
    values = {k.decode()[len("test:img:"):]: client.strlen(k) for k in client.keys("test:img:*")}
    return total, sizes, members, values


def test_redis_concurrent_replicas_stay_consistent(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_redis_writer, args=(redis_url, s)) for s in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    total, sizes, members, values = redis_books(client)
    assert sizes == values and set(sizes) == members
    assert total == sum(sizes.values()) <= 2_000 and total > 2_000 - 120


def test_redis_value_lost_outside_our_scripts_is_restored(redis_url):
    store = RedisStore(redis_url, 1_000, prefix="test:")
    store.redis.flushdb()
    image_id, data = item(1)
    store.put(image_id, data)
    store.redis.delete("test:img:" + image_id)  # e.g. evicted by a server policy
    assert store.get(image_id) is None
    store.put(image_id, data)
    assert store.get(image_id) == data
    total, sizes, members, values = redis_books(store.redis)
    assert total == 100 and sizes == values == {image_id: 100} and members == {image_id}


def test_disk_store_root_is_created(tmp_path):
    root = Path(tmp_path) / "a" / "b"
    DiskStore(root).put(*item(1))
    assert root.is_dir() and (root / item(1)[0][:2] / item(1)[0]).read_bytes() == item(1)[1]


def test_disk_put_survives_its_file_being_evicted_at_once(tmp_path, monkeypatch):
    """Another worker may evict a file the moment it is renamed into place: put still works."""
    import app.store

    real_replace = os.replace

    def replace_then_evicted(src, dst):
        real_replace(src, dst)
        os.unlink(dst)  # the other process's eviction, right after the rename

    monkeypatch.setattr(app.store.os, "replace", replace_then_evicted)
    store = DiskStore(tmp_path, 10_000)
    image_id, data = item(1)
    store.put(image_id, data)  # no FileNotFoundError
    assert store.get(image_id) is None
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no temp file left
