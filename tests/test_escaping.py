"""C1, C2: whatever members or organisers write is shown as text, never run as markup."""

from __future__ import annotations

import json
import re

from survey.questionnaire.loader import load_text

from .factories import TINY_TEXT, make_survey
from .helpers import ROOT, get_page
from .journey import TINY_PAGES, answer_pages

# Where markup is deliberately trusted, and why: each is built by our code, never from input.
TRUSTED = {
    ("templates/staff/two_factor.html", "qr | safe"),  # segno's SVG of our own otpauth:// address
    ("templates/published/screen.html", "qr | safe"),  # segno's SVG of our own results address
}
MARKUP_IN_CODE = {
    "survey/web/filters.py",  # paragraphs(): escapes every paragraph before wrapping it in <p>
    "survey/organise/distribution.py",  # segno's SVG of the survey's own address
    "survey/published/__init__.py",  # english(): a template's own literal text; Markup % escapes the values
    "survey/web/screen.py",  # breakable(): <wbr> after some characters, each character escaped
}
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<svg onload=alert(1)>"]


def test_autoescape_is_on(app):
    assert app.jinja_env.autoescape is True or app.jinja_env.autoescape("page.html")


def test_safe_is_used_only_where_the_markup_is_our_own():
    found = {
        (str(path.relative_to(ROOT)), match.group(0).replace("|safe", "| safe"))
        for path in (ROOT / "templates").rglob("*.html")
        for match in re.finditer(r"\w+ ?\| ?safe", path.read_text())
    }
    assert found <= TRUSTED, found - TRUSTED
    markup = {str(p.relative_to(ROOT)) for p in (ROOT / "survey").rglob("*.py") if "Markup(" in p.read_text()}
    assert markup <= MARKUP_IN_CODE, markup - MARKUP_IN_CODE


def test_questionnaire_text_with_markup_is_shown_as_text(app, client):
    hostile = TINY_TEXT.replace("Your work", json.dumps(PAYLOADS[0])).replace(
        "About your job.", json.dumps(PAYLOADS[1])
    )
    make_survey(app, "hostile", load_text(hostile, "hostile.yaml"))
    location = answer_pages(client, "hostile", {"work": TINY_PAGES["work"]})
    first = get_page(client, "/s/hostile/page/work")
    assert PAYLOADS[0] not in first and "&lt;script&gt;alert(1)&lt;/script&gt;" in first
    assert PAYLOADS[1] not in first and "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in first
    assert location


def test_answers_with_markup_come_back_as_text(app, client):
    make_survey(app, "tiny")
    pages = dict(TINY_PAGES, views=dict(TINY_PAGES["views"], team=PAYLOADS[2]))
    assert answer_pages(client, "tiny", pages).endswith("/check-answers")
    summary = get_page(client, "/s/tiny/check-answers")
    assert PAYLOADS[2] not in summary and "&lt;svg onload=alert(1)&gt;" in summary


def test_a_breakable_address_escapes_every_character():
    from survey.web.screen import breakable

    assert str(breakable('<svg onload="x">/a-b', "/-")) == "&lt;svg onload=&#34;x&#34;&gt;/<wbr>a-<wbr>b"
