"""The home page and the health check: no sign-in needed."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from . import views  # noqa: E402,F401  (views register routes on bp)
