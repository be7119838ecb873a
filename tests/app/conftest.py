"""app and client fixtures (a fresh app and image store per test), and a known picture."""

from __future__ import annotations

import contextlib
import io
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import redis
from PIL import Image

from app import create_app
from tests.conftest import free_port, require_executable


def png(pixels: np.ndarray) -> bytes:
    """uint8 (H, W, 3) → PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk"})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def pixels() -> np.ndarray:
    """A 32×32 RGB picture with something in every channel: the lesson's input size."""
    return np.random.default_rng(7).integers(0, 256, (32, 32, 3), dtype=np.uint8)


@pytest.fixture
def image_id(client, pixels) -> str:
    response = client.post("/api/images", data={"image": (io.BytesIO(png(pixels)), "pic.png")})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["image_id"]


@contextlib.contextmanager
def redis_server(folder: Path, *args: str, port: int | None = None):
    """A redis-server on loopback, working in `folder`; yields its URL; stopped (SIGTERM, so
    it saves what its settings say) on the way out."""
    exe = require_executable("redis-server")
    port = port or free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                             str(folder), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert proc.poll() is None, f"redis-server exited with {proc.returncode}"
                time.sleep(0.05)
        else:
            raise AssertionError("redis-server did not answer PING")
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server on a free port for the whole run (CI installs it)."""
    with redis_server(tmp_path_factory.mktemp("redis"), "--save", "", "--appendonly", "no") as url:
        yield url
