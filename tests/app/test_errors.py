"""Every failure is problem+json with a status, a title and a sentence; never a 500."""

from __future__ import annotations

import pytest

GOOD = {"image_id": "sample-checkerboard", "filters": [{"preset": "sobel_x"}]}


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("/problems/")
    if field is not None:
        assert body.get("field") == field
    return body


def test_malformed_json_is_400(client):
    response = client.post("/api/conv", data='{"image_id": ', content_type="application/json")
    assert_problem(response, 400)


@pytest.mark.parametrize(("change", "field"), [
    ({"size": 7}, "size"),
    ({"size": 513}, "size"),
    ({"size": "big"}, "size"),
    ({"stride": 0}, "stride"),
    ({"filters": []}, "filters"),
    ({"filters": [{"preset": "sobel_x"}] * 17}, "filters"),
    ({"image_id": "../../etc/passwd"}, "image_id"),
    ({"image_id": "A" * 64}, "image_id"),
    ({"pool": {"op": "median"}}, "pool.op"),
    ({"colour": "red"}, "colour"),
])
def test_json_that_breaks_the_schema_is_422_naming_the_field(client, change, field):
    assert_problem(client.post("/api/conv", json={**GOOD, **change}), 422, field)


def test_missing_body_is_422(client):
    assert_problem(client.post("/api/conv"), 422)


def test_an_image_the_server_no_longer_has_is_404(client):
    body = assert_problem(client.post("/api/conv", json={**GOOD, "image_id": "0" * 64}), 404,
                          "image_id")
    assert body["type"] == "/problems/unknown-image"
    assert "upload it again" in body["detail"]
    response = client.get("/api/images/" + "0" * 64)
    assert_problem(response, 404)


def test_unknown_route_and_wrong_method(client):
    assert_problem(client.get("/api/nope"), 404)
    assert_problem(client.get("/api/conv"), 405)


def test_an_unexpected_error_is_a_plain_500_without_a_trace(app, client, monkeypatch):
    from app import convolve

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(convolve, "feature_maps", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    body = assert_problem(client.post("/api/conv", json=GOOD), 500)
    assert "secret" not in body["detail"]
