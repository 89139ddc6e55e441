"""Logging that cannot betray a member: no invitation tokens, resume codes or addresses."""

from __future__ import annotations

import logging
import re

from flask import Flask

SECRET_PATHS = re.compile(r"(/i/|/resume/)[^\s/?\"']+")
CLIENT_ADDRESS = re.compile(r"^\S+ - - ")  # werkzeug starts each request line with the client's address
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


class Redact(logging.Filter):
    """Rewrite each record without secrets in paths and without the client's address."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = SECRET_PATHS.sub(r"\1[redacted]", record.getMessage())
            record.msg, record.args = CLIENT_ADDRESS.sub("- - - ", message), ()
        except Exception:  # a message that cannot be read cannot be checked: withhold it, never fail
            record.msg, record.args = "[log message withheld: it could not be redacted]", ()
        return True


def init_app(app: Flask) -> None:
    """Attach the redacting filter to the request loggers and the app's own logger, once."""
    for logger in (*map(logging.getLogger, REQUEST_LOGGERS), app.logger):
        if not any(isinstance(f, Redact) for f in logger.filters):
            logger.addFilter(Redact())
