"""Results dashboards for organisers and viewers: an overview, then each question with a
breakdown and a filter. Every number comes from the results engine, through its one gate."""

from flask import Blueprint

from ..web.access import guard

bp = Blueprint("dashboards", __name__, url_prefix="/organise/surveys/<int:survey_id>/results")
guard(bp)

from . import review, themes, views  # noqa: E402,F401  (views register routes on bp)
