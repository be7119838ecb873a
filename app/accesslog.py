"""Access logs without the live class's tokens.

A browser's EventSource cannot send headers, so a student's token (or the teacher's secret)
travels in the event stream's query string, `GET /api/classes/<code>/events?token=…`, and
would land in every access log line of it. Both servers' logs show `token=[redacted]`:
gunicorn through RedactingLogger (`logger_class` in gunicorn.conf.py and
gunicorn_events.conf.py), `python -m app` through its request handler (app/__main__.py).
"""

from __future__ import annotations

import re

try:  # gunicorn runs on Unix only; `python -m app` (anywhere) needs redact() alone
    from gunicorn.glogging import Logger
except ImportError:  # pragma: no cover
    Logger = object

_TOKEN = re.compile(r"((?:^|[?&])token=)[^&\s]*")


def redact(text: str) -> str:
    """`text` with the value of every `token=` query parameter replaced."""
    return _TOKEN.sub(r"\1[redacted]", text)


class RedactingLogger(Logger):
    """gunicorn's logger; every access-log field (request line, query string, …) redacted."""

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}
