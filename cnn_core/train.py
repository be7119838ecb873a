"""Train a model with our own engine: `python -m cnn_core.train --arch lenet --data PATH`.

Mini-batch SGD with Nesterov momentum and weight decay, a warm-up then cosine
learning-rate schedule, random crop + flip augmentation, optional label smoothing
and an exponential moving average (EMA) of the weights (then the EMA is what is
evaluated, snapshotted and saved), a held-out validation split (accuracy with a
95 % Wilson interval, and with flip test-time augmentation), a checkpoint after
every epoch (resume with --resume), and a history of per-epoch metrics plus
first-layer filter snapshots with their biases (epoch 0 = initialization).
Everything random flows from --seed, so a run is reproducible.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

if __name__ == "__main__":  # the command line: one BLAS thread unless told otherwise
    # (OPENBLAS_NUM_THREADS=2 to override). Under load a second OpenBLAS thread collapses:
    # a lenet epoch took 67–106 s with 2 threads and 1.1–1.2 s with 1 (issue 12).
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from tqdm import tqdm

from cnn_core.data import augment, channel_stats, load_dataset, split_validation, to_float
from cnn_core.evaluate import evaluate, evaluate_tta, wilson_interval
from cnn_core.layers import softmax_cross_entropy
from cnn_core.model import ARCHITECTURES, MODELS_DIR, Model, fold_batchnorm, load_model
from cnn_core.optim import EMA, SGD, decay_efolds, learning_rate


def first_layer_bank(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(w (F, kh, kw, C), b (F,)) of conv1 as it acts on the normalized picture: with a
    batchnorm right after it folded in, so the last snapshot is the shipped filter."""
    folded = fold_batchnorm(model)
    return folded.filters("conv1").copy(), folded.filter_bias("conv1").copy()


def train_epoch(model, opt, x, y, rng, *, batch, step0, total, lr, warmup, aug, desc,
                smoothing=0.0, ema=None):
    """One pass over shuffled (x, y); returns (mean loss, accuracy, images per second)."""
    order = rng.permutation(len(x))
    n_batches = len(x) // batch  # drop the ragged last batch: batchnorm wants full ones
    loss_sum, correct, seen, start = 0.0, 0, 0, time.perf_counter()
    bar = tqdm(range(n_batches), desc=desc, unit="batch", leave=True, file=sys.stderr)
    for i in bar:
        idx = order[i * batch : (i + 1) * batch]
        xb = augment(x[idx], rng) if aug else x[idx]
        logits = model.forward(to_float(xb), train=True)
        loss, dlogits = softmax_cross_entropy(logits, y[idx], smoothing)
        model.backward(dlogits)
        opt.step(learning_rate(step0 + i, total, lr, warmup))
        if ema is not None:
            ema.update(model)
        loss_sum += loss * batch
        correct += int((logits.argmax(1) == y[idx]).sum())
        seen += batch
        if i % 10 == 0 or i == n_batches - 1:
            rate = seen / (time.perf_counter() - start)
            bar.set_postfix(
                loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}", img_s=f"{rate:.0f}"
            )
    return loss_sum / seen, correct / seen, seen / (time.perf_counter() - start)


def _save_checkpoint(ckpt: Path, model: Model, opt: SGD, rng, epoch: int, args,
                     ema: EMA | None = None) -> None:
    model.save(ckpt)
    extra = {"optim": opt.velocity, **({"ema": ema.shadow} if ema else {})}
    for kind, arrays in extra.items():
        tmp = ckpt / f".{model.name}.{kind}.npz.tmp"
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        tmp.replace(ckpt / f"{model.name}.{kind}.npz")
    state = {"epoch": epoch, "rng": rng.bit_generator.state, "args": vars(args),
             "ema_updates": ema.updates if ema else 0}
    (ckpt / f".{model.name}.state.json").write_text(json.dumps(state))
    (ckpt / f".{model.name}.state.json").replace(ckpt / f"{model.name}.state.json")


def run(args: argparse.Namespace, data: tuple | None = None) -> Model:
    """Train as the command line says; data (x, y, classes) is read from args.data if None."""
    x, y, classes = data if data is not None else load_dataset(args.data)
    if args.limit:
        keep = np.arange(0, len(x), max(1, len(x) // args.limit))[: args.limit]  # every k-th
        x, y = x[keep], y[keep]
    split_rng = np.random.default_rng([args.seed, 1])
    train_idx, val_idx = split_validation(len(x), args.val_fraction, split_rng)
    xt, yt, xv, yv = x[train_idx], y[train_idx], x[val_idx], y[val_idx]
    mean, std = channel_stats(xt)
    name = args.name or args.arch
    ckpt = Path(args.checkpoint_dir) / name
    state_file = ckpt / f"{name}.state.json"
    rng = np.random.default_rng([args.seed, 2])
    ema = None
    if args.resume and state_file.exists():
        state = json.loads(state_file.read_text())
        model = load_model(name, ckpt)
        opt = SGD(model, args.momentum, args.weight_decay, args.first_decay)
        with np.load(ckpt / f"{name}.optim.npz") as v:
            opt.velocity = {k: v[k] for k in v.files}
        if args.ema:
            ema = EMA(model, args.ema)
            with np.load(ckpt / f"{name}.ema.npz") as v:
                ema.shadow = {k: v[k] for k in v.files}
            ema.updates = state["ema_updates"]
        rng.bit_generator.state = state["rng"]
        start_epoch = state["epoch"]
        print(f"resuming {name} after epoch {start_epoch}", file=sys.stderr)
    else:
        layers = [dict(c) for c in ARCHITECTURES[args.arch]]
        layers[-1]["units"] = len(classes)  # one score a class of this data set
        model = Model(
            layers, name=name, title=args.title or name, dataset=args.dataset,
            classes=classes, mean=mean, std=std, seed=args.seed,
        )  # fmt: skip
        if args.first_init_scale != 1:
            model.layers[0].params["w"] *= np.float32(args.first_init_scale)
        opt = SGD(model, args.momentum, args.weight_decay, args.first_decay)
        ema = EMA(model, args.ema) if args.ema else None
        model.history = {"epochs": []}
        w, b = first_layer_bank(model)
        model.snapshots = {"conv1": w[None].astype(np.float16), "conv1.b": b[None]}
        start_epoch = 0
    steps_per_epoch = len(xt) // args.batch_size
    total, warmup = steps_per_epoch * args.epochs, int(steps_per_epoch * args.warmup_epochs)
    first_decay = args.weight_decay if args.first_decay is None else args.first_decay
    efolds = decay_efolds(total, warmup, args.lr, first_decay, args.momentum)
    print(f"{name}: {model.total_params:,} parameters; {len(xt):,} train / {len(xv):,} "
          f"validation pictures; {total:,} steps; conv1 weight decay integrates to "
          f"{efolds:.1f} e-folds (Σ lr·decay/(1−momentum); about 10 keeps it clean)",
          file=sys.stderr)
    for epoch in range(start_epoch + 1, args.epochs + 1):
        t0 = time.perf_counter()
        train_loss, train_acc, rate = train_epoch(
            model,
            opt,
            xt,
            yt,
            rng,
            batch=args.batch_size,
            step0=steps_per_epoch * (epoch - 1),
            total=total,
            lr=args.lr,
            warmup=warmup,
            aug=not args.no_augment,
            desc=f"{name} epoch {epoch}/{args.epochs}",
            smoothing=args.label_smoothing,
            ema=ema,
        )
        t_eval = time.perf_counter()
        record = {
            "epoch": epoch,
            "train_loss": round(train_loss, 4),
            "train_acc": round(train_acc, 4),
        }
        if ema is not None:
            record["raw_val_acc"] = round(evaluate(model, xv, yv)[1], 4)
        with ema.applied(model) if ema is not None else _as_is(model):
            val_loss, val_acc, val_acc_tta = evaluate_tta(model, xv, yv)
            w, b = first_layer_bank(model)
        record.update({
            "val_loss": round(val_loss, 4),
            "val_acc": round(val_acc, 4),
            "val_acc_tta": round(val_acc_tta, 4),
            "images_per_second": round(rate),
            "seconds": round(time.perf_counter() - t0, 1),
            "eval_seconds": round(time.perf_counter() - t_eval, 1),
        })  # fmt: skip
        model.history["epochs"].append(record)
        model.snapshots["conv1"] = np.concatenate(
            [model.snapshots["conv1"], w[None].astype(np.float16)])
        if "conv1.b" in model.snapshots:
            model.snapshots["conv1.b"] = np.concatenate([model.snapshots["conv1.b"], b[None]])
        print(json.dumps(record), file=sys.stderr)
        _save_checkpoint(ckpt, model, opt, rng, epoch, args, ema)
    last = model.history["epochs"][-1] if model.history["epochs"] else {}
    n_val = len(xv)
    ci = wilson_interval(round(last.get("val_acc", 0) * n_val), n_val) if last else None
    model.metadata = {
        "command": "python -m cnn_core.train " + shlex.join(args.argv),
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "train_images": len(xt),
        "validation_images": n_val,
        "seconds": round(sum(e["seconds"] for e in model.history["epochs"]), 1),
        "accuracy": {
            "validation": last.get("val_acc"),
            "validation_ci95": [round(v, 4) for v in ci] if ci else None,
            "validation_flip_tta": last.get("val_acc_tta"),
            "train": last.get("train_acc"),
        },
        "recipe": {"label_smoothing": args.label_smoothing, "ema": args.ema,
                   "lr": args.lr, "weight_decay": args.weight_decay,
                   "first_decay": first_decay, "first_decay_efolds": round(efolds, 2)},
        "data": str(args.data),
        "trained": datetime.now(UTC).isoformat(timespec="seconds"),
        "provenance": "trained from scratch by Convscope's NumPy engine (cnn_core.train)",
    }
    if ci:
        print(f"validation accuracy {last['val_acc']:.2%} (95 % Wilson interval "
              f"{ci[0]:.2%}–{ci[1]:.2%}, n = {n_val}); with flip TTA "
              f"{last['val_acc_tta']:.2%}", file=sys.stderr)
    if args.out:
        with ema.applied(model) if ema is not None else _as_is(model):
            # The shipped file runs as the lesson draws it, CONV → RELU → POOL: batchnorm
            # folded into the conv before it (the checkpoints keep it, for resuming).
            final = model
            if any(layer.kind == "batchnorm" for layer in model.layers):
                final = fold_batchnorm(model)
                final.metadata["postprocess"] = "batchnorm folded into the conv before it"
            if ema is not None:
                final.metadata["weights"] = f"exponential moving average (decay {args.ema})"
            dtype = np.float16 if args.float16 else None
            if dtype is not None:
                final.metadata["stored_as"] = "float16 (loaded as float32)"
            path = final.save(args.out, dtype=dtype)
        print(f"saved {path}", file=sys.stderr)
    return model


@contextmanager
def _as_is(model: Model):
    yield model


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m cnn_core.train", description=__doc__.split("\n")[0])
    p.add_argument("--arch", choices=sorted(ARCHITECTURES), default="lenet")
    p.add_argument(
        "--data", required=True, help="image folder (class sub-folders) or CIFAR-10 batches"
    )
    p.add_argument("--name", help="model name (default: the architecture)")
    p.add_argument("--title", default="")
    p.add_argument("--dataset", default="CIFAR-10")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--warmup-epochs", type=float, default=1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--first-decay", type=float, default=None,
                   help="weight decay of the first layer (default: --weight-decay)")
    p.add_argument("--first-init-scale", type=float, default=1.0,
                   help="scale the first layer's He initialization (before batchnorm only)")
    p.add_argument("--label-smoothing", type=float, default=0.0,
                   help="target (1 − ε)·onehot + ε/K instead of onehot (e.g. 0.1)")
    p.add_argument("--ema", type=float, default=0.0,
                   help="decay of an EMA of the weights (e.g. 0.999; 0: off); the EMA is "
                        "evaluated, snapshotted and saved")
    p.add_argument("--float16", action="store_true",
                   help="store the final model's weights as float16 (half the bytes)")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--limit", type=int, default=0, help="use only this many images (quick runs)")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-dir", default="runs", help="where per-epoch checkpoints go")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--out", default=str(MODELS_DIR), help="where the final model is saved")
    args = p.parse_args(argv)
    args.argv = argv
    return args


def main(argv: list[str] | None = None) -> int:
    """The command line; exit status 2 with a one-line "error: ..." for unusable data."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        data = load_dataset(args.data)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    run(args, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
