"""What the API sends, before and after issue 12, side by side in one run.

    python -m benchmarks.bench_api [--repeat 15]

Before: the standard library's JSON (Flask's default provider) and the full responses (maps,
relu and pooled as float32; predict's activations as float32). After: orjson, and what the
page asks for now (/api/conv: the maps alone, the page derives ReLU and pooling; /predict:
activations as float16). Six filters (lenet's conv1) on the built-in car at 32², 128², 512².

For each: the body's bytes, gzip'd bytes (Chromium asks for compression; flask-compress at
level 1, as configured), and the server's time per request in the same process (Flask test
client: validation, engine, arrays, encoding, compression), best of `repeat`, interleaved,
as CPU time of this process (one thread: robust to other load on a shared machine).
"engine" is the conv layer alone (conv2d, ReLU, pooling), the floor under both.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread, as the server

import numpy as np  # noqa: E402
from flask.json.provider import DefaultJSONProvider  # noqa: E402

from app import create_app  # noqa: E402
from cnn_core.conv import conv2d  # noqa: E402
from cnn_core.model import load_model  # noqa: E402
from cnn_core.pool import max_pool2d  # noqa: E402

FILTERS = [{"model": "lenet", "layer": "conv1", "index": i} for i in range(6)]
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def best(fns: dict, repeat: int) -> dict[str, float]:
    for fn in fns.values():
        fn()
    times = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for k, fn in fns.items():
            start = time.process_time()
            fn()
            times[k] = min(times[k], time.process_time() - start)
    return times


def measure(client, path: str, body: dict, repeat: int) -> tuple[int, int, float, float]:
    """(bytes, gzip'd bytes, ms, ms with compression) of one request."""
    plain = client.post(path, json=body)
    packed = client.post(path, json=body, headers=BROWSER)
    assert plain.status_code == 200 and packed.status_code == 200, plain.get_data()[:300]
    t = best({"plain": lambda: client.post(path, json=body),
              "packed": lambda: client.post(path, json=body, headers=BROWSER)}, repeat)
    return len(plain.get_data()), len(packed.get_data()), t["plain"] * 1e3, t["packed"] * 1e3


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_api",
                                description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=15)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as data:
        after = create_app({"DATA_DIR": data, "TESTING": True})
        before = create_app({"DATA_DIR": data, "TESTING": True})
        before.json = DefaultJSONProvider(before)  # the standard library, as before
        clients = {"before": before.test_client(), "after": after.test_client()}
        print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS="
              f"{os.environ['OPENBLAS_NUM_THREADS']}, best of {args.repeat}; MB = 10⁶ bytes\n")
        head = (f"{'request':34} {'':6} {'MB':>7} {'gzip MB':>8} {'ms':>7} {'ms gzip':>8}")
        print(head)
        rows = []
        for size in (32, 128, 512):
            body = {"image_id": "sample-car", "size": size, "filters": FILTERS}
            x = np.random.default_rng(0).random((size, size, 3), dtype=np.float32)
            w = np.random.default_rng(0).random((6, 5, 5, 3), dtype=np.float32)
            engine = best({"e": lambda x=x, w=w: max_pool2d(np.maximum(conv2d(x, w), 0))},
                          args.repeat)["e"] * 1e3
            rows.append((f"/api/conv {size}² 6 filters", clients, "/api/conv",
                         body, {**body, "outputs": ["maps"]}, engine))
        for name in ("lenet", "convnet"):
            model = load_model(name)
            x = np.random.default_rng(0).random((1, 32, 32, 3), dtype=np.float32)
            engine = best({"e": lambda m=model, x=x: m.predict(x)}, args.repeat)["e"] * 1e3
            body = {"image_id": "sample-car"}
            rows.append((f"/predict {name}", clients, f"/api/models/{name}/predict", body,
                         {**body, "dtype": "f2"}, engine))
        for label, cl, path, old, new, engine in rows:
            b = measure(cl["before"], path, old, args.repeat)
            a = measure(cl["after"], path, new, args.repeat)
            for tag, m in (("before", b), ("after", a)):
                print(f"{label if tag == 'before' else '':34} {tag:6} {m[0] / 1e6:7.3f} "
                      f"{m[1] / 1e6:8.3f} {m[2]:7.2f} {m[3]:8.2f}")
            print(f"{'':34} {'÷':6} {b[0] / a[0]:6.1f}× {b[1] / a[1]:7.1f}× {b[2] / a[2]:6.1f}× "
                  f"{b[3] / a[3]:7.1f}×   (engine alone {engine:.2f} ms)", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
