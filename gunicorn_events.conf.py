"""gunicorn for the live class's event streams (GET /api/classes/<code>/events):

    gunicorn -c gunicorn_events.conf.py "app:create_app()"     # 0.0.0.0:8001

Run it beside the main instance (gunicorn.conf.py) and send the events path to it from the
proxy (docs/serving.md). Each follower holds one open connection for minutes, waiting; in
the main instance that would hold one of its few compute threads, so 30 phones would starve
the lesson's requests. Here every connection gets a thread that sleeps in a blocking read
(Redis XREAD BLOCK, or the SQLite poll): hundreds of them cost memory, not CPU.
"""

import os

bind = (f"{os.environ.get('CONVSCOPE_HOST', '0.0.0.0')}:"
        f"{os.environ.get('CONVSCOPE_EVENTS_PORT', '8001')}")
workers = int(os.environ.get("CONVSCOPE_EVENTS_WORKERS", "2"))
worker_class = "gthread"
# followers per worker; a stream ends after 5 minutes and the browser reconnects at once
threads = int(os.environ.get("CONVSCOPE_EVENTS_THREADS", "256"))
timeout = 30  # the worker's heartbeat, not the requests': a stream may last its 5 minutes
graceful_timeout = 5  # on restart, streams are cut; their followers reconnect by themselves
keepalive = 5
accesslog = os.environ.get("CONVSCOPE_ACCESS_LOG", "-") or None
logger_class = "app.accesslog.RedactingLogger"  # no live-class tokens in the access log
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
