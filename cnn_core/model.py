"""A model: a sequence of named layers, its forward pass, and its files.

Shapes: input x (N, 32, 32, 3) float32 pixels in [0, 1] (a single (32, 32, 3)
image is accepted); the model subtracts its per-channel mean and divides by its
std itself, so callers never normalize. Logits and probabilities are (N, K).

On disk, a model NAME is two files in one folder (cnn_core/models/ for the
shipped ones):
    NAME.json   architecture (layer configs), classes, normalization, metadata
                (provenance, metrics) and the per-epoch training history
    NAME.npz    weights "<layer>.<param>", buffers "<layer>.<buffer>", and the
                first-layer snapshots "history.<layer>" (E+1, F, kh, kw, C):
                epoch 0 is the initialization
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from cnn_core.layers import Conv2D, Layer, layer_from_config, softmax

MODELS_DIR = Path(__file__).parent / "models"

ARCHITECTURES: dict[str, list[dict]] = {
    # The lesson's network: 32×32×3 → 28×28×6 → 14×14×6 → 10×10×16 → 5×5×16 → 120 → 84 → 10
    "lenet": [
        {"name": "conv1", "kind": "conv", "filters": 6, "size": 5},
        {"name": "relu1", "kind": "relu"},
        {"name": "pool1", "kind": "pool", "op": "max", "size": 2},
        {"name": "conv2", "kind": "conv", "filters": 16, "size": 5},
        {"name": "relu2", "kind": "relu"},
        {"name": "pool2", "kind": "pool", "op": "max", "size": 2},
        {"name": "flatten", "kind": "flatten"},
        {"name": "fc1", "kind": "fc", "units": 120},
        {"name": "relu3", "kind": "relu"},
        {"name": "fc2", "kind": "fc", "units": 84},
        {"name": "relu4", "kind": "relu"},
        {"name": "fc3", "kind": "fc", "units": 10},
    ],
    # The convnet shipped until issue 12 (83.7 % validation): 5×5×3 conv1 with 32 filters,
    # then three 3×3 convs. Kept so its file can be rebuilt and compared.
    "convnet-v1": [
        {"name": "conv1", "kind": "conv", "filters": 32, "size": 5, "padding": 2},
        {"name": "bn1", "kind": "batchnorm"},
        {"name": "relu1", "kind": "relu"},
        {"name": "pool1", "kind": "pool", "op": "max", "size": 2},
        {"name": "conv2", "kind": "conv", "filters": 64, "size": 3, "padding": 1},
        {"name": "bn2", "kind": "batchnorm"},
        {"name": "relu2", "kind": "relu"},
        {"name": "pool2", "kind": "pool", "op": "max", "size": 2},
        {"name": "conv3", "kind": "conv", "filters": 128, "size": 3, "padding": 1},
        {"name": "bn3", "kind": "batchnorm"},
        {"name": "relu3", "kind": "relu"},
        {"name": "conv4", "kind": "conv", "filters": 128, "size": 3, "padding": 1},
        {"name": "bn4", "kind": "batchnorm"},
        {"name": "relu4", "kind": "relu"},
        {"name": "pool3", "kind": "pool", "op": "max", "size": 2},
        {"name": "flatten", "kind": "flatten"},
        {"name": "fc1", "kind": "fc", "units": 10},
    ],
    # The default for predictions (issue 12): the 5×5×3 conv1 the lesson draws, then three
    # stages of (conv 3×3 → pool → BN → ReLU → conv 3×3 → BN → ReLU), 64/128/256 channels,
    # a global average pool and one FC layer: 32² → 16² → 8² → 4² → 256 → 10.
    "convnet": [
        {"name": "conv1", "kind": "conv", "filters": 32, "size": 5, "padding": 2},
        {"name": "bn1", "kind": "batchnorm"},
        {"name": "relu1", "kind": "relu"},
        *[layer
          for i, c in enumerate((64, 128, 256), start=2)
          for layer in (
              {"name": f"conv{i}a", "kind": "conv", "filters": c, "size": 3, "padding": 1},
              {"name": f"pool{i}", "kind": "pool", "op": "max", "size": 2},
              {"name": f"bn{i}a", "kind": "batchnorm"},
              {"name": f"relu{i}a", "kind": "relu"},
              {"name": f"conv{i}b", "kind": "conv", "filters": c, "size": 3, "padding": 1},
              {"name": f"bn{i}b", "kind": "batchnorm"},
              {"name": f"relu{i}b", "kind": "relu"},
          )],
        {"name": "gap", "kind": "pool", "op": "avg", "size": 4},
        {"name": "flatten", "kind": "flatten"},
        {"name": "fc", "kind": "fc", "units": 10},
    ],
}


class Model:
    """Named layers in sequence, built for one input shape (no batch axis)."""

    def __init__(self, layer_configs: list[dict], *, name: str = "model", title: str = "",
                 dataset: str = "", classes: list[str] | None = None,
                 input_shape: tuple = (32, 32, 3), mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0),
                 metadata: dict | None = None, seed: int = 0):
        self.name, self.title, self.dataset = name, title or name, dataset
        self.input_shape = tuple(input_shape)
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        self.metadata = dict(metadata or {})
        self.history: dict | None = None
        self.snapshots: dict[str, np.ndarray] = {}
        rng = np.random.default_rng(seed)
        self.layers: list[Layer] = [layer_from_config(c) for c in layer_configs]
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.build(shape, rng)
        self.classes = list(classes or [str(i) for i in range(shape[-1])])
        assert shape == (len(self.classes),), f"last layer gives {shape}, not one score a class"
        first = self.layers[0]
        if isinstance(first, Conv2D):
            first.need_dx = False  # nothing before it wants the gradient of the pixels

    @property
    def total_params(self) -> int:
        return sum(layer.param_count for layer in self.layers)

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 3:
            x = x[None]
        assert x.shape[1:] == self.input_shape, f"{self.name} takes {self.input_shape}: {x.shape}"
        return (x - self.mean) / self.std

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Pixels (N, H, W, C) in [0, 1] → logits (N, K)."""
        out = self._prepare(x)
        for layer in self.layers:
            out = layer.forward(out, train)
        return out

    def backward(self, dlogits: np.ndarray) -> None:
        """Fill every layer's .grads from the gradient of the loss wrt the logits (N, K)."""
        d = dlogits
        for layer in reversed(self.layers):
            d = layer.backward(d)

    @property
    def temperature(self) -> float:
        """The logits' divisor for calibrated probabilities (cnn_core.calibrate), else 1."""
        return float(self.metadata.get("temperature", 1.0))

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, list[tuple[str, str, np.ndarray]]]:
        """Pixels → (probabilities (N, K), [(layer name, kind, activation (N, ...)), ...]).

        The probabilities are calibrated: softmax(logits / temperature); the last
        activation is the raw logits.
        """
        out = self._prepare(x)
        activations = []
        for layer in self.layers:
            out = layer.forward(out)
            activations.append((layer.name, layer.kind, out))
        return softmax(out / np.float32(self.temperature)), activations

    def explain(self, x: np.ndarray, cls: int | None, layer: str | None = None) -> dict:
        """Forward x (H, W, C), backward from a one-hot on class cls's score (None: the
        guess, from the same forward pass): saliency
        (H, W) and Grad-CAM on `layer` (the last conv's ReLU by default): cnn_core.explain."""
        from cnn_core.explain import explain  # it needs the layers, not the Model class

        return explain(self, x, cls, layer)

    def filters(self, layer: str = "conv1", epoch: int | None = None) -> np.ndarray:
        """Weights (F, kh, kw, C) of a conv layer: now, or as saved after `epoch` (0: init)."""
        if epoch is None:
            found = [lay for lay in self.layers if lay.name == layer and lay.kind == "conv"]
            if not found:
                raise KeyError(f"{self.name} has no conv layer {layer!r}")
            return found[0].params["w"]
        snaps = self.snapshots.get(layer)
        if snaps is None or not 0 <= epoch < len(snaps):
            raise KeyError(f"{self.name} has no snapshot of {layer!r} at epoch {epoch}; "
                           f"available: {self.epochs_available(layer)}")
        return snaps[epoch].astype(np.float32)

    def filter_bias(self, layer: str = "conv1", epoch: int | None = None) -> np.ndarray:
        """Biases (F,) paired with filters(layer, epoch): the same epoch's, never the final's.

        Epoch 0 is the initialization, whose biases are zero. Files trained before biases
        were recorded beside the snapshots ("history.<layer>.b") give zeros for every epoch.
        """
        if epoch is None:
            found = [lay for lay in self.layers if lay.name == layer and lay.kind == "conv"]
            if not found:
                raise KeyError(f"{self.name} has no conv layer {layer!r}")
            return found[0].params["b"]
        bank = self.filters(layer, epoch)
        recorded = self.snapshots.get(f"{layer}.b")
        if recorded is None or epoch >= len(recorded):
            return np.zeros(len(bank), np.float32)
        return recorded[epoch].astype(np.float32)

    def epochs_available(self, layer: str = "conv1") -> list[int]:
        return list(range(len(self.snapshots.get(layer, []))))

    def config(self) -> dict:
        return {"name": self.name, "title": self.title, "dataset": self.dataset,
                "classes": self.classes, "input_shape": list(self.input_shape),
                "mean": self.mean.tolist(), "std": self.std.tolist(),
                "layers": [layer.config() for layer in self.layers],
                "metadata": self.metadata, "history": self.history}

    def state(self) -> dict[str, np.ndarray]:
        """Every array to save, keyed "<layer>.<name>"."""
        arrays = {}
        for layer in self.layers:
            for key, value in {**layer.params, **layer.buffers}.items():
                arrays[f"{layer.name}.{key}"] = value
        return arrays

    def load_state(self, arrays) -> None:
        for layer in self.layers:
            for store in (layer.params, layer.buffers):
                for key, value in store.items():
                    saved = arrays[f"{layer.name}.{key}"]
                    assert saved.shape == value.shape, (layer.name, key, saved.shape, value.shape)
                    store[key] = saved.astype(np.float32)
        self.snapshots = {k.split(".", 1)[1]: arrays[k] for k in arrays if k.startswith("history.")}

    def save(self, directory: str | os.PathLike, dtype=None) -> Path:
        """Write NAME.json and NAME.npz into directory, each atomically; return the .npz path.

        Each file is written to a temporary file in the same directory, then renamed over
        the old one (os.replace), so a failure part-way leaves the old file whole. dtype
        (e.g. np.float16) stores the weights smaller; load_state reads them as float32.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays = self.state()
        if dtype is not None:
            arrays = {k: v.astype(dtype) for k, v in arrays.items()}
        arrays.update({f"history.{k}": v for k, v in self.snapshots.items()})
        npz = directory / f"{self.name}.npz"
        _write_atomically(npz, lambda f: np.savez_compressed(f, **arrays))
        text = json.dumps(self.config(), indent=1).encode()
        _write_atomically(directory / f"{self.name}.json", lambda f: f.write(text))
        return npz


def _write_atomically(path: Path, write) -> None:
    """Call write(binary file) on a temporary file beside path, then rename it over path."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def fold_batchnorm(model: Model) -> Model:
    """The same function with each batchnorm folded into the conv or fc before it.

    At inference batchnorm is an affine map per channel, y = s·z + t with s = γ/σ and
    t = β − μ·s (running μ, σ), so it merges into the previous layer's weights and bias:
    w' = w·s, b' = b·s + t. The lesson's CONV → RELU → POOL is then literally what runs,
    and one elementwise pass per block is saved. A pool between the conv and the
    batchnorm (conv → pool → BN) is no obstacle when it commutes with the affine map:
    an average pool always does; a max pool does for a channel whose s ≥ 0
    (max(s·z) = s·max(z)), not for s < 0 (it would pick the minimum). A batchnorm after
    a max pool with some s < 0 is kept as a layer, so the result stays exact.
    """
    configs, arrays = [], {}
    for layer in model.layers:
        if layer.kind != "batchnorm":
            configs.append(layer.config())
            arrays.update({f"{layer.name}.{k}": v for k, v in layer.params.items()})
            arrays.update({f"{layer.name}.{k}": v for k, v in layer.buffers.items()})
            continue
        j = len(configs) - 1
        while j >= 0 and configs[j]["kind"] == "pool":
            j -= 1
        if j < 0 or configs[j]["kind"] not in ("conv", "fc"):
            raise ValueError(f"{layer.name} does not follow a conv or fc layer; cannot fold it")
        scale = layer.params["gamma"] / np.sqrt(layer.buffers["running_var"] + 1e-5)
        through_max = any(c.get("op") == "max" for c in configs[j + 1:])
        if through_max and (scale < 0).any():
            configs.append(layer.config())  # max-pool does not commute with a flip of sign
            arrays.update({f"{layer.name}.{k}": v
                           for k, v in {**layer.params, **layer.buffers}.items()})
            continue
        prev = configs[j]["name"]
        w, b = arrays[f"{prev}.w"], arrays[f"{prev}.b"]
        # conv w is (F, kh, kw, C): scale along F; fc w is (D, M): scale along M
        arrays[f"{prev}.w"] = (w * (scale[:, None, None, None] if w.ndim == 4 else scale))
        arrays[f"{prev}.b"] = (b - layer.buffers["running_mean"]) * scale + layer.params["beta"]
    folded = Model(configs, name=model.name, title=model.title, dataset=model.dataset,
                   classes=model.classes, input_shape=model.input_shape, mean=model.mean,
                   std=model.std, metadata=model.metadata)
    folded.load_state(arrays)
    folded.history, folded.snapshots = model.history, dict(model.snapshots)
    return folded


def build_model(architecture: str, **kwargs) -> Model:
    """A fresh, randomly initialized model of a named architecture (see ARCHITECTURES)."""
    return Model(ARCHITECTURES[architecture], name=kwargs.pop("name", architecture), **kwargs)


def list_models(directory: str | os.PathLike | None = None) -> list[str]:
    """Names of the models saved in directory (the shipped ones by default)."""
    directory = Path(directory or MODELS_DIR)
    return sorted(p.stem for p in directory.glob("*.json")
                  if (directory / f"{p.stem}.npz").exists())


def load_model(name: str, directory: str | os.PathLike | None = None) -> Model:
    """Load a saved model; FileNotFoundError if there is none of that name."""
    directory = Path(directory or MODELS_DIR)
    if name not in list_models(directory):
        raise FileNotFoundError(f"no model named {name!r} in {directory}")
    config = json.loads((directory / f"{name}.json").read_text())
    model = Model(config["layers"], name=config["name"], title=config.get("title", ""),
                  dataset=config.get("dataset", ""), classes=config["classes"],
                  input_shape=tuple(config["input_shape"]), mean=config["mean"],
                  std=config["std"], metadata=config.get("metadata"))
    model.history = config.get("history")
    with np.load(directory / f"{name}.npz") as arrays:
        model.load_state(arrays)
    return model
