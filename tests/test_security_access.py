"""B1 on the member side, B6 and D4 refusals in the audit log.

B1: a member's page save, start and final submit need the session's own CSRF token: with none, a
wrong one or another session's, nothing is saved; and no plain GET of a member page changes a
row. B6: every refusal of a staff request (a role not allowed, a survey outside the user's scope
reached by changing the id in the address) is kept in the audit log. D4: a try at weakening a
launched survey's protections is refused and audited.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Draft, PendingSubmission, Response, Role, Survey, SurveyStatus

from .factories import HEALTH, PROBATION, make_survey, make_user
from .helpers import get_page
from .journey import TINY_PAGES, answer_pages, csrf_token, post_form, start
from .staff import SURVEY_SETTINGS, create_survey_through_pages, sign_in


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def drafts(app) -> list[bytes]:
    with app.app_context():
        return sorted(d.content for d in db.session.scalars(select(Draft)))


def audit(app) -> list[tuple[str, str | None, dict]]:
    with app.app_context():
        return [(e.action, e.actor, e.detail) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


# --- B1: members' forms -------------------------------------------------------------------------


def test_a_page_save_without_the_sessions_own_token_saves_nothing(app, client, tiny):
    location = start(client)
    other = app.test_client()
    start(other)
    stolen = csrf_token(other.get(location).text)  # a real token, of another member's session
    before = drafts(app)
    for token in (None, "", "wrong", stolen):
        data = {**TINY_PAGES["work"], **({"csrf_token": token} if token is not None else {})}
        response = client.post(location, data=data)
        assert response.status_code == 400 and "press Continue again" in response.text, token
    assert drafts(app) == before
    assert " checked" not in get_page(client, location)  # the page still holds no answer


def test_the_final_submit_without_the_sessions_own_token_stores_nothing(app, client, tiny):
    answer_pages(client)
    page = client.get("/s/tiny/check-answers")
    key = re.search(r'name="submit_key" value="([^"]+)"', page.text).group(1)
    other = app.test_client()
    start(other)
    stolen = csrf_token(other.get("/s/tiny/page/work").text)
    for token in (None, "wrong", stolen):
        data = {"submit_key": key, **({"csrf_token": token} if token is not None else {})}
        response = client.post("/s/tiny/check-answers", data=data)
        assert response.status_code == 400 and "expired" in response.text, token
    assert count(app, PendingSubmission) + count(app, Response) == 0
    # The member's real submit still works afterwards, once.
    assert post_form(client, "/s/tiny/check-answers", {}).location.endswith("/thank-you")
    assert count(app, PendingSubmission) + count(app, Response) == 1


def test_starting_without_a_token_makes_no_draft(app, client, tiny):
    assert client.post("/s/tiny/start", data={}).status_code == 400
    assert client.post("/s/tiny/start", data={"csrf_token": "forged"}).status_code == 400
    assert count(app, Draft) == 0


def snapshot(app) -> dict:
    with app.app_context():
        return {t.name: sorted(map(repr, db.session.execute(t.select()).all())) for t in db.metadata.sorted_tables}


def test_no_get_of_a_member_page_changes_anything(app, client, tiny):
    answer_pages(client)
    post_form(client, "/s/tiny/page/about", {**TINY_PAGES["about"], "action": "save"})
    code = re.search(r'class="resume-code">([^<]+)<', get_page(client, "/s/tiny/saved"))
    assert code
    before = snapshot(app)
    for url in [
        "/",
        "/s/tiny",
        *(f"/s/tiny/page/{section}" for section in TINY_PAGES),
        "/s/tiny/check-answers",
        "/s/tiny/saved",
        "/s/tiny/resume",
        f"/s/tiny/resume/{code.group(1)}",
        "/s/tiny/thank-you",
        "/s/tiny/start",  # POST only: GET is refused
        "/healthz",
    ]:
        assert client.get(url).status_code in (200, 302, 405), url
    assert snapshot(app) == before


# --- B6: refusals are audited -------------------------------------------------------------------


def test_a_role_refusal_is_a_403_kept_in_the_audit_log(app, client):
    make_user(app, "vic@example.org", Role.VIEWER, [PROBATION])
    sign_in(client, app, "vic@example.org")
    assert client.get("/admin/users").status_code == 403
    token = csrf_token(client.get("/organise/").text)
    assert client.post("/organise/surveys/new", data={"csrf_token": token, "name": "x"}).status_code == 403
    refusals = [(a, who, d) for a, who, d in audit(app) if a.startswith("refused")]
    assert [(who, d["endpoint"], d["method"]) for _, who, d in refusals] == [
        ("vic@example.org", "admin.users", "GET"),
        ("vic@example.org", "organise.new_survey", "POST"),
    ]
    assert all("csrf" not in str(d) and "name" not in d for _, _, d in refusals)  # no form content


def test_reaching_for_another_scopes_survey_by_its_id_is_audited(app, client):
    probation = make_survey(app, "probation", status=SurveyStatus.OPEN, audience=PROBATION)
    make_user(app, "hal@example.org", Role.ORGANISER, [HEALTH])
    sign_in(client, app, "hal@example.org")
    assert client.get(f"/organise/surveys/{probation.id}").status_code == 404
    assert client.get(f"/organise/surveys/{probation.id}/results/").status_code == 404
    assert client.get("/organise/surveys/999999").status_code == 404  # no such survey: nothing to audit
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith("refused")).order_by(AuditEvent.id)
        ).all()
        assert [(e.actor, e.survey_id, e.detail["path"]) for e in events] == [
            ("hal@example.org", probation.id, f"/organise/surveys/{probation.id}"),
            ("hal@example.org", probation.id, f"/organise/surveys/{probation.id}/results/"),
        ]


# --- D4: weakening a launched survey is refused and audited ------------------------------------


@pytest.mark.parametrize("forged", [{"threshold": "5"}, {"access": "invitation"}, {"opens_at": "2030-01-01T09:00"}])
def test_weakening_a_launched_survey_is_refused_and_audited(app, client, forged):
    make_user(app, "pat@example.org", scopes=[PROBATION])
    sign_in(client, app, "pat@example.org")
    survey_id = create_survey_through_pages(client)
    post_form(client, f"/organise/surveys/{survey_id}/launch", {})
    with app.app_context():
        before = db.session.get(Survey, survey_id)
        assert before.status == SurveyStatus.OPEN
        kept = (before.threshold, before.access, before.opens_at)
    response = post_form(client, f"/organise/surveys/{survey_id}/settings", SURVEY_SETTINGS | forged)
    assert response.status_code == 400
    with app.app_context():
        after = db.session.get(Survey, survey_id)
        assert (after.threshold, after.access, after.opens_at) == kept
        refused = db.session.scalars(
            select(AuditEvent).where(AuditEvent.survey_id == survey_id, AuditEvent.action.startswith("refused"))
        ).all()
    assert [(e.action, e.actor) for e in refused] == [("refused settings change", "pat@example.org")]
    assert "locked" in refused[0].detail["reason"]
