"""Samples, uploads through the API, and the working image."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.arrays import from_typed
from tests.app.conftest import png


def test_samples_are_listed_and_usable(client):
    samples = client.get("/api/samples").get_json()["samples"]
    assert len(samples) >= 8
    for s in samples:
        assert s["title"] and s["description"]
        response = client.get(f"/api/images/{s['image_id']}?size=16")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert Image.open(io.BytesIO(response.data)).size == (16, 16)


def test_upload_gives_a_content_address(client, pixels):
    data = png(pixels)
    first = client.post("/api/images", data={"image": (io.BytesIO(data), "a.png")})
    again = client.post("/api/images", data={"image": (io.BytesIO(data), "b.png")})
    assert first.status_code == again.status_code == 201
    body = first.get_json()
    assert body == {"image_id": again.get_json()["image_id"], "width": 32, "height": 32,
                    "format": "PNG"}
    assert len(body["image_id"]) == 64


def test_working_image_is_the_picture_at_size(client, image_id, pixels):
    response = client.get(f"/api/images/{image_id}?size=32")
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(response.data))), pixels)
    out = client.post("/api/conv", json={"image_id": image_id, "size": 32,
                                         "filters": [{"preset": "identity"}]}).get_json()
    np.testing.assert_array_equal(from_typed(out["image"]), pixels)


def test_a_landscape_photo_is_centre_cropped(client):
    wide = np.zeros((20, 60, 3), np.uint8)
    wide[:, 20:40] = 255  # the centre square is white, the sides black
    image_id = client.post("/api/images", data={"image": (io.BytesIO(png(wide)), "w.png")}
                           ).get_json()["image_id"]
    response = client.get(f"/api/images/{image_id}?size=20")
    assert np.asarray(Image.open(io.BytesIO(response.data))).min() == 255


def test_not_an_image_is_415_and_the_store_is_untouched(client, app):
    response = client.post("/api/images",
                           data={"image": (io.BytesIO(b"<html>hello</html>"), "cat.jpg")})
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["field"] == "image"
    assert not any(p.is_file() for p in (app.config["DATA_DIR"] / "images").rglob("*"))


def test_a_body_over_the_limit_is_413(app, client, pixels):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    big = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    response = client.post("/api/images", data={"image": (io.BytesIO(png(big)), "big.png")})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_upload_without_the_field_is_422(client):
    response = client.post("/api/images", data={"picture": (io.BytesIO(b"x"), "x.png")})
    assert response.status_code == 422


def test_an_evicted_image_is_404_and_uploading_again_recovers(client, app, image_id, pixels):
    for path in (app.config["DATA_DIR"] / "images").rglob("*"):
        if path.is_file():
            path.unlink()
    body = {"image_id": image_id, "filters": [{"preset": "identity"}]}
    assert client.post("/api/conv", json=body).status_code == 404
    client.post("/api/images", data={"image": (io.BytesIO(png(pixels)), "again.png")})
    assert client.post("/api/conv", json=body).status_code == 200


def test_presets_are_listed_with_their_weights(client):
    presets = client.get("/api/presets?size=3").get_json()["presets"]
    names = [p["name"] for p in presets]
    assert {"identity", "sobel_x", "sobel_y", "gaussian_blur", "red_green"} <= set(names)
    identity = np.array(presets[names.index("identity")]["weights"])
    assert identity.shape == (3, 3, 3) and identity[1, 1].sum() == pytest.approx(1.0)
    assert client.get("/api/presets?size=4").status_code == 422


def test_a_damaged_stored_copy_is_404_not_500(client, app, image_id):
    (stored,) = (p for p in (app.config["DATA_DIR"] / "images").rglob(image_id))
    stored.write_bytes(b"\x89PNG\r\n\x1a\n broken")  # a disk error, say
    response = client.get(f"/api/images/{image_id}?size=12")
    assert response.status_code == 404
    assert response.get_json()["type"] == "/problems/unknown-image"
