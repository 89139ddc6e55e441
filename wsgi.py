"""The WSGI entry point: gunicorn wsgi:app, or flask --app wsgi <command>."""

from survey import create_app

app = create_app()
