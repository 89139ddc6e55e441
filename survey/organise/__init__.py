"""Organisers' pages: surveys, their settings and life cycle, preview, distribution and tracking."""

from flask import Blueprint

from ..web.access import guard

bp = Blueprint("organise", __name__, url_prefix="/organise")
guard(bp)

from . import (  # noqa: E402,F401  (modules register routes on bp)
    compose,
    compose_preview,
    distribution,
    preview,
    publishing,
    views,
    waves,
    weighting,
)
