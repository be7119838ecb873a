"""Rate limits per client (flask-limiter), for any blueprint:

    from app import limits
    @bp.post("/images")
    @limits.limit("UPLOAD_RATE")
    def upload(...): ...

A client is its IP address: the socket's peer, or, behind CONVSCOPE_PROXY_HOPS trusted
proxies, the address those proxies put in X-Forwarded-For. Counts live in Redis when the image
store is Redis (every worker and replica share them), else in each worker's memory: then a
client may get up to (number of workers) × the limit, as requests spread over the workers.
A refused request answers 429 problem+json with Retry-After (app/problems.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, current_app, request
from flask_limiter import Limiter


def client_key() -> str:
    """The client's address, as far as we can trust X-Forwarded-For."""
    hops = current_app.config.get("PROXY_HOPS", 0)
    if hops:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
        if len(forwarded) >= hops and forwarded[-hops]:
            return forwarded[-hops]  # the address the outermost trusted proxy saw
    return request.remote_addr or "unknown"


def limit(config_key: str) -> Callable:
    """A view decorator: the limit named by an app setting ("10 per minute; 100 per hour"),
    read per request and counted by that app's own limiter; an empty setting turns it off."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def limited(*args, **kwargs):
            rate = current_app.config.get(config_key)
            if not rate:
                return view(*args, **kwargs)
            with current_app.extensions["rate_limiter"].limit(rate):
                return view(*args, **kwargs)

        return limited

    return decorate


def init_app(app: Flask) -> None:
    """One limiter per app (a module-wide one would count every app's clients in the storage of
    whichever app was made last); counts in Redis when the store is Redis
    (RATELIMIT_STORAGE_URI may say otherwise)."""
    store = app.config.get("STORE") or ""
    default = store if store.startswith(("redis://", "rediss://")) else "memory://"
    app.config.setdefault("RATELIMIT_STORAGE_URI", default)
    app.extensions["rate_limiter"] = Limiter(client_key, app=app, headers_enabled=True,
                                             key_prefix="convscope-limit")
