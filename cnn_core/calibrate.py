"""Honest probabilities: fit one temperature on the held-out validation split.

    python -m cnn_core.calibrate --model convnet --data ../shared/data/cifar10/train

Softmax(logits / T) with one T for every class and picture (Guo et al., "On Calibration
of Modern Neural Networks", 2017): T minimizes the negative log-likelihood of the
validation pictures the trainer held out (the same split: cnn_core.data.split_validation
with the model's seed and validation share), so accuracy is unchanged and confidences
match how often the network is right. The temperature and the expected calibration
error (ECE, 15 equal-width confidence bins) before and after are written into the
model's metadata (NAME.json only; the weights file is not rewritten); Model.predict
divides by it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

from cnn_core.data import load_dataset, split_validation
from cnn_core.evaluate import logits_of  # raw logits: forward() has no temperature
from cnn_core.model import MODELS_DIR, Model, load_model

BINS = 15


def held_out_split(model: Model, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices) of n pictures, exactly as cnn_core.train drew them."""
    meta = model.metadata
    val, train = meta.get("validation_images"), meta.get("train_images")
    if not val or not train or val + train != n:
        raise ValueError(f"{model.name}'s metadata does not describe a split of {n} pictures "
                         f"(train_images={train}, validation_images={val})")
    rng = np.random.default_rng([int(meta.get("seed", 0)), 1])
    return split_validation(n, val / n, rng)


def nll(logits: np.ndarray, y: np.ndarray, t: float = 1.0) -> float:
    """Mean negative log-likelihood of labels y (N,) under softmax(logits (N, K) / t)."""
    z = logits.astype(np.float64) / t
    z -= z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def softmax64(logits: np.ndarray, t: float = 1.0) -> np.ndarray:
    z = logits.astype(np.float64) / t
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ece(probs: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    """Expected calibration error: Σ_b |B_b|/N · |accuracy(B_b) − mean confidence(B_b)|.

    Bins are equal-width on the top probability, (0, 1/bins], …, ((bins−1)/bins, 1].
    """
    conf = probs.max(axis=1)
    right = probs.argmax(axis=1) == y
    which = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.mean() * abs(right[sel].mean() - conf[sel].mean())
    return float(total)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The T > 0 minimizing nll(logits, y, T), searched over log T in [−3, 3]."""
    res = minimize_scalar(lambda s: nll(logits, y, float(np.exp(s))), bounds=(-3, 3),
                          method="bounded", options={"xatol": 1e-6})
    return float(np.exp(res.x))


def calibration_report(logits: np.ndarray, y: np.ndarray) -> dict:
    t = fit_temperature(logits, y)
    before, after = softmax64(logits), softmax64(logits, t)
    return {"temperature": round(t, 4), "images": len(y),
            "accuracy": round(float((logits.argmax(1) == y).mean()), 4),
            "ece_before": round(ece(before, y), 4), "ece_after": round(ece(after, y), 4),
            "nll_before": round(nll(logits, y), 4), "nll_after": round(nll(logits, y, t), 4),
            "mean_confidence_before": round(float(before.max(1).mean()), 4),
            "mean_confidence_after": round(float(after.max(1).mean()), 4), "bins": BINS}


def write_metadata(name: str, directory: Path, calibration: dict) -> None:
    """Put the temperature into NAME.json's metadata, atomically; the .npz is untouched."""
    path = directory / f"{name}.json"
    config = json.loads(path.read_text())
    config["metadata"]["temperature"] = calibration["temperature"]
    config["metadata"]["calibration"] = calibration
    tmp = directory / f".{name}.json.tmp"
    tmp.write_text(json.dumps(config, indent=1))
    os.replace(tmp, path)


def offline_parser(prog: str, doc: str) -> argparse.ArgumentParser:
    """The arguments of every offline command on a shipped model (calibrate, top_patches)."""
    p = argparse.ArgumentParser(prog=prog, description=doc.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True, help="the training data the model was trained on")
    p.add_argument("--models-dir", default=str(MODELS_DIR))
    return p


def model_and_data(args: argparse.Namespace) -> tuple[Model, np.ndarray, np.ndarray,
                                                       np.ndarray, np.ndarray]:
    """(model, x uint8 (N, 32, 32, 3), y (N,), train indices, validation indices), split as
    the trainer split them. FileNotFoundError / ValueError for a model or data not there."""
    model = load_model(args.model, Path(args.models_dir))
    x, y, _ = load_dataset(args.data)
    train, val = held_out_split(model, len(x))
    return model, x, y, train, val


def main(argv: list[str] | None = None) -> int:
    args = offline_parser("python -m cnn_core.calibrate", __doc__).parse_args(
        sys.argv[1:] if argv is None else argv)
    directory = Path(args.models_dir)
    try:
        model, x, y, _, val = model_and_data(args)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    report = calibration_report(logits_of(model, x[val]), y[val])
    report["split"] = "the trainer's held-out validation split (split_validation, its seed)"
    report["command"] = "python -m cnn_core.calibrate " + shlex.join(argv or sys.argv[1:])
    report["fitted"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_metadata(model.name, directory, report)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
