"""Every request has a bounded cost (issue 11, items 1, 2 and 5): limits, heavy slots,
deadlines, the GIF's memory, cheap compression."""

from __future__ import annotations

import fcntl
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from app import animation
from app.arrays import from_typed
from tests.app import corpus
from tests.app.conftest import png

ROOT = Path(__file__).resolve().parents[2]
ISSUE_CONV = {"image_id": "sample-car", "size": 512, "pool": {"size": 1, "stride": 1},
              "filters": [{"preset": "random", "size": 15, "seed": i} for i in range(16)]}
ISSUE_GIF = {"image_id": "sample-car", "size": 512, "padding": 16, "frames": 400,
             "filters": [{"weights": [[[1, 1, 1]]]}]}


def test_the_issues_73_mb_layer_is_a_422_that_states_the_limit(client):
    response = client.post("/api/conv", json=ISSUE_CONV)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "/problems/over-budget" and problem["field"] == "filters"
    # 16 filters × (2 × 498² + 498²) values
    assert f"{16 * 3 * 498 ** 2:,} numbers" in problem["detail"]
    assert "at most 6,000,000" in problem["detail"]
    assert "CONVSCOPE_MAX_CONV_VALUES" in problem["detail"]


def test_the_conv_limit_is_configurable_and_counts_every_stage(app, client):
    body = {"image_id": "sample-car", "size": 32, "filters": [{"preset": "sobel_x"}]}
    values = 2 * 28 * 28 + 14 * 14  # maps, relu, pooled
    app.config["MAX_CONV_VALUES"] = values
    assert client.post("/api/conv", json=body).status_code == 200
    app.config["MAX_CONV_VALUES"] = values - 1
    assert client.post("/api/conv", json=body).status_code == 422
    app.config["MAX_CONV_VALUES"] = 28 * 28  # only the stacks asked for count
    assert client.post("/api/conv", json={**body, "outputs": ["maps"]}).status_code == 200
    assert client.post("/api/conv", json={**body, "outputs": ["relu"]}).status_code == 200
    assert client.post("/api/conv", json={**body, "outputs": ["maps", "relu"]}).status_code == 422


def test_the_largest_layer_the_page_can_ask_for_fits(client):
    # 16 filters (the page's most), size 512, a 1×1 kernel, padding 16: 544×544 maps; the page
    # asks for the maps alone (max pooling) or maps and pooled (average pooling)
    body = {"image_id": "sample-car", "size": 512, "padding": 16, "outputs": ["maps", "pooled"],
            "pool": {"op": "avg"}, "filters": [{"preset": "random", "size": 1, "seed": i}
                                               for i in range(16)]}
    response = client.post("/api/conv", json=body)
    assert response.status_code == 200
    assert len(response.get_json()["maps"]) == 16


def test_the_page_largest_default_layer_fits(client):
    # size 512, the page's six default filters, 5×5, pooling 2: 3.5 M values
    body = {"image_id": "sample-car", "size": 512,
            "filters": [{"preset": p} for p in ("sobel_x", "sobel_y", "red", "green", "blue",
                                                 "laplacian")]}
    response = client.post("/api/conv", json=body)
    assert response.status_code == 200
    assert response.get_json()["geometry"]["output"] == [508, 508, 6]


def test_big_json_is_compressed_at_gzips_fastest_level(client):
    body = {"image_id": "sample-car", "size": 128, "filters": [{"preset": "sobel_x"}]}
    response = client.post("/api/conv", json=body, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.data[8] == 4  # the gzip header's XFL byte: 4 = "fastest" (level 1)
    maps = json.loads(gzip.decompress(response.data))["maps"]
    assert from_typed(maps[0]).shape == (124, 124)


def test_the_issues_gif_is_a_422_that_says_how_many_frames_fit(client):
    response = client.post("/api/conv/gif", json=ISSUE_GIF)
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"] == "/problems/over-budget" and problem["field"] == "frames"
    width, height = 544 + 12 + 544, 544  # picture panel, gap, map panel
    assert f"400 frames of {width}×{height} pixels" in problem["detail"]
    assert f"at most {100_000_000 // (width * height)} frames" in problem["detail"]


def test_the_pages_gif_at_the_largest_size_is_made(client):
    body = {**ISSUE_GIF, "frames": 120}  # what the page's Export button sends
    response = client.post("/api/conv/gif", json=body)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data)).n_frames == 120


GIF_PEAK = """
import resource, sys
import numpy as np
from app import animation
x = np.random.default_rng(0).random((512, 512, 3)).astype(np.float32)
fmap = np.random.default_rng(1).standard_normal((544, 544)).astype(np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
data = animation.gif(x, fmap, k=1, stride=1, padding=16, dilation=1, frames=400)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024, len(data))
"""


def test_the_largest_gif_is_encoded_in_bounded_memory():
    # The issue's GIF (400 frames of 1100×544) took 1.5 GB: every frame was kept as RGB.
    done = subprocess.run([sys.executable, "-c", GIF_PEAK], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    peak_mb, size = done.stdout.split()
    assert float(peak_mb) < 100, peak_mb
    assert int(size) > 100_000


def test_gif_frames_show_the_picture_the_window_and_the_map(client):
    a = np.asarray(corpus.quadrants(8, 8))
    x = a.astype(np.float32) / 255
    fmap = np.arange(36, dtype=np.float32).reshape(6, 6) - 17.5
    data = animation.gif(x, fmap, k=3, stride=1, padding=0, dilation=1, frames=100)
    gif = Image.open(io.BytesIO(data))
    assert gif.n_frames == 36 and gif.size == animation.frame_size(8, 0, 6, 6) == (588, 288)
    gif.seek(35)
    last = np.asarray(gif.convert("RGB")).astype(int)
    cell = 288 // 8  # 36 pixels per input pixel
    assert (last[cell, cell + 20] == corpus.RED).all()
    assert (last[6 * cell + 18, 6 * cell + 18] == corpus.YELLOW).all()
    # the window (3×3 input pixels) at the last position, output (5, 5): rows 5..7, amber
    assert (last[5 * cell + 2, 6 * cell] == animation.WINDOW).all()
    # the map panel, 48 pixels a cell: every cell filled in with its colour
    expected = animation.colourize(fmap, animation.SCALE_N)
    mcell, left = 288 // 6, 288 + animation.GAP
    for r in range(6):
        for c in range(6):
            assert (last[r * mcell + 24, left + c * mcell + 24] == expected[r, c]).all(), (r, c)
    gif.seek(0)
    first = np.asarray(gif.convert("RGB")).astype(int)
    assert (first[3 * mcell, left + 3 * mcell] == animation.UNFILLED).all()  # not yet filled


def hold_every_slot(app) -> list[int]:
    folder = Path(app.config["DATA_DIR"]) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    fds = []
    for i in range(app.config["HEAVY_SLOTS"]):
        fd = os.open(folder / f"heavy-{i}.lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fds.append(fd)
    return fds


def test_with_every_heavy_slot_taken_a_gif_is_503_with_retry_after(app, client):
    app.config["HEAVY_WAIT"] = 0.2
    body = {**ISSUE_GIF, "size": 32, "frames": 10}
    fds = hold_every_slot(app)  # as another worker's exports would
    try:
        response = client.post("/api/conv/gif", json=body)
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert response.get_json()["type"] == "/problems/busy"
        # the light requests still answer
        step = {"image_id": "sample-car", "filters": [{"preset": "sobel_x"}], "row": 3, "col": 4}
        assert client.post("/api/conv/step", json=step).status_code == 200
    finally:
        for fd in fds:
            os.close(fd)
    assert client.post("/api/conv/gif", json=body).status_code == 200


def test_a_big_upload_waits_for_a_heavy_slot_a_small_one_does_not(app, client):
    app.config["HEAVY_WAIT"] = 0.1
    big = corpus.save(corpus.quadrants(4000, 3000), "PNG")  # 48 MB decoded
    small = png(np.zeros((64, 64, 3), np.uint8))
    fds = hold_every_slot(app)
    try:
        assert client.post("/api/images", data={"image": (io.BytesIO(big), "a.png")}
                           ).status_code == 503
        assert client.post("/api/images", data={"image": (io.BytesIO(small), "b.png")}
                           ).status_code == 201
    finally:
        for fd in fds:
            os.close(fd)
    assert client.post("/api/images", data={"image": (io.BytesIO(big), "a.png")}
                       ).status_code == 201


def test_a_gif_past_its_deadline_is_503_not_a_hang(app, client):
    app.config["HEAVY_SECONDS"] = 0
    response = client.post("/api/conv/gif", json={**ISSUE_GIF, "size": 32, "frames": 10})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "longer than the server allows (0 s)" in response.get_json()["detail"]
