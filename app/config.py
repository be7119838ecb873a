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
    }
