"""`python -m app`: serve on the embedded defaults (127.0.0.1:5000).

FLASK_DEBUG=1 turns on Werkzeug's debugger, a Python console in the browser: allowed only
when listening on loopback (this machine alone can reach it); on any other address we refuse
to start and say why. The Server header names no versions.
"""

from __future__ import annotations

import ipaddress
import os
import sys

from werkzeug.serving import WSGIRequestHandler

from app import create_app
from app.accesslog import redact


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler, without "Werkzeug/x.y Python/x.y" in the Server header,
    and without the live class's tokens in its log lines (app/accesslog.py)."""

    def version_string(self) -> str:
        return "Convscope"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.path = redact(self.path)  # the request is parsed by now: only the log reads it
        super().log_request(code, size)


def debug_refusal(host: str, env: dict[str, str]) -> str | None:
    """Why we must not start, or None: the debugger console on an address others can reach."""
    if env.get("FLASK_DEBUG", "").lower() not in ("1", "true", "yes", "on"):
        return None
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        return None
    return (f"Refusing to start: FLASK_DEBUG turns on the debugger, a Python console anyone "
            f"who can reach {host} could use. Debug only on 127.0.0.1 (CONVSCOPE_HOST), or "
            f"unset FLASK_DEBUG.")


def main() -> int:
    host = os.environ.get("CONVSCOPE_HOST", "127.0.0.1")
    port = int(os.environ.get("CONVSCOPE_PORT", "5000"))
    refusal = debug_refusal(host, os.environ)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    create_app().run(host=host, port=port, request_handler=QuietHandler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
