"""Rate limits (Flask-Limiter) on the doors an attacker would knock on: sign-in, invitation links,
resume codes and submissions.

Limits are counted per visitor key, which is an HMAC of the address under the app's secret: the
raw IP address is never stored, in memory or in Redis. They are generous enough for fifty members
behind one office address taking part together, and tight enough to make guessing pointless
(codes and tokens have 125 to 192 random bits anyway). Storage is in memory by default, or Redis
when REDIS_URL is set, so that several app servers share one count.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, request
from flask_limiter import Limiter


def visitor_key() -> str:
    """Return a key for the visitor's address that cannot be turned back into the address."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, (request.remote_addr or "").encode(), hashlib.sha256).hexdigest()[:32]


limiter = Limiter(visitor_key, headers_enabled=False)


def rate(name: str):
    """Return a limit read from the config when the request is made (RATE_SIGN_IN, ...)."""
    return lambda: current_app.config[f"RATE_{name}"]


def init_app(app: Flask) -> None:
    """Bind the limiter to the app's storage: Redis if configured, else this process's memory."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)
