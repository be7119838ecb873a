"""Preparing a phone photo: our decode_upload (JPEG draft mode) beside a plain Pillow decode.

    python -m benchmarks.bench_upload [--repeat 5]

A 12 MP (4000×3000) JPEG, made here, goes through app.imaging.decode_upload (libjpeg decodes
at 1/4 scale, then one LANCZOS resize to the stored 512×512) and through the naive path
(full decode, centre crop, resize), in the same run; prints milliseconds and the ratio.
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image

from app.imaging import STORE_SIDE, decode_upload


def phone_photo(width: int = 4000, height: int = 3000) -> bytes:
    """Smooth gradients plus fine noise: compresses like a photo, not like a flat test card."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 150) * np.cos(y / 90)], -1)
    noise = np.random.default_rng(0).normal(0, 0.04, base.shape).astype(np.float32)
    pixels = (np.clip(base + noise, 0, 1) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def naive(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    s = min(w, h)
    box = ((w - s) // 2, (h - s) // 2, (w + s) // 2, (h + s) // 2)
    return img.resize((STORE_SIDE, STORE_SIDE), Image.Resampling.LANCZOS, box=box)


def best_ms(fn, data: bytes, repeat: int) -> float:
    fn(data)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - t0)
    return min(times) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    data = phone_photo()
    ours = best_ms(decode_upload, data, args.repeat)
    plain = best_ms(naive, data, args.repeat)
    print(f"12 MP JPEG ({len(data) / 1e6:.1f} MB) → {STORE_SIDE}×{STORE_SIDE}, best of "
          f"{args.repeat}")
    print(f"  decode_upload (draft mode)   {ours:7.1f} ms")
    print(f"  full decode + resize         {plain:7.1f} ms")
    print(f"  ratio                        {plain / ours:7.1f}× faster")


if __name__ == "__main__":
    main()
