"""Engine throughput beside the machine's own float32 GEMM, in one run.

    python -m benchmarks.bench_engine [--repeat 20]

Prints, for each case, the time per call, GFLOP/s (counting 2·M·K·N for every
matmul-equivalent) and the ratio to numpy's large square float32 matmul on this
machine right now, so that noise on a shared machine affects both sides alike.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from cnn_core.conv import conv2d, conv2d_backward, conv2d_forward
from cnn_core.layers import softmax_cross_entropy
from cnn_core.model import build_model


def best_time(fn, repeat: int) -> float:
    """Best of `repeat` timed calls after two warm-ups: the least disturbed run."""
    fn()
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def gemm_gflops(repeat: int, n: int = 2048) -> float:
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    b = a.T.copy()
    return 2 * n**3 / best_time(lambda: a @ b, max(3, repeat // 4)) / 1e9


def conv_case(shape, filters, k, repeat):
    """Seconds of forward (inference), forward keeping cols (training) and backward, and
    the forward's GFLOP, for one conv layer."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = rng.standard_normal((filters, k, k, shape[3]), dtype=np.float32)
    b = np.zeros(filters, np.float32)
    buf = {}

    def fwd():
        out, cache = conv2d_forward(x, w, b, cols=buf.get("cols"))
        buf["cols"], buf["cache"], buf["out"] = cache[1], cache, out

    t_train_fwd = best_time(fwd, repeat)
    t_fwd = best_time(lambda: conv2d(x, w, b), repeat)  # the blocked inference path
    dout = np.ones_like(buf["out"])
    t_bwd = best_time(lambda: conv2d_backward(dout, buf["cache"]), repeat)
    N, Ho, Wo, F = buf["out"].shape
    flops = 2 * N * Ho * Wo * F * k * k * shape[3]
    return t_fwd, t_train_fwd, t_bwd, flops / 1e9


def train_step_rate(arch: str, batch: int, repeat: int) -> float:
    model = build_model(arch)
    rng = np.random.default_rng(2)
    x = rng.random((batch, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, batch)

    def step():
        _, d = softmax_cross_entropy(model.forward(x, train=True), y)
        model.backward(d)

    return batch / best_time(step, repeat)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()
    r = args.repeat
    peak = gemm_gflops(r)
    names = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS")
    env = {k: os.environ[k] for k in names if k in os.environ}
    print(f"numpy {np.__version__}, {os.cpu_count()} cores, env {env or 'default'}")
    print(f"reference: float32 GEMM 2048³  {peak:8.1f} GFLOP/s\n")
    print(f"{'case':46} {'ms':>8} {'GFLOP/s':>9} {'÷ GEMM':>7}")
    cases = [((64, 32, 32, 3), 32, 5), ((64, 14, 14, 32), 64, 5)]
    for shape, filters, k in cases:
        t_fwd, t_train_fwd, t_bwd, gflop = conv_case(shape, filters, k, r)
        name = f"{'×'.join(map(str, shape))}, {filters} filters {k}×{k}×{shape[3]}"
        for what, t, work in (("forward", t_fwd, gflop), ("train fwd", t_train_fwd, gflop),
                              ("backward", t_bwd, 2 * gflop)):
            rate = work / t
            print(f"{name + ' ' + what:46} {t * 1e3:8.2f} {rate:9.1f} {rate / peak:7.0%}")
    t_fwd, _, _, gflop = conv_case((1, 512, 512, 3), 6, 5, r)
    print(f"{'1×512×512×3, 6 filters 5×5×3 forward':46} {t_fwd * 1e3:8.2f} "
          f"{gflop / t_fwd:9.1f} {gflop / t_fwd / peak:7.0%}")
    print()
    for arch, batch in (("lenet", 64), ("convnet", 128)):
        print(f"training step {arch:8} batch {batch:4}: "
              f"{train_step_rate(arch, batch, max(5, r // 2)):8.0f} images/s")


if __name__ == "__main__":
    main()
