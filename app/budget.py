"""Every request's cost is bounded: a budget per request, and few heavy jobs at a time.

- limits: /api/conv may return at most MAX_CONV_VALUES numbers, a GIF at most
  GIF_MAX_MEGAPIXELS of frames (frames × frame pixels), an upload may decode to at most
  MAX_DECODED_MB (app/imaging.py): past them, a 422 (413 for uploads) that states the limit.
- heavy(): a job over the light budget (a GIF, a big layer, a big upload) first takes one of
  HEAVY_SLOTS slots shared by every worker on the machine (lock files, flock), waiting at most
  HEAVY_WAIT seconds (one waiting thread per worker); none free → 503 with Retry-After. So a
  flood of exports holds a few threads and cores, and the light requests (the dot products,
  the lesson's small layers) keep every other thread and core.
- Deadline: a heavy job checks it as it goes; past HEAVY_SECONDS it stops with 503 +
  Retry-After instead of holding a worker (gthread workers never hit gunicorn's timeout).
- release_memory(): after a heavy job, hand freed memory back to the system (malloc_trim).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from flask import Flask, Response, current_app, g

from app.problems import ApiError

RETRY_AFTER = 5  # seconds; the 503s' Retry-After

_libc = None
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _libc.malloc_trim.argtypes = [ctypes.c_size_t]
except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
    _libc = None


M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # glibc's mallopt parameters (malloc.h)


def tune_malloc(mmap_threshold: int = 1 << 20, arenas: int = 2) -> None:
    """Make glibc give big buffers back as soon as they are freed, for this process and the
    workers it forks (gunicorn.conf.py calls it in the master).

    Buffers of ≥ mmap_threshold bytes get their own mapping, unmapped at free: by default glibc
    raises that threshold up to 32 MB after the first big free, so a burst's JSON and pictures
    land on the heap and stay there (2.5 GB per idle worker in issue 11). Fewer arenas: the
    threads of a worker share two heaps instead of one each.
    """
    if _libc is not None:
        _libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)
        _libc.mallopt(M_ARENA_MAX, arenas)


def release_memory() -> None:
    """Return the free heap pages to the system (glibc keeps them otherwise)."""
    if _libc is not None:
        _libc.malloc_trim(0)


def busy(detail: str) -> ApiError:
    return ApiError(503, "Busy, try again shortly", detail, slug="busy",
                    headers={"Retry-After": str(RETRY_AFTER)})


def over_budget(detail: str, field: str | None = None) -> ApiError:
    return ApiError(422, "Too much to compute", detail, field=field, slug="over-budget")


def check_conv_values(values: int) -> None:
    """/api/conv's response: maps + relu + pooled, float32 each (~5.4 bytes of JSON)."""
    limit = current_app.config["MAX_CONV_VALUES"]
    if values > limit:
        raise over_budget(
            f"This layer would return {values:,} numbers; the server returns at most "
            f"{limit:,} per request (CONVSCOPE_MAX_CONV_VALUES). Use fewer filters, a smaller "
            "size, or a larger stride or pooling.", field="filters")


def check_gif(frames: int, width: int, height: int) -> None:
    """A GIF of `frames` frames of width×height pixels."""
    limit = current_app.config["GIF_MAX_MEGAPIXELS"] * 1_000_000
    if frames * width * height > limit:
        fit = max(1, limit // (width * height))
        raise over_budget(
            f"{frames} frames of {width}×{height} pixels is {frames * width * height / 1e6:.0f} "
            f"megapixels; a GIF may have at most {limit / 1e6:g} (CONVSCOPE_GIF_MAX_MEGAPIXELS): "
            f"at this size, at most {fit} frames.", field="frames")


class Deadline:
    """deadline.check() raises the 503 once `seconds` have passed since it was made."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise busy(f"This took longer than the server allows ({self.seconds:g} s) because "
                       "it is busy; please try again in a moment.")


def _slot_files() -> list[Path]:
    config = current_app.config
    folder = Path(config["HEAVY_LOCK_DIR"] or Path(config["DATA_DIR"]) / "locks")
    folder.mkdir(parents=True, exist_ok=True)
    return [folder / f"heavy-{i}.lock" for i in range(config["HEAVY_SLOTS"])]


# At most one thread of this worker waits for a slot; the others are answered 503 at once,
# so a flood of exports never holds more than (slots + workers) threads and every worker
# keeps its other threads for the light requests.
_waiting = threading.BoundedSemaphore(1)


def _try_slot(files: list[Path]) -> int | None:
    for path in files:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            os.close(fd)
    return None


def _wait_for_slot(files: list[Path], wait: float) -> int | None:
    if wait <= 0 or not _waiting.acquire(blocking=False):
        return None
    try:
        give_up = time.monotonic() + wait
        while time.monotonic() < give_up:
            time.sleep(0.05)
            fd = _try_slot(files)
            if fd is not None:
                return fd
        return None
    finally:
        _waiting.release()


@contextmanager
def heavy(wait: float | None = None) -> Iterator[Deadline]:
    """One of the machine's heavy-job slots for the block, which gets the job's Deadline;
    503 + Retry-After when none frees up within `wait` seconds (HEAVY_WAIT), or at once when
    another thread of this worker is already waiting."""
    wait = current_app.config["HEAVY_WAIT"] if wait is None else wait
    files = _slot_files()
    fd = _try_slot(files)
    if fd is None:
        fd = _wait_for_slot(files, wait)
    if fd is None:
        raise busy(f"The server is busy with {len(files)} other large job(s) such as GIF "
                   "exports; please try again in a moment.")
    try:
        yield Deadline(current_app.config["HEAVY_SECONDS"])
    finally:
        os.close(fd)  # releases the flock (so does the process dying)
        g.heavy = True  # trim the heap once the response has been sent (register())


HEAVY_UPLOAD_BYTES = 32_000_000  # an upload that decodes past this takes a heavy slot


def upload_slot(decoded_bytes: int) -> AbstractContextManager:
    """For imaging.decode_upload: a heavy slot for a big picture, nothing for a small one
    (a phone's JPEG decodes at ≤ 1/4 scale: a few MB)."""
    return heavy() if decoded_bytes > HEAVY_UPLOAD_BYTES else nullcontext()


def register(app: Flask) -> None:
    """After a heavy request's response has gone out, give its memory back (release_memory):
    the big buffers (the JSON, its compressed copy, a decoded photo) are free by then."""

    @app.after_request
    def _trim_later(response: Response) -> Response:
        if g.get("heavy"):
            response.call_on_close(release_memory)
        return response
