"""Logs never hold invitation tokens, resume codes or members' addresses."""

from __future__ import annotations

import http.cookiejar
import logging
import re
import urllib.error
import urllib.parse
import urllib.request

from survey.core import codes, invitations
from survey.extensions import db
from survey.models import Survey

from .browser import live_server
from .factories import make_survey
from .journey import TINY_PAGES


def fetch(url: str) -> int:
    """GET a URL without following redirects; return the status."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_request_logs_hide_tokens_codes_and_addresses(app, caplog):
    survey = make_survey(app, slug="invited", access="invitation")
    with app.app_context():
        (token,) = invitations.create_invitations(db.session.get(Survey, survey.id), 1)
    code = codes.new_resume_code()
    caplog.set_level(logging.INFO, logger="werkzeug")
    with live_server(app) as base:
        assert fetch(f"{base}/i/{token}") == 302
        assert fetch(f"{base}/i/{token}x") == 404
        assert fetch(f"{base}/s/invited/resume/{code}") in (403, 404)
    text = caplog.text
    assert "/i/[redacted]" in text and "/resume/[redacted]" in text
    assert token not in text and code not in text and code.replace("-", "") not in text
    assert "127.0.0.1 - -" not in text


def test_a_whole_journey_leaves_no_token_code_address_or_answer_in_any_log(app, caplog):
    survey = make_survey(app, slug="logged", access="invitation")
    with app.app_context():
        (token,) = invitations.create_invitations(db.session.get(Survey, survey.id), 1)
    caplog.set_level(logging.DEBUG)  # every logger, every level
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(url: str) -> tuple[str, str]:
        with browser.open(url, timeout=10) as response:
            return response.geturl(), response.read().decode()

    def post(url: str, html: str, data: dict) -> tuple[str, str]:
        fields = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1), **data}
        key = re.search(r'name="submit_key" value="([^"]+)"', html)
        if key:
            fields["submit_key"] = key.group(1)
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        with browser.open(url, data=body, timeout=10) as response:
            return response.geturl(), response.read().decode()

    with live_server(app) as base:
        url, html = get(f"{base}/i/{token}")
        url, html = post(f"{base}/s/logged/start", html, {})
        for section_id, answers in TINY_PAGES.items():
            assert url.endswith(f"/page/{section_id}"), url
            url, html = post(url, html, answers)
        assert url.endswith("/check-answers")
        url, html = post(url, html, {})
        assert url.endswith("/thank-you")
    text = caplog.text
    assert "POST /s/logged/check-answers" in text  # the request lines are there...
    assert token not in text and "127.0.0.1" not in text  # ...but no token and no address
    typed = [v for page in TINY_PAGES.values() for v in page.values() if isinstance(v, str) and not v.isdigit()]
    assert [v for v in typed if len(v) > 3 and v in text] == []  # and no answer a member typed or chose
