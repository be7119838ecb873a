"""The lesson's arithmetic: a conv layer, one dot product, one pooling window."""

from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from app import budget, convolve
from app.arrays import maps, typed
from app.problems import ApiError, documented
from app.schemas import ConvLayerBody, ConvResponse, PoolStepResponse, StepBody, StepResponse
from cnn_core.display import filter_tiles
from cnn_core.layers import relu
from cnn_core.traces import conv_step, pool_step

bp = APIBlueprint("conv", __name__, url_prefix="/api", abp_tags=[Tag(name="conv")],
                  abp_responses=documented(400, 404, 422))


@bp.post("/conv", responses={200: ConvResponse, **documented(503)})
def conv(body: ConvLayerBody) -> dict:
    """Every filter's feature map, after ReLU, and after pooling (the stacks `outputs` asks
    for: all three by default).

    At most CONVSCOPE_MAX_CONV_VALUES numbers in all (default 6,000,000: filters × the cells
    of the stacks asked for); past it, 422 /problems/over-budget. A layer over a quarter of
    that waits for a heavy-job slot (503 with Retry-After when the server is busy)."""
    layer = convolve.prepare(body)
    Ho, Wo, F = layer.geometry["output"]
    Hp, Wp, _ = layer.geometry["pooled"]
    cells = {"maps": Ho * Wo, "relu": Ho * Wo, "pooled": Hp * Wp}
    values = F * sum(cells[o] for o in set(body.outputs))
    budget.check_conv_values(values)
    if values > current_app.config["MAX_CONV_VALUES"] // 4:  # a big layer: a heavy slot
        with budget.heavy():
            return _conv(layer, body)
    return _conv(layer, body)


def _conv(layer: convolve.Layer, body: ConvLayerBody) -> dict:
    fmaps = convolve.feature_maps(layer, body)
    tiles = filter_tiles(layer.w)
    out = {
        "geometry": layer.geometry,
        "image": typed((layer.x * 255).round(), "u1"),
        "filters": [{"label": label, "weights": typed(w), "bias": float(b), "tile": typed(t, "u1")}
                    for label, w, b, t in zip(layer.labels, layer.w, layer.b, tiles, strict=True)],
    }
    if "maps" in body.outputs:
        out["maps"] = maps(fmaps, dtype=body.dtype)
    if "relu" in body.outputs:
        out["relu"] = maps(relu(fmaps), dtype=body.dtype)
    if "pooled" in body.outputs:
        out["pooled"] = maps(convolve.pooled(fmaps, body), dtype=body.dtype)
    return out


def _position_problem(e: ValueError) -> ApiError:
    field = "col" if str(e).startswith("col") else "row"
    return ApiError(422, "Position outside the map", str(e), field=field)


@bp.post("/conv/step", responses={200: StepResponse})
def step(body: StepBody) -> dict:
    """The dot product behind one output value: patch × weights, summed, plus bias."""
    layer = convolve.prepare(body)
    try:
        trace = conv_step(layer.x, layer.w[body.filter], float(layer.b[body.filter]),
                          row=body.row, col=body.col, stride=body.stride,
                          padding=body.padding, dilation=body.dilation)
    except ValueError as e:
        raise _position_problem(e) from None
    return {k: v.tolist() if hasattr(v, "tolist") else v for k, v in trace.items()}


@bp.post("/pool/step", responses={200: PoolStepResponse})
def pool(body: StepBody) -> dict:
    """One pooled value: its window on the filter's ReLU'd map, the values, the max and where."""
    layer = convolve.prepare(body)
    fmap = relu(convolve.feature_maps(layer, body, only=body.filter))[..., 0]
    try:
        trace = pool_step(fmap, row=body.row, col=body.col, size=body.pool.size,
                          stride=body.pool.stride, op=body.pool.op)
    except ValueError as e:
        raise _position_problem(e) from None
    return {**trace, "values": trace["values"].tolist()}
