"""Plain, friendly error pages that never fail themselves."""

import sys
from collections.abc import Callable, Mapping
from contextlib import suppress

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..extensions import db

TITLES = {
    400: _l("Something was wrong with that request"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("That is not allowed here"),
    413: _l("That was too large"),
    429: _l("Too many requests"),
    500: _l("Sorry, something went wrong"),
    503: _l("Sorry, the service is unavailable"),
}


def init_app(app: Flask, form_pages: Mapping[str, Callable] | None = None) -> None:
    """Register the error handlers.

    `form_pages` maps an endpoint to the view that shows its page again, with what was typed on
    it, when its form has expired (the member's answer pages); create_app passes it in, so this
    module needs no face.
    """
    app.extensions["expired_form_pages"] = dict(form_pages or {})
    app.register_error_handler(CSRFError, _expired_form)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.log_exception = _never_failing(app.log_exception)


def _never_failing(log_exception):
    """Wrap Flask's log_exception so that a failure while logging a 500 (a broken log handler or
    filter, a full disk) cannot stop the plain 500 page from being sent."""

    def log(exc_info) -> None:
        try:
            log_exception(exc_info)
        except Exception:
            with suppress(Exception):
                sys.stderr.write("An error happened, and logging it failed too; the details are withheld.\n")

    return log


def _database_unavailable(error: OperationalError):
    """The database is out of reach: say so plainly, and hand back everything that was sent.

    A POST's fields come back as hidden fields in a "Try again" form for the same address, so a
    member who typed a page loses nothing: once the database is back, one press sends it again
    (with the same CSRF token and submit key, so a submit still counts once).
    """
    with suppress(SQLAlchemyError):
        db.session.rollback()
    fields = list(request.form.items(multi=True)) if request.method == "POST" else []
    try:
        page = render_template("errors/unavailable.html", fields=fields, again=request.url)
    except Exception:  # never fail while failing
        page = "Sorry, the service is unavailable. Please try again in a few minutes."
    return page, 503, {"Retry-After": "30"}


def _expired_form(error: CSRFError):
    """A form that outlived its session: keep what the member typed and say what happened."""
    page_again = current_app.extensions["expired_form_pages"].get(request.endpoint or "")
    if page_again is not None and request.method == "POST":
        try:
            return page_again()
        except HTTPException as stopped:  # the session itself had lapsed, or the survey has closed
            if stopped.response is not None and stopped.response.status_code not in (301, 302, 303):
                return stopped.response  # e.g. the survey has closed: that page says so
            # No draft in this session any more: the plain expired page below says what to do.
    return render_template("errors/expired.html", back=request.referrer or url_for("home.home")), 400


def _http_error(error: HTTPException):
    code = error.code or 500
    try:
        return render_template("errors/error.html", code=code, title=TITLES.get(code, error.name)), code
    except Exception:  # an error page must never fail: fall back to plain text
        return f"{TITLES.get(code, 'Error')} ({code})", code, {"Content-Type": "text/plain; charset=utf-8"}
