"""Built-in pictures, drawn by code (NumPy + Pillow): nothing downloaded, nothing copied.

Lesson pictures show what a filter responds to (edges, stripes, blobs); scenes are simple
drawings of CIFAR-10 kinds of things for the trained network to look at. Every picture is drawn
at MASTER×MASTER (or twice the side asked for, if larger) and shrunk with a box filter: that
anti-aliases every edge. Deterministic: same name and side, same pixels.

    python -m app.samples [docs/samples.png]    draws the contact sheet
"""

from __future__ import annotations

import sys
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from app import drawings
from app.drawings import MASTER, Painter

# name → (title, description, painter). Descriptions say what is drawn, never what the
# network will answer.
_PICTURES: dict[str, tuple[str, str, Painter]] = {
    "colour_wheel": ("Colour wheel", "Twelve flat colour wedges: edges in every direction, "
                     "between every pair of neighbouring colours.", drawings.colour_wheel),
    "oriented_bars": ("Oriented bars", "Four coloured bars on grey, at 0°, 45°, 90° and 135°: "
                      "try an edge filter and see which bars light up.", drawings.oriented_bars),
    "one_edge": ("One edge", "Dark on the left, bright on the right: a single vertical edge.",
                 drawings.one_edge),
    "vertical_stripes": ("Vertical stripes", "Black and white stripes, 16 across: every row "
                         "is the same, the columns change.", drawings.vertical_stripes),
    "sine_grating": ("Horizontal grating", "Brightness rising and falling smoothly from top to "
                     "bottom, six times: horizontal bands with soft edges.", drawings.sine_grating),
    "checkerboard": ("Checkerboard", "An 8×8 board of black and white squares: edges in two "
                     "directions and many corners.", drawings.checkerboard),
    "colour_blobs": ("Colour blobs", "Soft red, green and blue discs on black: colour without "
                     "edges, like many first-layer filters.", drawings.colour_blobs),
    "rings": ("Rings", "Concentric rings: a curved edge at every angle.", drawings.rings),
    "airplane": ("Airplane", "A drawing of an airliner in a blue sky.", drawings.airplane),
    "ship": ("Ship", "A drawing of a container ship on the sea.", drawings.ship),
    "car": ("Red car", "A drawing of a red car on a road, seen from the side.", drawings.car),
    "truck": ("Truck", "A drawing of a box truck with a blue cab.", drawings.truck),
    "frog": ("Frog", "A drawing of a green frog sitting on fallen leaves.", drawings.frog),
    "horse": ("Horse", "A drawing of a brown horse in a green field.", drawings.horse),
    "bird": ("Red bird", "A drawing of a red bird on a branch, leaves behind it.", drawings.bird),
    "cat": ("Cat", "A drawing of a grey tabby cat's face.", drawings.cat),
}

SAMPLES: list[dict] = [{"name": k, "title": t, "description": d}
                       for k, (t, d, _) in _PICTURES.items()]


@lru_cache(maxsize=64)
def render_sample(name: str, side: int = 512) -> Image.Image:
    """The sample `name` as an RGB side×side image (cached: treat it as read-only).
    KeyError for an unknown name. Smaller sides are box-shrunk from the 512 one (which is
    drawn at MASTER), so every size shows the same picture."""
    painter = _PICTURES[name][2]
    if side < 1:
        raise ValueError(f"side must be ≥ 1, got {side}")
    if side < 512:
        return render_sample(name, 512).resize((side, side), Image.Resampling.BOX)
    return painter(max(MASTER, 2 * side)).resize((side, side), Image.Resampling.BOX)


def paint_all() -> None:
    """Paint every sample at 512 into the cache (the smaller sides shrink from it)."""
    for name in _PICTURES:
        render_sample(name)


def sample_id(name: str) -> str:
    return "sample-" + name


def sample_name(image_id: str) -> str | None:
    """The sample name in an id "sample-<name>"; None if the id is not a sample's."""
    return image_id[len("sample-"):] if image_id.startswith("sample-") else None


def contact_sheet(tile: int = 128, columns: int = 4) -> Image.Image:
    """Every sample at tile×tile with its title underneath."""
    font = ImageFont.load_default(size=14)
    rows = -(-len(SAMPLES) // columns)
    pad, label = 8, 22
    sheet = Image.new("RGB", (columns * (tile + pad) + pad, rows * (tile + pad + label) + pad),
                      (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i, s in enumerate(SAMPLES):
        x = pad + (i % columns) * (tile + pad)
        y = pad + (i // columns) * (tile + pad + label)
        sheet.paste(render_sample(s["name"], tile), (x, y))
        draw.text((x + tile / 2, y + tile + 3), s["title"], fill=(30, 30, 30), font=font,
                  anchor="ma")
    return sheet


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "docs/samples.png"
    contact_sheet().save(out, optimize=True)
    print(f"wrote {out}")
