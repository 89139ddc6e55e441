"""Logs never hold invitation tokens, resume codes or members' addresses."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from survey.extensions import db
from survey.models import Survey
from survey.responses import service

from .browser import live_server
from .journey import make_survey


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
        (token,) = service.create_invitations(db.session.get(Survey, survey.id), 1)
    code = service.new_resume_code()
    caplog.set_level(logging.INFO, logger="werkzeug")
    with live_server(app) as base:
        assert fetch(f"{base}/i/{token}") == 302
        assert fetch(f"{base}/i/{token}x") == 404
        assert fetch(f"{base}/s/invited/resume/{code}") in (403, 404)
    text = caplog.text
    assert "/i/[redacted]" in text and "/resume/[redacted]" in text
    assert token not in text and code not in text and code.replace("-", "") not in text
    assert "127.0.0.1 - -" not in text
