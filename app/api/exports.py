"""Exports for a slide: the sliding animation as a GIF, any map as CSV."""

from __future__ import annotations

from flask import Response
from flask_openapi3 import APIBlueprint, Tag

from app import animation, budget, convolve
from app.problems import documented
from app.schemas import CsvBody, GifBody, file_response
from cnn_core.layers import relu

bp = APIBlueprint("exports", __name__, url_prefix="/api", abp_tags=[Tag(name="exports")],
                  abp_responses=documented(400, 404, 422, 503))


def _attachment(data: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/conv/gif", responses={"200": file_response("image/gif", "the animation")})
def conv_gif(body: GifBody) -> Response:
    """An animated GIF of filter `filter` sliding over the picture, its map filling in.

    frames × frame pixels at most CONVSCOPE_GIF_MAX_MEGAPIXELS (default 100 M; 422 past it);
    made in a heavy-job slot, with a deadline (503 with Retry-After when busy)."""
    layer = convolve.prepare(body)
    Ho, Wo, _ = layer.geometry["output"]
    frames = min(body.frames, Ho * Wo)
    budget.check_gif(frames, *animation.frame_size(body.size, body.padding, Ho, Wo))
    with budget.heavy() as deadline:  # one of the machine's few heavy slots, or 503
        fmap = convolve.feature_maps(layer, body, only=body.filter)[..., 0]
        data = animation.gif(layer.x, fmap, k=layer.w.shape[1], stride=body.stride,
                             padding=body.padding, dilation=body.dilation, frames=body.frames,
                             check=deadline.check)
    return _attachment(data, "image/gif", f"convscope-filter{body.filter}.gif")


@bp.post("/conv/csv", responses={"200": file_response("text/csv", "the map")})
def conv_csv(body: CsvBody) -> Response:
    """Filter `filter`'s feature map (or after ReLU, or pooled) as CSV, one line a row."""
    layer = convolve.prepare(body)
    fmap = convolve.feature_maps(layer, body, only=body.filter)
    if body.stage == "relu":
        fmap = relu(fmap)
    elif body.stage == "pooled":
        fmap = convolve.pooled(fmap, body)
    return _attachment(animation.csv_text(fmap[..., 0]), "text/csv",
                       f"convscope-filter{body.filter}-{body.stage}.csv")
