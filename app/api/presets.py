"""GET /api/presets: the hand-made kernels, each with its one-line explanation."""

from flask_openapi3 import APIBlueprint, Tag

from app.problems import ApiError, documented
from app.schemas import PresetQuery, PresetsResponse
from cnn_core.presets import list_presets, make_preset

bp = APIBlueprint("presets", __name__, url_prefix="/api", abp_tags=[Tag(name="presets")],
                  abp_responses=documented(422))


@bp.get("/presets", responses={200: PresetsResponse})
def presets(query: PresetQuery) -> dict:
    """Every preset at size×size×3 (odd size), weights as nested lists [row][col][r, g, b]."""
    if query.size % 2 == 0:
        raise ApiError(422, "Even size", f"presets have odd sizes (3, 5, 7…), not {query.size}.",
                      field="size")
    out = []
    for p in list_presets():
        w, b = make_preset(p["name"], query.size)
        out.append({**p, "weights": w.tolist(), "bias": float(b)})
    return {"presets": out}
