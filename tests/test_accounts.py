"""Staff sign-in: passwords, lockout, one-time codes, sessions renewed at sign-in and ended at sign-out."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from survey.core.accounts import LOCK_AFTER
from survey.extensions import db
from survey.models import AuditEvent, Role, StaffSession, User, utcnow

from .factories import PASSWORD, PROBATION, make_user
from .helpers import get_page, stored_user
from .journey import csrf_token, errors_on, post_form
from .staff import fresh_code, sign_in


def _try_password(client, email: str, password: str):
    page = client.get("/staff/sign-in")
    return client.post(
        "/staff/sign-in", data={"csrf_token": csrf_token(page.text), "email": email, "password": password}
    )


def test_an_organiser_signs_in_with_email_and_password(app, client):
    make_user(app, "Pat@Example.org", scopes=[PROBATION])
    response = sign_in(client, app, "pat@example.org")
    assert response.status_code == 302 and response.location.endswith("/organise/")
    assert client.get("/organise/").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.actor == "pat@example.org")) == "signed in"


def test_passwords_are_stored_as_argon2id_hashes(app):
    make_user(app, "pat@example.org")
    stored = stored_user(app, "pat@example.org").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_wrong_password_and_an_unknown_email_get_the_same_plain_answer(app, client):
    make_user(app, "pat@example.org")
    wrong = _try_password(client, "pat@example.org", "not the password")
    unknown = _try_password(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert "Email or password is not right." in wrong.text and "Email or password is not right." in unknown.text
    assert client.get("/organise/").status_code == 302


def test_ten_failed_sign_ins_lock_the_account_with_a_clear_message(app, client):
    make_user(app, "pat@example.org")
    for _ in range(LOCK_AFTER - 1):
        assert "not right" in _try_password(client, "pat@example.org", "guess").text
    tenth = _try_password(client, "pat@example.org", "guess")
    assert "locked after too many failed sign-in attempts" in tenth.text
    right = _try_password(client, "pat@example.org", PASSWORD)
    assert right.status_code == 400 and "ask an administrator to unlock it" in right.text
    with app.app_context():  # the lock ends by itself after STAFF_LOCKOUT
        user = db.session.scalar(select(User).where(User.email == "pat@example.org"))
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(client, app, "pat@example.org").status_code == 302


def test_a_correct_sign_in_resets_the_count_of_failures(app, client):
    make_user(app, "pat@example.org")
    for _ in range(LOCK_AFTER - 1):
        _try_password(client, "pat@example.org", "guess")
    sign_in(client, app, "pat@example.org")
    assert stored_user(app, "pat@example.org").failed_logins == 0


def test_an_account_with_two_factor_needs_a_code_after_the_password(app, client):
    make_user(app, "ada@example.org", Role.ADMIN)
    first = _try_password(client, "ada@example.org", PASSWORD)
    assert first.location.endswith("/staff/sign-in/code")
    assert client.get("/admin/users").status_code == 302  # not signed in yet
    wrong = post_form(client, "/staff/sign-in/code", {"code": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.text
    right = post_form(client, "/staff/sign-in/code", {"code": fresh_code(app, "ada@example.org")})
    assert right.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_a_code_cannot_be_used_twice(app, client):
    make_user(app, "ada@example.org", Role.ADMIN)
    code = fresh_code(app, "ada@example.org")
    _try_password(client, "ada@example.org", PASSWORD)
    assert post_form(client, "/staff/sign-in/code", {"code": code}).status_code == 302
    other = app.test_client()  # an eavesdropper replays the code with the password
    _try_password(other, "ada@example.org", PASSWORD)
    replay = post_form(other, "/staff/sign-in/code", {"code": code})
    assert replay.status_code == 400 and "already used" in replay.text


def test_an_old_code_has_expired(app, client):
    admin = make_user(app, "ada@example.org", Role.ADMIN)
    old = pyotp.TOTP(admin.totp_secret).at(time.time() - 95)  # three steps ago
    _try_password(client, "ada@example.org", PASSWORD)
    assert post_form(client, "/staff/sign-in/code", {"code": old}).status_code == 400


def test_the_code_must_follow_the_password_within_five_minutes(app, client):
    make_user(app, "ada@example.org", Role.ADMIN)
    _try_password(client, "ada@example.org", PASSWORD)
    with client.session_transaction() as session:
        session["pending_sign_in"] = {**session["pending_sign_in"], "at": int(time.time()) - 301}
    response = client.get("/staff/sign-in/code")
    assert response.status_code == 302 and response.location.endswith("/staff/sign-in")


def test_wrong_codes_count_towards_the_lock(app, client):
    make_user(app, "ada@example.org", Role.ADMIN)
    _try_password(client, "ada@example.org", PASSWORD)
    for _ in range(LOCK_AFTER):
        last = post_form(client, "/staff/sign-in/code", {"code": "000000"})
    assert "locked" in last.text
    assert "locked" in _try_password(client, "ada@example.org", PASSWORD).text


def test_signing_in_starts_a_fresh_session(app, client):
    make_user(app, "pat@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, app, "pat@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        first_token = session["_user_id"]
    client.post("/staff/sign-out", data={"csrf_token": csrf_token(client.get("/organise/").text)})
    sign_in(client, app, "pat@example.org")
    with client.session_transaction() as session:
        assert session["_user_id"] != first_token


def test_signing_out_makes_the_old_cookie_worthless(app, client):
    make_user(app, "pat@example.org")
    sign_in(client, app, "pat@example.org")
    stolen = client.get_cookie("session").value
    response = client.post("/staff/sign-out", data={"csrf_token": csrf_token(client.get("/organise/").text)})
    assert response.status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/organise/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_signing_out_needs_a_post_with_a_csrf_token(app, client):
    make_user(app, "pat@example.org")
    sign_in(client, app, "pat@example.org")
    assert client.get("/staff/sign-out").status_code == 405
    assert client.post("/staff/sign-out").status_code == 400
    assert client.get("/organise/").status_code == 200


def test_an_idle_session_is_refused_by_the_server(app, client):
    make_user(app, "pat@example.org")
    sign_in(client, app, "pat@example.org")
    with app.app_context():
        row = db.session.scalar(select(StaffSession))
        row.last_seen_at = utcnow() - app.config["STAFF_IDLE_TIMEOUT"] - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/organise/")
    assert response.status_code == 302 and "/staff/sign-in" in response.location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_an_administrator_must_set_up_two_factor_before_anything_else(app, client):
    make_user(app, "ada@example.org", Role.ADMIN, totp=False)
    response = _try_password(client, "ada@example.org", PASSWORD)
    assert response.location.endswith("/staff/sign-in/two-factor")
    assert "/staff/sign-in" in client.get("/admin/users").location  # the password alone signs nobody in
    page = get_page(client, "/staff/sign-in/two-factor")
    assert "<svg" in page
    secret = page.split('<code class="secret">')[1].split("</code>")[0]
    wrong = post_form(client, "/staff/sign-in/two-factor", {"code": "123456"})
    assert wrong.status_code == 400
    response = post_form(client, "/staff/sign-in/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert stored_user(app, "ada@example.org").totp_secret == secret


def test_a_temporary_password_must_be_changed_first(app, client):
    make_user(app, "pat@example.org", must_change=True)
    sign_in(client, app, "pat@example.org")
    assert client.get("/organise/").location.endswith("/staff/password")
    short = post_form(client, "/staff/password", {"current": PASSWORD, "new": "short", "again": "short"})
    assert short.status_code == 400 and "at least 12 characters" in " ".join(errors_on(short.text))
    wrong = post_form(client, "/staff/password", {"current": "nope", "new": "a" * 20, "again": "a" * 20})
    assert "current password is not right" in " ".join(errors_on(wrong.text))
    new = "violet kettle harbour 42"
    assert post_form(client, "/staff/password", {"current": PASSWORD, "new": new, "again": new}).status_code == 302
    assert client.get("/organise/").status_code == 200
    other = app.test_client()
    assert sign_in(other, app, "pat@example.org", new).status_code == 302


@pytest.mark.parametrize("path", ["/organise/", "/admin/users", "/staff/password", "/staff/two-factor"])
def test_staff_pages_send_strangers_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/staff/sign-in" in response.location
