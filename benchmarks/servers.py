"""Start the classroom recipe on loopback for tests and benchmarks: gunicorn, and nginx in
front of it with deploy/nginx/convscope.conf (the shipped file, ports changed).

    with gunicorn(port, workers=4, data_dir=d) as g, nginx(port2, upstream=port, prefix=p): ...
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
             env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """gunicorn -c gunicorn.conf.py on 127.0.0.1:port, stopped (SIGTERM) at the end."""
    full_env = {**os.environ, "CONVSCOPE_HOST": "127.0.0.1", "CONVSCOPE_PORT": str(port),
                "CONVSCOPE_WORKERS": str(workers), "CONVSCOPE_DATA_DIR": str(data_dir),
                "CONVSCOPE_ACCESS_LOG": "", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                             "app:create_app()"], cwd=ROOT, env=full_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/health", proc, "gunicorn")
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
