"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app` (see README, Deployment)."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# No access log: it would hold members' addresses and paths. Errors still go to stderr, through
# the app's redacting filter (survey/logs.py).
accesslog = None
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
