"""gunicorn settings for a classroom: `gunicorn -c gunicorn.conf.py "app:create_app()"`.

Every worker is a process with its own copy of the engine; they share the image store
(the disk folder under CONVSCOPE_DATA_DIR, or Redis with CONVSCOPE_STORE=redis://…).
"""

import multiprocessing
import os

# One BLAS thread per worker: the workers already use every core, and more threads than
# cores makes every request wait for the others (p95 doubles under load).
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

# Big buffers go back to the system when freed, in the master and so in every worker it forks
# (app/budget.py: without it, memory stayed held after a burst until workers recycled).
from app.budget import tune_malloc  # noqa: E402

tune_malloc()

bind = f"{os.environ.get('CONVSCOPE_HOST', '0.0.0.0')}:{os.environ.get('CONVSCOPE_PORT', '8000')}"
workers = int(os.environ.get("CONVSCOPE_WORKERS", 2 * multiprocessing.cpu_count()))
worker_class = "gthread"  # a thread waits on a slow upload while another computes
# 4 threads: heavy jobs (GIFs, big layers and uploads) hold at most two of them per worker
# (one running, one waiting for a slot: app/budget.py), the others answer the light requests.
threads = int(os.environ.get("CONVSCOPE_THREADS", "4"))
timeout = 30
graceful_timeout = 10
keepalive = 5
max_requests = 5000  # recycle workers now and then: bounded memory over a long day
max_requests_jitter = 500
accesslog = os.environ.get("CONVSCOPE_ACCESS_LOG", "-") or None  # "" turns it off
logger_class = "app.accesslog.RedactingLogger"  # no live-class tokens in the access log
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Paint the built-in pictures once, in the master, before it forks: every worker, the
    recycled ones too, starts with them cached (each used to spend ~1.5 s of its first
    requests painting them, under load)."""
    from app import samples

    samples.paint_all()


def post_worker_init(worker):
    """Load the trained networks before the first prediction asks for them."""
    from app import networks

    # the app's own folder setting (worker.wsgi is the app, loaded before this hook), so the
    # cache entries warmed here are the ones its requests look up
    networks.warm(worker.wsgi.config["MODELS_DIR"])
