"""Samples, uploads through the API, and the working image."""

from __future__ import annotations

import hashlib
import io
import re
import time

import numpy as np
import pytest
from PIL import Image

from app import create_app
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


def upload(client, data: bytes, **kwargs):
    return client.post("/api/images", data={"image": (io.BytesIO(data), "a.png")}, **kwargs)


def test_same_bytes_same_id_that_reveals_nothing(app, client, pixels):
    data = png(pixels)
    first, again = upload(client, data), upload(client, data)
    assert first.status_code == again.status_code == 201
    body = first.get_json()
    assert body == {**again.get_json(), "width": 32, "height": 32, "format": "PNG",
                    "expires_in": 86400}
    image_id = body["image_id"]
    assert re.fullmatch("[0-9a-f]{64}", image_id) and re.fullmatch("[0-9a-f]{64}",
                                                                      body["delete_token"])
    # not the sha256 of the file: holding a copy of a photo does not give its URL
    assert image_id != hashlib.sha256(data).hexdigest()
    assert client.get(f"/api/images/{hashlib.sha256(data).hexdigest()}").status_code == 404
    # another worker on the same store gives the same id: a re-upload keeps shared URLs working
    other = create_app({"TESTING": True, "DATA_DIR": app.config["DATA_DIR"], "STORE": "disk"})
    assert upload(other.test_client(), data).get_json()["image_id"] == image_id
    # another server does not
    elsewhere = create_app({"TESTING": True, "DATA_DIR": app.config["DATA_DIR"] / "x",
                            "STORE": "disk"})
    assert upload(elsewhere.test_client(), data).get_json()["image_id"] != image_id


def test_a_photo_is_not_cached_by_shared_caches(client, image_id):
    response = client.get(f"/api/images/{image_id}?size=16")
    assert response.status_code == 200
    assert response.cache_control.private and response.cache_control.no_store
    assert not response.cache_control.public and response.cache_control.max_age is None
    sample = client.get("/api/images/sample-car?size=16")  # ours, not a student's
    assert sample.cache_control.public and sample.cache_control.max_age == 3600


def test_the_uploader_can_delete_a_photo(client, pixels):
    body = upload(client, png(pixels)).get_json()
    url, token = f"/api/images/{body['image_id']}", body["delete_token"]
    assert client.get(url + "?size=16").status_code == 200  # now in this worker's cache too
    for wrong in ({}, {"X-Delete-Token": "0" * 64}, {"X-Delete-Token": token[:-1] + "x"},
                  {"X-Delete-Token": upload(client, png(pixels[::-1])).get_json()["delete_token"]}):
        response = client.delete(url, headers=wrong)
        assert response.status_code in (403, 422), wrong
        assert response.mimetype == "application/problem+json"
    assert client.get(url + "?size=16").status_code == 200
    response = client.delete(url, headers={"X-Delete-Token": token})
    assert response.status_code == 204 and response.data == b""
    assert client.get(url + "?size=16").status_code == 404
    conv = client.post("/api/conv", json={"image_id": body["image_id"],
                                          "filters": [{"preset": "identity"}]})
    assert conv.status_code == 404 and conv.get_json()["type"] == "/problems/unknown-image"
    assert client.delete(url, headers={"X-Delete-Token": token}).status_code == 204  # idempotent
    assert client.delete("/api/images/sample-car",
                         headers={"X-Delete-Token": token}).status_code == 403


def test_an_upload_expires_after_the_configured_time(tmp_path, pixels):
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                      "UPLOAD_TTL_SECONDS": 1.0})
    client = app.test_client()
    body = upload(client, png(pixels)).get_json()
    assert body["expires_in"] == 1
    url = f"/api/images/{body['image_id']}?size=16"
    assert client.get(url).status_code == 200
    time.sleep(1.1)
    assert client.get(url).status_code == 404
    assert not [p for p in (tmp_path / "images").rglob("*") if p.name == body["image_id"]]


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
    files = [p.name for p in (app.config["DATA_DIR"] / "images").rglob("*") if p.is_file()]
    assert sorted(files) == [".lock", ".secret", ".usage"]  # the store's own, no picture


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


# --- uploads are rate-limited per client (app/limits.py) -----------------------------------

def limited_app(tmp_path, **config):
    return create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                       "UPLOAD_RATE": "3 per minute", **config})


def test_uploads_are_limited_per_client(tmp_path, pixels):
    client = limited_app(tmp_path).test_client()
    data = png(pixels)
    assert [upload(client, data).status_code for _ in range(3)] == [201] * 3
    refused = upload(client, data)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"] == "/problems/too-many-requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # another pupil's device is counted apart; the rest of the API is not limited
    assert upload(client, data, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 201
    assert client.get("/api/samples").status_code == 200


def test_behind_a_proxy_the_client_is_taken_from_x_forwarded_for(tmp_path, pixels):
    client = limited_app(tmp_path, PROXY_HOPS=1).test_client()
    data = png(pixels)

    def via_proxy(pupil: str, spoofed: str = "") -> int:
        chain = f"{spoofed}, {pupil}" if spoofed else pupil
        return upload(client, data, headers={"X-Forwarded-For": chain}).status_code

    assert [via_proxy("10.0.0.1") for _ in range(4)] == [201, 201, 201, 429]
    assert via_proxy("10.0.0.2") == 201
    # a client cannot escape by sending its own X-Forwarded-For: the proxy appends the real one
    assert via_proxy("10.0.0.1", spoofed="1.2.3.4") == 429


def test_an_empty_rate_turns_the_limit_off(tmp_path, pixels):
    client = limited_app(tmp_path, UPLOAD_RATE="").test_client()
    assert {upload(client, png(pixels)).status_code for _ in range(5)} == {201}


def test_with_redis_every_worker_shares_the_count(tmp_path, pixels, redis_url):
    """Two workers (two apps) on one Redis: 2 + 2 uploads against a limit of 3."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    a, b = (limited_app(tmp_path, STORE=redis_url).test_client() for _ in range(2))
    data = png(pixels)
    assert [upload(c, data).status_code for c in (a, b, a, b)] == [201, 201, 201, 429]


def test_settings_from_the_environment():
    from app.config import from_environment

    config = from_environment({"CONVSCOPE_UPLOAD_TTL_HOURS": "2", "CONVSCOPE_UPLOAD_RATE": "",
                               "CONVSCOPE_PROXY_HOPS": "1",
                               "CONVSCOPE_RATELIMIT_STORAGE": "memory://"})
    assert config["UPLOAD_TTL_SECONDS"] == 7200 and config["UPLOAD_RATE"] == ""
    assert config["PROXY_HOPS"] == 1 and config["RATELIMIT_STORAGE_URI"] == "memory://"
    defaults = from_environment({})
    assert defaults["UPLOAD_TTL_SECONDS"] == 86400 and "RATELIMIT_STORAGE_URI" not in defaults
    assert defaults["UPLOAD_RATE"] == "10 per minute; 100 per hour"


def test_each_app_counts_in_its_own_storage(tmp_path, pixels):
    """flask-limiter keeps one storage per Limiter: a second app in the process (here one
    pointing at a Redis that is gone) must not take over the first app's counts."""
    first = limited_app(tmp_path / "a").test_client()
    data = png(pixels)
    assert [upload(first, data).status_code for _ in range(2)] == [201, 201]
    limited_app(tmp_path / "b", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    assert [upload(first, data).status_code for _ in range(2)] == [201, 429]
