"""Security headers on every response: pages, error pages, the API and static files alike.

The Content-Security-Policy allows scripts only from this site or carrying this response's
nonce, so injected markup cannot run. Styles may be inline: the CSS bars and Plotly's charts set
widths in style attributes, and a style cannot run code. Pages (never static files) are
`no-store`, so a shared or lost phone keeps no copy of a member's answers or of results.
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

STATIC_MAX_AGE = 3600  # an hour; files under static/vendor/ carry their version in the name
VENDOR_MAX_AGE = 365 * 24 * 3600


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


def init_app(app: Flask) -> None:
    """Add the headers to every response and offer csp_nonce() to templates."""
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
