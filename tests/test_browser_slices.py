"""Real Chromium at 390 px: a slice of a national survey in the surveys list and on its results
pages (with the choice of slice), axe clean, nothing wider than the screen."""

from __future__ import annotations

import pytest

from survey.models import Role

from .browser import PHONE, axe_violations, live_server, screenshot
from .factories import PROBATION, demo_survey, make_user
from .staff import browser_sign_in

pytestmark = pytest.mark.browser


def test_a_slice_on_a_phone(app, browser):
    survey = demo_survey(app, "national", 3000, 7)
    make_user(app, "wyn@example.org", Role.ORGANISER, [PROBATION, {"region": "cymru_wales"}])
    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        browser_sign_in(page, server, app, "wyn@example.org")
        page.goto(f"{server}/organise/")
        assert page.get_by_role("heading", name="Your slices of wider surveys").is_visible()
        page.locator("a", has_text="slice for Cymru/Wales").click()
        assert "slice for Cymru/Wales" in page.locator("h1").inner_text()
        results = f"{server}/organise/surveys/{survey.id}/results/"
        pages = [("list", f"{server}/organise/"), ("overview", results), ("question", f"{results}q/C1?by=A6")]
        for name, address in [*pages, ("comments", f"{results}q/K1")]:
            page.goto(address)
            assert page.locator("h1").count() == 1, name
            assert axe_violations(page) == [], name
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name
            screenshot(page, f"slice-phone-{name}")
        page.goto(results)
        page.screenshot(path=str(screenshot(page, "slice-phone-overview")).replace(".png", "-top.png"))
        page.goto(f"{server}/organise/surveys/{survey.id}/results/")
        page.get_by_label("Your slices of this survey").select_option(index=0)
        page.get_by_role("button", name="Show").first.click()
        assert "slice for Police and justice" in page.locator("h1").inner_text()
        screenshot(page, "slice-phone-probation")
        context.close()
