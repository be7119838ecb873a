"""Uploads: decode, validate and prepare a picture with Pillow (no Flask here).

decode_upload(bytes) -> Upload: an RGB square (the centre crop, at most STORE_SIDE a side)
plus the original format and size. Every failure is an ImageError with an HTTP status and a
sentence a user understands: 400 empty or damaged, 413 too large, 415 not a picture.
working_array(img, S) -> (S, S, 3) float32 in [0, 1]: the picture the lesson computes on.

Memory is bounded before decoding: decoded_bytes() (pixels × the bytes each pixel takes in
memory, ×2 for WebP, which libwebp decodes into its own buffer first) must stay under the
caller's max_decoded_bytes, else 413; 16-bit and float pictures are shrunk in their own mode
before they become 8-bit, never copied whole into float64.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image, ImageOps

STORE_SIDE = 512
MAX_SIDE = 30_000
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")
ACCEPTED = "PNG, JPEG, GIF, WebP, BMP, TIFF"
# The first bytes of the formats we accept: a file that starts like one of them but that Pillow
# cannot open is a damaged picture (400), anything else is not a picture at all (415).
MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
         b"MM\x00*", b"II+\x00", b"MM\x00+")


class ImageError(Exception):
    """A picture we refuse: `status` (400, 413, 415 or 422), `title`, `detail` (for the user)."""

    def __init__(self, status: int, title: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


@dataclass
class Upload:
    image: Image.Image  # RGB, square, side ≤ STORE_SIDE
    format: str  # "PNG", "JPEG", ...
    width: int  # the original size, after EXIF orientation
    height: int


def _not_a_picture() -> ImageError:
    return ImageError(415, "Not a picture",
                      f"This file is not a picture we can read (we accept {ACCEPTED}).")


def _damaged() -> ImageError:
    return ImageError(400, "Damaged picture",
                      "This picture is damaged or incomplete (perhaps the upload was cut short); "
                      "please try another copy of it.")


def _too_large(width: int, height: int, max_pixels: int) -> ImageError:
    return ImageError(413, "Picture too large",
                      f"This picture is {width:,} × {height:,} pixels; we accept pictures up to "
                      f"{max_pixels / 1e6:g} megapixels and {MAX_SIDE:,} pixels a side.")


def _looks_like_ours(data: bytes) -> bool:
    return data.startswith(MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """The size a header declares, read by the format's own parser without Pillow's bomb check
    (only used to word the 413 after that check fired; None if it can't be read)."""
    for fmt in FORMATS:
        try:
            factory, accept = Image.OPEN[fmt]
            if accept is None or accept(data[:16]):
                return factory(io.BytesIO(data), "").size
        except Exception:  # noqa: BLE001 — any failure here just means "unknown size"
            continue
    return None


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Image.open, restricted to our formats; only the header is read here."""
    try:
        img = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        size = _declared_size(data)
        if size:
            raise _too_large(*size, max_pixels) from None
        pixels = re.search(r"\((\d+) pixels\)", str(e))
        count = f"{int(pixels[1]):,} pixels" if pixels else "too many pixels"
        raise ImageError(413, "Picture too large",
                         f"This picture has {count}; we accept pictures up to "
                         f"{max_pixels / 1e6:g} megapixels.") from None
    except Exception:  # UnidentifiedImageError, SyntaxError, struct.error, ...
        raise (_damaged() if _looks_like_ours(data) else _not_a_picture()) from None
    w, h = img.size
    if w * h > max_pixels or max(w, h) > MAX_SIDE:
        raise _too_large(w, h, max_pixels)
    if w < 1 or h < 1:
        raise _damaged()
    return img


# Bytes a pixel of each mode takes in Pillow's memory (multi-band modes are 4 bytes a pixel).
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}


PALETTED = ("P", "PA", "1")  # converted to RGB(A) before they are shrunk: +4 bytes a pixel


def decoded_bytes(img: Image.Image) -> int:
    """The memory the decoded picture will take, known from its header (opened, not loaded)."""
    w, h = img.size
    factor = 2 if img.format == "WEBP" else 1  # libwebp's buffer, then Pillow's copy
    per_pixel = _BYTES_PER_PIXEL.get(img.mode, 4) + (4 if img.mode in PALETTED else 0)
    return w * h * per_pixel * factor


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f}" if n >= 10_000_000 else f"{n / 1e6:.2g}"


def _too_much_memory(img: Image.Image, max_bytes: int) -> ImageError:
    w, h = img.size
    return ImageError(413, "Picture too large",
                      f"This picture ({w:,} × {h:,} pixels, {img.mode}) would take "
                      f"{_mb(decoded_bytes(img))} MB of memory to open; we open pictures "
                      f"of up to {_mb(max_bytes)} MB. Please try a smaller copy of it, "
                      "or save it as an 8-bit PNG or a JPEG.")


def _grey_to_8bit(img: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float grey (I;16*, I, F) → L, mapping the value range to 0..255."""
    a = np.nan_to_num(np.asarray(img, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    # (float64 is fine here: decode_upload shrinks big pictures to STORE_SIDE first)
    lo, hi = float(a.min()), float(a.max())
    if img.mode.startswith("I;16") or (img.mode == "I" and lo >= 0 and 255 < hi <= 65535):
        a = a / 257.0  # 16-bit samples: 65535 → 255
    elif img.mode == "F" and lo >= 0 and hi <= 1:
        a = a * 255.0  # float pictures in [0, 1]
    elif lo < 0 or hi > 255:
        a = (a - lo) * (255.0 / (hi - lo))  # anything else: stretch its range
    return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8), "L")


def to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode → RGB; transparency is composited over white."""
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        img = _grey_to_8bit(img)
    if "A" in img.getbands() or "a" in img.getbands() or "transparency" in img.info:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img if img.mode == "RGB" else img.convert("RGB")


def _square_box(w: int, h: int) -> tuple[int, int, int, int]:
    """The centred square inside a w×h picture, as a Pillow box (left, top, right, bottom)."""
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return left, top, left + s, top + s


def decode_upload(data: bytes, *, max_pixels: int = 50_000_000,
                  max_decoded_bytes: int = 200_000_000,
                  slot: Callable[[int], AbstractContextManager] | None = None) -> Upload:
    """Uploaded bytes → Upload, or ImageError (never another exception).

    slot(decoded bytes), if given, is entered around the decoding: the caller's way to make
    big pictures wait for a heavy-job slot."""
    if not data:
        raise ImageError(400, "Empty file", "The file is empty: please choose a picture.")
    img = _open(data, max_pixels)
    fmt = "JPEG" if img.format == "MPO" else str(img.format)  # MPO: a camera's multi-JPEG
    width, height = img.size  # as stored, before draft() scales a JPEG down
    try:
        if fmt == "JPEG":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, still ≥ STORE_SIDE a side: a 12 MP
            # photo then decodes at 1000×750, 16× less work.
            img.draft("RGB", (STORE_SIDE, STORE_SIDE))
    except Exception:
        raise _damaged() from None
    cost = decoded_bytes(img)
    if cost > max_decoded_bytes:  # known from the header: refused before decoding
        raise _too_much_memory(img, max_decoded_bytes)
    with (slot or _no_slot)(cost):
        return _decode(img, fmt, width, height)


@contextmanager
def _no_slot(cost: int) -> Iterator[None]:
    yield


def _decode(img: Image.Image, fmt: str, width: int, height: int) -> Upload:
    """The opened picture → an Upload: decode, turn upright, crop to a square, shrink."""
    try:
        img.load()  # decode everything now: a truncated file fails here (LOAD_TRUNCATED_IMAGES)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
        raise ImageError(413, "Picture too large",
                         f"This picture ({width:,} × {height:,} pixels) is too large for us to "
                         "open; please try a smaller copy of it.") from None
    except Exception:  # OSError "truncated", SyntaxError, ValueError, struct.error, EOFError ...
        raise _damaged() from None
    try:
        turned = img.getexif().get(ExifTags.Base.Orientation, 1) in range(2, 9)
        upright = ImageOps.exif_transpose(img) if turned else img  # (else it copies)
    except Exception:  # a broken EXIF block: keep the picture as stored rather than refuse it
        upright = img
    if upright.size == img.size[::-1] and img.size[0] != img.size[1]:
        width, height = height, width
    box = _square_box(*upright.size)
    if box[2] - box[0] > STORE_SIDE:
        if upright.mode in PALETTED or "transparency" in upright.info:
            # palette or a transparent colour: to RGB(A) first (a palette picture would resize
            # by NEAREST, a transparent colour would blur away); composited after shrinking.
            # 16-bit, 32-bit, float and CMYK shrink in their own mode first: converting them
            # whole costs far more.
            upright = _rgba(upright)
        # Shrink before compositing over white: a big RGBA photo never exists as four full
        # copies. LANCZOS (after a box reduction: reducing_gap) gives a sharp, alias-free
        # stored copy; Pillow premultiplies alpha while resizing.
        # (Pillow's box reduction has no 16-bit mode: those take LANCZOS alone)
        gap = None if upright.mode.startswith("I;16") else 3.0
        upright = upright.resize((STORE_SIDE, STORE_SIDE), Image.Resampling.LANCZOS, box=box,
                                 reducing_gap=gap)
        box = (0, 0, STORE_SIDE, STORE_SIDE)
    square = _rgb(upright.crop(box))  # crop first: a long strip is never converted whole
    return Upload(image=square, format=fmt, width=width, height=height)


def _rgba(img: Image.Image) -> Image.Image:
    """A palette, 1-bit or transparent-colour picture → RGBA if it has transparency, else RGB
    (one converted copy; to_rgb composites it over white once it is small)."""
    transparent = "A" in img.getbands() or "transparency" in img.info
    try:
        return img.convert("RGBA" if transparent else "RGB")
    except Exception:
        raise _not_a_picture() from None


def _rgb(img: Image.Image) -> Image.Image:
    try:
        return to_rgb(img)
    except Exception:  # a colour mode Pillow can't convert (e.g. LAB TIFF)
        raise _not_a_picture() from None


def encode_png(img: Image.Image) -> bytes:
    """The stored form: PNG with light compression (compress_level=1: ~5× faster than the
    default, and photos barely compress further anyway)."""
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def decode_stored(data: bytes) -> Image.Image:
    """A PNG we stored ourselves → RGB image; ImageError 400 if the bytes are damaged."""
    try:
        img = Image.open(io.BytesIO(data), formats=("PNG",))
        img.load()
        return to_rgb(img)
    except Exception:
        raise _damaged() from None


def working_array(img: Image.Image, size: int) -> np.ndarray:
    """The working picture: centre-cropped square resized to (size, size, 3), float32 in [0, 1].

    Shrinking uses BOX: each working pixel is exactly the mean of the picture's pixels it
    covers (no ringing, nothing invented). Growing uses NEAREST: every working pixel is one of
    the picture's real pixels, so a 3×3 picture at 32 shows its nine crisp squares and the
    numbers a student reads are the picture's own.
    """
    if size < 1:
        raise ValueError(f"size must be ≥ 1, got {size}")
    img = to_rgb(img)
    box = _square_box(*img.size)
    side = box[2] - box[0]
    if side == size:
        square = img.crop(box) if img.size != (size, size) else img
    else:
        method = Image.Resampling.BOX if side > size else Image.Resampling.NEAREST
        square = img.resize((size, size), method, box=box)
    return np.asarray(square, dtype=np.float32) / np.float32(255.0)
