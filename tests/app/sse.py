"""A small Server-Sent Events reader for tests and benchmarks (the standard library only)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Event:
    id: str | None
    event: str
    data: dict
    comments: list[str] = field(default_factory=list)


class SSE:
    """One open /events stream: `next()` → the next Event (comments are collected). `token`
    (a student's, or the teacher's secret) goes in the query string, as a browser sends it."""

    def __init__(self, url: str, token: str | None = None, last_event_id: str | None = None,
                 timeout: float = 20):
        if token is not None:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"token": token})
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", u.path + (f"?{u.query}" if u.query else ""), headers=headers)
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.headers = self.response.headers
        self.retry: int | None = None
        self.last_id: str | None = None

    def next(self) -> Event | None:
        """The next event, or None when the server ends the stream."""
        kind, data, event_id, comments = "message", [], None, []
        while True:
            line = self.response.readline()
            if not line:
                return None
            line = line.decode().rstrip("\r\n")
            if line == "":
                if data:
                    if event_id is not None:
                        self.last_id = event_id
                    return Event(event_id, kind, json.loads("\n".join(data)), comments)
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "":
                comments.append(value)
            elif name == "data":
                data.append(value)
            elif name == "id":
                event_id = value
            elif name == "event":
                kind = value
            elif name == "retry":
                self.retry = int(value)

    def close(self) -> None:
        """Hang up (the response holds the socket too: closing only the connection would
        leave it open)."""
        self.response.close()
        self.conn.close()
