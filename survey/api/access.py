"""Who may read a survey's results: anyone once published; before that, staff in scope only."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Survey, SurveyStatus

PUBLIC = (SurveyStatus.PUBLISHED,)


def readable_survey(slug: str) -> Survey:
    """Return a survey whose results this visitor may read; otherwise "not found"."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        abort(404)
    if survey.status in PUBLIC:
        return survey
    if current_user.is_authenticated and current_user.can_reach(survey.audience or {}):
        return survey
    abort(404)
