"""Sessions, tokens and failures around them (catalogue A1, A5, B2, B3, B5, E5).

B2: over HTTPS a form must work without a Referer (privacy tools and some browsers drop it), and
cross-site forms are refused by Fetch Metadata and Origin instead. B3: a slow member, whose page
stayed open for hours, loses nothing saved and never sees a 500. B5: the invitation token leaves
the address at once and appears in no page. A1: an oversized page is a friendly 413 and stores
nothing. A5: every kind of bad invitation token gets the same plain page. E5: a failure while
logging a 500 still ends in the plain 500 page.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import itsdangerous
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.serving import make_server

from survey.core import invitations
from survey.core import surveys as life_cycle
from survey.extensions import db
from survey.models import Draft, Survey
from survey.web.logs import Redact

from .browser import CHROMIUM, CHROMIUM_ARGS, need_chromium
from .factories import make_survey, make_user
from .helpers import get_page
from .journey import TINY_PAGES, answer_pages, complete, csrf_token, post_form, start, submit
from .staff import sign_in


class HttpsClient(FlaskClient):
    """A test client whose every request comes over HTTPS, with no Referer (none is ever added)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://localhost")
        return super().open(*args, **kwargs)


@pytest.fixture
def https(app) -> FlaskClient:
    return HttpsClient(app, app.response_class, use_cookies=True)


def draft_contents(app) -> list[bytes]:
    with app.app_context():
        return sorted(d.content for d in db.session.scalars(select(Draft)))


# --- B2: HTTPS, no Referer, and cross-site forms ------------------------------------------------


def test_a_whole_journey_over_https_needs_no_referer(app, https, tiny):
    client = https
    assert "Strict-Transport-Security" in client.get("/s/tiny").headers  # the app does see HTTPS
    assert complete(client).location.endswith("/s/tiny/thank-you")
    assert "your answers have been saved" in get_page(client, "/s/tiny/thank-you")


def test_staff_sign_in_over_https_needs_no_referer(app, https):
    client = https
    make_user(app, "pat@example.org")
    assert sign_in(client, app, "pat@example.org").status_code == 302
    assert client.get("/organise/").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "https://localhost.evil.example", "Sec-Fetch-Site": "cross-site"},
    ],
    ids=["fetch-metadata", "sibling-site", "origin", "both"],
)
def test_a_form_sent_from_another_site_is_refused_and_saves_nothing(app, https, tiny, headers):
    client = https
    location = start(client)
    before = draft_contents(app)
    page = client.get(location)
    data = {"csrf_token": csrf_token(page.text), "group": "police_justice", "region": "eastern"}
    refused = client.post(location, data=data, headers=headers)
    assert refused.status_code == 400 and "press Continue again" in refused.text
    assert re.search(r'value="police_justice" id="[^"]+" checked', refused.text)  # nothing typed is lost
    assert draft_contents(app) == before  # and nothing was saved
    # The same form from our own pages goes through.
    same = {"Sec-Fetch-Site": "same-origin", "Origin": "https://localhost"}
    assert client.post(location, data=data, headers=same).status_code == 302
    assert draft_contents(app) != before


def test_a_cross_site_staff_form_is_refused_even_with_a_valid_token(app, client):
    make_user(app, "pat@example.org")
    page = client.get("/staff/sign-in")
    data = {"csrf_token": csrf_token(page.text), "email": "pat@example.org", "password": "x"}
    response = client.post("/staff/sign-in", data=data, headers={"Origin": "http://evil.example"})
    assert response.status_code == 400 and "expired" in response.text


# --- B3: the slow member ------------------------------------------------------------------------


@pytest.fixture
def later(monkeypatch) -> Iterator:
    """Move the clock that signs and checks session cookies forward by some hours."""
    real = itsdangerous.TimestampSigner.get_timestamp

    def move(hours: float) -> None:
        monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: real(self) + int(hours * 3600))

    return move


def test_the_form_token_lives_as_long_as_the_session(app, client, tiny, later):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 12 * 3600
    location = start(client)
    page = client.get(location)
    later(11)  # the page stayed open on the phone for eleven hours
    response = client.post(location, data={"csrf_token": csrf_token(page.text), **TINY_PAGES["work"]})
    assert response.status_code == 302 and response.location.endswith("/page/sector")


def test_after_the_session_lapses_an_invited_member_gets_a_plain_page_and_their_code_back(app, client, invited, later):
    client.get(f"/i/{invited[0]}")
    location = start(client, "invited")
    saved = post_form(client, location, {**TINY_PAGES["work"], "action": "save"})
    code = re.search(r'class="resume-code">([^<]+)<', get_page(client, saved.location)).group(1)
    page = client.get("/s/invited/page/sector")
    later(13)  # past the twelve-hour session: the cookie no longer opens anything
    response = client.post("/s/invited/page/sector", data={"csrf_token": csrf_token(page.text), **TINY_PAGES["sector"]})
    assert response.status_code == 400 and "This page had expired" in response.text  # never a 500
    assert "Answers you saved are kept" in response.text
    # The invitation link starts afresh: it never reopens saved answers.
    assert client.get(f"/i/{invited[0]}").status_code == 302
    assert start(client, "invited").endswith("/page/work")
    assert not re.search(r'value="health" id="[^"]+" checked', get_page(client, "/s/invited/page/work"))
    # The code does, with the invitation sealed inside the draft: sending uses it.
    assert client.get(f"/s/invited/resume/{code}").location.endswith("/page/sector")
    work = get_page(client, "/s/invited/page/work")
    assert re.search(r'value="health" id="[^"]+" checked', work)
    assert complete_from(client, "invited", "sector").location.endswith("/thank-you")
    assert app.test_client().get(f"/i/{invited[0]}").status_code == 409


def complete_from(client, slug: str, first: str):
    """Answer the pages from `first` onwards and submit."""
    names = list(TINY_PAGES)
    for section_id in names[names.index(first) :]:
        assert post_form(client, f"/s/{slug}/page/{section_id}", TINY_PAGES[section_id]).status_code == 302
    return submit(client, slug)


def test_after_the_session_lapses_a_saved_code_brings_the_answers_back(app, client, tiny, later):
    location = start(client)
    saved = post_form(client, location, {**TINY_PAGES["work"], "action": "save"})
    code = re.search(r'class="resume-code">([^<]+)<', get_page(client, saved.location)).group(1)
    page = client.get("/s/tiny/page/sector")
    later(13)
    response = client.post("/s/tiny/page/sector", data={"csrf_token": csrf_token(page.text), **TINY_PAGES["sector"]})
    assert response.status_code == 400 and "This page had expired" in response.text
    assert client.get(f"/s/tiny/resume/{code}").location.endswith("/page/sector")
    assert complete_from(client, "tiny", "sector").location.endswith("/thank-you")


def test_a_form_sent_after_the_survey_closed_says_it_has_closed(app, client, tiny, later):
    location = start(client)
    page = client.get(location)
    with app.app_context():
        life_cycle.close(db.session.get(Survey, tiny.id))
    later(13)
    response = client.post(location, data={"csrf_token": csrf_token(page.text), **TINY_PAGES["work"]})
    assert response.status_code == 410 and "has closed" in response.text


# --- B5: the invitation token leaves the address and never comes back --------------------------


def test_the_invitation_token_appears_in_no_page_and_no_address_after_the_link(app, client, invited):
    token = invited[0]
    first = client.get(f"/i/{token}")
    assert first.status_code == 302 and first.location == "/s/invited"
    seen = []
    original = client.open

    def recording(*args, **kwargs):
        response = original(*args, **kwargs)
        seen.append(response)
        return response

    client.open = recording
    answer_pages(client, "invited")
    client.get("/s/invited/check-answers")
    post_form(client, "/s/invited/page/about", {**TINY_PAGES["about"], "action": "save"})
    client.get("/s/invited/saved")
    submit(client, "invited")
    client.get("/s/invited/thank-you")
    assert len(seen) > 15
    for response in seen:
        assert token not in response.get_data(as_text=True), response.request.path
        assert token not in response.headers.get("Location", ""), response.request.path
        assert response.headers["Referrer-Policy"] == "same-origin"  # never sent to another site
    # 192 bits from the CSPRNG, URL-safe: far beyond guessing (ASVS asks for 128).
    assert all(len(t) == 32 and re.fullmatch(r"[\w-]+", t) for t in invited)


# --- A1: an oversized page ----------------------------------------------------------------------


def test_an_oversized_page_is_a_friendly_413_and_stores_nothing(app, client, tiny):
    location = start(client)
    assert post_form(client, location, TINY_PAGES["work"]).status_code == 302
    before = draft_contents(app)
    page = client.get("/s/tiny/page/sector")
    huge = {"csrf_token": csrf_token(page.text), **TINY_PAGES["sector"], "ai_detail": "x" * (1024 * 1024 + 1)}
    response = client.post("/s/tiny/page/sector", data=huge)
    assert response.status_code == 413 and "That was too large" in response.text
    assert "Traceback" not in response.text and "Content-Security-Policy" in response.headers
    assert draft_contents(app) == before  # nothing partly stored
    work = get_page(client, "/s/tiny/page/work")  # the earlier page's answers are intact
    assert re.search(r'value="health" id="[^"]+" checked', work)
    assert post_form(client, "/s/tiny/page/sector", TINY_PAGES["sector"]).status_code == 302


# --- A5: malformed and hostile invitation tokens ------------------------------------------------


def test_every_kind_of_bad_invitation_token_gets_the_same_plain_page(app, client, invited):
    bad = [
        "x" * 10_000,
        "not*base64!!",
        "' OR 1=1--",
        "%00",
        invited[0][:-1],  # one character short
        invited[0] + "A",
        invited[0].upper(),
        *(secrets.token_urlsafe(24) for _ in range(1000)),
    ]
    bodies = set()
    for token in bad:
        response = client.get(f"/i/{token}")
        assert response.status_code == 404, (token[:40], response.status_code)
        # The page's own address (in its language link) and its nonce aside, every page is the same.
        bodies.add(re.sub(r'nonce-[\w-]+|href="/i/[^"]*"', "", response.text))
    assert len(bodies) == 1  # one page for all: nothing tells a near miss from a wild guess
    assert client.get("/i/").status_code == 404


def test_a_token_for_a_closed_survey_or_used_elsewhere_opens_nothing_else(app, client, invited):
    other = make_survey(app, "other", access="invitation")
    with app.app_context():
        (other_token,) = invitations.create_invitations(db.session.get(Survey, other.id), 1)
    client.get(f"/i/{other_token}")  # an invitation to another survey...
    assert client.get("/s/invited").status_code == 403  # ...does not open this one
    assert client.post("/s/invited/start", data={"csrf_token": csrf_token(client.get("/s/other").text)}).location == (
        "/s/invited"
    )
    with app.app_context():
        life_cycle.close(db.session.get(Survey, other.id))
    closed = app.test_client().get(f"/i/{other_token}")
    assert closed.status_code in (404, 410)  # closing forgets the invitations, or says the survey closed


# --- E5: a failure while handling a failure -----------------------------------------------------


@pytest.fixture
def server_errors(app) -> Iterator[None]:
    """Let 500s reach the error pages, as in production, instead of being raised into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


def test_a_500_whose_logging_fails_still_gets_the_plain_500_page(app, client, tiny, monkeypatch, server_errors):
    def broken_view():
        raise ValueError("member typed: Rotas at Ward 7")

    def broken_logging(*args, **kwargs):
        raise RuntimeError("the log disk is full")

    monkeypatch.setattr(Survey, "open_link_surveys_open_now", broken_view)
    monkeypatch.setattr(app.logger, "error", broken_logging)
    response = client.get("/")
    assert response.status_code == 500 and "Sorry, something went wrong" in response.text
    assert "Traceback" not in response.text and "Rotas" not in response.text
    assert "Content-Security-Policy" in response.headers and response.headers["Cache-Control"] == "no-store"


def test_a_log_message_that_cannot_be_redacted_is_withheld_not_raised(app, caplog):
    caplog.set_level(logging.INFO)
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "%s %s", ("/i/secret-token",), None)
    assert Redact().filter(record) is True  # "%s %s" with one argument cannot be formatted
    assert record.getMessage() == "[log message withheld: it could not be redacted]"
    with app.test_request_context():
        app.logger.error("answer %d", "not a number")  # a broken call in our own code
    assert "not a number" not in caplog.text


# --- B2 in a real browser, over HTTPS -----------------------------------------------------------


@contextmanager
def https_server(app, strip_referer: bool) -> Iterator[tuple[str, list]]:
    """Serve the app over HTTPS (a throwaway certificate) and record the Referer of each POST that
    reaches the app; with strip_referer, drop it on the way in, as a privacy proxy would."""
    referers: list = []

    def recording(environ, start_response):
        if strip_referer:
            environ.pop("HTTP_REFERER", None)
        if environ["REQUEST_METHOD"] == "POST":
            referers.append(environ.get("HTTP_REFERER"))
        return app.wsgi_app(environ, start_response)

    server = make_server("127.0.0.1", 0, recording, threaded=True, ssl_context="adhoc")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}", referers
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.mark.browser
@pytest.mark.parametrize("strip_referer", [False, True], ids=["referer", "no-referer"])
def test_chromium_over_https_completes_with_and_without_a_referer(app, tiny, strip_referer):
    need_chromium()
    from playwright.sync_api import sync_playwright

    with https_server(app, strip_referer) as (base, referers), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(ignore_https_errors=True, java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{base}/s/tiny")
        page.locator("button.start").click()
        for _ in range(10):
            if "/check-answers" in page.url:
                break
            section = page.url.rsplit("/", 1)[-1]
            for name, value in TINY_PAGES[section].items():
                for one in value if isinstance(value, list) else [value]:
                    box = page.locator(f'[name="{name}"][value="{one}"]')
                    if box.count():
                        box.check()
                    else:
                        page.locator(f'[name="{name}"]').fill(one)
            page.locator("button[value=continue]").click()
            assert page.locator(".error-summary").count() == 0, page.url
        page.locator("form button.button").last.click()
        assert page.url.endswith("/s/tiny/thank-you"), page.url
        browser.close()
    assert referers and all((r is None) == strip_referer for r in referers), referers
    assert all(r is None or r.startswith(base) for r in referers)  # same-origin: our own pages only
