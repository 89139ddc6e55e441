"""Security headers on every response: pages, error pages, the API and static files alike.

The Content-Security-Policy allows scripts only from this site or carrying this response's
nonce, so injected markup cannot run. Styles may be inline: the CSS bars and Plotly's charts set
widths in style attributes, and a style cannot run code. Pages (never static files) are
`no-store`, so a shared or lost phone keeps no copy of a member's answers or of results.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

STATIC_MAX_AGE = 3600  # an hour; files under static/vendor/ carry their version in the name
VENDOR_MAX_AGE = 365 * 24 * 3600
DATABASE_INT_MAX = 2**31 - 1  # the largest value an INTEGER column holds (PostgreSQL and SQLite alike)


class DatabaseInt(IntegerConverter):
    """`<int:...>` in addresses, bounded to what an id column can hold: a larger number is simply
    not found (404), instead of reaching the database and failing there (a 500)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", DATABASE_INT_MAX)
        super().__init__(map, *args, **kwargs)


class UnstorableText(BadRequest):
    """A value sent to the database holds a NUL character, which PostgreSQL cannot store."""

    description = "The request held a character that cannot be stored."


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_nul(conn, cursor, statement, parameters, context, executemany) -> None:
    """Stop any NUL character before it reaches the database, on every path and every database.

    PostgreSQL refuses text with NUL in it and the driver's error would be a 500; SQLite would
    store it. A NUL in an address, a query argument or a staff form field is an attack or a
    broken client, so the request ends with a plain 400 page instead (a member's typed answers
    are checked earlier, and get a message next to the question).
    """
    rows = parameters if executemany and isinstance(parameters, list | tuple) else [parameters]
    for row in rows:
        values = row.values() if isinstance(row, dict) else row if isinstance(row, list | tuple) else ()
        if any(isinstance(value, str) and "\x00" in value for value in values):
            raise UnstorableText()


def database_int(text: str) -> int:
    """Read a whole number from a query argument for a database column: `request.args.get(..., type=database_int)`
    gives the default for anything else, a number too large for the column included."""
    value = int(text)
    if abs(value) > DATABASE_INT_MAX:
        raise ValueError(f"{text} is out of range")
    return value


def csp_nonce() -> str:
    """Return this request's nonce for a <script nonce="..."> (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _policy(csp_nonce())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"  # CSRF checks still see our own referrer
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    if request.endpoint == "static":
        vendor = (request.view_args or {}).get("filename", "").startswith("vendor/")
        response.headers["Cache-Control"] = f"public, max-age={VENDOR_MAX_AGE if vendor else STATIC_MAX_AGE}"
        if vendor:
            response.headers["Cache-Control"] += ", immutable"
    else:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    if request.is_secure or current_app.config.get("ENV_NAME") == "production":
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _refuse_cross_site_writes() -> None:
    """Refuse a form sent from another site, by what the browser says about where it came from.

    The CSRF token is the main defence; this is the second, and it needs no Referer: browsers
    send Sec-Fetch-Site (Fetch Metadata) and Origin on every POST. Only the host is compared, so
    a proxy that ends TLS in front of the app changes nothing. The refusal is a CSRFError, so a
    member's page comes back with their answers on it, as for an expired form.
    """
    if request.method not in UNSAFE_METHODS:
        return
    if request.headers.get("Sec-Fetch-Site") in {"cross-site", "same-site"}:
        raise CSRFError("The form was sent from another site.")
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise CSRFError("The form was sent from another site.")


def init_app(app: Flask) -> None:
    """Add the headers to every response, refuse cross-site writes, offer csp_nonce() to templates."""
    app.before_request(_refuse_cross_site_writes)
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
