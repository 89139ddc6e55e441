"""The JSON API: what a survey asks and how it breaks down; public once published, else staff in scope."""

from __future__ import annotations

import pytest

from survey.models import Role, SurveyStatus

from .factories import HEALTH, PROBATION, make_survey, make_user
from .helpers import get_page
from .staff import sign_in


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


@pytest.fixture
def published(app, ai):
    import demo
    from survey.extensions import db
    from survey.models import Survey

    survey = make_survey(app, "pub", ai, status=SurveyStatus.PUBLISHED, threshold=10)
    with app.app_context():
        demo.add_responses(db.session.get(Survey, survey.id), 4000, 11)
    return survey


def test_results_without_a_breakdown_are_one_group_for_everyone(client, published):
    body = client.get("/api/v1/surveys/pub/results/E3").get_json()
    assert body["question"] == "E3" and body["by"] is None and body["filters"] == {}
    (group,) = body["groups"]
    assert group["code"] is None and group["n"] >= 10 and not group["suppressed"]
    assert {c["group"] for c in body["cells"]} == {None}
    shown = [c for c in body["cells"] if not c["suppressed"]]
    # Each count is adjusted on its own (by 3 at most), so the answers add up to the base only roughly.
    assert abs(sum(c["count"] for c in shown) - group["n"]) <= 3 * (len(shown) + 1)
    assert len(shown) == len(body["cells"])  # nothing inside a shown group is hidden
    for cell in shown:
        assert cell["ci_low"] <= cell["percent"] <= cell["ci_high"]


def test_every_hidden_number_is_null_and_every_shown_group_is_at_least_k(client, published):
    for query in ("by=disabled", "by=L1", "by=A2", "by=ethnic_group&A1=health", "A5=cymru_wales&by=L2"):
        response = client.get(f"/api/v1/surveys/pub/results/C1?{query}")
        body = response.get_json()
        if response.status_code == 400:
            assert body["refused"]
            continue
        for group in body["groups"]:
            assert (group["n"] is None) == group["suppressed"]
            assert group["suppressed"] or group["n"] >= 10
        for cell in body["cells"]:
            if cell["suppressed"]:
                assert cell["count"] is cell["percent"] is cell["ci_low"] is cell["ci_high"] is None


def test_a_refused_query_says_why_and_an_unknown_question_is_not_found(client, published):
    refused = client.get("/api/v1/surveys/pub/results/C1?L1=16_24")
    assert refused.status_code == 400 and "protected" in refused.get_json()["refused"]
    assert client.get("/api/v1/surveys/pub/results/ZZ9").status_code == 404


def test_the_api_and_the_dashboard_give_the_same_numbers(app, client, published):
    make_user(app, "ada@example.org", Role.ADMIN)
    staff = app.test_client()
    sign_in(staff, app, "ada@example.org")
    body = client.get("/api/v1/surveys/pub/results/E3?by=disabled").get_json()
    page = get_page(staff, f"/organise/surveys/{published.id}/results/q/E3?by=disabled")
    for group in body["groups"]:
        if not group["suppressed"]:
            assert f'data-group="{group["label"]}"><span class="val n">{group["n"]:,}</span>' in page
    for cell in body["cells"]:
        if not cell["suppressed"]:
            assert f"{cell['percent']:.0f}%" in page and f"{cell['count']:,}" in page


def test_the_planted_equality_gaps_are_flagged_in_plain_sentences(client, published):
    from demo import PLANTED
    from survey.extensions import db
    from survey.models import Survey
    from survey.results.dimensions import structure

    flags = client.get("/api/v1/surveys/pub/equality").get_json()["flags"]
    # One flag per question and characteristic family (young members and the 16-30 age band are
    # one family): a planted gap is found when its family is flagged on its question.
    with client.application.app_context():
        family = structure(db.session.get(Survey, published.id).questionnaire).family
    found = {(family(f["dimension"]).id, f["question"]) for f in flags}
    planted = {(family(p.dimension).id, p.answer) for p in PLANTED}
    assert (family("disabled").id, "D2.c") in found and len(found & planted) >= 2, (found, planted)  # at n=4,000
    for flag in flags:
        assert flag["adjusted_p"] < 0.05 and flag["base"] >= 10 and "points" in flag["sentence"]
