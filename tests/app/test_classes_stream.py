"""The live class's event stream over real HTTP: a threaded werkzeug server (and gunicorn),
a real SSE reader, Last-Event-ID catch-up; two app instances sharing a real redis-server,
and that redis-server restarted mid-class."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from werkzeug.serving import make_server

from app import create_app
from tests.app.sse import SSE
from tests.conftest import free_port, require_executable

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def serve(**config):
    """create_app(config) on 127.0.0.1:<free port> in a threaded werkzeug server."""
    app = create_app({"TESTING": True, **config})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def call(method: str, url: str, body: dict | None = None, **headers) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


class Teacher:
    def __init__(self, base: str):
        self.base = base
        status, d = call("POST", base + "/api/classes", {"state": {"step": 1}})
        assert status == 201, d
        self.code, self.secret = d["code"], d["secret"]
        self.url = f"{base}/api/classes/{self.code}"

    def join(self, base: str | None = None) -> str:
        """A new student's token (joined through `base`, default the teacher's instance)."""
        status, d = call("POST", f"{base or self.base}/api/classes/{self.code}/students", {})
        assert status == 201, d
        return d["token"]

    def events(self, base: str | None = None) -> str:
        return f"{base or self.base}/api/classes/{self.code}/events"

    def follow(self, base: str | None = None, **kw) -> SSE:
        """A new student joins and opens the event stream."""
        return SSE(self.events(base), token=self.join(base), **kw)

    def step(self, n: int, base: str | None = None) -> tuple[int, dict]:
        url = f"{base}/api/classes/{self.code}" if base else self.url
        return call("PUT", url + "/state", {"state": {"step": n}},
                    **{"X-Class-Secret": self.secret})


def test_events_arrive_in_order_and_last_event_id_catches_up(tmp_path):
    with serve(DATA_DIR=tmp_path, STORE="disk") as base:
        teacher = Teacher(base)
        token = teacher.join()
        follower = SSE(teacher.url + "/events", token=token)
        assert follower.status == 200
        assert follower.headers["Content-Type"].startswith("text/event-stream")
        first = follower.next()
        assert follower.retry == 1000
        assert first.data["kind"] == "start" and first.data["state"] == {"step": 1}
        for n in (2, 3, 4):
            assert teacher.step(n)[0] == 200
        got = [follower.next() for _ in range(3)]
        assert [e.data["state"]["step"] for e in got] == [2, 3, 4]
        assert [e.data["seq"] for e in got] == [1, 2, 3]
        assert len({e.id for e in [first, *got]}) == 4
        follower.close()  # the Wi-Fi drops; the teacher goes on
        for n in (5, 6):
            teacher.step(n)
        back = SSE(teacher.url + "/events", token=token, last_event_id=got[-1].id)
        assert [back.next().data["state"]["step"] for _ in range(2)] == [5, 6]  # none missed
        teacher.step(7)
        assert back.next().data["state"]["step"] == 7  # and live again
        back.close()
        fresh = teacher.follow()  # no Last-Event-ID: the current snapshot only
        assert fresh.next().data["state"]["step"] == 7
        fresh.close()


def test_query_parameter_last_and_a_garbled_id(tmp_path):
    with serve(DATA_DIR=tmp_path, STORE="disk") as base:
        teacher = Teacher(base)
        token = teacher.join()
        f = SSE(teacher.url + "/events", token=token)
        start = f.next()
        f.close()
        teacher.step(2)
        teacher.step(3)
        again = SSE(teacher.url + f"/events?last={start.id}", token=token)
        assert [again.next().data["seq"] for _ in range(2)] == [1, 2]
        again.close()
        garbled = teacher.follow(last_event_id="1732-x")
        assert garbled.next().data["seq"] == 2  # treated as a fresh follower
        garbled.close()


def test_ending_the_class_ends_the_streams(tmp_path):
    with serve(DATA_DIR=tmp_path, STORE="disk") as base:
        teacher = Teacher(base)
        f = teacher.follow()
        f.next()
        assert call("DELETE", teacher.url, **{"X-Class-Secret": teacher.secret})[0] == 204
        t0 = time.monotonic()
        end = f.next()
        assert end.data["kind"] == "end" and time.monotonic() - t0 < 2
        assert f.next() is None  # the server closed the stream
        f.close()


def test_two_instances_sharing_a_sqlite_file_see_each_others_classes(tmp_path):
    """Two workers on one machine (the disk store): no Redis, one SQLite file."""
    with serve(DATA_DIR=tmp_path, STORE="disk") as a, serve(DATA_DIR=tmp_path, STORE="disk") as b:
        teacher = Teacher(a)
        f = teacher.follow(b)
        f.next()
        teacher.step(2)
        t0 = time.monotonic()
        assert f.next().data["state"]["step"] == 2
        assert time.monotonic() - t0 < 1.0  # the other instance polls every 0.1 s
        f.close()


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own (persisting to an append-only file), restartable."""
    exe = require_executable("redis-server")
    port = free_port()
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
            "yes", "--dir", str(tmp_path)]
    procs = []

    def start():
        procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        client = redis.Redis(port=port)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                client.ping()
                return
            time.sleep(0.02)
        pytest.fail("redis-server did not start")

    def stop():
        procs[-1].send_signal(signal.SIGTERM)
        procs[-1].wait(timeout=10)

    start()
    yield f"redis://127.0.0.1:{port}/0", start, stop
    with contextlib.suppress(Exception):
        stop()


def test_two_instances_sharing_redis_and_a_redis_restart(own_redis, tmp_path):
    url, start_redis, stop_redis = own_redis
    with serve(DATA_DIR=tmp_path / "a", STORE=url) as a, \
            serve(DATA_DIR=tmp_path / "b", STORE=url) as b:
        teacher = Teacher(a)  # the teacher on replica a, the student on replica b
        status, joined = call("POST", f"{b}/api/classes/{teacher.code}/students", {})
        assert status == 201
        f = SSE(teacher.events(b), token=joined["token"])
        assert f.next().data["kind"] == "start"
        teacher.step(2)
        assert f.next().data["state"]["step"] == 2
        qid = call("POST", teacher.url + "/questions", {"kind": "number", "prompt": "?"},
                   **{"X-Class-Secret": teacher.secret})[1]["question"]["id"]
        assert f.next().data["question"]["id"] == qid
        answer = f"{b}/api/classes/{teacher.code}/questions/{qid}/answers"
        assert call("POST", answer, {"value": 4}, **{"X-Student-Token": joined["token"]})[0] == 200
        tally = call("GET", teacher.url + "/tally", **{"X-Class-Secret": teacher.secret})[1]
        assert (tally["joined"], tally["answered"]) == (1, 1)

        stop_redis()
        assert teacher.step(3)[0] == 503  # while Redis is down: a problem, not a hang
        start_redis()
        t0 = time.monotonic()
        while (status := teacher.step(3)[0]) != 200:  # the teacher's client retries
            assert time.monotonic() - t0 < 10, status
            time.sleep(0.1)
        event = f.next()  # the same stream: the server waited for Redis and went on
        took = time.monotonic() - t0
        print(f"\nfollower resumed {took:.2f} s after redis-server came back")
        assert event.data["state"]["step"] == 3 and event.data["seq"] == 3  # no event missed
        assert took < 5
        f.close()


def test_followers_on_every_gunicorn_worker(tmp_path):
    """gunicorn, 3 workers, the disk store: a class started on one worker is followed on all.
    The access log has every stream's request, but not the tokens in their query strings."""
    port = free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "CONVSCOPE_HOST": "127.0.0.1", "CONVSCOPE_PORT": str(port),
           "CONVSCOPE_WORKERS": "3", "CONVSCOPE_THREADS": "8", "CONVSCOPE_DATA_DIR": str(tmp_path),
           "CONVSCOPE_ACCESS_LOG": str(log)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                               "app:create_app()"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                if call("GET", base + "/api/health")[0] == 200:
                    break
            time.sleep(0.05)
        teacher = Teacher(base)
        tokens = [teacher.join() for _ in range(6)]
        followers = [SSE(teacher.events(), token=t) for t in tokens]  # spread over workers
        assert {f.next().data["kind"] for f in followers} == {"start"}
        for n in (2, 3):
            teacher.step(n)
        for f in followers:
            assert [f.next().data["state"]["step"] for _ in range(2)] == [2, 3]
            f.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text()
    assert text.count(f"GET /api/classes/{teacher.code}/events?token=[redacted] ") == 6, text
    assert not any(t in text for t in tokens)


def test_python_m_apps_log_leaves_the_token_out(tmp_path, caplog):
    """`python -m app` (werkzeug's server with app/__main__.py's handler) logs each request
    line: the event stream's is there, its token is not."""
    from app.__main__ import QuietHandler

    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk"})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        teacher = Teacher(f"http://127.0.0.1:{server.server_port}")
        token = teacher.join()
        with caplog.at_level("INFO", logger="werkzeug"):
            s = SSE(teacher.events(), token=token)
            assert s.next().data["kind"] == "start"
            s.close()
    finally:
        server.shutdown()
    lines = [r.getMessage() for r in caplog.records if "/events" in r.getMessage()]
    assert len(lines) == 1 and "events?token=[redacted] HTTP/1.1" in lines[0], lines
    assert token not in caplog.text


def refused(url: str, token: str) -> SSE:
    """A stream that must be refused as a token's third: 429 problem+json, Retry-After."""
    s = SSE(url, token=token, timeout=5)
    assert s.status == 429, s.status
    assert s.headers["Content-Type"] == "application/problem+json"
    assert json.loads(s.response.read())["type"] == "/problems/too-many-streams"
    assert int(s.headers["Retry-After"]) > 0
    s.close()
    return s


def wait_for_a_place(url: str, token: str, seconds: float) -> tuple[SSE, float]:
    """Open a stream as soon as the token has a free place again: (it, how long it took)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        s = SSE(url, token=token, timeout=5)
        if s.status == 200:
            return s, time.monotonic() - t0
        assert s.status == 429, s.status
        s.close()
        time.sleep(0.1)
    pytest.fail(f"no place for the token within {seconds} s")


def two_tabs_then_a_third(a: str, b: str) -> None:
    """A student's two tabs on instance a; the third, on instance b, is refused; when a tab
    is closed (the client just goes away) its place frees within a few seconds."""
    teacher = Teacher(a)
    token = teacher.join()
    tabs = [SSE(teacher.events(a), token=token) for _ in range(2)]
    assert [t.status for t in tabs] == [200, 200]
    for t in tabs:
        assert t.next().data["kind"] == "start"
    refused(teacher.events(b), token)
    other = teacher.follow(b)  # another student is not affected
    assert other.status == 200
    tabs[0].close()  # the tab is closed: no goodbye, the socket just closes
    third, took = wait_for_a_place(teacher.events(b), token, 10)
    print(f"\na closed tab's place freed after {took:.2f} s")
    assert took < 4  # the stream looks for a hang-up every 2 s
    teacher.step(2)
    assert third.next().data["kind"] == "start"
    assert third.next().data["state"]["step"] == 2
    for s in (tabs[1], third, other):
        s.close()


def test_a_tokens_streams_are_counted_across_instances_sharing_sqlite(tmp_path):
    with serve(DATA_DIR=tmp_path, STORE="disk") as a, serve(DATA_DIR=tmp_path, STORE="disk") as b:
        two_tabs_then_a_third(a, b)


def test_a_tokens_streams_are_counted_across_instances_sharing_redis(redis_url, tmp_path):
    with serve(DATA_DIR=tmp_path / "a", STORE=redis_url) as a, \
            serve(DATA_DIR=tmp_path / "b", STORE=redis_url) as b:
        two_tabs_then_a_third(a, b)


def test_open_streams_keep_their_places_past_a_leases_lifetime(tmp_path):
    """Leases lapse (a crashed worker's streams stop counting), but a stream that is still
    open refreshes its own: with 0.6 s leases, two open streams still hold both places 2 s on."""
    with serve(DATA_DIR=tmp_path, STORE="disk", CLASS_STREAM_LEASE_SECONDS=0.6) as base:
        teacher = Teacher(base)
        token = teacher.join()
        tabs = [SSE(teacher.events(), token=token) for _ in range(2)]
        for t in tabs:
            t.next()
        time.sleep(2)
        refused(teacher.events(), token)
        for t in tabs:
            t.close()
        wait_for_a_place(teacher.events(), token, 5)[0].close()
