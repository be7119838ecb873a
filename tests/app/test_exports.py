"""The GIF of the sliding filter and CSV of maps."""

from __future__ import annotations

import csv
import io

import numpy as np
from PIL import Image

from app.arrays import from_typed


def test_gif_animates_every_position_of_a_small_map(client, image_id):
    body = {"image_id": image_id, "size": 8, "filters": [{"preset": "sobel_x", "size": 3}]}
    response = client.post("/api/conv/gif", json={**body, "frames": 400})
    assert response.status_code == 200 and response.mimetype == "image/gif"
    assert "attachment" in response.headers["Content-Disposition"]
    gif = Image.open(io.BytesIO(response.data))
    assert gif.n_frames == 6 * 6  # one frame per output position


def test_gif_samples_positions_of_a_big_map(client, image_id):
    body = {"image_id": image_id, "filters": [{"preset": "sobel_x"}, {"preset": "red"}],
            "filter": 1, "frames": 50}
    gif = Image.open(io.BytesIO(client.post("/api/conv/gif", json=body).data))
    assert gif.n_frames == 50
    first, last = np.asarray(gif.convert("RGB")), None
    gif.seek(gif.n_frames - 1)
    last = np.asarray(gif.convert("RGB"))
    assert first.shape == last.shape and not np.array_equal(first, last)


def test_csv_equals_the_map(client, image_id):
    body = {"image_id": image_id, "filters": [{"preset": "sobel_y"}]}
    out = client.post("/api/conv", json=body).get_json()
    for stage in ("maps", "relu", "pooled"):
        response = client.post("/api/conv/csv", json={**body, "stage": stage})
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        np.testing.assert_allclose(np.array(rows, float), from_typed(out[stage][0]), rtol=1e-5,
                                   atol=1e-6)


def test_exports_refuse_a_missing_filter(client, image_id):
    body = {"image_id": image_id, "filters": [{"preset": "sobel_y"}], "filter": 3}
    assert client.post("/api/conv/gif", json=body).status_code == 422
    assert client.post("/api/conv/csv", json=body).status_code == 422
