"""The worst-case mix of issue 11 against the classroom recipe on loopback, beside a calm run.

    python -m benchmarks.abuse [--seconds 30] [--workers 4] [--out docs/abuse.txt]

The recipe: gunicorn (4 workers, gunicorn.conf.py) behind nginx (deploy/nginx/convscope.conf),
the upload rate limit off (so every bomb is decoded: the worst case for memory).
Each run starts it afresh; a probe process sends dot-product steps (POST /api/conv/step, one
at a time, 0.1 s apart) and times them. The abuse run adds, for its whole length:
- 8 clients posting the largest GIF export the budget accepts (size 512, padding 16, a 1×1
  filter: 1100×544 frames, as many as fit), again as soon as they are answered, plus the
  issue's own 400-frame request now and then;
- 40 slow sockets, one byte every 5 s (benchmarks/slowloris.py);
- 2 clients uploading bomb-ish files in turn: a 16-bit 7000×7000 PNG (~0.1 MB), a 2 KB WebP
  of 7000×7000, a 12 MP PNG of noise;
- 2 clients asking for the largest layer the budget accepts (size 512, six filters) and the
  issue's 73 MB one.
Prints the step's p50/p95/max and each worker's peak RSS (VmHWM) for both runs, and what
the abusers got back (status counts). Targets (issue 11): step p95 < 200 ms, no worker over
1 GB.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import urllib3
from PIL import Image

from benchmarks.servers import gunicorn, nginx
from benchmarks.slowloris import SlowClients
from tests.conftest import free_port

STEP = {"image_id": "sample-car", "filters": [{"preset": p} for p in
                                              ("sobel_x", "sobel_y", "red", "green", "blue",
                                               "laplacian")]}
GIF = {"image_id": "sample-car", "size": 512, "padding": 16,
       "filters": [{"weights": [[[1, 1, 1]]]}]}
GIF_FRAMES_THAT_FIT = 100_000_000 // ((544 + 12 + 544) * 544)  # the default budget
BIG_CONV = {"image_id": "sample-car", "size": 512, "filters": STEP["filters"]}
ISSUE_CONV = {"image_id": "sample-car", "size": 512, "pool": {"size": 1, "stride": 1},
              "filters": [{"preset": "random", "size": 15, "seed": i} for i in range(16)]}


# Behind nginx (one proxy hop); upload rate limit off, so that every bomb reaches the decoder
# (with the default limit, 10 uploads a minute per address, most would get a 429 first).
ENV = {"CONVSCOPE_PROXY_HOPS": "1", "CONVSCOPE_UPLOAD_RATE": ""}


def bombs() -> list[tuple[str, bytes]]:
    a = np.zeros((7000, 7000), np.uint16)
    a[:, 3500:] = 65535
    files = []
    for name, img, fmt, opts in [
            ("grey16.png", Image.fromarray(a), "PNG", {}),
            ("bomb.webp", Image.new("RGBA", (7000, 7000), (10, 20, 30, 255)), "WEBP",
             {"lossless": True}),
            ("noise.png", Image.fromarray(np.random.default_rng(0).integers(
                0, 256, (3000, 4000, 3), dtype=np.uint8)), "PNG", {"compress_level": 1})]:
        buf = io.BytesIO()
        img.save(buf, fmt, **opts)
        files.append((name, buf.getvalue()))
    return files


def probe(base: str, seconds: float, out: mp.Queue) -> None:
    """Steps one at a time: (milliseconds, status) each."""
    http = urllib3.PoolManager(retries=False, timeout=30)
    rng = np.random.default_rng(1)
    records = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        body = {**STEP, "filter": int(rng.integers(6)), "row": int(rng.integers(28)),
                "col": int(rng.integers(28))}
        t0 = time.perf_counter()
        try:
            status = http.request("POST", base + "/api/conv/step", json=body).status
        except urllib3.exceptions.HTTPError:
            status = 0
        records.append(((time.perf_counter() - t0) * 1000, status))
        time.sleep(0.1)
    out.put(records)


def abuser(base: str, stop: threading.Event, tally: Counter, kind: str, files) -> None:
    http = urllib3.PoolManager(retries=False, timeout=120)
    n = 0
    while not stop.is_set():
        n += 1
        try:
            if kind == "gif":
                frames = 400 if n % 10 == 0 else GIF_FRAMES_THAT_FIT
                r = http.request("POST", base + "/api/conv/gif", json={**GIF, "frames": frames})
            elif kind == "upload":
                name, data = files[n % len(files)]
                r = http.request("POST", base + "/api/images",
                                 fields={"image": (name, data, "application/octet-stream")})
            else:
                body = ISSUE_CONV if n % 5 == 0 else BIG_CONV
                r = http.request("POST", base + "/api/conv", json=body,
                                 headers={"Accept-Encoding": "gzip, br"})
            tally[f"{kind} {r.status}"] += 1
            if r.status == 503:  # a polite client would wait Retry-After; this one barely
                stop.wait(0.2)
        except urllib3.exceptions.HTTPError as e:
            tally[f"{kind} {type(e).__name__}"] += 1


def peak_rss(master: int) -> list[float]:
    """Each worker's peak RSS (VmHWM) in MB."""
    out = []
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out.append(int(line.split()[1]) / 1024)
    return out


def run(abuse: bool, args: argparse.Namespace, files) -> dict:
    g, n = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="convscope-abuse-") as tmp, \
            gunicorn(g, workers=args.workers, data_dir=Path(tmp) / "data", env=ENV) as master, \
            nginx(n, upstream=g, prefix=Path(tmp) / "nginx"):
        base = f"http://127.0.0.1:{n}"
        stop, tally = threading.Event(), Counter()
        threads = []
        slow = None
        if abuse:
            slow = SlowClients(n, count=40, interval=5, seconds=args.seconds + 30).start()
            plan = ["gif"] * 8 + ["upload"] * 2 + ["conv"] * 2
            threads = [threading.Thread(target=abuser, args=(base, stop, tally, k, files))
                       for k in plan]
            for t in threads:
                t.start()
            time.sleep(2)  # the flood is on before the first step
        queue: mp.Queue = mp.Queue()
        p = mp.Process(target=probe, args=(base, args.seconds, queue))
        p.start()
        records = queue.get()
        p.join()
        stop.set()
        for t in threads:
            t.join()
        if slow:
            slow.stop()
        rss = peak_rss(master.pid)
    ms = np.array([m for m, s in records])
    return {"steps": len(records), "errors": sum(s != 200 for _, s in records),
            "p50": np.percentile(ms, 50), "p95": np.percentile(ms, 95), "max": ms.max(),
            "rss": rss, "tally": tally}


def report(calm: dict, abuse: dict, args: argparse.Namespace) -> str:
    lines = [f"Convscope abuse benchmark: gunicorn {args.workers} workers behind nginx, "
             f"{args.seconds:g} s a run, {os.cpu_count()} cores shared by server and clients",
             "", f"{'run':<8}{'steps':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
             "  workers' peak RSS (MB)"]
    for name, r in (("calm", calm), ("abuse", abuse)):
        rss = " ".join(f"{x:.0f}" for x in sorted(r["rss"]))
        lines.append(f"{name:<8}{r['steps']:>7}{r['errors']:>8}{r['p50']:>9.1f}{r['p95']:>9.1f}"
                     f"{r['max']:>9.1f}  {rss}")
    lines += ["", "what the abusers got: " + ", ".join(
        f"{k} ×{v}" for k, v in sorted(abuse["tally"].items())), "",
        f"targets: step p95 < 200 ms under abuse: "
        f"{'met' if abuse['p95'] < 200 else 'MISSED'} ({abuse['p95']:.0f} ms); "
        f"no worker over 1 GB: {'met' if max(abuse['rss']) < 1024 else 'MISSED'} "
        f"(largest {max(abuse['rss']):.0f} MB)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    files = bombs()
    calm = run(False, args, files)
    abuse = run(True, args, files)
    text = report(calm, abuse, args)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if abuse["p95"] < 200 and max(abuse["rss"]) < 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
