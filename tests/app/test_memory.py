"""Memory is given back after a burst (issue 11, item 5): an idle gunicorn worker held
2.5 GB after a burst of big requests until it was recycled."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import numpy as np
import urllib3
from PIL import Image

from benchmarks.servers import gunicorn
from tests.conftest import free_port


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def test_an_idle_worker_gives_a_bursts_memory_back(tmp_path):
    port = free_port()
    env = {"CONVSCOPE_THREADS": "4", "CONVSCOPE_HEAVY_SLOTS": "4", "CONVSCOPE_HEAVY_WAIT": "60"}
    buf = io.BytesIO()
    photo = np.random.default_rng(0).integers(0, 256, (2000, 3000, 3), dtype=np.uint8)
    Image.fromarray(photo).save(buf, "PNG", compress_level=1)  # 6 MP: 24 MB decoded
    with gunicorn(port, workers=1, data_dir=tmp_path, env=env) as master:
        base = f"http://127.0.0.1:{port}"
        http = urllib3.PoolManager(maxsize=8, retries=False, timeout=120)
        http.request("POST", base + "/api/conv", json={
            "image_id": "sample-car", "filters": [{"preset": "sobel_x"}]})
        worker = worker_pid(master.pid)
        before = rss_mb(worker)
        statuses = []

        def burst(i: int) -> None:
            for k in range(2):  # big layers (3 M numbers, 16 MB of JSON each) and uploads
                statuses.append(http.request("POST", base + "/api/conv", json={
                    "image_id": "sample-car", "size": 400 + 8 * i + k,
                    "filters": [{"preset": "random", "seed": j} for j in range(8)]},
                    headers={"Accept-Encoding": "gzip"}).status)
                statuses.append(http.request("POST", base + "/api/images", fields={
                    "image": ("p.png", buf.getvalue(), "image/png")}).status)

        threads = [threading.Thread(target=burst, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200] * 8 + [201] * 8
        time.sleep(0.5)
        kept = rss_mb(worker) - before
    print(f"worker RSS {before:.0f} MB before the burst, +{kept:.0f} MB after it")
    assert kept < 120, kept
