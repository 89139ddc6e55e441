"""Home page, a survey's start page, and the health check."""

from flask import abort, render_template
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Survey
from . import bp


@bp.get("/")
def home():
    """List the open-link surveys that members can answer now."""
    return render_template("public/home.html", surveys=Survey.open_link_surveys_open_now())


@bp.get("/s/<slug>")
def start(slug: str):
    """Show a survey's start page: what it is for, how long it takes, and the language choice."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug)) or abort(404)
    return render_template("public/start.html", survey=survey, questionnaire=survey.questionnaire)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "ok"}
