"""Who may read a survey's results: staff in scope, everything; the public, only what an organiser
published (survey/published/access.py decides: embargo, access code, chosen questions and breakdowns)."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user

from ..models import Survey
from ..published.access import OPEN, Release, public_state, survey_by_slug


def readable_survey(slug: str) -> Survey:
    """Return a survey whose results this visitor may read; otherwise "not found"."""
    survey = survey_by_slug(slug)
    if survey is None:
        abort(404)
    if current_user.is_authenticated and current_user.can_reach(survey.audience or {}):
        g.api_release = None
        return survey
    state, release = public_state(survey)
    if state != OPEN:
        abort(404)
    g.api_release = release
    return survey


def public_release() -> Release | None:
    """Return what the public may read of the survey readable_survey found; None: staff, everything."""
    return g.get("api_release")
