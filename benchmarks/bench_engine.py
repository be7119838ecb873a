"""Engine speed beside torch (the in-run reference) and the machine's own float32 GEMM.

    python -m benchmarks.bench_engine [--repeat 20] [--threads 1] [--quick] [--only TEXT ...]

Every case runs the engine and, when torch is installed (requirements-bench.txt), the same
work in torch in both its layouts, NCHW and channels-last, in the same process with the same
thread count (numpy's BLAS through OPENBLAS_NUM_THREADS, torch through set_num_threads).
The calls are interleaved and the best of `repeat` kept, so load on a shared machine hits
every side alike; read the ratios (engine ÷ torch), not the milliseconds. Without torch the
engine's figures and the GEMM reference are printed alone.

One BLAS thread by default, as the trainer and the server use (on a loaded 2-core machine a
second OpenBLAS thread busy-waits); `--threads 2` or OPENBLAS_NUM_THREADS=2 to change it.
"""

from __future__ import annotations

import argparse
import os
import sys


def set_threads(argv: list[str]) -> int:
    """BLAS threads from --threads, else OPENBLAS_NUM_THREADS, else 1; set in the environment
    before numpy is imported (BLAS reads it once, at load)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--threads", type=int)
    n = pre.parse_known_args(argv)[0].threads or int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    return n


THREADS = set_threads(sys.argv[1:]) if __name__ == "__main__" else 1

import time  # noqa: E402

import numpy as np  # noqa: E402

from cnn_core.conv import conv2d, conv2d_backward, conv2d_forward  # noqa: E402
from cnn_core.layers import (  # noqa: E402
    batchnorm_backward,
    batchnorm_forward,
    softmax_cross_entropy,
)
from cnn_core.model import Model, build_model  # noqa: E402
from cnn_core.pool import max_pool_backward, max_pool_forward  # noqa: E402

try:
    import torch
    import torch.nn.functional as tf
except ImportError:  # the benchmark runs without it: engine figures only
    torch = None


CLOCK = time.perf_counter  # --clock cpu: time.process_time
ONLY: list[str] = []  # --only: run the cases whose name contains one of these


def wanted(name: str) -> bool:
    """Whether --only selects this case ('x' matches '×', case ignored)."""
    plain = name.replace("×", "x").lower()
    return not ONLY or any(o.replace("×", "x").lower() in plain for o in ONLY)


def compare(fns: dict, repeat: int) -> dict[str, float]:
    """Best seconds of each callable, calls interleaved round-robin after two warm-ups."""
    for fn in fns.values():
        fn()
        fn()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            start = CLOCK()
            fn()
            best[name] = min(best[name], CLOCK() - start)
    return best


def gemm_gflops(repeat: int, n: int = 1024) -> float:
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.T.copy()
    return 2 * n**3 / compare({"gemm": lambda: a @ b}, max(3, repeat // 4))["gemm"] / 1e9


# --- torch twins of the engine's operations -----------------------------------------------

def _nchw(x: np.ndarray, channels_last: bool):
    """NHWC numpy → an NCHW-shaped torch tensor, in channels-last memory or contiguous NCHW."""
    t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2)
    return t if channels_last else t.contiguous()


def torch_model(model: Model, channels_last: bool):
    """The same network in torch, with the engine's weights (fc rows permuted: the engine
    flattens H, W, C, torch C, H, W)."""
    nn = torch.nn
    mods, shape = [], model.input_shape
    for layer in model.layers:
        c, p = layer.config(), layer.params
        if layer.kind == "conv":
            m = nn.Conv2d(shape[-1], c["filters"], c["size"], c["stride"], c["padding"],
                          c["dilation"])
            m.weight.data = torch.from_numpy(p["w"].transpose(0, 3, 1, 2).copy())
            m.bias.data = torch.from_numpy(p["b"].copy())
        elif layer.kind == "batchnorm":
            m = (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(shape[-1])
        elif layer.kind == "relu":
            m = nn.ReLU()
        elif layer.kind == "pool":
            m = (nn.MaxPool2d if c["op"] == "max" else nn.AvgPool2d)(c["size"], c["stride"])
        elif layer.kind == "flatten":
            m, flat_from = nn.Flatten(), shape
        elif layer.kind == "fc":
            m = nn.Linear(shape[0], c["units"])
            w = p["w"]
            if mods and isinstance(mods[-1], nn.Flatten):
                H, W, C = flat_from
                w = w.reshape(H, W, C, -1).transpose(2, 0, 1, 3).reshape(H * W * C, -1)
            m.weight.data = torch.from_numpy(np.ascontiguousarray(w.T))
            m.bias.data = torch.from_numpy(p["b"].copy())
        else:
            raise ValueError(f"no torch twin for {layer.kind}")
        mods.append(m)
        shape = layer.output_shape
    net = nn.Sequential(*mods)
    return net.to(memory_format=torch.channels_last) if channels_last else net


LAYOUTS = (("CL", True), ("NCHW", False))
POOL_BACKWARD = torch.ops.aten.max_pool2d_with_indices_backward if torch is not None else None


# --- cases ---------------------------------------------------------------------------------

def row(name: str, fns: dict, repeat: int, gflop: float | None = None, peak: float = 0):
    """Time fns (engine, then torch's layouts) and print one line, if --only selects it."""
    if not wanted(name):
        return
    times = compare(fns, repeat)
    ms = times["engine"] * 1e3
    cols = [f"{name:44}", f"{ms:8.2f}"]
    for key, _ in LAYOUTS:
        if key in times:
            cols += [f"{times[key] * 1e3:8.2f}", f"{times['engine'] / times[key]:6.2f}×"]
    if gflop and peak:
        cols.append(f"{gflop / times['engine'] / peak:7.0%}")
    print(" ".join(cols), flush=True)


def header(peak: float) -> None:
    cols = [f"{'case':44}", f"{'engine ms':>8}"]
    if torch is not None:
        for key, _ in LAYOUTS:
            cols += [f"{key + ' ms':>8}", f"{'÷' + key:>7}"]
    cols.append(f"{'÷GEMM':>7}")
    print(" ".join(cols))


def conv_cases(spec, repeat, peak):
    """Forward (inference), and backward (dx and dw together, then dw alone)."""
    shape, F, k, pad = spec
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = rng.standard_normal((F, k, k, shape[3]), dtype=np.float32)
    b = np.zeros(F, np.float32)
    out, cache = conv2d_forward(x, w, b, padding=pad)
    dout = rng.standard_normal(out.shape, dtype=np.float32)
    N, Ho, Wo, _ = out.shape
    gflop = 2 * N * Ho * Wo * F * k * k * shape[3] / 1e9
    name = f"{'×'.join(map(str, shape))} {F}×{k}×{k}" + (f" p{pad}" if pad else "")
    fwd = {"engine": lambda: conv2d(x, w, b, padding=pad)}
    bwd = {"engine": lambda: conv2d_backward(dout, cache)}
    dw = {"engine": lambda: conv2d_backward(dout, cache, need_dx=False)}
    if torch is not None:
        wt = torch.from_numpy(w.transpose(0, 3, 1, 2).copy())
        bt = torch.from_numpy(b)
        for key, cl in LAYOUTS:
            xt, dt = _nchw(x, cl), _nchw(dout, cl)
            wk = wt.contiguous(memory_format=torch.channels_last) if cl else wt

            def f(xt=xt, wk=wk):
                with torch.no_grad():
                    tf.conv2d(xt, wk, bt, padding=pad)

            def bk(xt=xt, wk=wk, dt=dt, mask=(True, True, True)):
                torch.ops.aten.convolution_backward(dt, xt, wk, [F], [1, 1], [pad, pad], [1, 1],
                                                    False, [0, 0], 1, list(mask))
            fwd[key], bwd[key] = f, bk
            dw[key] = lambda bk=bk: bk(mask=(False, True, True))
    row(name + " forward", fwd, repeat, gflop, peak)
    row(name + " backward dx+dw", bwd, repeat, 2 * gflop, peak)
    row(name + " backward dw", dw, repeat, gflop, peak)


def pool_case(shape, repeat):
    """Max-pool 2×2 backward; torch's is given the argmax indices its forward saved."""
    x = np.random.default_rng(3).standard_normal(shape, dtype=np.float32)
    out, cache = max_pool_forward(x, 2, 2)
    dout = np.ones_like(out)
    fns = {"engine": lambda: max_pool_backward(dout, cache)}
    if torch is not None:
        for key, cl in LAYOUTS:
            xt, dt = _nchw(x, cl), _nchw(dout, cl)
            _, idx = torch.ops.aten.max_pool2d_with_indices(xt, [2, 2], [2, 2])
            fns[key] = (lambda xt=xt, dt=dt, idx=idx: POOL_BACKWARD(
                dt, xt, [2, 2], [2, 2], [0, 0], [1, 1], False, idx))
    row(f"{'×'.join(map(str, shape))} max-pool 2×2 backward", fns, repeat)


def batchnorm_case(shape, repeat):
    """Batchnorm in training: forward (batch statistics), then forward and backward."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape, dtype=np.float32) + 3).astype(np.float32)
    C = shape[-1]
    gamma, beta = np.ones(C, np.float32), np.zeros(C, np.float32)
    dout = rng.standard_normal(shape, dtype=np.float32)

    def fwd():
        return batchnorm_forward(x, gamma, beta, np.zeros(C, np.float32), np.ones(C, np.float32),
                                 True)

    fns = {"engine": fwd}
    both = {"engine": lambda: batchnorm_backward(dout, fwd()[1])}
    if torch is not None:
        g, b = torch.from_numpy(gamma), torch.from_numpy(beta)
        for key, cl in LAYOUTS:
            xt, dt = _nchw(x, cl), _nchw(dout, cl)

            def tf_fwd(xt=xt):
                return torch.ops.aten.native_batch_norm(xt, g, b, torch.zeros(C), torch.ones(C),
                                                        True, 0.1, 1e-5)

            def tf_both(xt=xt, dt=dt, tf_fwd=tf_fwd):
                _, mean, invstd = tf_fwd()
                torch.ops.aten.native_batch_norm_backward(dt, xt, g, None, None, mean, invstd,
                                                          True, 1e-5, [True, True, True])
            fns[key], both[key] = tf_fwd, tf_both
    name = f"{'×'.join(map(str, shape))} batchnorm"
    row(name + " train forward", fns, repeat)
    row(name + " forward+backward", both, repeat)


def big_picture_case(size, repeat, peak):
    rng = np.random.default_rng(4)
    x = rng.random((1, size, size, 3), dtype=np.float32)
    w = rng.standard_normal((6, 5, 5, 3), dtype=np.float32)
    b = np.zeros(6, np.float32)
    fns = {"engine": lambda: conv2d(x, w, b)}
    if torch is not None:
        wt = torch.from_numpy(w.transpose(0, 3, 1, 2).copy())
        for key, cl in LAYOUTS:
            xt = _nchw(x, cl)
            wk = wt.contiguous(memory_format=torch.channels_last) if cl else wt

            def f(xt=xt, wk=wk):
                with torch.no_grad():
                    tf.conv2d(xt, wk, torch.from_numpy(b))
            fns[key] = f
    gflop = 2 * (size - 4) ** 2 * 6 * 75 / 1e9
    row(f"1×{size}×{size}×3 6×5×5 forward (a picture)", fns, repeat, gflop, peak)


def network_cases(arch: str, batch: int, infer_batch: int, repeat: int) -> None:
    from cnn_core.optim import SGD  # the trainer's optimizer, so the step is the real one

    if not (wanted(f"{arch} training step, batch {batch}")
            or wanted(f"{arch} inference, batch {infer_batch}")):
        return
    model = build_model(arch)
    rng = np.random.default_rng(2)
    x = rng.random((batch, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    opt = SGD(model)

    def step():
        _, d = softmax_cross_entropy(model.forward(x, train=True), y)
        model.backward(d)
        opt.step(0.01)

    xi = rng.random((infer_batch, 32, 32, 3), dtype=np.float32)
    train = {"engine": step}
    infer = {"engine": lambda: model.predict(xi)}
    if torch is not None:
        yt = torch.from_numpy(y)
        for key, cl in LAYOUTS:
            net = torch_model(model, cl)
            topt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True,
                                   weight_decay=5e-4)
            xt, xit = _nchw(x, cl), _nchw(xi, cl)

            def tstep(net=net, xt=xt, topt=topt):
                net.train()
                topt.zero_grad(set_to_none=True)
                tf.cross_entropy(net(xt), yt).backward()
                topt.step()

            def tinfer(net=net, xit=xit):
                net.eval()
                with torch.no_grad():
                    torch.softmax(net(xit), 1)
            train[key], infer[key] = tstep, tinfer
    row(f"{arch} training step, batch {batch}", train, repeat)
    row(f"{arch} inference, batch {infer_batch}", infer, repeat)


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_engine",
                                description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS and torch threads (default: OPENBLAS_NUM_THREADS, else 1)")
    p.add_argument("--quick", action="store_true", help="fewer cases (no 1024², no convnet)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="cpu: this process's CPU time, steadier on a loaded machine with one "
                        "thread (with two it counts both threads, busy-waiting included)")
    p.add_argument("--only", nargs="+", default=[], metavar="TEXT",
                   help="only the cases whose name contains one of these ('x' for '×'), "
                        "e.g. --only lenet 32x32x3 max-pool")
    return p.parse_args(argv)


def main() -> None:
    global CLOCK, ONLY
    args = parse(sys.argv[1:])
    ONLY = args.only
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    r = args.repeat
    if torch is not None:
        torch.set_num_threads(THREADS)
    peak = gemm_gflops(r)
    names = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")
    env = {k: os.environ[k] for k in names if k in os.environ}
    ref = f"torch {torch.__version__}" if torch is not None else "no torch (engine figures only)"
    print(f"numpy {np.__version__}, {ref}, {THREADS} thread(s), {os.cpu_count()} cores, "
          f"{args.clock} clock, env {env}")
    print(f"float32 GEMM 1024³: {peak:.1f} GFLOP/s (÷GEMM: share of it the engine reaches)")
    print("÷CL, ÷NCHW: engine time ÷ torch time (channels-last, NCHW); below 1 is faster\n")
    header(peak)
    for arch, batch in (("lenet", 64), ("convnet", 128))[: 1 if args.quick else 2]:
        network_cases(arch, batch, 256, max(5, r // 2))
    for spec in (((64, 32, 32, 3), 6, 5, 0),       # lenet conv1: a first layer, few filters
                 ((64, 14, 14, 6), 16, 5, 0),      # lenet conv2
                 ((128, 32, 32, 3), 32, 5, 2),     # convnet conv1
                 ((128, 32, 32, 32), 64, 3, 1),    # convnet conv2a
                 ((128, 16, 16, 64), 128, 3, 1),   # convnet conv3a
                 ((128, 8, 8, 128), 256, 3, 1)):   # convnet conv4a
        conv_cases(spec, r, peak)
    for shape in ((64, 28, 28, 6), (128, 32, 32, 64), (128, 16, 16, 128), (128, 8, 8, 256)):
        pool_case(shape, r)
    for shape in ((128, 32, 32, 32),):  # convnet's bn1
        batchnorm_case(shape, r)
    for size in (512,) if args.quick else (512, 1024):
        big_picture_case(size, max(5, r // 2), peak)


if __name__ == "__main__":
    main()
