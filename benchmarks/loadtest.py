"""Load test on loopback: gunicorn with N workers, C concurrent clients mixing the lesson's calls.

    python -m benchmarks.loadtest [--mix page|api] [--workers 4] [--clients 50] [--seconds 60]
                                  [--think 0.25]

--mix page (the default) sends what the page itself sends during a lesson, in the proportions
recorded in Chromium by `python -m benchmarks.lesson_requests` (one student's lesson: the ten
steps, another size, another sample, a photo): the page computes every dot product and pooling
window itself from one POST /api/conv, so it never calls /api/conv/step or /api/pool/step.
--mix api is the earlier mix, 55 % of it those two step endpoints (a script's use of the API).

Each client is a closed loop: send one request, wait for its answer, think for a random
time (exponential, mean --think seconds: a student stepping, clicking, uploading), repeat.
The clients run in separate processes so they don't share the server's cores' GIL with it;
they do share the machine's cores with the server, which makes the figures pessimistic.
Prints p50/p95/p99 per endpoint, errors, throughput, and the issue's targets.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import urllib3
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PRESETS = ["sobel_x", "sobel_y", "gaussian_blur", "laplacian", "red", "blue"]
API_MIX = {"step": 45, "conv32": 20, "pool_step": 10, "predict": 10, "image": 10, "upload": 5}
# Requests that reached the server in one recorded lesson (benchmarks/lesson_requests.py):
# 32 trained-filter fetches (step 6 plays the epochs), 16 sample thumbnails, 9 catalog
# requests (samples, presets, models, once per page load), 4 conv layers, 1 prediction,
# 1 training history, and the student's 1 photo.
PAGE_MIX = {"filters": 32, "thumb": 16, "catalog": 9, "conv32": 4, "predict": 1,
            "history": 1, "upload": 1}
MIXES = {"page": PAGE_MIX, "api": API_MIX}
TARGETS = {"step": 20.0, "conv32": 50.0, "predict": 100.0}  # p95, milliseconds
CATALOG = ["/api/samples", "/api/presets?size=5", "/api/models"]
SAMPLES = ["colour_wheel", "oriented_bars", "one_edge", "vertical_stripes", "sine_grating",
           "checkerboard", "colour_blobs", "rings", "airplane", "ship", "car", "truck", "frog",
           "horse", "bird", "cat"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def picture(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def start_server(port: int, workers: int, data_dir: str) -> subprocess.Popen:
    env = {**os.environ, "CONVSCOPE_HOST": "127.0.0.1", "CONVSCOPE_PORT": str(port),
           "CONVSCOPE_WORKERS": str(workers), "CONVSCOPE_DATA_DIR": data_dir,
           "CONVSCOPE_ACCESS_LOG": "",
           "CONVSCOPE_UPLOAD_RATE": ""}  # every simulated pupil is 127.0.0.1 here
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                               "app:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    http = urllib3.PoolManager()
    for _ in range(600):  # up to a minute on a busy machine
        try:
            if http.request("GET", f"http://127.0.0.1:{port}/api/health").status == 200:
                return server
        except urllib3.exceptions.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not start: " + server.stderr.read().decode()[-2000:])


def request(http: urllib3.PoolManager, base: str, op: str, ids: list[str], rnd: random.Random):
    """One request of kind `op`; returns its status."""
    image_id = rnd.choice(ids)
    body = {"image_id": image_id, "size": 32, "filters": [{"preset": p} for p in PRESETS]}
    if op == "step":
        body |= {"filter": rnd.randrange(6), "row": rnd.randrange(28), "col": rnd.randrange(28)}
        return http.request("POST", base + "/api/conv/step", json=body).status
    if op == "pool_step":
        body |= {"filter": rnd.randrange(6), "row": rnd.randrange(14), "col": rnd.randrange(14)}
        return http.request("POST", base + "/api/pool/step", json=body).status
    if op == "conv32":
        return http.request("POST", base + "/api/conv", json=body).status
    if op == "predict":
        return http.request("POST", base + "/api/models/convnet/predict",
                            json={"image_id": image_id}).status
    if op == "filters":  # the page's step 6: lenet's first-layer filters after epoch E
        return http.request("GET", f"{base}/api/models/lenet/filters?layer=conv1"
                                   f"&epoch={rnd.randrange(31)}").status
    if op == "thumb":
        return http.request("GET", f"{base}/api/images/sample-{rnd.choice(SAMPLES)}"
                                   "?size=48").status
    if op == "catalog":
        return http.request("GET", base + rnd.choice(CATALOG)).status
    if op == "history":
        return http.request("GET", base + "/api/models/lenet/history").status
    if op == "image":
        return http.request("GET", f"{base}/api/images/{image_id}?size=128").status
    data = picture(rnd.randrange(10**9))  # a new picture: a real decode and store write
    return http.request("POST", base + "/api/images",
                        fields={"image": ("photo.png", data, "image/png")}).status


def warm(base: str) -> None:
    """Steady state, not start-up: every worker paints each built-in picture on its first
    request for it (seconds each on a busy machine), so ask for every thumbnail on 16 fresh
    connections (a worker misses one with odds (3/4)^16 = 1 %) before the clock starts."""
    def fetch(name: str) -> None:
        http = urllib3.PoolManager(retries=False, timeout=120)
        for _ in range(16):
            http.request("GET", f"{base}/api/images/sample-{name}?size=48",
                         headers={"Connection": "close"})

    threads = [threading.Thread(target=fetch, args=(name,)) for name in SAMPLES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def client_process(base: str, ids: list[str], threads: int, seconds: float, think: float,
                   seed: int, mix: dict[str, int], out: mp.Queue) -> None:
    records: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    ops, weights = list(mix), list(mix.values())

    def run(k: int) -> None:
        rnd = random.Random(seed * 1000 + k)
        http = urllib3.PoolManager(maxsize=1, retries=False, timeout=30)
        while time.perf_counter() < deadline:
            op = rnd.choices(ops, weights)[0]
            t0 = time.perf_counter()
            try:
                status = request(http, base, op, ids, rnd)
            except urllib3.exceptions.HTTPError:
                status = 0
            with lock:
                records.append((op, (time.perf_counter() - t0) * 1000, status))
            time.sleep(rnd.expovariate(1 / think) if think > 0 else 0)

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(records)


def report(records: list[tuple[str, float, int]], args: argparse.Namespace) -> str:
    lines = [f"Convscope load test, the {args.mix} mix: gunicorn {args.workers} workers (gthread), "
             f"{args.clients} clients, {args.seconds:g} s, think time mean {args.think:g} s, "
             f"{os.cpu_count()} cores shared by server and clients",
             "", f"{'endpoint':<11}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}"
             f"{'p99 ms':>9}{'max ms':>9}  target p95"]
    total_errors = 0
    for op in MIXES[args.mix]:
        rows = [(ms, status) for o, ms, status in records if o == op]
        ms = np.array([r[0] for r in rows])
        errors = sum(1 for r in rows if not 200 <= r[1] < 300)
        total_errors += errors
        p50, p95, p99 = np.percentile(ms, [50, 95, 99]) if len(ms) else (0, 0, 0)
        target = TARGETS.get(op)
        verdict = f"< {target:g} {'met' if p95 < target else 'MISSED'}" if target else ""
        lines.append(f"{op:<11}{len(rows):>9}{errors:>8}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
                     f"{ms.max() if len(ms) else 0:>9.1f}  {verdict}")
    lines += ["", f"{len(records)} requests, {len(records) / args.seconds:.0f} requests/s, "
              f"{total_errors} errors"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mix", choices=MIXES, default="page")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.25)
    parser.add_argument("--processes", type=int, default=5, help="client processes")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="convscope-load-") as data_dir:
        server = start_server(port, args.workers, data_dir)
        try:
            base = f"http://127.0.0.1:{port}"
            http = urllib3.PoolManager()
            ids = [json.loads(http.request("POST", base + "/api/images", fields={
                "image": ("p.png", picture(i), "image/png")}).data)["image_id"] for i in range(4)]
            warm(base)
            queue: mp.Queue = mp.Queue()
            per = [args.clients // args.processes + (i < args.clients % args.processes)
                   for i in range(args.processes)]
            procs = [mp.Process(target=client_process,
                                args=(base, ids, n, args.seconds, args.think, i,
                                      MIXES[args.mix], queue))
                     for i, n in enumerate(per) if n]
            for p in procs:
                p.start()
            records = [r for _ in procs for r in queue.get()]
            for p in procs:
                p.join()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    text = report(records, args)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if all(200 <= s < 300 for _, _, s in records) else 1


if __name__ == "__main__":
    sys.exit(main())
