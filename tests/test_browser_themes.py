"""Real Chromium at 390 px: an organiser names a comment theme and merges two (issue 20)."""

from __future__ import annotations

import pytest

from survey.core.theming import theme_survey
from survey.extensions import db
from survey.models import Survey
from survey.results import forget

from .browser import PHONE, assert_no_horizontal_scroll, axe_violations, live_server, screenshot
from .factories import PASSWORD, PROBATION, commented_survey, make_user
from .staff import fresh_code

pytestmark = pytest.mark.browser

COMMENTS = [
    *[f"The keystroke monitoring watches everything we type, week {i}." for i in range(14)],
    *[f"We need proper training on the new tools, session {i}." for i in range(14)],
    *[f"Nobody consulted us about the chatbot before launch, meeting {i}." for i in range(12)],
]


def check(page, name: str) -> None:
    assert page.locator("h1").count() == 1, name
    assert axe_violations(page) == [], name
    assert_no_horizontal_scroll(page)
    screenshot(page, f"themes-{name}")


def test_an_organiser_names_and_merges_themes_on_a_phone(app, browser):
    survey = commented_survey(app, "themes-browser", COMMENTS)
    with app.app_context():
        forget(survey.id)
        theme_survey(db.session.get(Survey, survey.id))  # what the job worker does after a release
    make_user(app, "pat@example.org", scopes=[PROBATION])
    with live_server(app) as server:
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{server}/organise/surveys/{survey.id}/results/q/ai_detail")
        page.fill("#email", "pat@example.org")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Continue')")
        page.fill("#code", fresh_code(app, "pat@example.org"))
        page.click("button:has-text('Sign in')")
        page.goto(f"{server}/organise/surveys/{survey.id}/results/q/ai_detail")
        page.click("text=Themes in these comments")
        check(page, "01-found")
        themes = page.locator("ol.themes > li[id^=theme-]")
        assert themes.count() >= 2
        first = themes.nth(0)
        first.locator("input[name=name_en]").fill("Being watched")
        first.locator("input[name=name_cy]").fill("Cael ein gwylio")
        first.locator("button:has-text('Save the name')").click()
        assert "Theme named." in page.content()
        assert page.locator("ol.themes h2").first.inner_text().startswith("Being watched")
        check(page, "02-named")
        names = page.locator("ol.themes > li[id^=theme-] h2").all_inner_texts()
        count = len(names)
        page.locator("fieldset input[type=checkbox]").nth(0).check()
        page.locator("fieldset input[type=checkbox]").nth(1).check()
        page.select_option("#into", label="Being watched")
        page.click("button:has-text('Merge the selected themes')")
        assert "1 theme merged." in page.content()
        assert page.locator("ol.themes > li[id^=theme-]").count() == count - 1
        assert page.locator("ol.themes h2").first.inner_text().startswith("Being watched")
        check(page, "03-merged")

        # The published page, in Welsh: the top themes, the Welsh name, one quote each.
        public = browser.new_context(viewport=PHONE).new_page()
        public.goto(f"{server}/r/{survey.slug}/q/ai_detail?lang=cy")
        assert public.locator("section.themes h2").inner_text() == "Prif themâu"
        assert public.locator("section.themes li strong").first.inner_text() == "Cael ein gwylio"
        assert public.locator("section.themes blockquote").count() >= 1
        check(public, "04-published-welsh")
