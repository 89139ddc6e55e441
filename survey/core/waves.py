"""Waves: marking a survey as a wave of an earlier one, so that its results are compared with it.

Only the link is stored (survey.previous_survey_id); what is compared, and how, is the results
engine's (survey/results/waves.py). The earlier wave must be a closed survey with results, for
the same audience (comparing a sector's members with the whole union would read a difference in
who was asked as a change), that the organiser may see, and no later in the chain than this one.
"""

from __future__ import annotations

from ..extensions import db
from ..models import Survey, SurveyStatus, User
from . import audit
from .surveys import visible_surveys

EARLIER_STATUSES = (SurveyStatus.CLOSED, SurveyStatus.PUBLISHED, SurveyStatus.ARCHIVED)


def _chain(survey: Survey) -> list[Survey]:
    """Return the survey and the earlier waves it leads back to (stopping at a loop)."""
    found: list[Survey] = []
    while survey is not None and survey not in found:
        found.append(survey)
        survey = survey.previous_survey  # type: ignore[assignment]
    return found


def wave_choices(user: User, survey: Survey) -> list[Survey]:
    """Return the surveys this one may be marked as a wave of, newest first."""
    return [s for s in visible_surveys(user) if wave_problem(user, survey, s) is None]


def wave_problem(user: User, survey: Survey, earlier: Survey | None) -> str | None:
    """Return why `survey` cannot be marked as a wave of `earlier`, or None (None earlier: unmark)."""
    if earlier is None:
        return None
    if earlier.id == survey.id:
        return "A survey cannot be a wave of itself."
    if not user.can_reach(earlier.audience or {}):
        return "That survey is outside your sectors and regions."
    if earlier.status not in EARLIER_STATUSES:
        return "The earlier wave must be a survey that has closed, with its results."
    if (earlier.audience or {}) != (survey.audience or {}):
        return "The earlier wave must be for the same members (the same audience) as this survey."
    if survey in _chain(earlier):
        return "That survey is already a later wave of this one."
    return None


def mark_wave(user: User, survey: Survey, earlier: Survey | None) -> None:
    """Store which survey this one is a wave of (None: none), after wave_problem. Audited; commits."""
    survey.previous_survey = earlier
    if earlier is None:
        audit.record("unmarked earlier wave", survey)
    else:
        audit.record("marked as a wave", survey, earlier=earlier.slug, earlier_name=earlier.name)
    db.session.commit()
