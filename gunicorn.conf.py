"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app` (see docs/deploy.md).

Sized for a small box: two threaded workers per core. Every setting can be changed from the
environment without editing this file: BIND, WEB_CONCURRENCY (workers), GUNICORN_THREADS,
GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")

# Workers × threads: the app is mostly CPU (templates, forms) with short database waits, so two
# processes per core keep both cores busy while one waits on a commit, and two threads per worker
# cover the waits without the GIL contention of more (ONS found >2 threads gave nothing).
# Each worker holds its own results snapshots (about 90 bytes a response: 90 MB at 1M).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 2))

# Members are on phones: a request that takes 30 s has failed anyway. Keep-alive a little longer
# than a page takes to read and submit behind a proxy that reuses connections.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Load the app once in the master: a broken questionnaire or setting stops the start at once
# (not worker by worker), and code pages are shared by the workers. No database connection is
# opened before the fork (see post_fork). No max_requests: a recycled worker would drop its
# results snapshots and rebuild them on the next dashboard view.
preload_app = True
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# No access log: it would hold members' addresses and paths. Errors go to stderr through the
# app's redacting filter (survey/logs.py), which strips client addresses and secret paths.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Bound what one request may send before the app sees it (the app itself caps bodies at 1 MB).
limit_request_line = 4094
limit_request_fields = 100


def post_fork(server, worker):
    """Give each worker its own database connections: none may be shared across the fork."""
    app = server.app.wsgi()
    from survey.extensions import db

    if hasattr(app, "app_context"):
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
