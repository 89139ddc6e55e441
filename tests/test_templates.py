"""The templates say each thing once: one layout (staff pages are a thin child of it), one error
summary, one chart button; and the layout keeps staff pages in English whatever a member chose."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Pages with a document of their own: the conference screen (slides) and the emails.
OWN_DOCUMENT = {"base.html", "published/screen.html", "email/message.html"}


def _templates() -> dict[str, str]:
    return {str(p.relative_to(TEMPLATES)): p.read_text() for p in TEMPLATES.rglob("*.html")}


def test_one_layout_and_every_page_extends_it():
    found = _templates()
    assert {name for name, text in found.items() if "<html" in text} == OWN_DOCUMENT
    parents = {name: re.search(r'{% extends "([^"]+)" %}', text) for name, text in found.items()}
    for name, match in parents.items():
        seen = [name]
        while match:  # follow the chain of extends to its top
            seen.append(match.group(1))
            match = parents[match.group(1)]
        if len(seen) > 1:
            assert seen[-1] == "base.html", seen


def test_the_error_summary_and_the_chart_button_are_written_once():
    found = _templates()
    assert [n for n, t in found.items() if 'class="error-summary"' in t] == ["components/error_summary.html"]
    assert [n for n, t in found.items() if "data-figure=" in t] == ["components/chart.html"]
    assert [n for n, t in found.items() if "js/charts.js" in t] == ["components/chart.html"]


def test_staff_pages_stay_in_english_after_a_member_page_chose_welsh(client):
    welsh = client.get("/?lang=cy").text
    assert '<html lang="cy">' in welsh and "<body>" in welsh and "Skip to main content" not in welsh
    staff = client.get("/staff/sign-in").text
    assert '<html lang="en">' in staff and '<body class="staff">' in staff
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in staff
    assert re.search(r"<title>[^<]* – Organisers – Members' survey</title>", staff)
    assert 'class="site-footer"' in welsh and 'class="site-footer"' not in staff
