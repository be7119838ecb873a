"""The trainer, `python -m app` and the benchmarks use one BLAS thread unless told otherwise:
on a loaded 2-core machine a second OpenBLAS thread busy-waits (issue 12)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# Run a command line's module as `python -m` does, stopped by --help right after its set-up,
# then ask threadpoolctl how many threads numpy's BLAS got.
RUN_AS_MAIN = """
import runpy, sys
sys.argv = {argv!r}
try:
    runpy.run_module({module!r}, run_name="__main__", alter_sys=True)
except SystemExit:
    pass
"""
REPORT = """
import numpy, threadpoolctl
print([p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"])
"""


def blas_threads(code: str, env_threads: str | None) -> list[int]:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    if env_threads:
        env["OPENBLAS_NUM_THREADS"] = env_threads
    out = subprocess.run([sys.executable, "-c", code + REPORT], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("env_threads,want", [(None, 1), ("2", 2)])
def test_app_uses_one_blas_thread_unless_told(env_threads, want):
    # `python -m app` imports the package first: app/__init__.py sets the default
    assert blas_threads("import app\n", env_threads) == [want]


@pytest.mark.parametrize("env_threads,want", [(None, 1), ("2", 2)])
def test_trainer_uses_one_blas_thread_unless_told(env_threads, want):
    code = RUN_AS_MAIN.format(argv=["train", "--help"], module="cnn_core.train")
    assert blas_threads(code, env_threads) == [want]


@pytest.mark.parametrize("args,env_threads,want", [([], None, 1), ([], "2", 2),
                                                   (["--threads", "2"], None, 2)])
def test_benchmarks_use_one_blas_thread_unless_told(args, env_threads, want):
    for module in ("benchmarks.bench_engine",):
        code = RUN_AS_MAIN.format(argv=["bench", *args, "--help"], module=module)
        assert blas_threads(code, env_threads) == [want], module


@pytest.mark.parametrize("env_threads,want", [(None, 1), ("2", 2)])
def test_api_benchmark_uses_one_blas_thread_unless_told(env_threads, want):
    code = RUN_AS_MAIN.format(argv=["bench", "--help"], module="benchmarks.bench_api")
    assert blas_threads(code, env_threads) == [want]
