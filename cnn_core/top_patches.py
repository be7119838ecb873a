"""What each filter looks for: the training patches that excite it most (Zeiler & Fergus, 2014).

    python -m cnn_core.top_patches --model convnet --data ../shared/data/cifar10/train

For every conv layer of the model and each of its first --max-filters filters: the 9
training pictures whose strongest response of that filter (the conv output, before the
ReLU, at its best position) is highest, one patch a picture, each cropped to the
receptive field of the unit that fired (cnn_core.receptive_field). Only the training
part of the split the trainer used (not its held-out validation pictures) is searched.
Generic over the architecture: re-run it on a retrained model.

Writes NAME.patches.npz beside NAME.json, with, for each conv layer L:
    L.patches      (F', 9, c, c, 3) uint8   the window's part inside the picture, at its
                                            top-left (c = min(field size, picture size))
    L.windows      (F', 9, 2) int16         the window's top-left in the picture (negative:
                                            it starts in the padding)
    L.activations  (F', 9) float32          the responses, best first
    L.images       (F', 9) int32            the pictures' indices in the data set's order
and "meta": a JSON string (fields, filter counts, data, the model's weights fingerprint).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from cnn_core.calibrate import model_and_data, offline_parser
from cnn_core.data import to_float
from cnn_core.model import Model
from cnn_core.receptive_field import Field, receptive_fields

TOP = 9


def fingerprint(model: Model) -> str:
    """sha256 (16 hex digits) of the conv weights: patches belong to these weights only."""
    h = hashlib.sha256()
    for lay in model.layers:
        if lay.kind == "conv":
            h.update(np.ascontiguousarray(lay.params["w"], np.float32).tobytes())
            h.update(np.ascontiguousarray(lay.params["b"], np.float32).tobytes())
    return h.hexdigest()[:16]


def conv_fields(model: Model) -> dict[str, Field]:
    return {f.layer: f for lay, f in zip(model.layers, receptive_fields(model), strict=True)
            if lay.kind == "conv"}


def strongest(model: Model, x: np.ndarray, max_filters: int, batch: int = 250,
              progress: bool = True) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each conv layer: (activations, image indices, unit positions), each (F', 9).

    x (N, H, W, C) uint8. A picture counts once per filter, at its best position; ties
    in position go to the first (row-major).
    """
    fields = conv_fields(model)
    best: dict[str, tuple] = {}
    for start in tqdm(range(0, len(x), batch), desc=f"{model.name} top patches",
                      unit="batch", disable=not progress):
        _, acts = model.predict(to_float(x[start:start + batch]))
        for name, _, a in acts:
            if name not in fields:
                continue
            a = a[..., :max_filters]
            B, H, W, F = a.shape
            flat = a.reshape(B, H * W, F)
            pos = flat.argmax(axis=1)  # (B, F)
            val = np.take_along_axis(flat, pos[:, None, :], axis=1)[:, 0]  # (B, F)
            img = np.broadcast_to(np.arange(start, start + B)[:, None], (B, F))
            if name in best:
                v0, i0, p0 = best[name]
                val, img, pos = (np.concatenate([v0, val]), np.concatenate([i0, img]),
                                 np.concatenate([p0, pos]))
            k = min(TOP, len(val))
            top = np.argpartition(-val, k - 1, axis=0)[:k]  # (k, F)
            best[name] = tuple(np.take_along_axis(arr, top, axis=0) for arr in (val, img, pos))
    out = {}
    for name, (val, img, pos) in best.items():
        order = np.argsort(-val, axis=0, kind="stable")
        val, img, pos = (np.take_along_axis(arr, order, axis=0).T for arr in (val, img, pos))
        out[name] = (val.astype(np.float32), img.astype(np.int32), pos.astype(np.int32))
    return out


def window_crops(x: np.ndarray, field: Field, width: int, img: np.ndarray,
                 pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(patches (F, 9, c, c, C) uint8 inside-picture parts at top-left, windows (F, 9, 2)).

    img, pos (F, 9): picture indices and flattened unit positions on a grid `width` wide.
    """
    _, H, W, C = x.shape
    c = min(field.size, H)
    top = field.start + (pos // width) * field.jump
    left = field.start + (pos % width) * field.jump
    patches = np.zeros((*img.shape, c, c, C), np.uint8)
    for f, k in np.ndindex(img.shape):
        t, lf = top[f, k], left[f, k]
        part = x[img[f, k], max(t, 0):min(t + field.size, H), max(lf, 0):min(lf + field.size, W)]
        patches[f, k, :part.shape[0], :part.shape[1]] = part
    return patches, np.stack([top, left], axis=-1).astype(np.int16)


def compute(model: Model, x: np.ndarray, max_filters: int = 64, progress: bool = True) -> dict:
    """Every conv layer's top patches as the arrays saved in NAME.patches.npz (see above)."""
    fields = conv_fields(model)
    shapes = {lay.name: lay.output_shape for lay in model.layers}
    arrays, layers = {}, []
    for name, (val, img, pos) in strongest(model, x, max_filters, progress=progress).items():
        field = fields[name]
        patches, windows = window_crops(x, field, shapes[name][1], img, pos)
        arrays.update({f"{name}.patches": patches, f"{name}.windows": windows,
                       f"{name}.activations": val, f"{name}.images": img})
        layers.append({**field.as_dict(), "filters": shapes[name][2], "shown": len(val)})
    meta = {"model": model.name, "fingerprint": fingerprint(model), "top": TOP,
            "picture": list(model.input_shape), "layers": layers, "max_filters": max_filters}
    return {"meta": meta, "arrays": arrays}


def save(result: dict, path: Path) -> Path:
    """Write NAME.patches.npz atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        np.savez_compressed(f, meta=np.array(json.dumps(result["meta"])), **result["arrays"])
    os.replace(tmp, path)
    return path


def load(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) of a NAME.patches.npz."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(str(z["meta"]))
    return meta, arrays


def main(argv: list[str] | None = None) -> int:
    p = offline_parser("python -m cnn_core.top_patches", __doc__)
    p.add_argument("--max-filters", type=int, default=64,
                   help="filters kept per layer, the first ones (the shipped files: 64)")
    p.add_argument("--limit", type=int, default=0, help="search only the first N training "
                   "pictures (quick runs)")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    directory = Path(args.models_dir)
    try:
        model, x, _, train, _ = model_and_data(args)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.limit:
        train = train[:args.limit]
    result = compute(model, x[train], args.max_filters)
    for name in result["arrays"]:
        if name.endswith(".images"):
            result["arrays"][name] = train[result["arrays"][name]].astype(np.int32)
    result["meta"].update({
        "data": args.data, "searched": len(train),
        "split": "the training part of the trainer's split (its validation pictures left out)",
        "command": "python -m cnn_core.top_patches " + shlex.join(argv or sys.argv[1:]),
        "computed": datetime.now(UTC).isoformat(timespec="seconds")})
    path = save(result, directory / f"{model.name}.patches.npz")
    print(f"saved {path} ({path.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
