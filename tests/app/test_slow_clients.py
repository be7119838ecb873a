"""The classroom recipe survives slow clients (issue 11, item 4): Debian's nginx with the
shipped deploy/nginx/convscope.conf in front of gunicorn, under a slowloris on loopback.

gunicorn alone ties a thread to every socket that has sent its first byte: 7 sockets sending
a byte every 5 s already made a third of the dot-product steps time out (docs/serving.md).
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import urllib3

from benchmarks.servers import gunicorn, nginx
from benchmarks.slowloris import SlowClients
from tests.app.conftest import png
from tests.conftest import free_port, require_executable

STEP = {"image_id": "sample-car", "filters": [{"preset": "sobel_x"}], "row": 3, "col": 4}


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    """gunicorn (2 workers of 2 threads) on loopback, nginx in front: nginx's address."""
    require_executable("nginx", "/usr/sbin/nginx")
    tmp = tmp_path_factory.mktemp("recipe")
    g, n = free_port(), free_port()
    with gunicorn(g, workers=2, data_dir=tmp / "data", env={"CONVSCOPE_PROXY_HOPS": "1"}), \
            nginx(n, upstream=g, prefix=tmp / "nginx"):
        yield f"http://127.0.0.1:{n}", n


def test_with_40_slow_sockets_a_step_still_answers(recipe):
    base, port = recipe
    http = urllib3.PoolManager(retries=False, timeout=10)
    with SlowClients(port, count=40, interval=1, seconds=60) as slow:
        time.sleep(1.5)  # every slow socket is open and trickling
        for _ in range(10):  # each on a new connection, as 30 phones would
            response = http.request("POST", base + "/api/conv/step", json=STEP,
                                    headers={"Connection": "close"})
            assert response.status == 200
            assert len(response.json()["products"]) == 5
        assert not slow.stopping.is_set()


def test_uploads_and_problems_pass_through_the_proxy(recipe):
    base, _ = recipe
    http = urllib3.PoolManager(retries=False, timeout=30)
    photo = png(np.random.default_rng(0).integers(0, 256, (700, 700, 3), dtype=np.uint8))
    assert len(photo) > 1_000_000  # more than nginx keeps in memory: buffered in a file
    response = http.request("POST", base + "/api/images",
                            fields={"image": ("p.png", photo, "image/png")})
    assert response.status == 201, response.data[:300]
    assert response.json()["width"] == 700
    response = http.request("POST", base + "/api/conv/step", json={**STEP, "row": 99})
    assert response.status == 422 and response.headers["Content-Type"] == \
        "application/problem+json"
    assert response.headers["Server"] == "nginx"  # no version (server_tokens off)


def test_a_body_over_the_upload_limit_is_refused_by_the_proxy(recipe):
    base, _ = recipe
    http = urllib3.PoolManager(retries=False, timeout=30)
    response = http.request("POST", base + "/api/images", body=b"x" * 21_000_000,
                            headers={"Content-Type": "application/octet-stream"})
    assert response.status == 413  # by nginx: gunicorn never saw it
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/too-large"
