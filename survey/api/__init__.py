"""The JSON API (version 1): survey descriptions and results, every number through the results protection."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import views  # noqa: E402,F401  (views register routes on bp)
