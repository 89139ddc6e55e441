"""The running app: home page, start page, health check, error pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import OperationalError

from survey import create_app
from survey.config import TestConfig
from survey.core import member_survey
from survey.models import AccessMode, SurveyStatus, utcnow
from survey.web import errors

from .factories import make_survey
from .helpers import get_page
from .journey import csrf_token

PULSE = "conference-pulse"  # the surveys made here are of the conference poll


def test_home_lists_the_demo_survey(client, demo_survey):
    html = get_page(client, "/")
    assert f'href="/s/{demo_survey}"' in html
    assert "AI at work" in html


def test_home_lists_only_open_link_surveys_open_now(app, client):
    now = utcnow()
    make_survey(app, "open-now", PULSE)
    make_survey(app, "draft", PULSE, status=SurveyStatus.DRAFT)
    make_survey(app, "invited", PULSE, access=AccessMode.INVITATION)
    make_survey(app, "not-yet", PULSE, opens_at=now + timedelta(days=1))
    make_survey(app, "finished", PULSE, closes_at=now - timedelta(minutes=1))
    make_survey(app, "closed", PULSE, status=SurveyStatus.CLOSED)
    html = get_page(client, "/")
    assert "/s/open-now" in html
    for hidden in ("draft", "invited", "not-yet", "finished", "closed"):
        assert f'/s/{hidden}"' not in html


def test_home_says_when_nothing_is_open(client):
    assert "no surveys open to everyone" in get_page(client, "/")


def test_start_page_in_english_and_welsh(client, demo_survey):
    html = get_page(client, f"/s/{demo_survey}")
    assert '<html lang="en">' in html and "AI at work" in html and "minutes" in html
    html = get_page(client, f"/s/{demo_survey}?lang=cy")
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


def test_an_error_page_that_fails_itself_falls_back_to_plain_text(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the template is broken too")

    monkeypatch.setattr(errors, "render_template", broken)
    response = client.get("/s/no-such-survey")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain") and "Page not found" in response.text
    assert "Content-Security-Policy" in response.headers


def test_the_database_gone_page_keeps_what_was_sent(app, client, monkeypatch):
    def gone(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    make_survey(app, "tiny", PULSE)
    page = client.get("/s/tiny")
    monkeypatch.setattr(member_survey, "find_survey", gone)  # the survey cannot be read
    response = client.post("/s/tiny/start", data={"csrf_token": csrf_token(page.text), "note": "<b>kept</b>"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert 'name="note" value="&lt;b&gt;kept&lt;/b&gt;"' in response.text and "Try again" in response.text
