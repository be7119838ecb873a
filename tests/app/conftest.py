"""app and client fixtures (a fresh app and image store per test), and a known picture."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app import create_app
from benchmarks import servers
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
    """A redis-server on loopback, working in `folder`, with `args` (none: Redis's defaults);
    yields its URL; stopped (SIGTERM, so it saves what its settings say) on the way out.
    The benchmarks' starter (benchmarks/servers.py), skipped here if Redis is missing."""
    require_executable("redis-server")
    with servers.redis_server(port or free_port(), folder=folder, args=args) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real redis-server on a free port for the whole run (CI installs it)."""
    with redis_server(tmp_path_factory.mktemp("redis"), "--save", "", "--appendonly", "no") as url:
        yield url
