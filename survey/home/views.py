"""Home page and the health check."""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import render_template, session
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from ..core.audience import describe_audience
from ..core.publication import GIVEN_CODES, NEEDS_CODE, OPEN, public_state
from ..extensions import db
from ..i18n import current_language
from ..models import Survey, SurveyStatus
from . import bp


@dataclass
class Published:
    """A survey's results as the home page lists them."""

    survey: Survey
    published_at: datetime | None
    needs_code: bool  # its page asks for the access code given at the event
    audience: str | None  # who the survey was for, when not everyone ("Probation Service")


@bp.get("/")
def home():
    """List the open-link surveys that members can answer now, and the results published."""
    return render_template("home/home.html", surveys=Survey.open_link_surveys_open_now(), published=published_results())


def published_results() -> list[Published]:
    """Return the surveys whose results anyone may read now (or with the event's code), newest
    first. Embargoed, withdrawn and never-published results are left out: the home page says
    nothing that their own address would not."""
    language = current_language()
    listed = []
    for survey in db.session.scalars(select(Survey).where(Survey.status == SurveyStatus.PUBLISHED)):
        state, publication = public_state(survey, session.get(GIVEN_CODES, {}))
        if state in (OPEN, NEEDS_CODE):
            audience = describe_audience(survey.questionnaire, survey.audience, language) if survey.audience else None
            listed.append(Published(survey, publication.published_at, state == NEEDS_CODE, audience))
    listed.sort(key=lambda p: (p.published_at or datetime.min.replace(tzinfo=UTC), p.survey.id), reverse=True)
    return listed


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "ok"}
