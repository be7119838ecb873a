"""A live class under load: how fast 200 followers see the teacher's step, beside the API.

    python -m benchmarks.live_class [--followers 200] [--seconds 60] [--clients 30]

On loopback (started by benchmarks/servers.py): one redis-server; two replicas, each a main
gunicorn (gunicorn.conf.py, the compute) and an events gunicorn (gunicorn_events.conf.py, the
SSE streams), all sharing the Redis. Runs 1 and 3 (half of --seconds each, before and after
run 2): --clients clients run the load test's API mix (benchmarks/loadtest.py) against the two
main instances, no class. Run 2: the same, while a teacher (on replica 1) steps every 0.5 s
and --followers students join (half through each replica's events instance) and follow with
their tokens (SSE clients, threads in this process). Prints the delay from the teacher
sending a step to each follower reading it (p50, p95, max), events lost, and the API's p95
in both runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np
import urllib3

from benchmarks.loadtest import PAGE_MIX, client_process, free_port, picture
from benchmarks.servers import gunicorn, redis_server
from tests.app.sse import SSE

# every simulated pupil is 127.0.0.1 here: no per-address limits in the way
ENV = {"CONVSCOPE_CLASS_MAX_FOLLOWERS": "1000", "CONVSCOPE_CLASS_JOINS_PER_MINUTE": "100000",
       "CONVSCOPE_UPLOAD_RATE": ""}


def api_load(bases: list[str], ids: list[str], clients: int, seconds: float,
             processes: int = 4) -> list[tuple[str, float, int]]:
    """The load test's closed-loop clients, spread over the bases; their (op, ms, status)."""
    ctx = mp.get_context("spawn")  # this process has hundreds of threads: don't fork it
    queue = ctx.Queue()
    per = [clients // processes + (i < clients % processes) for i in range(processes)]
    procs = [ctx.Process(target=client_process,
                        args=(bases[i % len(bases)], ids, n, seconds, 0.25, 100 + i, PAGE_MIX,
                              queue))
             for i, n in enumerate(per) if n]
    for p in procs:
        p.start()
    records = [r for _ in procs for r in queue.get()]
    for p in procs:
        p.join()
    return records


def put(url: str, body: dict, secret: str) -> int:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT",
                                 headers={"Content-Type": "application/json",
                                          "X-Class-Secret": secret})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def follow(url: str, token: str, received: dict, ready: threading.Barrier,
           stop: threading.Event) -> None:
    """One follower (a joined student's token): record (seq → perf_counter at receipt),
    reconnecting like EventSource."""
    last = None
    first = True
    while not stop.is_set():
        try:
            sse = SSE(url, token=token, last_event_id=last, timeout=30)
            while not stop.is_set():
                event = sse.next()
                if event is None:
                    break
                received[event.data["seq"]] = (time.perf_counter(),
                                               time.time() - event.data["at"])
                last = event.id
                if first:
                    first = False
                    ready.wait()
            sse.close()
        except OSError:
            time.sleep(1)


def teach(url: str, secret: str, seconds: float, interval: float,
          seq: int) -> tuple[dict[int, float], np.ndarray]:
    """Step every `interval` s for `seconds`: (seq → perf_counter when sent, PUT times in ms)."""
    sent: dict[int, float] = {}
    took = []
    t_end = time.perf_counter() + seconds
    next_at = time.perf_counter()
    while time.perf_counter() < t_end:
        seq += 1
        t0 = time.perf_counter()
        put(url, {"state": {"step": 1 + seq % 10, "pos": seq}}, secret)
        sent[seq] = t0
        took.append((time.perf_counter() - t0) * 1000)
        next_at += interval
        time.sleep(max(0.0, next_at - time.perf_counter()))
    return sent, np.array(took)


def percentiles(ms: np.ndarray) -> str:
    if not len(ms):
        return "no data"
    p50, p95 = np.percentile(ms, [50, 95])
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {ms.max():.1f} ms"


def api_summary(records) -> tuple[float, str]:
    ms = np.array([r[1] for r in records])
    failed = [r[2] for r in records if not 200 <= r[2] < 300]
    errors = f"{len(failed)}" + (" (" + ", ".join(
        f"{n}× {status or 'no answer'}" for status, n in
        sorted(Counter(failed).items())) + ")" if failed else "")
    per = ", ".join(f"{op} {np.percentile([r[1] for r in records if r[0] == op], 95):.0f}"
                    for op in PAGE_MIX if any(r[0] == op for r in records))
    p95 = float(np.percentile(ms, 95))
    return p95, (f"{len(records)} requests, {errors} errors, p50 {np.percentile(ms, 50):.1f} ms, "
                 f"p95 {p95:.1f} ms (p95 by endpoint, ms: {per})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--interval", type=float, default=0.5, help="teacher's step interval")
    parser.add_argument("--workers", type=int, default=2, help="main workers per replica")
    parser.add_argument("--alone", type=float, default=20,
                        help="seconds of stepping with no API load first (the reference)")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)

    data_dir = tempfile.mkdtemp(prefix="convscope-live-")
    with contextlib.ExitStack() as servers:
        redis_url = servers.enter_context(redis_server(free_port(), folder=data_dir))
        env = {**ENV, "CONVSCOPE_STORE": redis_url}
        mains, events = [], []
        for _ in range(2):  # two replicas: a main instance and an events instance each
            port = free_port()
            servers.enter_context(gunicorn(port, workers=args.workers, data_dir=data_dir, env=env))
            mains.append(f"http://127.0.0.1:{port}")
            port = free_port()
            servers.enter_context(gunicorn(port, workers=1, data_dir=data_dir, env=env,
                                           config="gunicorn_events.conf.py"))
            events.append(f"http://127.0.0.1:{port}")
        http = urllib3.PoolManager()
        ids = [json.loads(http.request("POST", mains[0] + "/api/images", fields={
            "image": ("p.png", picture(i), "image/png")}).data)["image_id"] for i in range(4)]

        # the machine's other load drifts: half the run without the class before, half after
        print(f"run 1: {args.clients} API clients, {args.seconds / 2:g} s, no class", flush=True)
        without = api_load(mains, ids, args.clients, args.seconds / 2)

        d = json.loads(http.request("POST", mains[0] + "/api/classes",
                                    json={"state": {"step": 1}}).data)
        code, secret = d["code"], d["secret"]
        stop = threading.Event()
        ready = threading.Barrier(args.followers + 1)
        received = [{} for _ in range(args.followers)]
        tokens = [json.loads(http.request("POST", f"{events[i % 2]}/api/classes/{code}/students",
                                          json={}).data)["token"]
                  for i in range(args.followers)]  # each follower a student who joined
        threads = [threading.Thread(target=follow, daemon=True, args=(
            f"{events[i % 2]}/api/classes/{code}/events", tokens[i], received[i], ready, stop))
            for i in range(args.followers)]
        for t in threads:
            t.start()
        ready.wait(timeout=60)
        print(f"run 2: {args.followers} followers connected; the teacher steps every "
              f"{args.interval:g} s, {args.alone:g} s alone, then {args.seconds:g} s while "
              f"{args.clients} API clients run", flush=True)

        # the teacher's page talks to the events instance too: the proxy sends /api/classes/
        # there, so a step never queues behind the lesson's computations (docs/serving.md)
        url = f"{events[0]}/api/classes/{code}/state"
        alone, alone_put = teach(url, secret, args.alone, args.interval, 0)
        load_out: list = []
        loader = threading.Thread(target=lambda: load_out.extend(
            api_load(mains, ids, args.clients, args.seconds)))
        loader.start()
        sent, put_ms = teach(url, secret, args.seconds, args.interval, len(alone))
        loader.join()
        time.sleep(2)  # the last events' stragglers
        stop.set()
        http.request("DELETE", f"{events[0]}/api/classes/{code}",
                     headers={"X-Class-Secret": secret})  # every stream ends
        print(f"run 3: {args.clients} API clients, {args.seconds / 2:g} s, no class again",
              flush=True)
        without += api_load(mains, ids, args.clients, args.seconds / 2)

        def delays_of(steps: dict[int, float]) -> tuple[np.ndarray, int]:
            got = np.array([(r[s][0] - t) * 1000 for r in received for s, t in steps.items()
                            if s in r])
            fan = np.array([r[s][1] * 1000 for r in received for s in steps if s in r])
            return got, fan, sum(1 for r in received for s in steps if s not in r)

        alone_delays, alone_fan, alone_lost = delays_of(alone)
        delays, fan, lost = delays_of(sent)
        lost += alone_lost
        with_p95, with_text = api_summary(load_out)
        without_p95, without_text = api_summary(without)

    ratio = with_p95 / without_p95
    delay_p95 = float(np.percentile(delays, 95)) if len(delays) else float("inf")
    lines = [
        f"Convscope live class: {args.followers} followers (SSE, threads in one process) on 2 "
        f"events instances (gunicorn gthread, 1 worker) sharing one redis-server; the teacher "
        f"(on events instance 1) steps every {args.interval:g} s for {args.seconds:g} s "
        f"({len(sent)} steps); {args.clients} API clients (load test mix) on 2 main instances "
        f"({args.workers} workers each); {os.cpu_count()} cores shared by everything.",
        "",
        f"with no API load ({args.alone:g} s, {len(alone)} steps): delay "
        f"{percentiles(alone_delays)}; teacher's PUT {percentiles(alone_put)}",
        f"  of which from the event's write (in the PUT) to the follower: {percentiles(alone_fan)}",
        f"with the API load: teacher's PUT {percentiles(put_ms)}; from the event's write to the "
        f"follower: {percentiles(fan)}",
        f"delay teacher step → follower receipt under load ({len(delays)} receipts): "
        f"{percentiles(delays)}  (target p95 < 250 ms: "
        f"{'met' if delay_p95 < 250 else 'MISSED'})",
        f"events lost: {lost} of {len(sent) * args.followers} "
        f"(target 0: {'met' if lost == 0 else 'MISSED'})",
        f"API without the class: {without_text}",
        f"API with the class:    {with_text}",
        f"API p95 with / without: {ratio:.2f}× (target ≤ 1.5×: "
        f"{'met' if ratio <= 1.5 else 'MISSED'})",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
