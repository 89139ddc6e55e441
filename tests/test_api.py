"""The JSON API: what a survey asks and how it breaks down; public once published, else staff in scope."""

from __future__ import annotations

import pytest

from survey.models import SurveyStatus

from .journey import make_survey
from .staff import HEALTH, PROBATION, make_user, sign_in


@pytest.fixture
def ai(app):
    return app.extensions["questionnaires"]["ai-at-work"]


def test_a_published_survey_describes_itself_to_anyone(app, client, ai):
    make_survey(app, "pub", ai, status=SurveyStatus.PUBLISHED, threshold=10)
    body = client.get("/api/v1/surveys/pub").get_json()
    assert (body["slug"], body["threshold"], body["title"]) == ("pub", 10, ai.title["en"])
    b1 = next(q for q in body["questions"] if q["id"] == "B1")
    assert b1["type"] == "single" and {"code", "label"} <= set(b1["options"][0])
    assert len(body["questions"]) == len(ai.questions)
    disabled = next(d for d in body["dimensions"] if d["id"] == "disabled")
    assert disabled["protected"] is True and [v["code"] for v in disabled["values"]]
    welsh = client.get("/api/v1/surveys/pub?lang=cy").get_json()
    assert welsh["title"] == ai.title["cy"]


def test_an_unpublished_survey_is_for_staff_in_scope_only(app, client, ai):
    make_survey(app, "open", ai, status=SurveyStatus.OPEN, audience=PROBATION)
    assert client.get("/api/v1/surveys/open").status_code == 404
    make_user(app, "hal@example.org", scopes=[HEALTH])
    sign_in(client, app, "hal@example.org")
    assert client.get("/api/v1/surveys/open").status_code == 404
    other = app.test_client()
    make_user(app, "pat@example.org", scopes=[PROBATION])
    sign_in(other, app, "pat@example.org")
    assert other.get("/api/v1/surveys/open").status_code == 200


def test_an_unknown_survey_is_not_found(client):
    assert client.get("/api/v1/surveys/nothing-here").status_code == 404
