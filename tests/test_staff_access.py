"""Every staff page needs sign-in and the right role; scopes hold whatever id is in the address;
every change needs a POST with a CSRF token; no GET changes anything."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from survey.extensions import db
from survey.models import InvitationBatch, Role, SurveyStatus

from .factories import HEALTH, PROBATION, make_survey, make_user
from .helpers import get_page
from .journey import csrf_token
from .staff import sign_in

STAFF_BLUEPRINTS = ("staff", "organise", "admin", "dashboards", "exports")
OPEN_TO_ALL = {"staff.sign_in", "staff.code", "staff.enrol"}
WRITE = "POST"


def staff_rules(app: Flask):
    """Yield (rule, method) for every staff endpoint but the sign-in steps."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in STAFF_BLUEPRINTS and rule.endpoint not in OPEN_TO_ALL:
            for method in sorted(rule.methods & {"GET", "POST"}):
                yield rule, method


def fill(app: Flask, rule, survey) -> str:
    """Build a real address for a rule, pointing at `survey` (and its first batch or page)."""
    values = {}
    for name in rule.arguments:
        if name == "survey_id":
            values[name] = survey.id
        elif name == "language":
            values[name] = "en"
        elif name == "section_id":
            values[name] = _first_section(app, survey)
        elif name == "batch_id":
            values[name] = _batch(app, survey)
        elif name == "user_id":
            values[name] = _first_user(app)
        elif name == "version_id":
            values[name] = survey.questionnaire_version_id
        elif name == "questionnaire_id":
            values[name] = "ai-at-work"
        elif name == "kind":  # a QR code's format, or what a mailing sends
            values[name] = "reminder" if "/invitations/send/" in rule.rule else "svg"
        elif name == "question_id":
            values[name] = "E3"
        elif name == "fmt":
            values[name] = "csv"
        elif name == "part":
            values[name] = "results"
        elif name in ("mailing_id", "profile_id"):  # none exists: the checks before the view still run
            values[name] = 1
        elif name == "action":
            values[name] = "stop"
        elif name == "draft_id":  # a composed questionnaire: none exists, and only its owner would see it
            values[name] = 1
        elif name == "own_id":
            values[name] = "own_1"
        else:
            raise AssertionError(f"test_staff_access does not know how to fill <{name}> in {rule.rule}; teach fill()")
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _first_section(app: Flask, survey) -> str:
    with app.app_context():
        from survey.models import Survey

        return db.session.get(Survey, survey.id).member_questionnaire.sections[0].id


def _batch(app: Flask, survey) -> int:
    with app.app_context():
        batch = db.session.scalar(select(InvitationBatch).where(InvitationBatch.survey_id == survey.id))
        if batch is None:
            batch = InvitationBatch(survey_id=survey.id, created_by="test", kind="links", count=0)
            db.session.add(batch)
            db.session.commit()
        return batch.id


def _first_user(app: Flask) -> int:
    with app.app_context():
        from survey.models import User

        return db.session.scalar(select(User.id).order_by(User.id))


@pytest.fixture
def world(app):
    """Accounts of every role and surveys in two scopes, in each stage of life."""
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    surveys = {
        status: make_survey(
            app, f"probation-{status}", questionnaire, status=status, audience=PROBATION, name=f"Probation {status}"
        )
        for status in (SurveyStatus.DRAFT, SurveyStatus.OPEN, SurveyStatus.CLOSED)
    }
    surveys["health"] = make_survey(app, "health", questionnaire, status=SurveyStatus.OPEN, audience=HEALTH)
    users = {
        "admin": make_user(app, "ada@example.org", Role.ADMIN),
        "organiser": make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION]),
        "other": make_user(app, "hal@example.org", Role.ORGANISER, [HEALTH]),
        "viewer": make_user(app, "vic@example.org", Role.VIEWER, [PROBATION]),
    }
    return surveys, users


def _request(client, method: str, url: str, token: str | None):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token} if token else {})


def _token(client) -> str:
    for path in ("/organise/", "/staff/sign-in"):
        page = client.get(path)
        if page.status_code == 200 and "csrf_token" in page.text:
            return csrf_token(page.text)
    raise AssertionError("no page with a CSRF token")


def test_every_staff_view_declares_who_may_use_it(app):
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint.split(".")[0] in STAFF_BLUEPRINTS and endpoint not in OPEN_TO_ALL
        if not getattr(view, "allowed_roles", None)
    ]
    assert missing == []


def test_every_staff_endpoint_sends_strangers_to_sign_in(app, client, world):
    surveys, _ = world
    token = _token(client)
    for rule, method in staff_rules(app):
        response = _request(client, method, fill(app, rule, surveys[SurveyStatus.DRAFT]), token)
        assert response.status_code == 302 and "/staff/sign-in" in response.location, (rule.rule, method)


@pytest.mark.parametrize("who", ["viewer", "organiser"])
def test_roles_are_refused_what_they_may_not_do(app, client, world, who):
    surveys, users = world
    sign_in(client, app, users[who].email)
    token = _token(client)
    refused = 0
    for rule, method in staff_rules(app):
        if users[who].role in app.view_functions[rule.endpoint].allowed_roles:
            continue
        response = _request(client, method, fill(app, rule, surveys[SurveyStatus.DRAFT]), token)
        assert response.status_code == 403, (rule.rule, method, response.status_code)
        refused += 1
    assert refused > 0


def test_an_organiser_cannot_reach_another_scopes_survey_by_any_address(app, client, world):
    surveys, users = world
    sign_in(client, app, users["other"].email)  # scoped to Health
    token = _token(client)
    tried = 0
    for target in (surveys[SurveyStatus.DRAFT], surveys[SurveyStatus.OPEN], surveys[SurveyStatus.CLOSED]):
        for rule, method in staff_rules(app):
            if "survey_id" not in rule.arguments:
                continue
            response = _request(client, method, fill(app, rule, target), token)
            assert response.status_code in (403, 404), (rule.rule, method, response.status_code)
            tried += 1
    assert tried > 10
    listing = get_page(client, "/organise/")
    assert "Probation" not in listing and "health" in listing.lower()


def snapshot(app: Flask) -> dict:
    """Every row of every table but the session table (whose last-seen time a visit may refresh)."""
    with app.app_context():
        return {
            table.name: sorted(map(repr, db.session.execute(table.select()).all()))
            for table in db.metadata.sorted_tables
            if table.name != "staff_session"
        }


def test_no_get_changes_anything(app, client, world):
    surveys, users = world
    sign_in(client, app, users["admin"].email)
    for survey in surveys.values():
        for rule, method in staff_rules(app):
            if method == "GET" and "survey_id" in rule.arguments:
                fill(app, rule, survey)  # make any batch the address needs before the snapshot
    before = snapshot(app)
    for survey in surveys.values():
        for rule, method in staff_rules(app):
            if method == "GET":
                response = client.get(fill(app, rule, survey))
                assert response.status_code < 500, (rule.rule, response.status_code)
                response.close()  # a streamed download (exports) ends its generator, as a server would
    assert snapshot(app) == before


def test_every_change_needs_a_csrf_token(app, client, world):
    surveys, users = world
    sign_in(client, app, users["admin"].email)
    for rule, method in staff_rules(app):
        if method == WRITE:
            fill(app, rule, surveys[SurveyStatus.DRAFT])
    before = snapshot(app)
    for rule, method in staff_rules(app):
        if method == WRITE:
            response = client.post(fill(app, rule, surveys[SurveyStatus.DRAFT]), data={})
            assert response.status_code == 400, (rule.rule, response.status_code)
            assert re.search(r"expired|form", response.text, re.I)
    assert snapshot(app) == before
