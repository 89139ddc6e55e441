"""Exports for staff: aggregate tables (CSV and XLSX) through the results engine's one gate, and
the administrators' response-level CSV with a warning and an audit entry. Streamed, a chunk at a time."""

from flask import Blueprint

from ..web.access import guard

bp = Blueprint("exports", __name__, url_prefix="/organise/surveys/<int:survey_id>/exports")
guard(bp)

from . import views  # noqa: E402,F401  (views register routes on bp)
