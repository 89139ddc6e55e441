"""Two-factor sign-in for every staff role (issue 17 item 6): organisers, viewers and administrators
all see results or member lists, so all sign in with a password and a one-time code. An account
without an authenticator app sets one up on its way in, before it is signed in at all: the
password alone reaches no staff page, no export, no member list and no API answer."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Role, StaffSession, Survey, SurveyStatus, User

from .factories import PASSWORD, PROBATION, make_survey, make_user
from .helpers import get_page, stored_user
from .journey import csrf_token, post_form
from .staff import fresh_code, shown_key, sign_in

ROLES = [Role.ORGANISER, Role.VIEWER, Role.ADMIN]
OFFICE = {"REMOTE_ADDR": "203.0.113.9"}


def _password(client, email: str, password: str = PASSWORD):
    return post_form(client, "/staff/sign-in", {"email": email, "password": password})


def _doors(survey_id: int) -> list[str]:
    """Pages with results or member lists, an export, and the API of a survey not published."""
    return [
        "/organise/",
        f"/organise/surveys/{survey_id}",
        f"/organise/surveys/{survey_id}/results/",
        f"/organise/surveys/{survey_id}/exports/",
        f"/organise/surveys/{survey_id}/exports/results.csv",
        f"/organise/surveys/{survey_id}/invitations",
    ]


@pytest.fixture
def survey(app) -> Survey:
    return make_survey(app, "staffonly", status=SurveyStatus.CLOSED, audience=PROBATION)


def _refused(client, survey) -> list[str]:
    """Return the doors that opened (should be none): staff pages send to sign-in, the API says not found."""
    opened = []
    for path in _doors(survey.id):
        response = client.get(path)
        if not (response.status_code == 302 and "/staff/sign-in" in response.location):
            opened.append(f"{path}: {response.status_code}")
    if client.get(f"/api/v1/surveys/{survey.slug}").status_code != 404:
        opened.append("api")
    return opened


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sets_up_two_factor_before_reaching_anything(app, client, survey, role):
    make_user(app, "pat@example.org", role, [PROBATION], totp=False)
    response = _password(client, "pat@example.org")
    assert response.status_code == 302 and response.location.endswith("/staff/sign-in/two-factor")
    assert _refused(client, survey) == []  # the password alone: nothing
    page = get_page(client, "/staff/sign-in/two-factor")
    assert "<svg" in page and "Set up two-factor sign-in" in page
    secret = shown_key(page)
    assert post_form(client, "/staff/sign-in/two-factor", {"code": "000000"}).status_code == 400
    assert _refused(client, survey) == []  # a wrong code: still nothing
    done = post_form(client, "/staff/sign-in/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done.location.endswith("/organise/")
    welcome = get_page(client, "/organise/")
    assert "Two-factor sign-in is set up" in welcome
    assert client.get(f"/organise/surveys/{survey.id}/results/").status_code == 200
    assert stored_user(app, "pat@example.org").totp_secret == secret
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        actors = set(db.session.scalars(select(AuditEvent.actor)))
    assert actions[-2:] == ["set up two-factor sign-in", "signed in"] and actors == {"pat@example.org"}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_with_an_app_is_asked_for_a_code(app, client, survey, role):
    make_user(app, "pat@example.org", role, [PROBATION])
    response = _password(client, "pat@example.org")
    assert response.location.endswith("/staff/sign-in/code")
    assert _refused(client, survey) == []
    assert post_form(client, "/staff/sign-in/code", {"code": "000000"}).status_code == 400
    right = post_form(client, "/staff/sign-in/code", {"code": fresh_code(app, "pat@example.org")})
    assert right.status_code == 302
    assert client.get(f"/organise/surveys/{survey.id}/results/").status_code == 200


def test_an_existing_session_without_a_second_factor_stops_working(app, client, survey):
    """An organiser signed in before every role needed a code (or whose app an administrator has
    just forgotten): their session opens nothing, not even the API, until they sign in again."""
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    sign_in(client, app, "pat@example.org")
    assert client.get(f"/api/v1/surveys/{survey.slug}").status_code == 200  # staff read unpublished results
    with app.app_context():
        db.session.get(User, stored_user(app, "pat@example.org").id).totp_secret = None
        db.session.commit()
    assert _refused(client, survey) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0  # deleted when seen
    assert _password(client, "pat@example.org").location.endswith("/staff/sign-in/two-factor")


def test_the_set_up_step_cannot_be_stepped_around(app, client, survey):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION], totp=False)
    _password(client, "pat@example.org")
    secret = shown_key(get_page(client, "/staff/sign-in/two-factor"))
    # The signed-in set-up page and the code page are no way in.
    assert "/staff/sign-in" in client.get("/staff/two-factor").location
    code_page = client.get("/staff/sign-in/code")
    assert code_page.status_code == 302 and code_page.location.endswith("/staff/sign-in")
    # A code from another app (an attacker's own secret) is wrong.
    other = pyotp.TOTP(pyotp.random_base32()).now()
    token = csrf_token(client.get("/staff/sign-in/two-factor").text)
    assert client.post("/staff/sign-in/two-factor", data={"csrf_token": token, "code": other}).status_code == 400
    # The same key is offered until it works (a reload does not change what the app was given).
    assert shown_key(get_page(client, "/staff/sign-in/two-factor")) == secret
    # Fifteen minutes after the password, the set-up page sends back to sign in.
    with client.session_transaction() as session:
        session["pending_enrolment"] = {**session["pending_enrolment"], "at": int(time.time()) - 901}
    late = client.get("/staff/sign-in/two-factor")
    assert late.status_code == 302 and late.location.endswith("/staff/sign-in")
    assert _refused(client, survey) == [] and stored_user(app, "pat@example.org").totp_secret is None


def test_without_a_password_there_is_no_set_up_page(app, client):
    response = client.get("/staff/sign-in/two-factor")
    assert response.status_code == 302 and response.location.endswith("/staff/sign-in")
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION], totp=False)
    assert _password(client, "pat@example.org", "not the password").status_code == 400
    assert client.get("/staff/sign-in/two-factor").location.endswith("/staff/sign-in")


def test_a_temporary_password_is_changed_after_setting_up(app, client):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION], totp=False, must_change=True)
    assert sign_in(client, app, "pat@example.org").status_code == 302  # through the set-up page
    assert client.get("/organise/").location.endswith("/staff/password")
    new = "violet kettle harbour 42"
    assert post_form(client, "/staff/password", {"current": PASSWORD, "new": new, "again": new}).status_code == 302
    assert client.get("/organise/").status_code == 200
    again = app.test_client()
    assert _password(again, "pat@example.org", new).location.endswith("/staff/sign-in/code")


def test_a_locked_account_cannot_set_up_an_app(app, client):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION], totp=False)
    _password(client, "pat@example.org")
    page = client.get("/staff/sign-in/two-factor")
    with app.app_context():
        from survey.models import utcnow

        user = db.session.scalar(select(User).where(User.email == "pat@example.org"))
        user.locked_until = utcnow() + app.config["STAFF_LOCKOUT"]
        db.session.commit()
    code = pyotp.TOTP(shown_key(page.text)).now()
    refused = client.post("/staff/sign-in/two-factor", data={"csrf_token": csrf_token(page.text), "code": code})
    assert refused.status_code == 400 and "locked" in refused.text
    assert stored_user(app, "pat@example.org").totp_secret is None


def test_set_up_codes_are_rate_limited_as_sign_in_codes_are(app, client, limits):
    limits["RATE_SIGN_IN"] = "4 per minute"
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION], totp=False)
    page = client.get("/staff/sign-in", environ_base=OFFICE)
    client.post(
        "/staff/sign-in",
        data={"csrf_token": csrf_token(page.text), "email": "pat@example.org", "password": PASSWORD},
        environ_base=OFFICE,
    )
    token = csrf_token(client.get("/staff/sign-in/two-factor", environ_base=OFFICE).text)
    statuses = [
        client.post(
            "/staff/sign-in/two-factor", data={"csrf_token": token, "code": f"00000{i}"}, environ_base=OFFICE
        ).status_code
        for i in range(5)
    ]
    assert statuses == [400] * 4 + [429]  # counted per page, as the code page's are


def test_moving_to_a_new_phone_replaces_the_old_codes(app, client):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    old = stored_user(app, "pat@example.org").totp_secret
    sign_in(client, app, "pat@example.org")
    page = get_page(client, "/staff/two-factor")
    assert "replaces the old one" in page
    new = shown_key(page)
    done = post_form(client, "/staff/two-factor", {"code": pyotp.TOTP(new).now()})
    assert done.status_code == 302 and stored_user(app, "pat@example.org").totp_secret == new != old


def test_an_administrator_reset_sends_an_organiser_through_set_up_again(app, client):
    make_user(app, "ada@example.org", Role.ADMIN)
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    organiser = app.test_client()
    sign_in(organiser, app, "pat@example.org")
    sign_in(client, app, "ada@example.org")
    pat = stored_user(app, "pat@example.org")
    page = client.get(f"/admin/users/{pat.id}")
    reset = client.post(f"/admin/users/{pat.id}/reset-two-factor", data={"csrf_token": csrf_token(page.text)})
    assert reset.status_code == 302
    assert "/staff/sign-in" in organiser.get("/organise/").location
    assert _password(organiser, "pat@example.org").location.endswith("/staff/sign-in/two-factor")


@pytest.mark.browser
def test_two_factor_set_up_on_a_phone(app, browser):
    """An organiser without an app signs in on a 390 px phone: the set-up page fits, passes axe, and
    a code from the key it shows signs them in."""
    from .browser import PHONE, assert_no_horizontal_scroll, axe_violations, live_server, screenshot

    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION], totp=False)
    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.goto(f"{server}/organise/")
        page.fill("#email", "pat@example.org")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Continue')")
        assert page.url.endswith("/staff/sign-in/two-factor")
        assert page.locator("h1").inner_text() == "Set up two-factor sign-in"
        assert page.locator(".qr svg").is_visible()
        assert axe_violations(page) == []
        assert_no_horizontal_scroll(page)
        screenshot(page, "two-factor-set-up-phone")
        page.fill("#code", "123456")
        page.click("button:has-text('Turn on two-factor sign-in')")
        assert page.locator(".error-summary").is_visible() and axe_violations(page) == []
        screenshot(page, "two-factor-set-up-phone-wrong-code")
        key = page.locator("code.secret").inner_text()
        page.fill("#code", pyotp.TOTP(key).now())
        page.click("button:has-text('Turn on two-factor sign-in')")
        assert page.url.endswith("/organise/")
        assert page.locator(".notice", has_text="Two-factor sign-in is set up").count() == 1
        assert axe_violations(page) == []
        screenshot(page, "two-factor-set-up-phone-done")
        context.close()
