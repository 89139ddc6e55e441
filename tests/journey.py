"""Helpers that walk the member journey through the Flask test client, as a phone would, and the
form helpers every page-driving test uses (csrf_token, post_form, errors_on)."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

# A complete, valid set of answers to the tiny questionnaire (tests/factories.py: TINY), page by page.
TINY_PAGES: dict[str, dict[str, Any]] = {
    "work": {"group": "health", "region": "eastern"},
    "sector": {"sector": "acute", "monitoring": ["cctv", "email"], "uses_ai": "yes", "ai_detail": "Rotas"},
    "views": {"trust.a": "4", "trust.b": "dk", "confidence": "5", "years": "12", "team": "Blue"},
    "about": {"age": "a16_30", "ethnicity": "pnts"},
}


def csrf_token(html: str) -> str:
    """Return the CSRF token from a page's form."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kwargs) -> TestResponse:
    """GET a form page, then POST data to it with its CSRF token (and submit key, if any)."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    fields = {"csrf_token": csrf_token(page.text), **data}
    key = re.search(r'name="submit_key" value="([^"]+)"', page.text)
    if key and "submit_key" not in data:
        fields["submit_key"] = key.group(1)
    return client.post(url, data=fields, **kwargs)


def start(client: FlaskClient, slug: str = "tiny") -> str:
    """Press Start and return the first page's address."""
    response = _press_start(client, slug)
    assert response.status_code == 302, response.status_code
    return response.location


def _press_start(client: FlaskClient, slug: str) -> TestResponse:
    page = client.get(f"/s/{slug}")
    assert page.status_code == 200, page.status_code
    return client.post(f"/s/{slug}/start", data={"csrf_token": csrf_token(page.text)})


def answer_pages(client: FlaskClient, slug: str = "tiny", pages: dict | None = None) -> str:
    """Start and answer every page in order; return where the last page led (check answers)."""
    location = start(client, slug)
    for section_id, data in (pages or TINY_PAGES).items():
        assert location.endswith(f"/page/{section_id}"), (location, section_id)
        response = post_form(client, location, data)
        assert response.status_code == 302, (section_id, response.status_code, errors_on(response.text))
        location = response.location
    return location


def submit(client: FlaskClient, slug: str = "tiny") -> TestResponse:
    """Press 'Send my answers' on the check-your-answers page."""
    return post_form(client, f"/s/{slug}/check-answers", {})


def complete(client: FlaskClient, slug: str = "tiny", pages: dict | None = None) -> TestResponse:
    """Answer every page and submit; return the submit's response."""
    assert answer_pages(client, slug, pages).endswith("/check-answers")
    return submit(client, slug)


def errors_on(html: str) -> list[str]:
    """Return the error summary's messages on a page."""
    block = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    found = re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', block.group(0)) if block else []
    return [html_lib.unescape(text) for text in found]
