"""Real Chromium: the published page of a survey compared with its earlier wave, on a phone (390 px):
"up N points since 2025" where the planted change is, axe clean, nothing wider than the screen."""

from __future__ import annotations

import re

import pytest

import demo
from survey.extensions import db
from survey.models import Role, Survey

from .browser import PHONE, SCREENSHOTS, assert_no_horizontal_scroll, axe_violations, live_server, screenshot
from .factories import demo_survey, make_user, publish
from .staff import browser_sign_in

pytestmark = pytest.mark.browser


def test_the_published_page_says_what_changed_since_the_earlier_wave(app, browser):
    survey = demo_survey(app, "wave-pub", 2000, 5)
    with app.app_context():
        assert demo.add_earlier_wave(db.session.get(Survey, survey.id)) is not None
    publish(app, survey)
    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        for language, up in (("en", r"up (\d+) points since 2025"), ("cy", r"wedi codi (\d+) pwynt ers 2025")):
            page.goto(f"{server}/r/wave-pub?lang={language}", timeout=120_000)
            since = page.locator("section.since")
            text = since.inner_text()
            found = re.search(up, text)
            assert found and 9 <= int(found.group(1)) <= 15, text
            assert since.is_visible()
            assert axe_violations(page) == [], language
            assert_no_horizontal_scroll(page)
            since.scroll_into_view_if_needed()
            screenshot(page, f"published-phone-waves-{language}")
        page.goto(f"{server}/r/wave-pub?lang=en")
        page.click("summary:has-text('Workload and pressure')")
        line = page.locator("#topic-workload .line-since").first
        assert re.search(r"up \d+ points since 2025", line.inner_text())
        assert axe_violations(page) == []
        assert_no_horizontal_scroll(page)
        screenshot(page, "published-phone-waves-line")

        make_user(app, "ada@example.org", Role.ADMIN)
        browser_sign_in(page, server, app, "ada@example.org")
        for name, path in (("question", "/q/C1?by=A1"), ("reworded", "/q/C3"), ("overview", "/")):
            page.goto(f"{server}/organise/surveys/{survey.id}/results{path}", timeout=120_000)
            assert "2025" in page.locator("main").inner_text(), name
            assert axe_violations(page) == [], name
            assert_no_horizontal_scroll(page)
            screenshot(page, f"dashboard-phone-waves-{name}")
            if name != "overview":
                page.locator("section.waves").screenshot(path=SCREENSHOTS / f"dashboard-phone-waves-{name}-section.png")
        context.close()
