"""Start the classroom recipe on loopback for tests and benchmarks: gunicorn (the main
instance, or the live class's events instance), nginx in front of it with
deploy/nginx/convscope.conf (the shipped file, ports changed), and a redis-server.

    with gunicorn(port, workers=4, data_dir=d) as g, nginx(port2, upstream=port, prefix=p): ...
    with redis_server(port3, folder=d) as url, gunicorn(port4, workers=1, data_dir=d,
            config="gunicorn_events.conf.py", env={"CONVSCOPE_STORE": url}): ...
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import urllib3

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx" / "convscope.conf"


def wait_for(url: str, proc: subprocess.Popen, what: str, log: Path | None = None,
             tries: int = 300) -> None:
    http = urllib3.PoolManager(retries=False)
    for _ in range(tries):
        if proc.poll() is not None:
            break
        try:
            if http.request("GET", url, timeout=2).status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    err = log.read_text()[-2000:] if log and log.exists() else \
        proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    raise RuntimeError(f"{what} did not start: {err}")


@contextmanager
def gunicorn(port: int, *, workers: int = 4, data_dir: str | Path,
             env: dict[str, str] | None = None,
             config: str = "gunicorn.conf.py") -> Iterator[subprocess.Popen]:
    """gunicorn -c <config> on 127.0.0.1:port, stopped (SIGTERM) at the end: gunicorn.conf.py
    (the main instance) or gunicorn_events.conf.py (the live class's events instance). Its
    own log goes to data_dir/gunicorn-<port>.log (a pipe nobody reads would fill up and stop
    a long-running server)."""
    full_env = {**os.environ, "CONVSCOPE_HOST": "127.0.0.1", "CONVSCOPE_PORT": str(port),
                "CONVSCOPE_EVENTS_PORT": str(port), "CONVSCOPE_WORKERS": str(workers),
                "CONVSCOPE_EVENTS_WORKERS": str(workers), "CONVSCOPE_DATA_DIR": str(data_dir),
                "CONVSCOPE_ACCESS_LOG": "", **(env or {})}
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    log = Path(data_dir) / f"gunicorn-{port}.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", config,
                                 "app:create_app()"], cwd=ROOT, env=full_env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/health", proc, f"gunicorn -c {config}", log)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def nginx_site(port: int, upstream: int) -> str:
    """The shipped site file, listening on 127.0.0.1:port, proxying to 127.0.0.1:upstream."""
    site = SITE.read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    return site.replace("listen 80;", f"listen 127.0.0.1:{port};")


@contextmanager
def nginx(port: int, *, upstream: int, prefix: Path) -> Iterator[subprocess.Popen]:
    """Debian's nginx in the foreground with the shipped site, its files under prefix."""
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "logs").mkdir(exist_ok=True)
    (prefix / "convscope.conf").write_text(nginx_site(port, upstream))
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers may write prefix's temp files
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid nginx.pid;\nerror_log logs/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n  client_body_temp_path body; proxy_temp_path proxy;\n"
        "  fastcgi_temp_path fastcgi; uwsgi_temp_path uwsgi; scgi_temp_path scgi;\n"
        "  include convscope.conf;\n}\n")
    proc = subprocess.Popen([exe, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/health", proc, "nginx", prefix / "logs/error.log")
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful: finish the open requests
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def redis_server(port: int, *, folder: str | Path, args: tuple[str, ...] = ("--save", "",
                 "--appendonly", "no")) -> Iterator[str]:
    """A redis-server on 127.0.0.1:port working in folder (by default keeping nothing on
    disk); yields its URL; stopped (SIGTERM) at the end."""
    import redis

    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                             str(folder), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {proc.returncode}") from None
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not answer PING")
        yield url
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
