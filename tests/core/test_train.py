"""The trainer: its SGD step and schedule, a short real run, reproducibility, resume, errors."""

import json
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

import cnn_core.train as train
from cnn_core.evaluate import evaluate, evaluate_tta, wilson_interval
from cnn_core.model import build_model, load_model
from cnn_core.optim import EMA, SGD, decay_efolds, learning_rate
from cnn_core.train import main


@pytest.fixture(scope="module")
def two_colours(tmp_path_factory):
    """An easy, learnable folder: 24 reddish and 24 bluish noisy 32×32 pictures."""
    root = tmp_path_factory.mktemp("two_colours")
    rng = np.random.default_rng(0)
    for label, name in enumerate(["blue", "red"]):
        (root / name).mkdir()
        for i in range(24):
            pixels = rng.integers(0, 140, (32, 32, 3))
            pixels[..., 2 if label == 0 else 0] += 110  # the class is the dominant colour
            Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i}.png")
    return root


def train_cli(data, out, *extra, epochs=3):
    """Run the command line into folder out; return the saved model."""
    argv = ["--data", str(data), "--epochs", str(epochs), "--batch-size", "8", "--lr", "0.02"]
    argv += ["--val-fraction", "0.25", "--checkpoint-dir", str(out / "runs"), "--out", str(out)]
    assert main([*argv, *extra]) == 0
    return load_model("lenet", out)


def weights(model):
    return {k: v for k, v in model.state().items()}


def metrics(history):
    """The history without its timings, which differ from run to run."""
    drop = ("seconds", "images_per_second", "eval_seconds")
    return [{k: v for k, v in e.items() if k not in drop} for e in history["epochs"]]


def test_sgd_step_is_nesterov_with_weight_decay_on_weights_only():
    w, b = np.array([1.0]), np.array([0.2])
    layer = SimpleNamespace(name="fc", params={"w": w, "b": b}, grads={})
    opt = SGD(SimpleNamespace(layers=[layer]), momentum=0.9, weight_decay=0.01)
    layer.grads = {"w": np.array([0.5]), "b": np.array([0.5])}
    opt.step(0.1)
    # by hand: g = 0.5 + 0.01·1 = 0.51, v = −0.1·0.51 = −0.051, w = 1 + 0.9·v − 0.051
    np.testing.assert_allclose(w, [0.9031], rtol=1e-12)
    np.testing.assert_allclose(b, [0.105], rtol=1e-12)  # v = −0.05; 0.2 − 0.045 − 0.05
    opt.step(0.1)
    # g = 0.5 + 0.01·0.9031 = 0.509031, v = 0.9·(−0.051) − 0.0509031 = −0.0968031,
    # w = 0.9031 + 0.9·v − 0.0509031
    np.testing.assert_allclose(w, [0.76507411], rtol=1e-12)
    np.testing.assert_allclose(b, [-0.0305], rtol=1e-12)  # v = −0.095; 0.105 − 0.0855 − 0.05
    np.testing.assert_allclose(opt.velocity["fc.w"], [-0.0968031], rtol=1e-12)


def test_the_first_layer_may_decay_faster():
    first = SimpleNamespace(name="conv1", params={"w": np.array([1.0])}, grads={})
    other = SimpleNamespace(name="fc", params={"w": np.array([1.0])}, grads={})
    opt = SGD(SimpleNamespace(layers=[first, other]), momentum=0.0, weight_decay=0.01,
              first_decay=0.1)
    first.grads = other.grads = {"w": np.array([0.0])}
    opt.step(0.5)
    # no gradient, no momentum: w ← w − lr·decay·w
    np.testing.assert_allclose(first.params["w"], [1 - 0.5 * 0.1], rtol=1e-12)
    np.testing.assert_allclose(other.params["w"], [1 - 0.5 * 0.01], rtol=1e-12)


def test_learning_rate_warms_up_linearly_then_follows_a_cosine():
    lr = [learning_rate(s, total=110, peak=0.1, warmup=10) for s in (0, 4, 9, 10, 35, 60, 110)]
    expected = [0.01, 0.05, 0.1, 0.1, 0.05 * (1 + np.sqrt(0.5)), 0.05, 0.0]
    np.testing.assert_allclose(lr, expected, atol=1e-15)


def test_a_short_run_learns_and_records_its_history(two_colours, tmp_path):
    model = train_cli(two_colours, tmp_path)
    assert model.classes == ["blue", "red"]
    assert model.layers[-1].output_shape == (2,)  # one score a class of the data
    history = model.history["epochs"]
    assert [e["epoch"] for e in history] == [1, 2, 3]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    # the 12 held-out pictures: better than the untrained network's ln 2 loss, all right
    assert history[-1]["val_loss"] < np.log(2)
    assert history[-1]["val_acc"] == 1.0
    # first-layer snapshots: initialization, then one per epoch, ending at the final weights
    assert model.epochs_available() == [0, 1, 2, 3]
    np.testing.assert_allclose(model.filters(epoch=3), model.filters(), atol=1e-3)
    assert not np.allclose(model.filters(epoch=0), model.filters(), atol=1e-3)
    meta = model.metadata
    assert meta["command"].startswith("python -m cnn_core.train --data ")
    assert meta["seed"] == 0 and meta["epochs"] == 3
    assert meta["train_images"] == 36 and meta["validation_images"] == 12
    assert meta["accuracy"]["validation"] == 1.0
    assert meta["seconds"] == pytest.approx(sum(e["seconds"] for e in history), abs=0.2)
    # the mean and std the model normalizes with are the training pixels' own, per channel
    assert model.mean[2] > model.mean[1] + 0.1 and model.mean[0] > model.mean[1] + 0.1


def test_the_same_seed_gives_identical_weights_and_history(two_colours, tmp_path):
    a = train_cli(two_colours, tmp_path / "a", epochs=2)
    b = train_cli(two_colours, tmp_path / "b", epochs=2)
    c = train_cli(two_colours, tmp_path / "c", "--seed", "1", epochs=2)
    for key, value in weights(a).items():
        np.testing.assert_array_equal(weights(b)[key], value, err_msg=key)
    np.testing.assert_array_equal(a.snapshots["conv1"], b.snapshots["conv1"])
    assert metrics(a.history) == metrics(b.history)
    assert not np.array_equal(weights(c)["conv1.w"], weights(a)["conv1.w"])


@pytest.mark.parametrize("arch, recipe", [
    ("lenet", []),
    ("convnet", ["--ema", "0.9", "--label-smoothing", "0.1", "--first-decay", "5e-3"]),
])
def test_resume_after_an_interruption_matches_an_uninterrupted_run(
    two_colours, tmp_path, monkeypatch, arch, recipe
):
    args = ["--arch", arch, "--limit", "24", "--val-fraction", "0.25", "--batch-size", "6"]
    args += ["--epochs", "4", "--data", str(two_colours), *recipe]

    def run_in(folder, *extra):
        return main([*args, "--checkpoint-dir", str(folder), "--out", str(folder), *extra])

    assert run_in(tmp_path / "whole") == 0
    whole = load_model(arch, tmp_path / "whole")

    real_epoch, epochs_run = train.train_epoch, []

    def interrupted_after_two(*a, **kw):
        if len(epochs_run) == 2:
            raise KeyboardInterrupt  # as if the machine stopped during epoch 3
        epochs_run.append(kw["desc"])
        return real_epoch(*a, **kw)

    monkeypatch.setattr(train, "train_epoch", interrupted_after_two)
    with pytest.raises(KeyboardInterrupt):
        run_in(tmp_path / "cut")
    saved = json.loads((tmp_path / "cut" / arch / f"{arch}.state.json").read_text())
    assert saved["epoch"] == 2
    monkeypatch.setattr(train, "train_epoch", real_epoch)
    assert run_in(tmp_path / "cut", "--resume") == 0
    resumed = load_model(arch, tmp_path / "cut")

    if arch == "convnet":  # saved with batchnorm folded: conv1 → ReLU, as the lesson draws it
        assert [lay.kind for lay in whole.layers[:3]] == ["conv", "relu", "conv"]
        assert whole.metadata["postprocess"] == "batchnorm folded into the conv before it"
        assert whole.metadata["weights"] == "exponential moving average (decay 0.9)"
        np.testing.assert_array_equal(resumed.snapshots["conv1.b"], whole.snapshots["conv1.b"])
    for key, value in weights(whole).items():
        np.testing.assert_array_equal(weights(resumed)[key], value, err_msg=key)
    assert metrics(resumed.history) == metrics(whole.history)
    assert [e["epoch"] for e in resumed.history["epochs"]] == [1, 2, 3, 4]
    assert resumed.epochs_available() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(resumed.snapshots["conv1"], whole.snapshots["conv1"])


def test_resume_without_a_checkpoint_starts_afresh(two_colours, tmp_path, capsys):
    model = train_cli(two_colours, tmp_path, "--resume", "--limit", "16", epochs=1)
    assert [e["epoch"] for e in model.history["epochs"]] == [1]
    assert "resuming" not in capsys.readouterr().err


def test_evaluate_gives_mean_loss_and_accuracy():
    model = build_model("lenet", seed=0)
    x = np.random.default_rng(0).integers(0, 256, (7, 32, 32, 3), dtype=np.uint8)
    logits = model.forward(x.astype(np.float32) / 255)
    y = np.array([0, 1, 2, 3, 4, 5, 6])
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    loss, acc = evaluate(model, x, y, batch=3)  # batches of 3, 3 and 1
    assert loss == pytest.approx(-np.log(p[np.arange(7), y]).mean(), rel=1e-5)
    assert acc == pytest.approx(np.mean(logits.argmax(1) == y))


def test_flip_tta_averages_the_logits_of_the_picture_and_its_mirror():
    model = build_model("lenet", seed=2)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (9, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, 9)
    plain = model.forward(x.astype(np.float32) / 255)
    mirror = model.forward(x[:, :, ::-1].astype(np.float32) / 255)
    loss, acc, acc_tta = evaluate_tta(model, x, y)
    assert (loss, acc) == pytest.approx(evaluate(model, x, y), rel=1e-6)
    assert acc_tta == pytest.approx(np.mean((plain + mirror).argmax(1) == y))
    # a picture symmetric left-right gains nothing from its mirror
    sym = np.concatenate([x[:, :, :16], x[:, :, :16][:, :, ::-1]], axis=2)
    _, acc, acc_tta = evaluate_tta(model, sym, y)
    assert acc_tta == acc


def test_ema_by_hand_and_applied_only_within_its_block():
    w = np.array([1.0], np.float32)
    layer = SimpleNamespace(name="fc", params={"w": w}, buffers={})
    model = SimpleNamespace(layers=[layer], state=lambda: {"fc.w": layer.params["w"]})
    ema = EMA(model, decay=0.9)
    w[:] = 2.0
    ema.update(model)  # d = min(0.9, 2/11): 1·2/11 + 2·9/11 = 20/11
    np.testing.assert_allclose(ema.shadow["fc.w"], [20 / 11], rtol=1e-6)
    for _ in range(98):
        ema.update(model)  # from update 8 on, d = 0.9: the gap to 2 shrinks by 0.9 each step
    w[:] = 12.0
    ema.update(model)  # d = 0.9
    np.testing.assert_allclose(ema.shadow["fc.w"], [0.9 * 2 + 0.1 * 12], rtol=1e-5)
    with ema.applied(model):
        np.testing.assert_allclose(layer.params["w"], [3.0], rtol=1e-5)
    assert layer.params["w"] is w and w[0] == 12.0  # its own weights back, the very array


def test_decay_efolds_sums_the_schedule():
    # constant-free check: no warm-up, cosine from 0.1 over 1000 steps sums to ~0.1·500;
    # with decay 2e-3 and momentum 0.9: 0.1·500·2e-3/0.1 = 1.0 e-fold
    assert decay_efolds(1000, 0, 0.1, 2e-3, 0.9) == pytest.approx(1.0, rel=2e-3)
    # the shipped convnet: 24 epochs of 351 steps, 1 warm-up epoch, lr 0.05, conv1 decay
    # 5e-3 → 10.5, the figure the issue quotes
    assert decay_efolds(351 * 24, 351, 0.05, 5e-3, 0.9) == pytest.approx(10.53, abs=0.01)
    # and it is what plain SGD does to a weight with no gradient: w·Π(1 − lr·decay)
    total, warmup, peak, decay = 400, 40, 0.5, 0.01
    w = np.prod([1 - learning_rate(s, total, peak, warmup) * decay for s in range(total)])
    assert -np.log(w) == pytest.approx(decay_efolds(total, warmup, peak, decay, 0.0), rel=0.02)


def test_wilson_interval_against_published_values():
    # Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 → 0.2553–0.3662
    lo, hi = wilson_interval(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
    # 15/148 → 0.0624–0.1605 (same table)
    lo, hi = wilson_interval(15, 148)
    assert (round(lo, 4), round(hi, 4)) == (0.0624, 0.1605)
    lo, hi = wilson_interval(5000, 5000)
    assert hi == pytest.approx(1.0) and 0.999 < lo < 1.0  # never above 1, unlike p ± 1.96·se


def test_missing_data_folder_is_a_one_line_error(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no image folder at ") and "nowhere" in err
    assert not (tmp_path / "lenet.npz").exists()


def test_empty_class_folder_is_a_one_line_error(two_colours, tmp_path, capsys):
    (tmp_path / "cats").mkdir()
    Image.new("RGB", (32, 32)).save(tmp_path / "cats" / "a.png")
    (tmp_path / "dogs").mkdir()
    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"error: class folder {tmp_path / 'dogs'} has no images\n"


def test_the_command_exits_2_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cnn_core.train", "--data", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: no image folder at ")
    assert "Traceback" not in result.stderr
