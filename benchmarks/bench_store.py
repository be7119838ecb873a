"""DiskStore.put at 1k and 100k stored files, beside the old put that rescanned the folder.

    python -m benchmarks.bench_store [--sizes 1000 100000] [--puts 13000]

For each size: a temporary store is filled with that many small pictures (written directly,
as a long day of uploads would leave them), its bound set to exactly what they use, so every
put must evict one (the steady state of a full store). Then `--puts` puts through DiskStore
(the running total and batched eviction: one folder walk per n/8 puts; the default 13,000
covers at least one walk at 100k), and a few through
the old algorithm (walk, stat and sort every file on each put), in the same run. Prints
milliseconds per put (mean, p95, max: the max includes the walks the new store does now and
then) and the ratio of the means.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from app.diskstore import DiskStore, _write, used_bytes


def fill(root: Path, n: int, size: int = 2000) -> None:
    """n files of `size` bytes in the store's layout, with distinct last-use times."""
    now = time.time_ns()
    for i in range(n):
        name = f"{i:064x}"[::-1]  # spread over the 256 shards
        shard = root / name[:2]
        shard.mkdir(exist_ok=True)
        path = shard / name
        path.write_bytes(b"x" * size)
        t = now - (n - i) * 1_000_000
        os.utime(path, ns=(t, t))


def old_put(root: Path, image_id: str, data: bytes, max_bytes: int) -> None:
    """The store before issue 11: write, then walk, stat and sort every file, then evict."""
    shard = root / image_id[:2]
    shard.mkdir(exist_ok=True)
    _write(str(shard / image_id), data)  # the same durable write as the new store
    found = []
    for d in os.scandir(root):
        if d.is_dir() and len(d.name) == 2:
            for e in os.scandir(d.path):
                st = e.stat()
                found.append((st.st_mtime_ns, e.name, st.st_size, e.path))
    found.sort()
    total = sum(f[2] for f in found)
    for _, _, size, path in found:
        if total <= max_bytes:
            break
        os.unlink(path)
        total -= size


def disk_usage(root: Path) -> int:
    return sum(used_bytes(e.stat()) for d in os.scandir(root) if d.is_dir()
               for e in os.scandir(d.path))


def ms(samples: list[float]) -> str:
    s = sorted(samples)
    return (f"mean {statistics.mean(s) * 1e3:7.2f}  p95 {s[int(0.95 * (len(s) - 1))] * 1e3:7.2f}"
            f"  max {s[-1] * 1e3:7.1f}")


def run(n: int, puts: int, old_puts: int) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        root = Path(tmp) / "images"
        root.mkdir()
        fill(root, n)
        store = DiskStore(root, max_bytes=disk_usage(root))
        store.evict()  # the first walk: learn the total (a worker's first put does this)
        new = []
        for i in range(puts):
            image_id = f"{n + i:064x}"[::-1]
            t = time.perf_counter()
            store.put(image_id, b"y" * 2000)
            new.append(time.perf_counter() - t)
        old = []
        for i in range(old_puts):
            image_id = f"{10**9 + i:064x}"[::-1]
            t = time.perf_counter()
            old_put(root, image_id, b"z" * 2000, store.max_bytes)
            old.append(time.perf_counter() - t)
        print(f"{n:>7} files  new: {ms(new)} ms ({puts} puts)")
        print(f"{'':>7}        old: {ms(old)} ms ({old_puts} puts)   "
              f"old/new (means) = {statistics.mean(old) / statistics.mean(new):.0f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--puts", type=int, default=13_000)
    parser.add_argument("--old-puts", type=int, default=20)
    args = parser.parse_args()
    for n in args.sizes:
        run(n, args.puts, args.old_puts)


if __name__ == "__main__":
    main()
