"""The running app: home page, start page, health check, error pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from survey import create_app
from survey.cli import make_demo_survey
from survey.config import TestConfig
from survey.extensions import db
from survey.models import AccessMode, QuestionnaireVersion, Survey, SurveyStatus, utcnow

from .helpers import get_page


@pytest.fixture
def demo(app):
    with app.app_context():
        return make_demo_survey().slug


def make_survey(app, slug: str, **overrides) -> None:
    """Store a survey of the conference poll with some settings changed."""
    with app.app_context():
        version = QuestionnaireVersion.pin(app.extensions["questionnaires"]["conference-pulse"])
        fields = {"status": SurveyStatus.OPEN, "access": AccessMode.OPEN_LINK} | overrides
        db.session.add(Survey(slug=slug, questionnaire_version=version, **fields))
        db.session.commit()


def test_home_lists_the_demo_survey(client, demo):
    html = get_page(client, "/")
    assert f'href="/s/{demo}"' in html
    assert "AI at work" in html


def test_home_lists_only_open_link_surveys_open_now(app, client):
    now = utcnow()
    make_survey(app, "open-now")
    make_survey(app, "draft", status=SurveyStatus.DRAFT)
    make_survey(app, "invited", access=AccessMode.INVITATION)
    make_survey(app, "not-yet", opens_at=now + timedelta(days=1))
    make_survey(app, "finished", closes_at=now - timedelta(minutes=1))
    make_survey(app, "closed", status=SurveyStatus.CLOSED)
    html = get_page(client, "/")
    assert "/s/open-now" in html
    for hidden in ("draft", "invited", "not-yet", "finished", "closed"):
        assert f'/s/{hidden}"' not in html


def test_home_says_when_nothing_is_open(client):
    assert "no surveys open to everyone" in get_page(client, "/")


def test_start_page_in_english_and_welsh(client, demo):
    html = get_page(client, f"/s/{demo}")
    assert '<html lang="en">' in html and "AI at work" in html and "minutes" in html
    html = get_page(client, f"/s/{demo}?lang=cy")
    assert '<html lang="cy">' in html
    assert 'hreflang="en"' in html  # the switch back to English
    # the choice is remembered for the next page
    assert '<html lang="cy">' in get_page(client, "/")


def test_unknown_survey_is_a_plain_404(client):
    html = get_page(client, "/s/no-such-survey", status=404)
    assert "Page not found" in html


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_says_503_when_the_database_is_down(tmp_path):
    # Port 1 on the loopback address refuses connections at once: a database that is down.
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "down"
