"""Helpers for staff tests, through the real pages: sign in (with the test client or a browser),
create a survey as an organiser, upload a questionnaire as an administrator. (Accounts are made
by tests/factories.py: make_user.)"""

from __future__ import annotations

import io
import time

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from survey.extensions import db
from survey.models import User

from .factories import PASSWORD
from .journey import csrf_token, errors_on, post_form


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


# The settings form of a new ai-at-work survey for probation, as an organiser fills it in.
SURVEY_SETTINGS = {
    "name": "AI at work – Probation",
    "service_group": "police_justice",
    "sector": "probation",
    "region": "",
    "access": "open_link",
    "threshold": "10",
    "opens_at": "",
    "closes_at": "",
}


def create_survey_through_pages(client: FlaskClient, **settings) -> int:
    """Create an ai-at-work survey and save its settings (SURVEY_SETTINGS, changed by `settings`)
    through the organiser's pages; return its id."""
    made = post_form(client, "/organise/surveys/new", {"name": "AI at work – Probation", "questionnaire": "ai-at-work"})
    assert made.status_code == 302, errors_on(made.text)
    survey_id = int(made.location.split("/")[-2])
    saved = post_form(client, f"/organise/surveys/{survey_id}/settings", SURVEY_SETTINGS | settings)
    assert saved.status_code == 302, errors_on(saved.text)
    return survey_id


def upload_questionnaire(client: FlaskClient, text: str | bytes, filename: str = "tiny-v2.yaml", token: bool = True):
    """Upload a file as a browser would (the body encoded here: the test client spills large ones to a file)."""
    page = client.get("/admin/questionnaires/upload")
    data = text.encode() if isinstance(text, str) else text
    fields = MultiDict({"file": FileStorage(io.BytesIO(data), filename)})
    if token:
        fields["csrf_token"] = csrf_token(page.text)
    boundary, body = encode_multipart(fields)
    return client.post(
        "/admin/questionnaires/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
