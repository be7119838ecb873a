"""Every failure is problem+json with a status, a title and a sentence; never a 500."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, require_executable

ROOT = Path(__file__).resolve().parents[2]

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


# --- bad input (issue 11, item 13) ---------------------------------------------------------

@pytest.mark.parametrize(("depth", "status"), [(1000, 422), (1100, 400), (100_000, 400)])
def test_json_nested_deep_is_a_4xx_not_500(client, depth, status):
    """Parsable nesting (orjson takes 1,024 levels) is valid JSON of the wrong shape: 422 for
    the field; deeper is refused by the parser: 400. Never a RecursionError's 500."""
    deep = "[" * depth + "]" * depth
    response = client.post("/api/conv", data='{"image_id": "sample-car", "filters": ' + deep + "}",
                           content_type="application/json")
    assert_problem(response, status, "filters.0" if status == 422 else None)


def test_an_image_sent_as_text_is_422(client):
    assert_problem(client.post("/api/images", data={"image": "hello"}), 422, "image")


def test_a_chunked_body_over_the_limit_is_413_not_cut_short(app, client):
    """Werkzeug reads a chunked body up to MAX_CONTENT_LENGTH and silently stops there."""
    app.config["MAX_CONTENT_LENGTH"] = 1000
    body = b'{"image_id": "sample-car", "filters": [{"preset": "sobel_x"}]}' + b" " * 2000
    chunked = {"headers": {"Transfer-Encoding": "chunked"}, "content_type": "application/json",
               "environ_overrides": {"wsgi.input_terminated": True}}  # as servers set it
    assert_problem(client.post("/api/conv", input_stream=io.BytesIO(body), **chunked), 413)
    ok = client.post("/api/conv", input_stream=io.BytesIO(body[:999]), **chunked)
    assert ok.status_code == 200


def test_405_names_the_allowed_methods(client):
    response = client.get("/api/conv")
    assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    response = client.put("/api/images/" + "0" * 64)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "DELETE", "OPTIONS"}


def openapi_validator(client, name: str):
    """A JSON Schema validator for one of the OpenAPI document's component schemas."""
    jsonschema = pytest.importorskip("jsonschema")
    doc = client.get("/api/openapi.json").get_json()
    schema = {**doc["components"]["schemas"][name], "components": doc["components"]}
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("kernel", [
    {"preset": "sobel_x"}, {"preset": "sobel_x", "model": None}, {"model": "lenet"},
    {"weights": [[[1, 0, 0]]]}, {}, {"preset": "sobel_x", "model": "lenet"},
    {"preset": "sobel_x", "weights": [[[1, 0, 0]]]}, {"preset": None},
    {"preset": "box_blur", "size": 3}, {"preset": "box_blur", "size": 4},
    {"preset": "box_blur", "size": 14},
])
def test_the_openapi_document_states_the_filter_rules_the_app_enforces(client, kernel):
    """Exactly one of preset/model/weights, and odd preset sizes: document and app agree."""
    by_document = openapi_validator(client, "Kernel").is_valid(kernel)
    response = client.post("/api/conv", json={**GOOD, "filters": [kernel]})
    assert response.status_code in (200, 422)
    assert by_document == (response.status_code == 200), response.get_json()


def test_even_preset_sizes_are_in_the_document_of_presets(client):
    param = next(p for p in client.get("/api/openapi.json").get_json()["paths"]["/api/presets"]
                 ["get"]["parameters"] if p["name"] == "size")
    assert param["schema"]["not"] == {"multipleOf": 2}
    assert_problem(client.get("/api/presets?size=4"), 422, "size")


def test_the_debugger_is_refused_off_loopback():
    from app.__main__ import debug_refusal

    assert debug_refusal("0.0.0.0", {"FLASK_DEBUG": "1"}).startswith("Refusing")
    assert debug_refusal("192.168.1.20", {"FLASK_DEBUG": "true"})
    for host in ("127.0.0.1", "::1", "localhost"):
        assert debug_refusal(host, {"FLASK_DEBUG": "1"}) is None
    assert debug_refusal("0.0.0.0", {"FLASK_DEBUG": "0"}) is None
    assert debug_refusal("0.0.0.0", {}) is None
    # the real thing: `python -m app` exits at once with the reason (192.0.2.1 is a
    # documentation address: the old code failed to bind it, never exposing anything)
    env = {**os.environ, "FLASK_DEBUG": "1", "CONVSCOPE_HOST": "192.0.2.1",
           "CONVSCOPE_PORT": str(free_port())}
    run = subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2 and "Refusing to start" in run.stderr


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str]):
    """A server process on loopback (CONVSCOPE_PORT), until it answers /api/health."""
    port = free_port()
    env = {**os.environ, "CONVSCOPE_HOST": "127.0.0.1", "CONVSCOPE_PORT": str(port),
           "CONVSCOPE_ACCESS_LOG": "", **env}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def send_chunked(port: int, path: str, chunks, headers: dict) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it may stop reading
        conn.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


@pytest.mark.parametrize("server", ["python -m app", "gunicorn"])
def test_real_servers_bound_chunked_bodies_and_name_no_versions(tmp_path, server):
    command = ([sys.executable, "-m", "app"] if server == "python -m app" else
               [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"])
    env = {"CONVSCOPE_DATA_DIR": str(tmp_path), "CONVSCOPE_WORKERS": "1",
           "CONVSCOPE_MAX_UPLOAD_MB": "1"}
    with serving(command, env) as port:
        status, headers, body = send_chunked(port, "/api/conv", (b" " * 100_000 for _ in range(50)),
                                             {"Content-Type": "application/json"})
        assert status == 413 and headers["Content-Type"] == "application/problem+json"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/health")
        response = conn.getresponse()
        assert response.status == 200
        server_header = response.getheader("Server", "")
        assert not re.search(r"\d|werkzeug|python", server_header, re.I), server_header


def test_the_documented_nginx_lines_answer_414_and_431_as_problems(tmp_path):
    """gunicorn answers these in HTML before the app sees them; docs/serving.md's nginx lines
    answer first, as problem+json. nginx runs here with exactly those lines, on loopback."""
    nginx = require_executable("nginx", "/usr/sbin/nginx")
    text = (ROOT / "docs" / "serving.md").read_text()
    section = text[text.index("## Errors the app never sees"):]
    lines = re.search(r"```nginx\n(.*?)```", section, re.S).group(1)
    port = free_port()
    temp = " ".join(f"{k}_temp_path {tmp_path}/{k};" for k in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; worker_processes 1;\n"
        f"events {{ worker_connections 16; }}\n"
        f"http {{ access_log off; {temp}\n server {{ listen 127.0.0.1:{port};\n{lines}\n"
        f" location / {{ return 200 'ok'; }} }} }}\n")
    subprocess.run([nginx, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                   check=True, timeout=30)
    try:
        for path, headers, status in [("/" + "a" * 9000, {}, 414),
                                      ("/", {"X-Big": "a" * 9000}, 431), ("/", {}, 200)]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            assert response.status == status
            if status != 200:
                assert response.getheader("Content-Type") == "application/problem+json"
                assert json.loads(body)["status"] == status
    finally:
        pid = int((tmp_path / "nginx.pid").read_text())
        os.kill(pid, signal.SIGTERM)
