"""The hostile upload corpus, generated in code (no binary files in the repository).

Every function returns the bytes of one upload. Pictures that have a "right answer" use
QUADRANTS: seen upright, the top-left quarter is red, top-right green, bottom-left blue and
bottom-right yellow, so a test can check both colours and orientation.
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache

import numpy as np
from PIL import Image

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)

# EXIF orientation → the Pillow transpose that shows the stored picture upright
# (what ImageOps.exif_transpose applies), and its inverse (to make such a file).
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
           4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
           6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}
INVERSE = {**UPRIGHT, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def quadrants(width: int = 48, height: int = 32) -> Image.Image:
    """RGB width×height: red | green over blue | yellow."""
    a = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    a[:h, :w], a[:h, w:], a[h:, :w], a[h:, w:] = RED, GREEN, BLUE, YELLOW
    return Image.fromarray(a)


def save(img: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    return buf.getvalue()


def png() -> bytes:
    return save(quadrants(), "PNG")


def oriented(orientation: int, fmt: str = "JPEG") -> bytes:
    """A picture whose EXIF orientation (1..8) must be applied to see QUADRANTS upright."""
    stored = quadrants()
    if orientation != 1:
        stored = stored.transpose(INVERSE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    options = {"JPEG": {"quality": 95}, "WEBP": {"lossless": True}}.get(fmt, {})
    return save(stored, fmt, exif=exif.tobytes(), **options)


def jpeg_oriented(orientation: int) -> bytes:
    return oriented(orientation, "JPEG")


def cmyk_jpeg() -> bytes:
    """A CMYK JPEG (as print workflows make them) of pure red: C=0, M=Y=255, K=0."""
    return save(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG", quality=95)


def animated_gif() -> bytes:
    """Three frames: red, green, blue; only the first counts."""
    frames = [Image.new("RGB", (16, 16), c) for c in (RED, GREEN, BLUE)]
    return save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def webp() -> bytes:
    return save(quadrants(), "WEBP", lossless=True)


def bmp() -> bytes:
    return save(quadrants(), "BMP")


def tiff_multiframe() -> bytes:
    """A two-page TIFF: QUADRANTS, then a green page."""
    return save(quadrants(), "TIFF", save_all=True, append_images=[Image.new("RGB", (48, 32),
                                                                             GREEN)])


def grey_l() -> bytes:
    """8-bit grey: a left-to-right ramp 0, 16, ..., 240 (16 columns, 4 rows)."""
    return save(Image.fromarray(np.tile(np.arange(0, 256, 16, dtype=np.uint8), (4, 1))), "PNG")


def grey16(fmt: str = "PNG") -> bytes:
    """16-bit grey (I;16), 3×3 with the values 0, 257·100 and 65535 → 0, 100, 255 in 8 bits."""
    a = np.array([[0, 25700, 65535]] * 3, dtype=np.uint16)
    return save(Image.fromarray(a), fmt)


def palette_transparent() -> bytes:
    """Palette PNG 4×4: index 0 (black) is transparent on the left half, index 1 red right."""
    img = Image.new("P", (4, 4), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    img.paste(1, (2, 0, 4, 4))
    return save(img, "PNG", transparency=0)


def rgba() -> bytes:
    """RGBA 2×2: transparent black, opaque red, half-transparent black, opaque blue."""
    a = np.array([[[0, 0, 0, 0], [255, 0, 0, 255]], [[0, 0, 0, 128], [0, 0, 255, 255]]],
                 np.uint8)
    return save(Image.fromarray(a, "RGBA"), "PNG")


def la() -> bytes:
    """Grey + alpha 2×2: transparent black, opaque grey 64; half-transparent black, grey 64."""
    a = np.array([[[0, 0], [64, 255]], [[0, 128], [64, 255]]], np.uint8)
    return save(Image.fromarray(a, "LA"), "PNG")


def tiny(side: int) -> bytes:
    """A side×side PNG: pixel (r, c) = (r·80, c·80, 200)."""
    r, c = np.mgrid[0:side, 0:side]
    a = np.stack([r * 80, c * 80, np.full_like(r, 200)], -1).astype(np.uint8)
    return save(Image.fromarray(a), "PNG")


@lru_cache(maxsize=1)
def big_jpeg() -> bytes:
    """A 12 MP photo-sized JPEG (4000×3000), QUADRANTS scaled up."""
    return save(quadrants(4000, 3000), "JPEG", quality=85)


# --- not pictures, or broken ones ---------------------------------------------------------

HTML = b"<!DOCTYPE html>\n<html><head><title>Not a photo</title></head><body>hi</body></html>\n"


def random_bytes(n: int = 4096) -> bytes:
    return np.random.default_rng(0).integers(0, 256, n, dtype=np.uint8).tobytes()


def noise(fmt: str, side: int = 128) -> bytes:
    """Random pixels: nothing compresses, so the pixel data fills most of the file."""
    a = np.random.default_rng(1).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return save(Image.fromarray(a), fmt)


def truncated(fmt: str) -> bytes:
    """A valid picture cut in half, as an interrupted upload is."""
    data = noise(fmt)
    return data[: len(data) // 2]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares width×height (8-bit RGB) with correct CRCs but only a few bytes of
    pixel data: a decompression bomb's header, refused before anything is decoded."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


def png_bad_crc() -> bytes:
    """A PNG whose header checksum is wrong."""
    data = bytearray(png())
    data[29] ^= 0xFF  # the last byte of IHDR's CRC (8 signature + 4 + 4 + 13 bytes before it)
    return bytes(data)


# --- small files that decode big (issue 11, item 3) ----------------------------------------

def grey16_big(fmt: str = "PNG", side: int = 7000) -> bytes:
    """A side×side 16-bit grey picture, left half 0, right half 65535 (a ~100 KB PNG or TIFF
    that decodes to 98 MB at 7000): it must come out black | white, not as gigabytes."""
    a = np.zeros((side, side), np.uint16)
    a[:, side // 2:] = 65535
    options = {"TIFF": {"compression": "tiff_deflate"}}.get(fmt, {})
    return save(Image.fromarray(a), fmt, **options)


def webp_bomb(side: int = 7000) -> bytes:
    """A lossless WebP of one colour: ~2 KB on disk, side² × 4 bytes × 2 to decode."""
    return save(Image.new("RGBA", (side, side), (10, 20, 30, 255)), "WEBP", lossless=True)
