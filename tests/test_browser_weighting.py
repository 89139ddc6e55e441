"""Real Chromium at phone size: an organiser switches weighting on; the switch page and a weighted
dashboard table pass axe and fit the screen."""

from __future__ import annotations

import pytest

import demo
from demo.membership import add_membership_profile
from survey.extensions import db
from survey.models import Role, Survey, SurveyStatus

from .browser import PHONE, axe_violations, live_server, screenshot
from .factories import make_survey, make_user
from .staff import browser_sign_in

pytestmark = pytest.mark.browser


def test_an_organiser_switches_weighting_on_at_phone_size(app, browser):
    survey = make_survey(
        app, "weighed", app.extensions["questionnaires"]["ai-at-work"], status=SurveyStatus.CLOSED, threshold=10
    )
    with app.app_context():
        demo.add_responses(db.session.get(Survey, survey.id), 2000, 7)
        add_membership_profile()
    make_user(app, "ada@example.org", Role.ADMIN)
    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        browser_sign_in(page, server, app, "ada@example.org")
        page.goto(f"{server}/organise/surveys/{survey.id}")
        page.click("a:has-text('Weighting')")
        assert page.locator("#weighting-state").inner_text() == "off"
        assert "Design effect" in page.locator("#weighting-facts").inner_text()
        page.click("button:has-text('Switch weighting on')")
        assert page.locator("#weighting-state").inner_text() == "on"
        for name, path in [
            ("switch", f"/organise/surveys/{survey.id}/weighting"),
            ("table", f"/organise/surveys/{survey.id}/results/q/C1?by=A1"),
        ]:
            page.goto(server + path)
            assert axe_violations(page) == [], name
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name
            screenshot(page, f"weighting-phone-{name}")
        assert "Effective sample size (weighted)" in page.content()
        context.close()
    with app.app_context():
        assert db.session.get(Survey, survey.id).weighted
