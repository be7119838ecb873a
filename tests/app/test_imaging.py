"""app.imaging against the generated hostile corpus (tests/app/corpus.py)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile, JpegImagePlugin

from app import imaging
from app.imaging import STORE_SIDE, ImageError, decode_upload
from tests.app import corpus

# Where the quadrant colours land in the stored 32×32 centre crop of the 48×32 QUADRANTS
# picture (columns 8..39 of the original): sample well inside each quarter.
CORNERS = {(4, 4): corpus.RED, (4, 27): corpus.GREEN, (27, 4): corpus.BLUE,
           (27, 27): corpus.YELLOW}


def pixels(up: imaging.Upload) -> np.ndarray:
    return np.asarray(up.image).astype(int)


def assert_quadrants(up: imaging.Upload, tolerance: int = 0) -> None:
    assert (up.width, up.height) == (48, 32)
    assert up.image.mode == "RGB" and up.image.size == (32, 32)
    a = pixels(up)
    for (r, c), colour in CORNERS.items():
        assert np.abs(a[r, c] - colour).max() <= tolerance, ((r, c), a[r, c], colour)


def refused(data: bytes, **kw) -> ImageError:
    with pytest.raises(ImageError) as info:
        decode_upload(data, **kw)
    e = info.value
    # a sentence for a person: no traceback, no Python or Pillow names
    assert e.detail[0].isupper() and e.detail.endswith("."), e.detail
    assert not re.search(r"Traceback|Error\b|Exception|PIL|Pillow|errno|\bNone\b|\\x", e.detail)
    assert e.title and e.status in (400, 413, 415, 422)
    return e


@pytest.mark.parametrize("make, fmt", [(corpus.png, "PNG"), (corpus.webp, "WEBP"),
                                       (corpus.bmp, "BMP"), (corpus.tiff_multiframe, "TIFF")])
def test_lossless_formats_keep_exact_colours(make, fmt):
    up = decode_upload(make())
    assert up.format == fmt
    assert_quadrants(up)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_exif_orientation_is_applied(orientation):
    data = corpus.jpeg_oriented(orientation)
    stored = Image.open(io.BytesIO(data))
    assert stored.getexif()[0x0112] == orientation
    if orientation >= 5:  # stored sideways: 32 wide, 48 tall
        assert stored.size == (32, 48)
    up = decode_upload(data)
    assert up.format == "JPEG"
    assert_quadrants(up, tolerance=12)  # red stays top-left, whatever the stored layout


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_exif_orientation_of_other_formats_is_applied(fmt):
    up = decode_upload(corpus.oriented(6, fmt))
    assert up.format == fmt
    assert_quadrants(up)


def test_cmyk_jpeg_becomes_rgb_red():
    up = decode_upload(corpus.cmyk_jpeg())
    assert up.format == "JPEG" and up.image.mode == "RGB"
    assert np.abs(pixels(up) - corpus.RED).max() <= 8


def test_animated_gif_uses_its_first_frame():
    up = decode_upload(corpus.animated_gif())
    assert up.format == "GIF" and (up.width, up.height) == (16, 16)
    assert (pixels(up) == corpus.RED).all()


def test_multipage_tiff_uses_its_first_page():
    assert_quadrants(decode_upload(corpus.tiff_multiframe()))


def test_grey_png_is_centre_cropped_grey_rgb():
    up = decode_upload(corpus.grey_l())
    assert (up.width, up.height) == (16, 4) and up.image.size == (4, 4)
    a = pixels(up)
    assert (a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all()
    assert a[0, :, 0].tolist() == [96, 112, 128, 144]  # columns 6..9 of the 0, 16, ... ramp


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16bit_grey_maps_to_0_255_not_white(fmt):
    data = corpus.grey16(fmt)
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")
    a = pixels(decode_upload(data))
    assert a[:, :, 0].tolist() == [[0, 100, 255]] * 3
    assert (a[..., 0] == a[..., 2]).all()


def test_palette_transparency_is_white():
    a = pixels(decode_upload(corpus.palette_transparent()))
    assert (a[:, :2] == 255).all()  # transparent index 0 (black) → white
    assert (a[:, 2:] == corpus.RED).all()


def test_rgba_is_composited_over_white():
    a = pixels(decode_upload(corpus.rgba()))
    assert a.tolist() == [[[255, 255, 255], [255, 0, 0]], [[127, 127, 127], [0, 0, 255]]]


def test_grey_alpha_is_composited_over_white():
    a = pixels(decode_upload(corpus.la()))
    assert a[..., 0].tolist() == [[255, 64], [127, 64]]


@pytest.mark.parametrize("side", [1, 3])
def test_tiny_pictures_are_accepted_and_grow_crisply(side):
    up = decode_upload(corpus.tiny(side))
    assert (up.width, up.height) == (side, side) and up.image.size == (side, side)
    x = imaging.working_array(up.image, 33 if side == 3 else 8)
    n = x.shape[0] // side  # each original pixel becomes an n×n block of the same value
    for r in range(side):
        for c in range(side):
            block = x[r * n:(r + 1) * n, c * n:(c + 1) * n]
            assert (block * 255).round().tolist() == [[[r * 80, c * 80, 200]] * n] * n


def test_12_megapixel_jpeg_decodes_through_draft(monkeypatch):
    sizes = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original(self, mode, size)
        sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    up = decode_upload(corpus.big_jpeg())
    assert sizes == [(1000, 750)]  # libjpeg decoded at 1/4 scale
    assert (up.width, up.height) == (4000, 3000)  # the reported size is the original one
    assert up.image.size == (STORE_SIDE, STORE_SIDE)
    a = pixels(up)
    assert np.abs(a[10, 10] - corpus.RED).max() <= 12
    assert np.abs(a[-10, -10] - corpus.YELLOW).max() <= 12


def test_large_pictures_are_shrunk_to_the_store_side():
    up = decode_upload(corpus.save(corpus.quadrants(1200, 800), "PNG"))
    assert (up.width, up.height) == (1200, 800) and up.image.size == (512, 512)
    a = pixels(up)
    assert a[100, 100].tolist() == list(corpus.RED) and a[400, 400].tolist() == [255, 255, 0]


@pytest.mark.parametrize("mode", ["RGBA", "P"])
def test_large_transparent_and_palette_pictures_shrink_then_composite(mode):
    a = np.zeros((800, 1200, 4), np.uint8)
    a[..., 0], a[..., 3] = 200, 128  # red at half opacity over white: (227, 127, 127)
    a[:, 600:] = (0, 0, 255, 255)  # right half opaque blue
    img = Image.fromarray(a, "RGBA")
    data = corpus.save(img if mode == "RGBA" else img.convert("RGB").quantize(4), "PNG")
    up = decode_upload(data)
    assert up.image.size == (512, 512) and (up.width, up.height) == (1200, 800)
    left = (227, 127, 127) if mode == "RGBA" else tuple(img.convert("RGB").getpixel((0, 0)))
    assert np.abs(pixels(up)[:, :200] - left).max() <= 1
    assert np.abs(pixels(up)[:, 312:] - (0, 0, 255)).max() <= 1


def test_empty_upload_is_400():
    assert refused(b"").status == 400


@pytest.mark.parametrize("data", [corpus.HTML, corpus.random_bytes(), b"%PDF-1.7\n",
                                  b"GIF", corpus.save(Image.new("RGB", (4, 4)), "ICO")],
                         ids=["html-named-jpg", "random", "pdf", "3-bytes", "ico"])
def test_non_pictures_are_415(data):
    e = refused(data)
    assert e.status == 415
    assert "PNG, JPEG, GIF, WebP, BMP, TIFF" in e.detail


@pytest.mark.parametrize("data", [corpus.truncated("PNG"), corpus.truncated("JPEG"),
                                  corpus.truncated("WEBP"), corpus.png_bad_crc(),
                                  corpus.png()[:8], b"\xff\xd8\xff"],
                         ids=["png", "jpeg", "webp", "bad-crc", "png-signature", "jpeg-soi"])
def test_damaged_pictures_are_400(data):
    assert refused(data).status == 400
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("width, height", [(50_000, 50_000), (10_000, 10_000),
                                           (40_000, 10), (8_000, 8_000)])
def test_oversized_headers_are_413_before_decoding(width, height):
    # 50,000² would need 7.5 GB if decoded: refused from the header alone. Pillow's own bomb
    # check (an error over 179 MP, a warning over 89 MP: here an error too) is turned into ours.
    e = refused(corpus.png_header(width, height))
    assert e.status == 413
    assert f"{width:,} × {height:,} pixels" in e.detail


def test_max_pixels_is_the_callers_limit():
    data = corpus.save(corpus.quadrants(100, 100), "PNG")
    assert refused(data, max_pixels=9_999).status == 413
    assert decode_upload(data, max_pixels=10_000).width == 100


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's "Corrupt EXIF data" notes
def test_mutated_files_give_image_errors_only():
    """Bytes flipped and files cut anywhere: a picture or an ImageError, nothing else."""
    rng = np.random.default_rng(3)
    seeds = [corpus.png(), corpus.jpeg_oriented(6), corpus.animated_gif(), corpus.webp(),
             corpus.bmp(), corpus.tiff_multiframe(), corpus.grey16("TIFF")]
    for data in seeds:
        for _ in range(40):
            b = bytearray(data[: rng.integers(1, len(data) + 1)])
            for i in rng.integers(0, len(b), rng.integers(0, 4)):
                b[i] = rng.integers(0, 256)
            try:
                up = decode_upload(bytes(b))
            except ImageError as e:
                assert e.status in (400, 413, 415)
            else:
                assert up.image.mode == "RGB" and up.image.size[0] == up.image.size[1]


def test_stored_png_round_trip():
    up = decode_upload(corpus.png())
    img = imaging.decode_stored(imaging.encode_png(up.image))
    assert img.mode == "RGB" and np.array_equal(np.asarray(img), np.asarray(up.image))
    with pytest.raises(ImageError):
        imaging.decode_stored(b"not a png")


def test_working_array_shrinks_by_exact_area_means():
    a = np.zeros((64, 96, 3), np.uint8)
    a[:, 16:48] = 255  # the centre square is columns 16..79: left half white, right half black
    x = imaging.working_array(Image.fromarray(a), 2)
    assert x.shape == (2, 2, 3) and x.dtype == np.float32
    assert x[..., 0].tolist() == [[1.0, 0.0], [1.0, 0.0]]
    a[:, 16:24] = 0  # a quarter of the left half's area black → mean 0.75, not a sharpened guess
    x = imaging.working_array(Image.fromarray(a), 2)
    assert x[0, 0, 0] == pytest.approx(0.75, abs=1 / 255)


def test_working_array_same_size_is_the_pixels():
    a = np.random.default_rng(5).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    x = imaging.working_array(Image.fromarray(a), 32)
    assert np.array_equal((x * 255).round().astype(np.uint8), a)
    assert x.min() >= 0 and x.max() <= 1


# --- memory: bytes per pixel, not only pixels (issue 11, item 3) ---------------------------

PEAK = """
import json, resource, sys
import numpy as np
from app.imaging import ImageError, decode_upload
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    up = decode_upload(data)
    out = {"pixels": np.asarray(up.image)[64::128, 64::128, 0].tolist(),
           "size": [up.width, up.height]}
except ImageError as e:
    out = {"status": e.status, "detail": e.detail}
out["peak_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(out))
"""


def decode_in_subprocess(data: bytes, tmp_path) -> dict:
    """decode_upload in a fresh interpreter: its result and how far it raised the peak RSS
    (Pillow's and libwebp's buffers too, which tracemalloc does not see)."""
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_big_16bit_grey_decodes_without_float64_copies(fmt, tmp_path):
    # ~100 KB on disk, 49 MP × 2 bytes decoded: it cost 1.4 GB through float64 arrays.
    data = corpus.grey16_big(fmt)
    assert len(data) < 200_000
    out = decode_in_subprocess(data, tmp_path)
    assert out["size"] == [7000, 7000]
    assert out["pixels"] == [[0, 0, 255, 255]] * 4  # black | white, from 0 | 65535
    assert out["peak_mb"] < 250, out  # the 98 MB picture, shrunk in its own 16-bit mode


def test_tiny_webp_that_decodes_huge_is_413_before_decoding(tmp_path):
    data = corpus.webp_bomb()  # 2 KB; 49 MP RGBA: 196 MB, twice (libwebp's buffer, Pillow's)
    assert len(data) < 5_000
    out = decode_in_subprocess(data, tmp_path)
    assert out["status"] == 413, out
    assert "392 MB of memory" in out["detail"] and "up to 200 MB" in out["detail"]
    assert out["peak_mb"] < 20, out


def test_decoded_bytes_is_the_callers_limit():
    data = corpus.save(corpus.quadrants(100, 100), "PNG")  # RGB: 4 bytes a pixel in memory
    e = refused(data, max_decoded_bytes=39_999)
    assert e.status == 413 and "0.04 MB of memory" in e.detail and "up to 0.04 MB" in e.detail
    assert decode_upload(data, max_decoded_bytes=40_000).width == 100


def test_a_long_16bit_strip_is_cropped_before_it_is_converted():
    a = np.zeros((20, 4000), np.uint16)
    a[:, 2000:] = 65535
    up = decode_upload(corpus.save(Image.fromarray(a), "PNG"))
    assert up.image.size == (20, 20) and pixels(up)[0, 0].tolist() == [0, 0, 0]


def test_large_palette_picture_with_a_transparent_colour_shrinks_then_composites():
    img = Image.new("P", (1200, 800), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    img.paste(1, (600, 0, 1200, 800))  # left half transparent black, right half red
    data = corpus.save(img, "PNG", transparency=0)
    opened = Image.open(io.BytesIO(data))
    assert imaging.decoded_bytes(opened) == 1200 * 800 * 5  # 1 byte, +4 for its RGBA copy
    up = decode_upload(data)
    assert np.abs(pixels(up)[:, :200] - (255, 255, 255)).max() <= 1
    assert np.abs(pixels(up)[:, 312:] - corpus.RED).max() <= 1
