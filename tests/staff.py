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
    totp: bool = True,
    must_change: bool = False,
) -> User:
    """Store a ready-to-use account with an authenticator app set up, as every role needs one
    (totp=False: none yet, so it sets one up at its first sign-in)."""
    with app.app_context():
        user = create_user(email, email.split("@")[0].title(), role, PASSWORD, scopes if scopes is not None else [])
        user.must_change_password = must_change
        if totp is not False:
            user.totp_secret = new_totp_secret()
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def fresh_code(app: Flask, email: str, secret: str | None = None) -> str:
    """Return a valid code for a step the account has not used yet (a real app's next code).

    Each 30-second step gives one code, and a code is accepted once: when the steps the server
    accepts are used up (a test signing one account in again and again), wait for the next one, as
    a person would. Never the previous step's code: a browser typing it just before a step ends
    would send it one step too late.
    """
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        totp = pyotp.TOTP(secret or user.totp_secret)
        last = user.totp_last_step
    now_step = int(time.time()) // totp.interval
    step = max(now_step, last + 1)
    if step > now_step + 1:
        time.sleep((now_step + 1) * totp.interval - time.time() + 0.1)
        now_step = int(time.time()) // totp.interval
        step = max(now_step, last + 1)
    return totp.at(step * totp.interval)


def shown_key(html: str) -> str:
    """Return the key the set-up page shows for typing into an authenticator app."""
    return html.split('<code class="secret">')[1].split("</code>")[0]


def sign_in(client: FlaskClient, app: Flask, email: str, password: str = PASSWORD) -> TestResponse:
    """Sign in through the real pages: the password, then the code page, or, for an account with no
    authenticator app yet, the set-up page (the key it shows typed into an app, and the app's code)."""
    page = client.get("/staff/sign-in")
    response = client.post(
        "/staff/sign-in", data={"csrf_token": csrf_token(page.text), "email": email, "password": password}
    )
    if response.status_code == 302 and response.location.endswith("/staff/sign-in/code"):
        page = client.get("/staff/sign-in/code")
        response = client.post(
            "/staff/sign-in/code", data={"csrf_token": csrf_token(page.text), "code": fresh_code(app, email)}
        )
    elif response.status_code == 302 and response.location.endswith("/staff/sign-in/two-factor"):
        page = client.get("/staff/sign-in/two-factor")
        code = fresh_code(app, email, shown_key(page.text))
        response = client.post("/staff/sign-in/two-factor", data={"csrf_token": csrf_token(page.text), "code": code})
    return response


def browser_sign_in(page, server: str, app: Flask, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real pages in a browser: the password, then the code from the account's app."""
    page.goto(f"{server}/staff/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button:has-text('Continue')")
    page.fill("#code", fresh_code(app, email))
    page.click("button:has-text('Sign in')")
    assert "/staff/sign-in" not in page.url, f"{email} was not signed in: {page.url}"
