"""The OpenAPI document, security headers, compression and configuration."""

from __future__ import annotations

import gzip
import json

from app import create_app
from app.config import from_environment


def test_openapi_document_lists_every_endpoint(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    paths = set(doc["paths"])
    assert {"/api/health", "/api/samples", "/api/images", "/api/images/{image_id}",
            "/api/presets", "/api/conv", "/api/conv/step", "/api/pool/step", "/api/conv/gif",
            "/api/conv/csv", "/api/models", "/api/models/{name}/predict",
            "/api/models/{name}/filters", "/api/models/{name}/history"} <= paths
    body = doc["components"]["schemas"]["ConvLayerBody"]  # /api/conv's body
    assert body["properties"]["size"]["minimum"] == 8
    assert body["properties"]["size"]["maximum"] == 512


def test_security_headers_on_pages_and_api(client):
    for url in ("/", "/api/health"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'self'" in csp
        assert "http" not in csp  # no outside origin anywhere
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_large_responses_are_gzipped(client):
    response = client.get("/api/models", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.data))["models"]


def test_configuration_from_the_environment(tmp_path):
    config = from_environment({"CONVSCOPE_DATA_DIR": str(tmp_path), "CONVSCOPE_MAX_UPLOAD_MB": "5",
                               "CONVSCOPE_STORE": "disk"})
    assert config["DATA_DIR"] == tmp_path and config["MAX_CONTENT_LENGTH"] == 5_000_000
    assert not create_app({"DATA_DIR": tmp_path}).debug
