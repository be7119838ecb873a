"""The live class API (app/api/classes.py): the teacher drives, students join and answer;
every mistake is a 4xx problem+json. In-process client, SQLite class store."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest

from app import create_app
from app.live_schemas import CODE_ALPHABET


@pytest.fixture
def app(tmp_path):
    return create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                       "CLASS_MAX_FOLLOWERS": 5, "CLASS_STREAM_SECONDS": 1})


def start(client, **body) -> tuple[str, dict]:
    r = client.post("/api/classes", json=body)
    assert r.status_code == 201, r.get_json()
    d = r.get_json()
    return d["code"], {"X-Class-Secret": d["secret"]}


def join(client, code: str, nickname: str = "") -> dict:
    r = client.post(f"/api/classes/{code}/students", json={"nickname": nickname})
    assert r.status_code == 201, r.get_json()
    return {"X-Student-Token": r.get_json()["token"]}


def problem(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_start_gives_a_readable_code_a_secret_and_a_join_url(client):
    r = client.post("/api/classes", json={"state": {"step": 2}},
                    base_url="http://convscope.school:8000")
    d = r.get_json()
    assert r.status_code == 201
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{6}}", d["code"])
    assert not set(d["code"]) & set("0O1I")
    assert d["join_url"] == f"http://convscope.school:8000/join/{d['code']}"
    assert d["secret"] not in d["join_url"] and len(d["secret"]) >= 40
    assert d["qr_url"] == f"/api/classes/{d['code']}/qr.svg"
    snap = client.get(f"/api/classes/{d['code']}").get_json()
    assert snap["state"] == {"step": 2} and snap["question"] is None
    assert "secret" not in str(snap)


def test_codes_are_spread_over_the_alphabet(client):
    codes = [start(client)[0] for _ in range(15)]
    assert len(set(codes)) == 15
    assert len(set("".join(codes))) > 20  # 90 characters drawn from 32


def test_public_url_setting_makes_the_join_url(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                      "PUBLIC_URL": "http://10.0.0.5:8000/"})
    d = app.test_client().post("/api/classes", json={}).get_json()
    assert d["join_url"] == f"http://10.0.0.5:8000/join/{d['code']}"


def test_qr_code_is_an_svg_of_the_join_url(client):
    code, _ = start(client)
    r = client.get(f"/api/classes/{code}/qr.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert r.data.startswith(b"<svg") and b"<script" not in r.data
    # decode it: the path's modules are the same as segno's own matrix for the URL
    import segno

    assert re.search(rb'viewBox="0 0 (\d+) \1"', r.data)
    n = int(re.search(rb'viewBox="0 0 (\d+)', r.data).group(1))
    assert n == len(segno.make(f"http://localhost/join/{code}", error="m").matrix) + 4


def test_the_teacher_drives_and_the_snapshot_follows(client):
    code, teacher = start(client, state={"step": 1})
    r = client.put(f"/api/classes/{code}/state", headers=teacher,
                   json={"state": {"step": 3, "img": "sample-car", "pos": 57,
                                   "f": ["sobel_x", "red"]}})
    assert r.status_code == 200 and r.get_json()["seq"] == 1
    r = client.patch(f"/api/classes/{code}", headers=teacher, json={"locked": True})
    assert r.get_json()["locked"] is True and r.get_json()["paused"] is False
    snap = client.get(f"/api/classes/{code}").get_json()
    assert snap["state"]["pos"] == 57 and snap["locked"] is True and snap["seq"] == 2


def test_wrong_or_missing_secret_cannot_drive(client):
    code, _ = start(client)
    other_code, other = start(client)
    for headers in ({"X-Class-Secret": "x" * 43}, other):
        body = problem(client.put(f"/api/classes/{code}/state", headers=headers,
                                  json={"state": {"step": 9}}), 403)
        assert body["field"] == "X-Class-Secret"
        problem(client.patch(f"/api/classes/{code}", headers=headers, json={"paused": True}), 403)
        problem(client.get(f"/api/classes/{code}/tally", headers=headers), 403)
        problem(client.delete(f"/api/classes/{code}", headers=headers), 403)
    problem(client.put(f"/api/classes/{code}/state", json={"state": {}}), 422)  # no header
    assert client.get(f"/api/classes/{code}").get_json()["seq"] == 0  # nothing changed


def test_a_student_token_cannot_drive(client):
    code, _ = start(client)
    student = join(client, code)
    problem(client.put(f"/api/classes/{code}/state", json={"state": {"step": 9}},
                       headers={"X-Class-Secret": student["X-Student-Token"]}), 403)


def test_unknown_malformed_and_ended_codes(client):
    problem(client.get("/api/classes/ABCDEF"), 404)  # well formed, no such class
    problem(client.post("/api/classes/ABCDEF/students", json={}), 404)
    problem(client.get("/api/classes/abc0O1"), 422)  # not the alphabet
    problem(client.get(f"/api/classes/ABCDEF/events?token={'x' * 32}"), 404)
    code, teacher = start(client)
    assert client.delete(f"/api/classes/{code}", headers=teacher).status_code == 204
    problem(client.get(f"/api/classes/{code}"), 404)
    problem(client.post(f"/api/classes/{code}/students", json={}), 404)


def test_an_idle_class_expires_with_its_students(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                      "CLASS_IDLE_HOURS": 1 / 3600})  # one idle second
    client = app.test_client()
    code, teacher = start(client)
    join(client, code, "Ada")
    time.sleep(1.1)
    problem(client.get(f"/api/classes/{code}"), 404)
    problem(client.put(f"/api/classes/{code}/state", headers=teacher, json={"state": {}}), 404)
    start(client)  # a write purges expired classes: nothing about the students is left
    store = app.extensions["classes"].store
    assert store.students(code) == {}
    assert store._conn().execute("SELECT COUNT(*) FROM events WHERE code = ?",
                                 (code,)).fetchone() == (0,)


def test_expired_classes_go_even_when_nobody_writes(tmp_path):
    from app.live_sqlite import SqliteClasses

    store = SqliteClasses(tmp_path / "c.sqlite3", ttl=0.3, purge_every=0.1)
    assert store.create("ABCDEF", {"x": 1}, "{}")
    store.join("ABCDEF", "token-of-a-student", "Ada", 10)
    time.sleep(0.8)  # expired, and no request since
    db = sqlite3.connect(tmp_path / "c.sqlite3")
    counts = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608
              for t in ("classes", "students", "answers", "events")]
    assert counts == [0, 0, 0, 0]
    for f in tmp_path.iterdir():  # the database and its write-ahead log
        assert b"Ada" not in f.read_bytes(), f  # overwritten (secure_delete), log emptied


def test_the_class_holds_at_most_max_followers(client):
    code, _ = start(client)
    for _ in range(5):
        join(client, code)
    body = problem(client.post(f"/api/classes/{code}/students", json={}), 409)
    assert body["type"] == "/problems/class-full"


def test_malformed_state_and_nickname(client):
    code, teacher = start(client)
    problem(client.put(f"/api/classes/{code}/state", headers=teacher,
                       json={"state": {"x" * 30: 1}}), 422)
    problem(client.put(f"/api/classes/{code}/state", headers=teacher,
                       json={"state": {"f": ["a" * 800] * 30}}), 422)  # > 16 kB
    problem(client.put(f"/api/classes/{code}/state", headers=teacher,
                       json={"state": {"step": {"nested": 1}}}), 422)
    problem(client.post(f"/api/classes/{code}/students", json={"nickname": "<b>x</b>"}), 422)


def ask(client, code, teacher, **question) -> str:
    r = client.post(f"/api/classes/{code}/questions", headers=teacher, json=question)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["question"]["id"]


def test_answers_tally_and_reveal(client):
    code, teacher = start(client)
    students = [join(client, code) for _ in range(4)]
    qid = ask(client, code, teacher, kind="output_size", answer=28,
              prompt="32×32 picture, 5×5 filter, stride 1, padding 0: output size?")
    snap = client.get(f"/api/classes/{code}").get_json()
    assert snap["question"]["answer"] is None  # students don't see it before the reveal
    url = f"/api/classes/{code}/questions/{qid}/answers"
    for s, value in zip(students[:3], (28, 32, 28), strict=True):
        assert client.post(url, headers=s, json={"value": value}).status_code == 200
    client.post(url, headers=students[1], json={"value": 27})  # a later answer replaces
    t = client.get(f"/api/classes/{code}/tally", headers=teacher).get_json()
    assert (t["joined"], t["answered"]) == (4, 3)
    assert [(b["label"], b["count"], b["correct"]) for b in t["bars"]] == [
        ("27", 1, False), ("28", 2, True)]
    assert t["names"] is None and t["question"]["answer"] == 28
    r = client.patch(f"/api/classes/{code}/questions/{qid}", headers=teacher,
                     json={"revealed": True})
    assert r.get_json()["question"]["answer"] == 28 and r.get_json()["question"]["open"] is False
    body = problem(client.post(url, headers=students[3], json={"value": 28}), 409)
    assert body["type"] == "/problems/question-closed"


def test_choice_questions_count_every_option(client):
    code, teacher = start(client)
    a, b = join(client, code), join(client, code)
    qid = ask(client, code, teacher, kind="which_filter", prompt="Which filter?",
              options=["sobel_x", "sobel_y", "red"], answer=1)
    url = f"/api/classes/{code}/questions/{qid}/answers"
    client.post(url, headers=a, json={"value": 1})
    client.post(url, headers=b, json={"value": 2})
    problem(client.post(url, headers=b, json={"value": 3}), 422)  # no 4th option
    problem(client.post(url, headers=b, json={"value": 0.5}), 422)  # not an index
    t = client.get(f"/api/classes/{code}/tally", headers=teacher).get_json()
    assert [(x["label"], x["count"], x["correct"]) for x in t["bars"]] == [
        ("sobel_x", 0, False), ("sobel_y", 1, True), ("red", 1, False)]


def test_malformed_answers(client):
    code, teacher = start(client)
    s = join(client, code)
    qid = ask(client, code, teacher, kind="number", prompt="A number", min=0, max=10)
    url = f"/api/classes/{code}/questions/{qid}/answers"
    for body in ({"value": "seven"}, {"value": None}, {}, {"value": 1, "extra": 2},
                 {"value": 11}, {"value": -1}, {"value": 1e300}):
        problem(client.post(url, headers=s, json=body), 422)
    r = client.post(url, headers=s, data="{not json", content_type="application/json")
    problem(r, 400)
    problem(client.post(url, json={"value": 3}), 422)  # no token
    problem(client.post(url, headers={"X-Student-Token": "y" * 32}, json={"value": 3}), 403)
    problem(client.post(f"/api/classes/{code}/questions/q9/answers", headers=s,
                        json={"value": 3}), 409)  # not the current question
    assert client.get(f"/api/classes/{code}/tally", headers=teacher).get_json()["answered"] == 0


def test_malformed_questions(client):
    code, teacher = start(client)
    url = f"/api/classes/{code}/questions"
    for body in ({"kind": "essay", "prompt": "?"},
                 {"kind": "which_class", "prompt": "?", "options": ["cat"]},
                 {"kind": "number", "prompt": "?", "options": ["a", "b"]},
                 {"kind": "output_size", "prompt": "?", "answer": 2.5},
                 {"kind": "number", "prompt": "?", "min": 5, "max": 1},
                 {"kind": "number", "prompt": ""}):
        problem(client.post(url, headers=teacher, json=body), 422)


def test_a_new_question_closes_the_old_one(client):
    code, teacher = start(client)
    s = join(client, code)
    q1 = ask(client, code, teacher, kind="number", prompt="first")
    q2 = ask(client, code, teacher, kind="number", prompt="second")
    assert (q1, q2) == ("q1", "q2")
    problem(client.post(f"/api/classes/{code}/questions/{q1}/answers", headers=s,
                        json={"value": 1}), 409)
    problem(client.patch(f"/api/classes/{code}/questions/{q1}", headers=teacher,
                         json={"open": False}), 409)


def test_nicknames_only_when_the_teacher_turns_them_on(client):
    code, teacher = start(client)
    ada, bob = join(client, code, "Ada"), join(client, code, "Bob")
    qid = ask(client, code, teacher, kind="number", prompt="?")
    url = f"/api/classes/{code}/questions/{qid}/answers"
    client.post(url, headers=ada, json={"value": 1.5})
    client.post(url, headers=bob, json={"value": 2})
    assert client.get(f"/api/classes/{code}/tally", headers=teacher).get_json()["names"] is None
    assert "Ada" not in client.get(f"/api/classes/{code}").get_data(as_text=True)
    client.patch(f"/api/classes/{code}", headers=teacher, json={"names": True})
    t = client.get(f"/api/classes/{code}/tally", headers=teacher).get_json()
    assert t["names"] == [{"nickname": "Ada", "value": 1.5}, {"nickname": "Bob", "value": 2}]


def test_joins_are_rate_limited_per_address(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                      "CLASS_JOINS_PER_MINUTE": 3, "CLASS_MISSES_PER_MINUTE": 2})
    client = app.test_client()
    code, _ = start(client)
    statuses = [client.post(f"/api/classes/{code}/students", json={}).status_code
                for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    r = client.post(f"/api/classes/{code}/students", json={})
    body = problem(r, 429)
    assert body["type"] == "/problems/too-many-requests"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    other = {"REMOTE_ADDR": "10.1.2.3"}  # another address has its own budget
    assert client.post(f"/api/classes/{code}/students", json={},
                       environ_base=other).status_code == 201


def test_guessing_codes_is_rate_limited(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                      "CLASS_MISSES_PER_MINUTE": 3})
    client = app.test_client()
    statuses = [client.get(f"/api/classes/{c}").status_code
                for c in ("AAAAAA", "AAAAAB", "AAAAAC", "AAAAAD", "AAAAAE")]
    assert statuses == [404, 404, 404, 429, 429]


def test_answers_are_rate_limited_per_address(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                      "CLASS_ANSWERS_PER_MINUTE": 2})
    client = app.test_client()
    code, teacher = start(client)
    s = join(client, code)
    qid = ask(client, code, teacher, kind="number", prompt="?")
    url = f"/api/classes/{code}/questions/{qid}/answers"
    statuses = [client.post(url, headers=s, json={"value": v}).status_code for v in (1, 2, 3)]
    assert statuses == [200, 200, 429]


def test_every_class_endpoint_is_in_the_openapi_document(client):
    doc = client.get("/api/openapi.json").get_json()
    paths = {p: sorted(doc["paths"][p]) for p in doc["paths"] if p.startswith("/api/classes")}
    assert paths == {
        "/api/classes": ["post"],
        "/api/classes/{code}": ["delete", "get", "patch"],
        "/api/classes/{code}/events": ["get"],
        "/api/classes/{code}/qr.svg": ["get"],
        "/api/classes/{code}/questions": ["post"],
        "/api/classes/{code}/questions/{qid}": ["patch"],
        "/api/classes/{code}/questions/{qid}/answers": ["post"],
        "/api/classes/{code}/state": ["put"],
        "/api/classes/{code}/students": ["post"],
        "/api/classes/{code}/tally": ["get"],
    }
    put = doc["paths"]["/api/classes/{code}/state"]["put"]
    assert any(p["name"] == "X-Class-Secret" and p["in"] == "header" for p in put["parameters"])


def events(client, code: str, token: str | None):
    query = "" if token is None else f"?token={token}"
    return client.get(f"/api/classes/{code}/events{query}", buffered=False)


def test_open_streams_are_capped_per_worker_and_freed_on_close(tmp_path):
    """Each stream holds a thread: past CLASS_STREAMS_PER_WORKER a 503 with Retry-After (the
    threads left answer the teacher and the answers), and a closed stream frees its place."""
    client = create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                         "CLASS_STREAMS_PER_WORKER": 2, "CLASS_STREAM_SECONDS": 1}).test_client()
    code, _ = start(client)
    a, b, c = (join(client, code)["X-Student-Token"] for _ in range(3))
    streams = [events(client, code, t) for t in (a, b)]
    assert [r.status_code for r in streams] == [200, 200]
    refused = events(client, code, c)
    assert problem(refused, 503) and refused.headers["Retry-After"] == "5"
    streams[0].close()
    again = events(client, code, c)
    assert again.status_code == 200
    for r in (streams[1], again):
        r.close()


def test_the_event_stream_needs_a_token_of_this_class(client):
    """Reading the code off the projector is not enough to follow: 401 without a token, 403
    with one that is not this class's (another class's student, a made-up one)."""
    code, teacher = start(client)
    other_code, _ = start(client)
    body = problem(events(client, code, None), 401)
    assert body["field"] == "token" and body["type"] == "/problems/unauthorized"
    assert events(client, code, None).headers["WWW-Authenticate"].startswith("Token ")
    other = join(client, other_code)["X-Student-Token"]
    for token in (other, "y" * 32):
        body = problem(events(client, code, token), 403)
        assert body["field"] == "token" and body["type"] == "/problems/forbidden"
    problem(events(client, code, "short"), 422)
    r = events(client, other_code, other)  # the same token in its own class
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    r.close()
    r = events(client, code, teacher["X-Class-Secret"])  # the teacher's secret
    assert r.status_code == 200
    r.close()


def test_an_ended_class_refuses_its_students_streams(client):
    code, teacher = start(client)
    token = join(client, code)["X-Student-Token"]
    assert client.delete(f"/api/classes/{code}", headers=teacher).status_code == 204
    problem(events(client, code, token), 404)


def test_a_token_holds_at_most_two_streams(tmp_path):
    """A second tab works; the third stream of one token is a 429 with Retry-After; closing
    one frees its place; other students are not affected."""
    from app.api.classes import _open

    client = create_app({"TESTING": True, "DATA_DIR": tmp_path, "STORE": "disk",
                         "CLASS_STREAM_SECONDS": 1}).test_client()
    open_before = _open["streams"]
    code, _ = start(client)
    token, other = (join(client, code)["X-Student-Token"] for _ in range(2))
    tabs = [events(client, code, token) for _ in range(2)]
    assert [r.status_code for r in tabs] == [200, 200]
    third = events(client, code, token)
    body = problem(third, 429)
    assert body["type"] == "/problems/too-many-streams" and body["field"] == "token"
    assert 1 <= int(third.headers["Retry-After"]) <= 60
    r = events(client, code, other)
    assert r.status_code == 200
    r.close()
    tabs[0].close()
    again = events(client, code, token)
    assert again.status_code == 200
    for r in (tabs[1], again):
        r.close()
    assert _open["streams"] == open_before  # refused streams kept no place of the worker's


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_stream_leases_lapse_unless_refreshed(kind, tmp_path, request):
    """A worker that dies holding streams never releases them: their leases lapse by
    themselves after their lifetime, unless refreshed."""
    if kind == "sqlite":
        from app.live_sqlite import SqliteClasses

        store = SqliteClasses(tmp_path / "c.sqlite3", ttl=60)
    else:
        from app.live_redis import RedisClasses

        store = RedisClasses(request.getfixturevalue("redis_url"), ttl=60,
                             prefix=f"test{time.time_ns()}:")
    assert store.acquire("K:t", "a", 2, 0.5) and store.acquire("K:t", "b", 2, 0.5)
    assert not store.acquire("K:t", "c", 2, 0.5)
    assert store.acquire("K:t", "a", 2, 0.5)  # a lease already held is not a third
    assert store.acquire("K:u", "c", 2, 0.5)  # another token counts apart
    time.sleep(0.3)
    store.refresh("K:t", "a", 0.5)
    time.sleep(0.3)  # b lapsed, a was refreshed
    assert store.acquire("K:t", "c", 2, 0.5)
    assert not store.acquire("K:t", "d", 2, 0.5)
    store.release("K:t", "c")
    assert store.acquire("K:t", "d", 2, 0.5)
