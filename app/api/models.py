"""The trained networks: their layers, predictions, learned filters and training history."""

from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from app import inside, networks
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
from cnn_core.receptive_field import field_of

bp = APIBlueprint("models", __name__, url_prefix="/api", abp_tags=[Tag(name="models")],
                  abp_responses=documented(400, 404, 422))

MAX_MAPS = 32  # channels sent per layer: a screen shows no more, and convnet has 128


def _dir() -> str:
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
    """Class probabilities for the picture, and every layer's activation.

    The probabilities are calibrated (softmax of the logits over the model's temperature,
    fitted on its validation pictures); the last activation is the raw logits.
    """
    model = networks.get(path.name, _dir())
    x = current_app.extensions["pictures"].working(body.image_id, model.input_shape[0])
    probs, activations = model.predict(x)
    out = []
    for name, kind, a in activations:
        a = a[0]
        out.append({"layer": name, "kind": kind, "shape": list(a.shape),
                    "maps": maps(a, MAX_MAPS, body.dtype) if a.ndim == 3 else typed(a, body.dtype)})
    return {"classes": model.classes, "probabilities": probs[0].tolist(),
            "temperature": model.temperature, "activations": out}


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


@bp.get("/models/<name>/top_patches", responses={200: inside.PatchesResponse})
def top_patches(path: ModelPath, query: inside.PatchesQuery) -> dict:
    """The 9 training patches that excite one filter most, each its receptive field.

    Computed offline by `python -m cnn_core.top_patches` (Zeiler & Fergus, 2014): one patch
    a picture, the window of the unit that responded most, padding (outside the picture) 0.
    """
    model = networks.get(path.name, _dir())
    out = inside.patches_of(model, _dir(), query.layer, query.filter)
    return {**out, "patches": typed(out["patches"], "u1")}


@bp.post("/models/<name>/explain", responses={200: inside.ExplainResponse})
def explain(path: ModelPath, body: inside.ExplainBody) -> dict:
    """Why this guess: saliency and Grad-CAM of a class (the guess by default).

    Both come from one backward pass of the class's score (its logit) through the engine:
    saliency is |d score / d pixel| (max over colours); Grad-CAM weighs the last conv
    layer's maps by their mean gradient, keeps the positive part, and is brought to the
    picture's resolution between the units' receptive-field centres.
    """
    model = networks.get(path.name, _dir())
    x = current_app.extensions["pictures"].working(body.image_id, model.input_shape[0])
    if body.class_ is not None and body.class_ >= len(model.classes):
        raise ApiError(422, "No such class", f"{model.name} has classes 0–"
                       f"{len(model.classes) - 1}.", field="class")
    out = model.explain(x, body.class_)  # one forward pass: the guess comes from it
    cls, guess = out["class"], int(out["logits"].argmax())
    field = field_of(model, out["layer"])
    return {"class": cls, "class_name": model.classes[cls], "guess": guess,
            "score": float(out["logits"][cls]), "layer": out["layer"],
            "field": {"size": field.size, "jump": field.jump, "start": field.start},
            "saliency": typed(out["saliency"]), "grad_cam": typed(out["grad_cam"]),
            "grad_cam_small": typed(out["cam_small"])}
