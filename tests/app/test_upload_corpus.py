"""The hostile and odd upload corpus through POST /api/images, as a browser sends it.

Each file gets the right status and a readable problem; the server keeps serving after each.
"""

from __future__ import annotations

import io

import pytest

from tests.app import corpus

CASES = [
    ("photo.png", corpus.png, 201),
    ("rotated.jpg", lambda: corpus.jpeg_oriented(6), 201),
    ("cmyk.jpg", corpus.cmyk_jpeg, 201),
    ("animated.gif", corpus.animated_gif, 201),
    ("photo.webp", corpus.webp, 201),
    ("photo.bmp", corpus.bmp, 201),
    ("scan.tiff", corpus.tiff_multiframe, 201),
    ("grey.png", corpus.grey_l, 201),
    ("grey16.png", corpus.grey16, 201),
    ("palette.png", corpus.palette_transparent, 201),
    ("alpha.png", corpus.rgba, 201),
    ("grey-alpha.png", corpus.la, 201),
    ("one-pixel.png", lambda: corpus.tiny(1), 201),
    ("three.png", lambda: corpus.tiny(3), 201),
    ("phone.jpg", corpus.big_jpeg, 201),
    ("empty.jpg", lambda: b"", 400),
    ("page.jpg", lambda: corpus.HTML, 415),
    ("noise.bin", corpus.random_bytes, 415),
    ("cut.png", lambda: corpus.truncated("PNG"), 400),
    ("cut.jpg", lambda: corpus.truncated("JPEG"), 400),
    ("bad-crc.png", corpus.png_bad_crc, 400),
    ("huge.png", lambda: corpus.png_header(50_000, 50_000), 413),
]


@pytest.mark.parametrize(("name", "make", "status"), CASES, ids=[c[0] for c in CASES])
def test_upload(client, name, make, status):
    response = client.post("/api/images", data={"image": (io.BytesIO(make()), name)})
    assert response.status_code == status
    if status == 201:
        body = response.get_json()
        picture = client.get(f"/api/images/{body['image_id']}?size=32")
        assert picture.status_code == 200 and picture.mimetype == "image/png"
    else:
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == status and problem["field"] == "image"
        assert problem["detail"].endswith(".") and "Error" not in problem["detail"]
    assert client.get("/api/health").status_code == 200  # still serving
