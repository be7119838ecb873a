"""The body of a live class's event stream (Server-Sent Events), for app/api/classes.py:
events as they come, heartbeats, the end of the class, a store that goes away for a while,
a client that hangs up, and the stream's place in its token's count kept alive (StreamSlot).
Nothing here knows Flask."""

from __future__ import annotations

import json
import select
import socket
import sys
import time
from collections.abc import Iterator

from app.live import Classes, StreamSlot

HEARTBEAT_SECONDS = 15  # a comment line this often: proxies keep the stream, dead peers show
HANGUP_CHECK_SECONDS = 2  # a waiting stream looks this often whether its client hung up
STREAM_SECONDS = 300  # then the server ends the stream; EventSource reconnects by itself
RETRY_MS = 1000  # EventSource's reconnection delay
STORE_OUTAGE_SECONDS = 30  # how long a stream waits for a store that went away


def store_errors() -> tuple[type[Exception], ...]:
    """OSError, and redis's errors when a Redis class store has imported redis (disk mode
    never imports it)."""
    redis = sys.modules.get("redis")
    return (OSError, redis.RedisError) if redis else (OSError,)


def hung_up(sock: socket.socket | None) -> bool:
    """True if the client closed its connection: an EventSource sends nothing after its
    request, so a readable socket that reads as empty (peeked) is one that hung up. Without
    this a stream would notice a closed tab only when a write fails (a heartbeat or two
    later) and hold its thread and its token's slot meanwhile."""
    if sock is None:
        return False
    try:
        poll = select.poll()
        poll.register(sock, select.POLLIN)
        return bool(poll.poll(0)) and sock.recv(1, socket.MSG_PEEK) == b""
    except (ConnectionError, TimeoutError):
        return True
    except (OSError, ValueError):  # closed already, or TLS (no peeking): writes will tell
        return False


def stream(classes: Classes, code: str, last: str | None, seconds: float,
            slot: StreamSlot, sock: socket.socket | None = None) -> Iterator[str]:
    """The SSE body: retry, then events as they come, comments as heartbeats; it ends after
    `seconds` (the client reconnects with Last-Event-ID), or when the client hangs up
    (looked at every HANGUP_CHECK_SECONDS). It keeps its slot's lease alive."""
    yield f"retry: {RETRY_MS}\n\n"
    end = time.monotonic() + seconds
    beat = min(HEARTBEAT_SECONDS, slot.ttl / 3)
    wrote = time.monotonic()
    outage = None
    while time.monotonic() < end:
        try:
            wait = min(HANGUP_CHECK_SECONDS, beat, max(0.0, end - time.monotonic()))
            found = classes.store.events(code, last, wait)
            slot.refresh()
            outage = None
        except store_errors():
            outage = outage or time.monotonic()
            if time.monotonic() - outage > STORE_OUTAGE_SECONDS:
                return
            yield ": store unavailable, retrying\n\n"
            time.sleep(0.5)
            continue
        for event_id, data in found:
            yield f"id: {event_id}\ndata: {data}\n\n"
            wrote, last = time.monotonic(), event_id
            if json.loads(data)["kind"] == "end":
                return
        if found:
            continue
        if hung_up(sock):  # local: no store call
            return
        if time.monotonic() - wrote >= beat:
            # an ended class's "end" event comes through the log; this catches one that
            # expired or whose log went first, once a heartbeat (every 2 s, for 200 followers
            # on a Redis, it was a second store call a poll and cost the API 1.6× at p95)
            if classes.store.load(code) is None:
                yield 'event: end\ndata: {"kind": "end"}\n\n'
                return
            yield ": ping\n\n"
            wrote = time.monotonic()
