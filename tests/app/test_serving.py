"""Serving for a classroom: gunicorn workers sharing the store; a clean Dockerfile."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import urllib3

from app import create_app
from app.arrays import from_typed
from tests.app.conftest import png
from tests.conftest import free_port, require_executable

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = {**os.environ, "CONVSCOPE_HOST": "127.0.0.1", "CONVSCOPE_PORT": str(port),
           "CONVSCOPE_WORKERS": "3", "CONVSCOPE_DATA_DIR": str(tmp_path),
           "CONVSCOPE_ACCESS_LOG": ""}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                               "app:create_app()"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    http = urllib3.PoolManager(retries=False)
    for _ in range(300):
        try:
            if http.request("GET", base + "/api/health").status == 200:
                break
        except urllib3.exceptions.HTTPError:
            time.sleep(0.05)
    else:
        server.kill()
        pytest.fail("gunicorn did not start: " + server.stderr.read().decode()[-2000:])
    yield base, server
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0


def test_workers_share_uploads(gunicorn):
    base, server = gunicorn
    pixels = np.random.default_rng(1).integers(0, 256, (24, 24, 3), dtype=np.uint8)
    upload = urllib3.request("POST", base + "/api/images",
                             fields={"image": ("p.png", png(pixels), "image/png")})
    assert upload.status == 201
    image_id = upload.json()["image_id"]
    # a new connection each time: the requests spread over the workers
    statuses = {urllib3.request("GET", f"{base}/api/images/{image_id}?size=24",
                                headers={"Connection": "close"}).status for _ in range(30)}
    assert statuses == {200}
    workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
    assert len(workers.stdout.split()) == 3


def test_predictions_under_gunicorn_equal_the_test_client(gunicorn, client):
    base, _ = gunicorn
    body = {"image_id": "sample-checkerboard"}
    served = urllib3.request("POST", base + "/api/models/lenet/predict", json=body).json()
    local = client.post("/api/models/lenet/predict", json=body).get_json()
    assert served["probabilities"] == local["probabilities"]


def test_dockerfile_is_hadolint_clean():
    hadolint = require_executable("hadolint")
    result = subprocess.run([hadolint, "--no-color", "Dockerfile"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "", result.stdout


def test_the_image_has_no_dev_dependencies():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements-dev" not in dockerfile
    assert "USER 10001" in dockerfile and "HEALTHCHECK" in dockerfile
    assert '"gunicorn", "-c", "gunicorn.conf.py"' in dockerfile


def test_replicas_sharing_redis_find_each_others_uploads(redis_url, tmp_path, pixels):
    """Two app instances (two machines behind a load balancer) and one Redis."""
    one = create_app({"DATA_DIR": tmp_path / "a", "STORE": redis_url}).test_client()
    two = create_app({"DATA_DIR": tmp_path / "b", "STORE": redis_url}).test_client()
    upload = one.post("/api/images", data={"image": (io.BytesIO(png(pixels)), "p.png")})
    assert upload.status_code == 201
    body = {"image_id": upload.get_json()["image_id"], "filters": [{"preset": "identity"}]}
    response = two.post("/api/conv", json=body)
    assert response.status_code == 200
    np.testing.assert_array_equal(from_typed(response.get_json()["image"]), pixels)


def test_redis_down_is_a_503_problem(tmp_path, pixels):
    port = free_port()  # nothing listens there
    client = create_app({"DATA_DIR": tmp_path, "STORE": f"redis://127.0.0.1:{port}/0"}
                        ).test_client()
    response = client.post("/api/images", data={"image": (io.BytesIO(png(pixels)), "p.png")})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "try again" in response.get_json()["detail"]
