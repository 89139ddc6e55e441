"""flask users create-admin and reset-password: the first administrator, and a way back in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Role, StaffSession, User, utcnow

from .factories import PASSWORD, make_user
from .helpers import stored_user
from .journey import post_form
from .staff import sign_in

ADMIN_PASSWORD = "a long enough admin password"


def _audit(app) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        db.session.expunge_all()
        return events


def _create_admin(app, email="ada@example.org", password=ADMIN_PASSWORD, again=None, name="Ada Admin"):
    return app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", email, "--name", name], input=f"{password}\n{again or password}\n"
    )


def test_create_admin_prompts_for_everything_and_hides_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin"], input=f"Ada@Example.org\nAda Admin\n{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Email address:" in result.output and "Repeat for confirmation:" in result.output
    assert ADMIN_PASSWORD not in result.output
    user = stored_user(app, "ada@example.org")
    assert user.role == Role.ADMIN and user.name == "Ada Admin" and user.active
    assert user.must_change_password is False and user.totp_secret is None
    assert user.password_hash.startswith("$argon2id$")


def test_the_new_admin_signs_in_and_must_set_up_two_factor_first(app, client):
    assert _create_admin(app).exit_code == 0
    password = post_form(client, "/staff/sign-in", {"email": "ada@example.org", "password": ADMIN_PASSWORD})
    assert password.status_code == 302 and password.location.endswith("/staff/sign-in/two-factor")
    for page in ("/organise/", "/admin/users", "/admin/audit", "/staff/two-factor"):
        refused = client.get(page)  # not signed in: the password alone opens nothing
        assert refused.status_code == 302 and "/staff/sign-in?" in refused.location, page
    assert client.get("/staff/sign-in/two-factor").status_code == 200
    assert sign_in(client, app, "ada@example.org", ADMIN_PASSWORD).status_code == 302  # set up on the way in
    assert client.get("/admin/users").status_code == 200


def test_create_admin_is_audited_from_the_command_line_without_the_password(app):
    assert _create_admin(app).exit_code == 0
    [event] = _audit(app)
    assert event.actor == "command line" and event.action == "created administrator"
    assert event.detail == {"account": "ada@example.org"}
    assert ADMIN_PASSWORD not in repr(event.detail)


def test_create_admin_refuses_an_email_already_in_use(app):
    make_user(app, "ada@example.org", Role.ORGANISER)
    result = _create_admin(app, email="ADA@example.org")
    assert result.exit_code == 1
    assert "There is already an account with this email address" in result.output
    assert "Password" not in result.output  # refused before asking for a password
    assert stored_user(app, "ada@example.org").role == Role.ORGANISER


def test_create_admin_refuses_a_weak_password(app):
    result = _create_admin(app, password="short")
    assert result.exit_code == 1 and "Use at least 12 characters" in result.output
    result = _create_admin(app, password="ada-is-my-name-and-password")
    assert result.exit_code == 1 and "Do not use your email address" in result.output
    assert stored_user(app, "ada@example.org") is None
    assert _audit(app) == []


def test_create_admin_asks_again_when_the_two_passwords_differ(app):
    result = _create_admin(app, again="something else entirely")
    assert result.exit_code != 0 and "do not match" in result.output
    assert stored_user(app, "ada@example.org") is None


def test_create_admin_refuses_something_that_is_not_an_email_address(app):
    result = _create_admin(app, email="ada")
    assert result.exit_code == 1 and "Enter an email address" in result.output


def test_reset_password_prints_a_temporary_password_unlocks_and_signs_out(app, client):
    make_user(app, "ada@example.org", Role.ADMIN)
    sign_in(client, app, "ada@example.org")
    assert client.get("/admin/users").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        user.locked_until, user.failed_logins = utcnow() + timedelta(minutes=20), 3
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["users", "reset-password", "ADA@example.org"])
    assert result.exit_code == 0, result.output
    temporary = result.output.split("Temporary password for ada@example.org: ")[1].split()[0]
    assert len(temporary) >= 12

    user = stored_user(app, "ada@example.org")
    assert user.locked_until is None and user.failed_logins == 0 and user.must_change_password
    assert user.totp_secret is not None  # kept unless asked
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0
    old = client.get("/admin/users")
    assert old.status_code == 302 and "/staff/sign-in" in old.location

    fresh = app.test_client()
    assert sign_in(fresh, app, "ada@example.org", PASSWORD).status_code == 400  # the old password is gone
    assert sign_in(fresh, app, "ada@example.org", temporary).status_code == 302
    forced = fresh.get("/admin/users")
    assert forced.status_code == 302 and forced.location.endswith("/staff/password")

    [event] = [e for e in _audit(app) if e.action == "reset password"]
    assert event.actor == "command line" and temporary not in repr(event.detail)


def test_reset_password_can_also_reset_two_factor(app):
    make_user(app, "ada@example.org", Role.ADMIN)
    result = app.test_cli_runner().invoke(args=["users", "reset-password", "ada@example.org", "--two-factor"])
    assert result.exit_code == 0, result.output
    assert "Two-factor sign-in must be set up again" in result.output
    assert stored_user(app, "ada@example.org").totp_secret is None
    assert [e.action for e in _audit(app)] == ["reset two-factor sign-in", "reset password"]


def test_reset_password_of_an_unknown_account_fails_plainly(app):
    result = app.test_cli_runner().invoke(args=["users", "reset-password", "nobody@example.org"])
    assert result.exit_code == 1 and "no account with the email address" in result.output
