"""Pictures of first-layer filters for the docs: `python -m cnn_core.figures`.

    python -m cnn_core.figures [--models cnn_core/models] [--out docs]

For every model NAME saved in --models it writes
    OUT/filters_NAME.png            the final conv1 filters, each weight a big square
    OUT/filters_evolution_NAME.png  the same filters at a few epochs, side by side
                                    (0 = the random initialization)
Colours come from cnn_core.display.filter_tiles: per filter, zero weight is mid-grey,
positive is lighter, negative darker, the three input channels as red, green, blue.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cnn_core.display import filter_tiles, tile_grid
from cnn_core.model import MODELS_DIR, Model, list_models, load_model


def filter_picture(w: np.ndarray, cols: int = 8, scale: int = 12) -> np.ndarray:
    """Mosaic (H, W, 3) uint8 of the filters w (F, kh, kw, C), enlarged with nearest neighbour."""
    return tile_grid(filter_tiles(w), cols=cols, pad=2, scale=scale)


def evolution_epochs(available: list[int], wanted=(0, 1, 2, 5)) -> list[int]:
    """The wanted epochs that exist, and the last one."""
    return sorted({e for e in wanted if e in available} | set(available[-1:]))


def evolution_picture(model: Model, epochs: list[int], cols: int = 8, scale: int = 8) -> np.ndarray:
    """The conv1 filters after each of `epochs`, one captioned panel each, left to right."""
    font = ImageFont.load_default(size=14)
    caption, gap = 22, 12
    panels = [filter_picture(model.filters(epoch=e), cols, scale) for e in epochs]
    h, w = panels[0].shape[:2]
    out = Image.new("RGB", (len(panels) * (w + gap) - gap, h + caption), "white")
    draw = ImageDraw.Draw(out)
    for i, (epoch, panel) in enumerate(zip(epochs, panels, strict=True)):
        left = i * (w + gap)
        out.paste(Image.fromarray(panel), (left, caption))
        label = "epoch 0 (random)" if epoch == 0 else f"after epoch {epoch}"
        draw.text((left + 2, 3), label, fill="black", font=font)
    return np.asarray(out)


def save_figures(models_dir: str | Path = MODELS_DIR, out: str | Path = "docs") -> list[Path]:
    """Write the two pictures of every model in models_dir; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in list_models(models_dir):
        model = load_model(name, models_dir)
        w = model.filters("conv1")
        cols = 8 if len(w) > 8 else len(w)
        pictures = {f"filters_{name}.png": filter_picture(w, cols, scale=16 if cols < 8 else 12)}
        if model.epochs_available():
            epochs = evolution_epochs(model.epochs_available())
            pictures[f"filters_evolution_{name}.png"] = evolution_picture(model, epochs, cols)
        for filename, pixels in pictures.items():
            Image.fromarray(pixels).save(out / filename, optimize=True)
            written.append(out / filename)
    return written


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m cnn_core.figures", description=__doc__.split("\n")[0]
    )
    p.add_argument("--models", default=str(MODELS_DIR), help="folder of saved models")
    p.add_argument("--out", default="docs", help="where the pictures go")
    args = p.parse_args(argv)
    for path in save_figures(args.models, args.out):
        print(path)


if __name__ == "__main__":
    main()
