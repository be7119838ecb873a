"""Slow clients on loopback: sockets that send a request one byte every few seconds.

    python -m benchmarks.slowloris --port 8000 [--count 40] [--interval 5] [--seconds 60]

Half of the sockets dribble a request's headers, half send whole headers and then dribble a
POST body (what a phone on bad Wi-Fi does by accident and a prankster on purpose). Each
socket that the server closes is opened again, so `count` stay open for `seconds`.
Loopback only, a bounded count and time: a tool to test our own server, nothing else.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time

LOOPBACK = ("127.0.0.1", "::1", "localhost")
MAX_COUNT = 500
MAX_SECONDS = 600


class SlowClients:
    """count sockets trickling requests to host:port until stop() or `seconds` pass."""

    def __init__(self, port: int, *, host: str = "127.0.0.1", count: int = 40,
                 interval: float = 5.0, seconds: float = 60.0):
        if host not in LOOPBACK:
            raise ValueError(f"slow clients go to loopback only, not {host!r}")
        if not 0 < count <= MAX_COUNT or not 0 < seconds <= MAX_SECONDS:
            raise ValueError(f"count ≤ {MAX_COUNT}, seconds ≤ {MAX_SECONDS}")
        self.host, self.port, self.count = host, port, count
        self.interval, self.seconds = interval, seconds
        self.stopping = threading.Event()
        self.reopened = 0  # sockets the server closed (timed out) and we opened again
        self.threads = [threading.Thread(target=self._one, args=(i,), daemon=True)
                        for i in range(count)]

    def _request(self, i: int) -> bytes:
        if i % 2:  # slow headers
            return (f"GET /api/health?slow={i} HTTP/1.1\r\nHost: {self.host}\r\n"
                    + "".join(f"X-Slow-{k}: {k}\r\n" for k in range(200)) + "\r\n").encode()
        body = b'{"image_id": "sample-car", "filters": [{"preset": "sobel_x"}], "pad": "' \
            + b"x" * 4000 + b'"}'
        head = (f"POST /api/conv HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: "
                f"application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        return head + body  # the headers go at once below, then the body byte by byte

    def _one(self, i: int) -> None:
        end = time.monotonic() + self.seconds
        while not self.stopping.is_set() and time.monotonic() < end:
            data = self._request(i)
            try:
                with socket.create_connection((self.host, self.port), timeout=10) as s:
                    sent = 0
                    if not i % 2:  # slow body: the headers at once
                        sent = data.index(b"\r\n\r\n") + 4
                        s.sendall(data[:sent])
                    while sent < len(data) and not self.stopping.is_set() \
                            and time.monotonic() < end:
                        s.sendall(data[sent:sent + 1])
                        sent += 1
                        self.stopping.wait(self.interval)
            except OSError:
                pass  # closed by the server: open another
            self.reopened += 1
            self.stopping.wait(0.1)

    def start(self) -> SlowClients:
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=15)

    def __enter__(self) -> SlowClients:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    clients = SlowClients(args.port, host=args.host, count=args.count, interval=args.interval,
                          seconds=args.seconds)
    with clients:
        time.sleep(args.seconds)
    print(f"{args.count} slow sockets for {args.seconds:g} s; the server closed "
          f"{clients.reopened} of them")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
