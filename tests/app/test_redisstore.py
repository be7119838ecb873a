"""RedisStore against real redis-servers: consistent books, durability across a restart,
and a maxmemory too small for the store refused at start."""

from __future__ import annotations

import multiprocessing
import re
import shlex
import threading
import time
from pathlib import Path

import pytest
import redis

from app import create_app
from app.redisstore import RedisStore
from app.store import StoreFullError
from tests.app.conftest import redis_server
from tests.app.test_store import item
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def documented_redis_args() -> list[str]:
    """The redis-server options of the recipe in docs/serving.md (after `redis:7`)."""
    text = (ROOT / "docs" / "serving.md").read_text()
    line = re.search(r"^docker run .*--name redis .*$", text, re.M).group(0)
    words = shlex.split(line)
    return words[words.index("redis:7") + 1:]


def redis_books(client: redis.Redis) -> tuple[int, dict[str, int], set[str], dict[str, int]]:
    """(running total, sizes hash, LRU members, actual lengths of the stored values)."""
    total = int(client.get("test:bytes") or 0)
    sizes = {k.decode(): int(v) for k, v in client.hgetall("test:sizes").items()}
    members = {m.decode() for m in client.zrange("test:lru", 0, -1)}
    assert members == {m.decode() for m in client.zrange("test:born", 0, -1)}
    values = {k.decode()[len("test:img:"):]: client.strlen(k) for k in client.keys("test:img:*")}
    return total, sizes, members, values


def _redis_writer(url: str, seed: int) -> None:
    store = RedisStore(url, 2_000, prefix="test:")
    for n in range(200):
        store.put(*item((n * 7 + seed) % 50, size=100 + n % 13))
        store.get(item((n * 3 + seed) % 50)[0])
        if n % 17 == 0:
            store.delete(item((n * 5 + seed) % 50)[0])


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
    assert total == sum(sizes.values()) <= 2_000 and total > 2_000 - 300


def test_redis_value_lost_outside_our_scripts_is_restored(redis_url):
    store = RedisStore(redis_url, 10_000, prefix="test:")
    store.redis.flushdb()
    image_id, data = item(1, size=100)
    store.put(image_id, data)
    store.redis.delete("test:img:" + image_id)  # e.g. evicted by a server policy
    assert store.get(image_id) is None
    store.put(image_id, data)
    assert store.get(image_id) == data
    total, sizes, members, values = redis_books(store.redis)
    assert total == 100 and sizes == values == {image_id: 100} and members == {image_id}


def test_redis_expired_and_deleted_items_leave_no_books(redis_url):
    store = RedisStore(redis_url, 10_000, prefix="test:", ttl_seconds=0.5)
    store.redis.flushdb()
    (a, data), b = item(1, size=100), item(2, size=100)
    store.put(a, data)
    store.put(*b)
    store.delete(b[0])
    assert 0 < store.redis.pttl("test:img:" + a) <= 500  # Redis forgets it even if idle
    time.sleep(0.6)
    store.evict()
    assert redis_books(store.redis) == (0, {}, set(), {})


def test_the_documented_redis_survives_a_restart_under_load(tmp_path):
    """Uploads keep coming while Redis restarts: every put that returned is still there."""
    assert "--appendonly" in documented_redis_args()
    port = free_port()
    done, stop, errors = [], threading.Event(), []

    def upload(seed: int, url: str) -> None:
        store = RedisStore(url, 10**9)
        n = 0
        while not stop.is_set():
            image_id, data = item(seed * 1_000_000 + n, size=2000)
            n += 1
            try:
                store.put(image_id, data)
                done.append(image_id)
            except redis.ConnectionError:  # the API answers 503: nothing was promised
                errors.append(image_id)
                time.sleep(0.01)

    with redis_server(tmp_path, *documented_redis_args(), port=port) as url:
        threads = [threading.Thread(target=upload, args=(s, url)) for s in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
    # stopped (SIGTERM) while the threads keep uploading; now it comes back, same folder
    time.sleep(0.3)
    with redis_server(tmp_path, *documented_redis_args(), port=port) as url:
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(timeout=10)
        store = RedisStore(url, 10**9)
        lost = [i for i in done if i not in store]
        assert len(done) > 200 and errors  # it was under load, and it did go away
        assert lost == []


def test_without_persistence_a_restart_loses_uploads_and_the_app_says_so(tmp_path, caplog):
    """The control for the test above, and the warning at start."""
    port = free_port()
    args = ["--save", "", "--appendonly", "no"]
    with redis_server(tmp_path, *args, port=port) as url:
        create_app({"STORE": url, "DATA_DIR": tmp_path})
        RedisStore(url).put(*item(1))
    assert "Redis persistence is off" in caplog.text
    with redis_server(tmp_path, *args, port=port) as url:
        assert item(1)[0] not in RedisStore(url)


def test_the_documented_redis_gives_no_warning(tmp_path, caplog):
    with redis_server(tmp_path, *documented_redis_args()) as url:
        create_app({"STORE": url, "DATA_DIR": tmp_path, "STORE_MAX_BYTES": 200_000_000})
    assert "image store" not in caplog.text


def test_a_maxmemory_below_the_store_bound_is_refused_at_start(tmp_path):
    with redis_server(tmp_path, "--maxmemory", "4mb") as url:
        with pytest.raises(ValueError, match=r"maxmemory is 4\.2 MB.*CONVSCOPE_STORE_MAX_MB=200"):
            create_app({"STORE": url, "DATA_DIR": tmp_path, "STORE_MAX_BYTES": 200_000_000})
        # within the bound the message suggests, uploads keep working long after it fills
        store = RedisStore(url, 2_000_000)
        store.check()
        items = [item(n, size=100_000) for n in range(100)]
        for i in items:
            store.put(*i)
        assert items[-1][0] in store and items[0][0] not in store


def test_redis_out_of_memory_is_store_full(tmp_path):
    with redis_server(tmp_path, "--maxmemory", "3mb") as url:
        store = RedisStore(url, 100_000_000)  # the admin ignored the start-up check
        with pytest.raises(StoreFullError):
            for n in range(100):
                store.put(*item(n, size=100_000))
