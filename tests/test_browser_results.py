"""Real Chromium: the results dashboard at phone and desktop size passes axe, fits the screen, and
draws an interactive chart only when asked, from our own copy of Plotly."""

from __future__ import annotations

import pytest

import demo
from survey.extensions import db
from survey.models import Role, Survey, SurveyStatus

from .browser import DESKTOP, PHONE, axe_violations, live_server, screenshot
from .factories import make_survey, make_user
from .staff import browser_sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_dashboard_on_a_phone_and_a_desktop(app, browser, size):
    survey = make_survey(
        app, "results", app.extensions["questionnaires"]["ai-at-work"], status=SurveyStatus.PUBLISHED, threshold=10
    )
    with app.app_context():
        demo.add_responses(db.session.get(Survey, survey.id), 3000, 5)
    make_user(app, "ada@example.org", Role.ADMIN)
    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE if size == "phone" else DESKTOP)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        browser_sign_in(page, server, app, "ada@example.org")
        base = f"{server}/organise/surveys/{survey.id}/results/"
        for name, path in [
            ("overview", ""),
            ("scale-by-disability", "q/C1?by=disabled"),
            ("grid", "q/C2"),
            ("filtered", "q/E3?filter=A5:cymru_wales&by=L2"),
            ("comments", "q/K1"),
        ]:
            page.goto(base + path)
            assert page.locator("h1").count() == 1, name
            assert axe_violations(page) == [], name
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name
            screenshot(page, f"results-{size}-{name}")
        assert not any("plotly" in url for url in requested)  # nothing heavy until asked

        page.goto(base + "q/C1?by=disabled")
        page.click("button:has-text('Show interactive chart')")
        page.wait_for_selector("#chart .main-svg", timeout=15_000)
        assert any(url.endswith("/static/vendor/plotly/plotly-basic-4.1.1.min.js") for url in requested)
        assert all(url.startswith(server) for url in requested)
        screenshot(page, f"results-{size}-chart")
        assert axe_violations(page) == []
        context.close()
