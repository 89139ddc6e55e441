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
# Each worker holds its own results snapshots: about 125 bytes a response for the demo's 73 answer
# columns (125 MB at 1M) and 20-40 MB of groups worked out from them; a worker peaked at 265-295 MB
# at 1M after the write path and the dashboards (docs/benchmarks.md).
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
# app's redacting filter (survey/web/logs.py), which strips client addresses and secret paths.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Bound what one request may send before the app sees it (the app itself caps bodies at 1 MB).
limit_request_line = 4094
limit_request_fields = 100


# glibc's malloc, in each worker (set before its threads start; see _malloc_for_arrays).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
MMAP_FROM = 256 * 1024  # bytes: larger blocks (a results column at 100k responses and up) are mapped


def _malloc_for_arrays() -> None:
    """Make freed arrays leave the worker, so that its peak is what it holds at once.

    The results engine makes million-long temporaries; by default glibc raises its mmap threshold
    after the first is freed (up to 32 MB), so later ones come from the heap and stay resident
    after use, and each of the worker's threads gets its own arena, which the other cannot reuse.
    One arena (the GIL lets one thread allocate at a time anyway) and a fixed threshold return
    them to the system when freed. Nothing happens where the C library is not glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_ARENA_MAX, 1)
    mallopt(M_MMAP_THRESHOLD, MMAP_FROM)
    mallopt(M_TRIM_THRESHOLD, 2 * MMAP_FROM)


def post_fork(server, worker):
    """Give each worker its own database connections (none may be shared across the fork), and
    its own malloc settings."""
    _malloc_for_arrays()
    app = server.app.wsgi()
    from survey.extensions import db

    if hasattr(app, "app_context"):
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
