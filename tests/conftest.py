"""Shared test helpers: tools that CI installs but a developer's machine may lack."""

import os
import shutil
import socket

import pytest

IN_CI = os.environ.get("CI") == "true"


def require_executable(name: str, path: str | None = None) -> str:
    """Path of an external program the test needs; skip without it, except in CI (fail)."""
    found = path if path and os.path.exists(path) else shutil.which(name)
    if not found:
        if IN_CI:
            pytest.fail(f"{name} is required in CI (.ci/run installs it)")
        pytest.skip(f"{name} is not installed")
    return found


def free_port() -> int:
    """A TCP port nobody on this machine listens on just now (for servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
