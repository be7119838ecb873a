"""Settings: embedded defaults, overridden by CONVSCOPE_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from cnn_core.model import MODELS_DIR


def default_data_dir() -> Path:
    """A per-user data folder ($XDG_DATA_HOME/convscope, else ~/.local/share/convscope)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "convscope"


def from_environment(env: dict[str, str] | None = None) -> dict:
    """Flask config keys from the environment; every one has a default that just works."""
    env = os.environ if env is None else env
    return {
        "DATA_DIR": Path(env.get("CONVSCOPE_DATA_DIR") or default_data_dir()),
        # "disk" (the default: one folder shared by every worker) or redis://host:port/db
        "STORE": env.get("CONVSCOPE_STORE", "disk"),
        "STORE_MAX_BYTES": int(env.get("CONVSCOPE_STORE_MAX_MB", "200")) * 1_000_000,
        # an upload's body; a 12 MP phone photo is 3-8 MB
        "MAX_CONTENT_LENGTH": int(env.get("CONVSCOPE_MAX_UPLOAD_MB", "20")) * 1_000_000,
        "MAX_IMAGE_PIXELS": int(env.get("CONVSCOPE_MAX_IMAGE_MP", "50")) * 1_000_000,
        # the trained networks' folder, resolved here once: cnn_core never reads the environment
        "MODELS_DIR": str(Path(env.get("CONVSCOPE_MODELS_DIR") or MODELS_DIR)),
        # uploads are forgotten this long after they were stored (students' photos)
        "UPLOAD_TTL_SECONDS": float(env.get("CONVSCOPE_UPLOAD_TTL_HOURS", "24")) * 3600,
        # per client (app/limits.py); "" turns it off
        "UPLOAD_RATE": env.get("CONVSCOPE_UPLOAD_RATE", "10 per minute; 100 per hour"),
        # trusted proxies in front (nginx: 1): the client is then taken from X-Forwarded-For
        "PROXY_HOPS": int(env.get("CONVSCOPE_PROXY_HOPS", "0")),
        **({"RATELIMIT_STORAGE_URI": env["CONVSCOPE_RATELIMIT_STORAGE"]}
           if env.get("CONVSCOPE_RATELIMIT_STORAGE") else {}),
        # live classes (app/live.py): idle lifetime, students per class, per-address limits
        "CLASS_IDLE_HOURS": float(env.get("CONVSCOPE_CLASS_IDLE_HOURS", "3")),
        "CLASS_MAX_FOLLOWERS": int(env.get("CONVSCOPE_CLASS_MAX_FOLLOWERS", "100")),
        # event streams one worker holds open at once: fewer than its threads
        # (gunicorn_events.conf.py: 256), so PUTs and answers always find one
        "CLASS_STREAMS_PER_WORKER": int(env.get("CONVSCOPE_CLASS_STREAMS_PER_WORKER", "224")),
        # event streams one token (a student, or the teacher) holds open at once, over every
        # worker and replica; each counts for this long unless its stream refreshes it
        "CLASS_STREAMS_PER_TOKEN": int(env.get("CONVSCOPE_CLASS_STREAMS_PER_TOKEN", "2")),
        "CLASS_STREAM_LEASE_SECONDS": float(env.get("CONVSCOPE_CLASS_STREAM_LEASE_SECONDS",
                                                    "45")),
        "CLASS_JOINS_PER_MINUTE": int(env.get("CONVSCOPE_CLASS_JOINS_PER_MINUTE", "120")),
        "CLASS_ANSWERS_PER_MINUTE": int(env.get("CONVSCOPE_CLASS_ANSWERS_PER_MINUTE", "600")),
        "CLASS_MISSES_PER_MINUTE": int(env.get("CONVSCOPE_CLASS_MISSES_PER_MINUTE", "20")),
        # the address students type or scan (the teacher's page may be on localhost)
        "PUBLIC_URL": env.get("CONVSCOPE_PUBLIC_URL") or None,
        **budget_from_environment(env),
    }


def budget_from_environment(env: dict[str, str]) -> dict:
    """The per-request budget (docs/serving.md, "Limits"): what one request may cost."""
    return {
        # /api/conv's numbers (the stacks asked for): 6 M float32 ≈ 32 MB of JSON; every
        # layer the page can ask for fits (16 filters at 512, padding 16: maps 4.7 M, + pooled
        # 5.9 M), the 73 MB one (11.9 M) does not
        "MAX_CONV_VALUES": int(env.get("CONVSCOPE_MAX_CONV_VALUES", "6000000")),
        # a GIF's frames × frame pixels: the page's 120 frames at size 512 are 64
        "GIF_MAX_MEGAPIXELS": int(env.get("CONVSCOPE_GIF_MAX_MEGAPIXELS", "100")),
        # an upload's decoded pixels in memory (bytes per pixel × pixels, before converting)
        "MAX_DECODED_BYTES": int(env.get("CONVSCOPE_MAX_DECODED_MB", "200")) * 1_000_000,
        # heavy jobs (GIFs, big layers, big uploads) running at once on this machine
        "HEAVY_SLOTS": int(env.get("CONVSCOPE_HEAVY_SLOTS") or max(1, (os.cpu_count() or 2) // 2)),
        "HEAVY_WAIT": float(env.get("CONVSCOPE_HEAVY_WAIT", "0.5")),  # for a slot, then 503
        "HEAVY_SECONDS": float(env.get("CONVSCOPE_HEAVY_SECONDS", "10")),  # then 503
        # the slots' lock files (one folder per machine); default DATA_DIR/locks
        "HEAVY_LOCK_DIR": env.get("CONVSCOPE_LOCK_DIR") or None,
    }
