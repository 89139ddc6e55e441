"""Home page and the health check."""

from flask import render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Survey
from . import bp


@bp.get("/")
def home():
    """List the open-link surveys that members can answer now."""
    return render_template("public/home.html", surveys=Survey.open_link_surveys_open_now())


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "ok"}
