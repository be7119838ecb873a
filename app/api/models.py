"""The trained networks: their layers, predictions, learned filters and training history."""

from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from app import networks
from app.arrays import maps, typed
from app.problems import ApiError, documented
from app.schemas import (
    FiltersQuery,
    FiltersResponse,
    HistoryResponse,
    ModelPath,
    ModelsResponse,
    PredictBody,
    PredictResponse,
)
from cnn_core.display import filter_tiles

bp = APIBlueprint("models", __name__, url_prefix="/api", abp_tags=[Tag(name="models")],
                  abp_responses=documented(400, 404, 422))

MAX_MAPS = 32  # channels sent per layer: a screen shows no more, and convnet has 128


def _dir() -> str | None:
    return current_app.config["MODELS_DIR"]


def _info(name: str) -> dict:
    model = networks.get(name, _dir())
    return {
        "name": model.name, "title": model.title, "dataset": model.dataset,
        "classes": model.classes, "input": list(model.input_shape),
        "layers": [{"name": lay.name, "kind": lay.kind, "output_shape": list(lay.output_shape),
                    "params": lay.param_count} for lay in model.layers],
        "total_params": model.total_params,
        "accuracy": model.metadata.get("accuracy", {}).get("validation"),
    }


@bp.get("/models", responses={200: ModelsResponse})
def list_models() -> dict:
    """The shipped networks, trained by our engine on CIFAR-10."""
    return {"models": [_info(name) for name in networks.names(_dir())]}


@bp.post("/models/<name>/predict", responses={200: PredictResponse})
def predict(path: ModelPath, body: PredictBody) -> dict:
    """Class probabilities for the picture, and every layer's activation."""
    model = networks.get(path.name, _dir())
    x = current_app.extensions["pictures"].working(body.image_id, model.input_shape[0])
    probs, activations = model.predict(x)
    out = []
    for name, kind, a in activations:
        a = a[0]
        out.append({"layer": name, "kind": kind, "shape": list(a.shape),
                    "maps": maps(a, MAX_MAPS, body.dtype) if a.ndim == 3 else typed(a, body.dtype)})
    return {"classes": model.classes, "probabilities": probs[0].tolist(), "activations": out}


@bp.get("/models/<name>/filters", responses={200: FiltersResponse})
def filters(path: ModelPath, query: FiltersQuery) -> dict:
    """A conv layer's learned filters, now or after epoch E (0: the random start)."""
    model = networks.get(path.name, _dir())
    try:
        w = model.filters(query.layer, query.epoch)
    except KeyError as e:
        raise ApiError(404, "No such filters", str(e.args[0]), field="layer") from None
    return {"layer": query.layer, "epoch": query.epoch,
            "epochs": model.epochs_available(query.layer),
            "shape": list(w.shape), "weights": typed(w), "tiles": typed(filter_tiles(w), "u1")}


@bp.get("/models/<name>/history", responses={200: HistoryResponse})
def history(path: ModelPath) -> dict:
    """Per-epoch training and validation loss and accuracy."""
    model = networks.get(path.name, _dir())
    keys = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")
    epochs = (model.history or {}).get("epochs", [])
    return {"epochs": [{k: e[k] for k in keys} for e in epochs]}
