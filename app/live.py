"""The live class: a teacher drives, students follow and answer (issue 10).

A class is a record {secret hash, seq, state, locked, paused, names, question} in a
ClassStore (app/live_store.py). Every change the students must see appends one event to the
class's log; every event carries the whole public snapshot, so a follower that reads any one
event is up to date, and one that reads them all (by Last-Event-ID) has missed none.
Nothing here knows Flask: the views in app/api/classes.py call these functions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from app.live_schemas import (
    CHOICE_KINDS,
    CODE_ALPHABET,
    CODE_LENGTH,
    ControlBody,
    QuestionBody,
    QuestionPatch,
)
from app.live_store import ClassFullError, ClassMissingError, ClassStore

__all__ = ["ClassFullError", "ClassMissingError", "DeniedError", "ClosedError", "Classes",
           "StreamSlot"]


class DeniedError(Exception):
    """The secret or the student token does not fit this class."""


class ClosedError(Exception):
    """An answer to a question that is not the open one."""


def new_code() -> str:
    """Six characters of CODE_ALPHABET (32^6 ≈ 1.07e9 codes), from the OS's random source."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def public_question(q: dict | None, *, teacher: bool = False) -> dict | None:
    """The question as students see it: the right answer only once revealed."""
    if q is None:
        return None
    shown = {k: q[k] for k in ("id", "kind", "prompt", "options", "min", "max", "open",
                               "revealed")}
    shown["answer"] = q["answer"] if (q["revealed"] or teacher) else None
    return shown


def snapshot(code: str, record: dict, kind: str) -> dict:
    """What every follower gets: the whole public state of the class (`at`: when it changed,
    Unix seconds)."""
    return {"code": code, "seq": record["seq"], "at": record.get("at", record["created"]),
            "kind": kind, "state": record["state"],
            "locked": record["locked"], "paused": record["paused"],
            "question": public_question(record["question"])}


class Classes:
    """Start, drive, join, answer, tally, follow. `max_followers` bounds a class's students."""

    def __init__(self, store: ClassStore, max_followers: int = 100):
        self.store, self.max_followers = store, max_followers

    # --- teacher ------------------------------------------------------------------------

    def start(self, state: dict, names: bool = False) -> tuple[str, str]:
        """A new class: (join code, teacher secret). The secret is kept only as a hash."""
        secret = secrets.token_urlsafe(32)
        record = {"secret": _digest(secret), "created": time.time(), "seq": 0, "state": state,
                  "locked": False, "paused": False, "names": names, "question": None}
        for _ in range(20):
            code = new_code()
            if self.store.create(code, record, json.dumps(snapshot(code, record, "start"))):
                return code, secret
        raise RuntimeError("no free join code after 20 tries")  # 1e9 codes: never in practice

    def check(self, code: str, secret: str) -> dict:
        """The class's record if `secret` is its teacher's (constant-time compare)."""
        record = self.store.load(code)
        if record is None:
            raise ClassMissingError(code)
        if not hmac.compare_digest(record["secret"], _digest(secret)):
            raise DeniedError(code)
        return record

    def _drive(self, code: str, secret: str, change) -> dict:
        self.check(code, secret)

        def step(record: dict) -> str | None:
            kind = change(record)
            if kind:
                record["seq"] += 1
                record["at"] = time.time()
            return kind

        return self.store.update(code, step, lambda r, kind: json.dumps(snapshot(code, r, kind)))

    def set_state(self, code: str, secret: str, state: dict) -> dict:
        def change(record: dict) -> str:
            record["state"] = state
            return "state"
        return self._drive(code, secret, change)

    def control(self, code: str, secret: str, body: ControlBody) -> dict:
        def change(record: dict) -> str:
            for key in ("locked", "paused", "names"):
                if getattr(body, key) is not None:
                    record[key] = getattr(body, key)
            return "control"
        return self._drive(code, secret, change)

    def ask(self, code: str, secret: str, body: QuestionBody) -> dict:
        def change(record: dict) -> str:
            n = int(record["question"]["id"][1:]) + 1 if record["question"] else 1
            record["question"] = {"id": f"q{n}", **body.model_dump(), "open": True,
                                  "revealed": False}
            return "question"
        return self._drive(code, secret, change)

    def patch_question(self, code: str, secret: str, qid: str, body: QuestionPatch) -> dict:
        def change(record: dict) -> str:
            q = record["question"]
            if q is None or q["id"] != qid:
                raise ClosedError(qid)
            if body.open is not None:
                q["open"] = body.open
            if body.revealed is not None:
                q["revealed"] = body.revealed
                q["open"] = q["open"] and not body.revealed  # revealing ends the answering
            return "question"
        return self._drive(code, secret, change)

    def end(self, code: str, secret: str) -> None:
        """Tell the followers, then forget everything about the class and its students."""
        self._drive(code, secret, lambda r: "end")
        self.store.delete(code)

    def tally(self, code: str, secret: str) -> dict:
        """The live histogram of the current question's answers, for the projector."""
        record = self.check(code, secret)
        students = self.store.students(code)
        q = record["question"]
        result = {"question": public_question(q, teacher=True), "joined": len(students),
                  "answered": 0, "bars": [], "names": None}
        if q is None:
            return result
        answers = self.store.answers(code, q["id"])
        result["answered"] = len(answers)
        result["bars"] = bars(q, list(answers.values()))
        if record["names"]:
            result["names"] = sorted(({"nickname": students.get(t) or "—", "value": v}
                                      for t, v in answers.items()),
                                     key=lambda n: n["nickname"].lower())
        return result

    # --- students -----------------------------------------------------------------------

    def view(self, code: str) -> dict:
        record = self.store.load(code)
        if record is None:
            raise ClassMissingError(code)
        return snapshot(code, record, "snapshot")

    def check_follower(self, code: str, token: str) -> None:
        """Raises ClassMissingError, or DeniedError unless `token` is one of the class's
        students' tokens or its teacher's secret."""
        record = self.store.load(code)
        if record is None:
            raise ClassMissingError(code)
        if hmac.compare_digest(record["secret"], _digest(token)):
            return
        if token not in self.store.students(code):
            raise DeniedError(code)

    def open_stream(self, code: str, token: str, limit: int, ttl: float) -> StreamSlot | None:
        """A place for one more event stream of `token`, or None if it already holds
        `limit` (counted in the store: every worker and replica shares the count)."""
        slot = StreamSlot(self.store, f"{code}:{_digest(token)[:32]}", ttl)
        return slot if self.store.acquire(slot.key, slot.lease, limit, ttl) else None

    def join(self, code: str, nickname: str) -> tuple[str, int]:
        token = secrets.token_urlsafe(24)
        return token, self.store.join(code, token, nickname, self.max_followers)

    def answer(self, code: str, qid: str, token: str, value: float) -> float:
        """Record a student's answer (a later one replaces it); raises ClassMissingError,
        DeniedError, ClosedError, or ValueError (out of the question's range)."""
        record = self.store.load(code)
        if record is None:
            raise ClassMissingError(code)
        q = record["question"]
        if q is None or q["id"] != qid or not q["open"]:
            raise ClosedError(qid)
        if token not in self.store.students(code):
            raise DeniedError(code)
        whole = q["kind"] == "output_size" or q["kind"] in CHOICE_KINDS
        if whole and value != int(value):
            raise ValueError(f"a {q['kind']} answer is a whole number")
        if not q["min"] <= value <= q["max"]:
            raise ValueError(f"the answer must be between {q['min']:g} and {q['max']:g}")
        self.store.answer(code, qid, token, value)
        return value


class StreamSlot:
    """One open event stream's place in its token's count: a lease in the store that lapses
    after `ttl` seconds unless refreshed, so a worker that dies holding it leaks it only that
    long. The stream calls refresh() as it goes (at most every ttl/3) and release() at its end."""

    def __init__(self, store: ClassStore, key: str, ttl: float):
        self.store, self.key, self.ttl = store, key, ttl
        self.lease = secrets.token_hex(8)
        self.refreshed = time.monotonic()

    def refresh(self) -> None:
        if time.monotonic() - self.refreshed >= self.ttl / 3:
            self.store.refresh(self.key, self.lease, self.ttl)
            self.refreshed = time.monotonic()

    def release(self) -> None:
        self.store.release(self.key, self.lease)


def is_right(q: dict, value: float) -> bool | None:
    if q["answer"] is None:
        return None
    return abs(value - q["answer"]) <= q["tolerance"]


def bars(q: dict, values: list[float]) -> list[dict]:
    """Counts per option (choices, every option shown) or per distinct number (sorted)."""
    if q["kind"] in CHOICE_KINDS:
        counts = [0] * len(q["options"])
        for v in values:
            counts[int(v)] += 1
        return [{"label": label, "value": i, "count": counts[i], "correct": is_right(q, i)}
                for i, label in enumerate(q["options"])]
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return [{"label": f"{v:g}", "value": v, "count": n, "correct": is_right(q, v)}
            for v, n in sorted(counts.items())]
