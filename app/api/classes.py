"""The live class API (issue 10): the teacher drives with a secret header, students join and
follow a Server-Sent Events stream, and answer questions.

Teacher: POST /api/classes → {code, secret}; then X-Class-Secret on PUT …/state, PATCH …,
POST …/questions, PATCH …/questions/<qid>, GET …/tally, DELETE ….
Student: POST …/students → {token}; GET …/events?token=… (SSE; at most
CLASS_STREAMS_PER_TOKEN at once); POST …/questions/<qid>/answers with X-Student-Token.
Anyone with the code: GET … (the snapshot) and GET …/qr.svg.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time

import segno
from flask import Response, current_app, request, url_for
from flask_openapi3 import APIBlueprint, Tag

from app import limits
from app.live import (
    Classes,
    ClassFullError,
    ClassMissingError,
    ClosedError,
    DeniedError,
    StreamSlot,
    snapshot,
)
from app.live_schemas import (
    AnswerBody,
    AnswerResponse,
    ClassPath,
    ClassSnapshot,
    ControlBody,
    EventsHeader,
    EventsQuery,
    JoinBody,
    JoinResponse,
    QuestionBody,
    QuestionPatch,
    QuestionPath,
    StartBody,
    StartResponse,
    StateBody,
    StudentHeader,
    TallyResponse,
    TeacherHeader,
)
from app.live_stream import STREAM_SECONDS, store_errors, stream
from app.problems import ApiError, documented

bp = APIBlueprint("classes", __name__, url_prefix="/api/classes",
                  abp_tags=[Tag(name="live class")],
                  abp_responses=documented(400, 404, 422, 429))

_open = {"streams": 0}  # this worker's open event streams (CLASS_STREAMS_PER_WORKER)
_open_lock = threading.Lock()
STREAM_RETRY_SECONDS = 10  # a token with all its streams open: try again after this


def _classes() -> Classes:
    return current_app.extensions["classes"]


def _missing(code: str) -> ApiError:
    _limit("miss", current_app.config["CLASS_MISSES_PER_MINUTE"])
    return ApiError(404, "No such class", f"No class has the code {code} (it may have ended "
                    "or expired); check the code on the projector.", field="code")


def _limit(what: str, per_minute: int) -> None:
    """Count one `what` for this client (its address as app/limits.py trusts it); 429 past
    `per_minute` in the current minute. The counts live in the class store, so every worker
    and replica shares them (flask-limiter's memory storage would be per worker in disk
    mode, and guessing codes must be slow across all of them)."""
    window = 60
    n = _classes().store.hit(f"{what}:{limits.client_key()}", window)
    if n > per_minute:
        raise ApiError(429, "Too many requests",
                       f"More than {per_minute} {what} requests a minute from this address; "
                       "wait a minute.", slug="too-many-requests",
                       headers={"Retry-After": str(window - int(time.time()) % window)})


def _teacher(path: ClassPath, header: TeacherHeader) -> None:
    try:
        _classes().check(path.code, header.x_class_secret)
    except ClassMissingError:
        raise _missing(path.code) from None
    except DeniedError:
        _limit("secret", 30)
        raise ApiError(403, "Not the teacher", "The X-Class-Secret header is not this "
                       "class's secret.", field="X-Class-Secret", slug="forbidden") from None


def _join_url(code: str) -> str:
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + "/join/" + code


@bp.post("", responses={201: StartResponse})
def start(body: StartBody) -> tuple[dict, int]:
    """Start a live class: a join code for the students and a secret for the teacher."""
    _limit("start", 20)
    code, secret = _classes().start(body.state, body.names)
    return {"code": code, "secret": secret, "join_url": _join_url(code),
            "qr_url": url_for("classes.qr", code=code),
            "idle_hours": current_app.config["CLASS_IDLE_HOURS"]}, 201


@bp.get("/<code>", responses={200: ClassSnapshot})
def view(path: ClassPath) -> dict:
    """The class as a student sees it now (a join page checks the code with it)."""
    _limit("view", current_app.config["CLASS_JOINS_PER_MINUTE"])
    try:
        return _classes().view(path.code)
    except ClassMissingError:
        raise _missing(path.code) from None


@bp.get("/<code>/qr.svg", responses={"200": {"description": "the join URL as a QR code",
                                             "content": {"image/svg+xml": {}}}})
def qr(path: ClassPath) -> Response:
    """The join URL as an SVG QR code (drawn here: no outside service)."""
    if _classes().store.load(path.code) is None:
        raise _missing(path.code)
    buf = io.BytesIO()
    segno.make(_join_url(path.code), error="m").save(buf, kind="svg", scale=1, border=2,
                                                      xmldecl=False, svgns=True, omitsize=True)
    return Response(buf.getvalue(), mimetype="image/svg+xml")


@bp.put("/<code>/state", responses={200: ClassSnapshot, **documented(403)})
def set_state(path: ClassPath, header: TeacherHeader, body: StateBody) -> dict:
    """The teacher's view (the front end's state keys); every student follows it."""
    _teacher(path, header)
    return _snap(path.code, _classes().set_state(path.code, header.x_class_secret, body.state))


@bp.patch("/<code>", responses={200: ClassSnapshot, **documented(403)})
def control(path: ClassPath, header: TeacherHeader, body: ControlBody) -> dict:
    """Lock (students follow strictly), pause (a pause screen), show nicknames."""
    _teacher(path, header)
    return _snap(path.code, _classes().control(path.code, header.x_class_secret, body))


@bp.delete("/<code>", responses={204: None, **documented(403)})
def end(path: ClassPath, header: TeacherHeader) -> tuple[str, int]:
    """End the class now: followers are told, and everything about the students is gone."""
    _teacher(path, header)
    _classes().end(path.code, header.x_class_secret)
    return "", 204


@bp.post("/<code>/questions", responses={201: ClassSnapshot, **documented(403)})
def ask(path: ClassPath, header: TeacherHeader, body: QuestionBody) -> tuple[dict, int]:
    """Put a question to the class (it replaces the previous one, which closes)."""
    _teacher(path, header)
    return _snap(path.code, _classes().ask(path.code, header.x_class_secret, body)), 201


@bp.patch("/<code>/questions/<qid>", responses={200: ClassSnapshot, **documented(403, 409)})
def patch_question(path: QuestionPath, header: TeacherHeader, body: QuestionPatch) -> dict:
    """Close the question to answers, or reveal its right answer."""
    _teacher(path, header)
    try:
        record = _classes().patch_question(path.code, header.x_class_secret, path.qid, body)
    except ClosedError:
        raise ApiError(409, "Not the current question", f"{path.qid} is not the class's "
                       "current question.", field="qid", slug="conflict") from None
    return _snap(path.code, record)


@bp.get("/<code>/tally", responses={200: TallyResponse, **documented(403)})
def tally(path: ClassPath, header: TeacherHeader) -> dict:
    """The current question's answers so far (counts; nicknames only if turned on)."""
    _teacher(path, header)
    return _classes().tally(path.code, header.x_class_secret)


@bp.post("/<code>/students", responses={201: JoinResponse, **documented(409)})
def join(path: ClassPath, body: JoinBody) -> tuple[dict, int]:
    """Join as a student: a token to answer with (keep it; it is this device's seat)."""
    _limit("join", current_app.config["CLASS_JOINS_PER_MINUTE"])
    try:
        token, joined = _classes().join(path.code, body.nickname.strip())
    except ClassMissingError:
        raise _missing(path.code) from None
    except ClassFullError:
        raise ApiError(409, "Class is full", f"This class already has "
                       f"{_classes().max_followers} students.", slug="class-full") from None
    return {"token": token, "joined": joined}, 201


@bp.post("/<code>/questions/<qid>/answers",
         responses={200: AnswerResponse, **documented(403, 409)})
def answer(path: QuestionPath, header: StudentHeader, body: AnswerBody) -> dict:
    """Answer the open question; a later answer replaces this student's earlier one."""
    _limit("answer", current_app.config["CLASS_ANSWERS_PER_MINUTE"])
    try:
        value = _classes().answer(path.code, path.qid, header.x_student_token, body.value)
    except ClassMissingError:
        raise _missing(path.code) from None
    except DeniedError:
        raise ApiError(403, "Not a student of this class", "Join the class first: the "
                       "X-Student-Token header is not one of its students'.",
                       field="X-Student-Token", slug="forbidden") from None
    except ClosedError:
        raise ApiError(409, "Question closed", f"{path.qid} is not open for answers (closed, "
                       "revealed or replaced).", field="qid", slug="question-closed") from None
    except ValueError as e:
        raise ApiError(422, "Invalid answer", str(e), field="value") from None
    return {"accepted": True, "value": value}


def _snap(code: str, record: dict) -> dict:
    return snapshot(code, record, "ack")


@bp.get("/<code>/events", responses={"200": {"description": "Server-Sent Events: one `data:` "
                                             "line of a class snapshot per event, with `id:`",
                                             "content": {"text/event-stream": {}}},
                                      **documented(401, 403, 503)})
def events(path: ClassPath, header: EventsHeader, query: EventsQuery) -> Response:
    """Follow the class (a student's token or the teacher's secret in `token`): every event
    is the whole snapshot; reconnect with Last-Event-ID to get exactly the events missed.
    At most CLASS_STREAMS_PER_TOKEN streams per token at once (429 past it)."""
    # The token travels in the query string: a browser's EventSource cannot send headers.
    if query.token is None:
        raise ApiError(401, "Join the class first", "The event stream needs the token you got "
                       "by joining the class (?token=…).", field="token", slug="unauthorized",
                       headers={"WWW-Authenticate": 'Token realm="live class"'})
    classes = _classes()
    try:
        classes.check_follower(path.code, query.token)
    except ClassMissingError:
        raise _missing(path.code) from None
    except DeniedError:
        _limit("token", 30)
        raise ApiError(403, "Not a member of this class", "This token is not one of this "
                       "class's students' (join the class first).", field="token",
                       slug="forbidden") from None
    last = header.last_event_id or query.last
    if last is not None and not classes.store.valid_event_id(last):
        last = None  # from another store or garbled: start from the current snapshot
    config = current_app.config
    seconds = config.get("CLASS_STREAM_SECONDS", STREAM_SECONDS)
    with _open_lock:  # streams hold a thread each: keep some for PUTs and answers
        if _open["streams"] >= config["CLASS_STREAMS_PER_WORKER"]:
            raise ApiError(503, "Too many open streams",
                           "This server is holding as many class streams as it can; "
                           "try again in a moment.", headers={"Retry-After": "5"})
        _open["streams"] += 1
    try:  # counted in the store: a token's streams on every worker and replica
        slot = classes.open_stream(path.code, query.token, config["CLASS_STREAMS_PER_TOKEN"],
                                   config["CLASS_STREAM_LEASE_SECONDS"])
    except Exception:  # the store unreachable (503): give the worker's place back
        _stream_closed(None)
        raise
    if slot is None:
        _stream_closed(None)
        raise ApiError(429, "Too many open streams", f"This token already follows the class "
                       f"in {config['CLASS_STREAMS_PER_TOKEN']} streams (tabs); close one.",
                       field="token", slug="too-many-streams",
                       headers={"Retry-After": str(STREAM_RETRY_SECONDS)})
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    response = Response(stream(classes, path.code, last, seconds, slot, sock),
                        mimetype="text/event-stream")
    # Werkzeug and gunicorn call this when the response ends: the server ended it, its
    # client hung up (seen within HANGUP_CHECK_SECONDS), or a write to it failed
    response.call_on_close(lambda: _stream_closed(slot))
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _stream_closed(slot: StreamSlot | None) -> None:
    with _open_lock:
        _open["streams"] -= 1
    if slot is not None:
        with contextlib.suppress(*store_errors()):  # unreachable: the lease lapses by itself
            slot.release()
