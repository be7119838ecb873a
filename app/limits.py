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


limiter = Limiter(key_func=client_key, headers_enabled=True, key_prefix="convscope-limit")


def limit(config_key: str) -> Callable:
    """A view decorator: the limit named by an app setting ("10 per minute; 100 per hour"),
    read per request; an empty setting turns it off."""
    return limiter.limit(lambda: current_app.config[config_key],
                         exempt_when=lambda: not current_app.config.get(config_key))


def init_app(app: Flask) -> None:
    """Counts in Redis when the store is Redis (RATELIMIT_STORAGE_URI may say otherwise)."""
    store = app.config.get("STORE") or ""
    default = store if store.startswith(("redis://", "rediss://")) else "memory://"
    app.config.setdefault("RATELIMIT_STORAGE_URI", default)
    limiter.init_app(app)
