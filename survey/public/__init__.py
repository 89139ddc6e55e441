"""Public pages that need no login: home page and health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import views  # noqa: E402,F401  (views register routes on bp)
