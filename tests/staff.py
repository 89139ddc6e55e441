"""Helpers for staff tests: make accounts and sign in through the real pages."""

from __future__ import annotations

import time

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from survey.accounts.service import create_user, new_totp_secret
from survey.extensions import db
from survey.models import Role, User

from .journey import csrf_token

PASSWORD = "correct horse battery staple"
PROBATION = {"service_group": "police_justice", "sector": "probation"}
HEALTH = {"service_group": "health"}


def make_user(
    app: Flask,
    email: str = "organiser@example.org",
    role: Role = Role.ORGANISER,
    scopes: list | None = None,
    *,
    totp: bool | None = None,
    must_change: bool = False,
) -> User:
    """Store a ready-to-use account (administrators get a second factor unless totp=False)."""
    with app.app_context():
        user = create_user(email, email.split("@")[0].title(), role, PASSWORD, scopes if scopes is not None else [])
        user.must_change_password = must_change
        if totp if totp is not None else role == Role.ADMIN:
            user.totp_secret = new_totp_secret()
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def fresh_code(app: Flask, email: str) -> str:
    """Return a valid code for a step the account has not used yet (a real app's next code)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        totp = pyotp.TOTP(user.totp_secret)
        now_step = int(time.time()) // totp.interval
        step = max(now_step - 1, user.totp_last_step + 1)
        assert step <= now_step + 1, "no unused code left in this 90-second window"
        return totp.at(step * totp.interval)


def sign_in(client: FlaskClient, app: Flask, email: str, password: str = PASSWORD) -> TestResponse:
    """Sign in through the form (and the code page when the account has a second factor)."""
    page = client.get("/staff/sign-in")
    response = client.post(
        "/staff/sign-in", data={"csrf_token": csrf_token(page.text), "email": email, "password": password}
    )
    if response.status_code == 302 and response.location.endswith("/staff/sign-in/code"):
        page = client.get("/staff/sign-in/code")
        response = client.post(
            "/staff/sign-in/code", data={"csrf_token": csrf_token(page.text), "code": fresh_code(app, email)}
        )
    return response
