"""Who may read a survey's results: staff in scope, everything; staff scoped to an audience inside a
wider survey's, their slice of it (survey/web/access.py: staff_slice); the public, only what an
organiser published (survey/core/publication.py decides: embargo, access code, chosen questions and
breakdowns)."""

from __future__ import annotations

from flask import abort, g, make_response, session
from flask_login import current_user

from .. import results
from ..core.publication import GIVEN_CODES, OPEN, PublicationView, public_state, survey_by_slug
from ..models import Survey
from ..web.access import staff_slice


def readable_survey(slug: str) -> Survey:
    """Return a survey whose results this visitor may read; otherwise "not found"."""
    survey = survey_by_slug(slug)
    if survey is None:
        abort(404)
    if current_user.is_authenticated and current_user.can_reach(survey.audience or {}):
        g.api_publication = None
        return survey
    chosen = staff_slice(survey) if current_user.is_authenticated else None
    if chosen is not None:  # every answer below is the slice's (its numbers, flags, comments)
        if not results.slice_shown(chosen):
            refused = {"error": f"Too few members in {chosen.label} answered to show results.", "slice": chosen.label}
            abort(make_response(refused, 403))
        g.api_publication = None
        return chosen  # type: ignore[return-value]
    state, publication = public_state(survey, session.get(GIVEN_CODES, {}))
    if state != OPEN:
        abort(404)
    g.api_publication = publication
    return survey


def visible_publication() -> PublicationView | None:
    """Return what the public may read of the survey readable_survey found; None: staff, everything."""
    return g.get("api_publication")
