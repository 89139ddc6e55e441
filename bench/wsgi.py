"""The production app plus one no-op endpoint, for the benchmark only: gunicorn bench.wsgi:app.

The no-op goes through the same gunicorn, the same Flask request hooks (security headers,
session, limits) and returns a few bytes without touching the database: the same-run reference
that every write-path figure is divided by. Production serves wsgi:app, which has no such route.
"""

from survey import create_app

app = create_app()


@app.get("/_bench/noop")
def noop():
    """Return at once: the framework's floor on this machine, in this run."""
    return "ok"
