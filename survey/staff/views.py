"""Sign in (password, then a one-time code, or setting up the app that makes them), sign out, move the
second factor to a new phone, change password."""

from __future__ import annotations

import time

import segno
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..core import audit
from ..core.accounts import (
    SignIn,
    check_code,
    check_password,
    end_session,
    locked_until,
    new_totp_secret,
    password_problem,
    record_failure,
    set_password,
    start_session,
    totp_uri,
)
from ..extensions import db
from ..models import User
from ..web.access import ALL_STAFF, guard, roles
from ..web.filters import london_time
from ..web.limits import limiter, rate
from . import bp

guard(bp)
CODE_WINDOW = 300  # seconds between a right password and its one-time code
ENROL_WINDOW = 900  # seconds between a right password and setting up an app (time to install one)
WRONG_SETUP_CODE = "That code is not right. Check the time on your phone is correct, and try the newest code."


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class CodeForm(FlaskForm):
    code = StringField("Code from your authenticator app", validators=[DataRequired("Enter the 6-digit code")])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired("Enter your current password")])
    new = PasswordField("New password", validators=[DataRequired("Enter a new password"), Length(max=200)])
    again = PasswordField(
        "New password again",
        validators=[DataRequired("Enter the new password again"), EqualTo("new", "The two new passwords differ")],
    )


def _locked_message(user: User) -> str:
    return (
        "This account is locked after too many failed sign-in attempts. "
        f"Try again after {london_time(locked_until(user))}, or ask an administrator to unlock it."
    )


def _finish(user: User, *events: str):
    """Every check passed: a fresh session (new token, old cookie contents dropped)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    user.session_token = start_session(user)
    login_user(user)
    for event in (*events, "signed in"):
        audit.record(event)
    db.session.commit()
    return redirect(url_for("organise.surveys"))


def _pending(key: str, window: int) -> User | None:
    """Return the account a password was right for a moment ago (within `window` seconds), or None."""
    pending = session.get(key) or {}
    user = db.session.get(User, pending.get("user", 0))
    if user is None or not user.active or time.time() - pending.get("at", 0) > window:
        session.pop(key, None)
        return None
    return user


def _setup(form: CodeForm, user: User, message: str | None, status: int):
    """The set-up page: the QR code and key of the secret being set up, and the code box."""
    secret = session["totp_setup"]
    uri = totp_uri(user, secret)
    qr = segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
    page = render_template("staff/two_factor.html", form=form, message=message, qr=qr, secret=secret, uri=uri)
    return page, status


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(rate("SIGN_IN"), methods=["POST"])
def sign_in():
    """Ask for email and password; then a code, or, for an account without one yet, set one up."""
    form = SignInForm()
    message = None
    if form.validate_on_submit():
        outcome, user = check_password(form.email.data, form.password.data)
        if outcome is SignIn.OK and user is not None:
            step = "pending_sign_in" if user.totp_secret else "pending_enrolment"
            session.pop("totp_setup", None)
            session[step] = {"user": user.id, "at": int(time.time())}
            return redirect(url_for("staff.code" if user.totp_secret else "staff.enrol"))
        message = _locked_message(user) if outcome is SignIn.LOCKED and user else "Email or password is not right."
    status = 200 if request.method == "GET" else 400 if form.errors or message else 200
    return render_template("staff/sign_in.html", form=form, message=message), status


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
@limiter.limit(rate("SIGN_IN"), methods=["POST"])
def enrol():
    """The second step for an account with no authenticator app yet: set one up before anything else.

    Nobody is signed in until a code from the new app is right: there is no session, so no page
    and no API call can be reached on the password alone (ADR 0008).
    """
    user = _pending("pending_enrolment", ENROL_WINDOW)
    if user is None or user.totp_secret:
        flash("Sign in again: setting up two-factor sign-in must follow the password within 15 minutes.")
        return redirect(url_for("staff.sign_in"))
    session.setdefault("totp_setup", new_totp_secret())
    form = CodeForm()
    if form.validate_on_submit():
        if locked_until(user):
            return _setup(form, user, _locked_message(user), 400)
        if check_code(user, form.code.data, session["totp_setup"]):
            user.totp_secret = session["totp_setup"]
            finished = _finish(user, "set up two-factor sign-in")  # clears the session: flash after
            flash("Two-factor sign-in is set up. You will be asked for a code each time you sign in.")
            return finished
        return _setup(form, user, WRONG_SETUP_CODE, 400)
    return _setup(form, user, None, 400 if request.method == "POST" else 200)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(rate("SIGN_IN"), methods=["POST"])
def code():
    """The second step: a one-time code from the authenticator app, within five minutes."""
    user = _pending("pending_sign_in", CODE_WINDOW)
    if user is None:
        flash("Sign in again: the code must follow the password within five minutes.")
        return redirect(url_for("staff.sign_in"))
    form = CodeForm()
    message = None
    if form.validate_on_submit():
        if locked_until(user):
            message = _locked_message(user)
        elif check_code(user, form.code.data):
            return _finish(user)
        else:
            locked = record_failure(user) is SignIn.LOCKED
            message = (
                _locked_message(user) if locked else "That code is not right, or was already used. Try the next one."
            )
    status = 400 if request.method == "POST" else 200
    return render_template("staff/code.html", form=form, message=message), status


@bp.post("/sign-out")
@roles(*ALL_STAFF)
def sign_out():
    """End the session on the server too, so the old cookie is worthless."""
    audit.record("signed out")
    end_session(current_user.session_token)
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("staff.sign_in"))


@bp.route("/two-factor", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def two_factor():
    """Move two-factor sign-in to a new phone: scan the new code, then type one code to prove it works."""
    session.setdefault("totp_setup", new_totp_secret())
    form = CodeForm()
    if form.validate_on_submit():
        if check_code(current_user, form.code.data, session["totp_setup"]):
            current_user.totp_secret = session.pop("totp_setup")
            audit.record("set up two-factor sign-in")
            db.session.commit()
            flash("Two-factor sign-in is set up on your new phone. Codes from the old one no longer work.")
            return redirect(url_for("organise.surveys"))
        return _setup(form, current_user, WRONG_SETUP_CODE, 400)
    return _setup(form, current_user, None, 400 if request.method == "POST" else 200)


@bp.route("/password", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def change_password():
    """Choose a new password (required after an administrator sets a temporary one)."""
    form = PasswordForm()
    if form.validate_on_submit():
        outcome, _ = check_password(current_user.email, form.current.data)
        problem = password_problem(form.new.data, current_user.email)
        if outcome is not SignIn.OK:
            form.current.errors.append("Your current password is not right")
        elif problem:
            form.new.errors.append(problem)
        else:
            set_password(current_user, form.new.data, temporary=False)
            audit.record("changed own password")
            db.session.commit()
            flash("Your password is changed.")
            return redirect(url_for("organise.surveys"))
    status = 400 if form.errors else 200
    return render_template("staff/password.html", form=form), status
