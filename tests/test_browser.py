"""Real Chromium at phone size: pages render, pass axe-core, fit the screen, fetch nothing from elsewhere."""

from __future__ import annotations

import pytest

from .browser import PHONE, answer_every_question, assert_no_horizontal_scroll, axe_violations, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, demo_server):
    """A phone's page with JavaScript off, the demo served, and every address it asks for."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    yield page, demo_server, requested
    context.close()


def check_page(page, name: str, javascript: bool) -> None:
    """Check a page the way a reviewer would: axe, width, one h1, a screenshot."""
    assert page.locator("h1").count() == 1, name
    assert axe_violations(page, javascript=javascript) == [], name
    assert_no_horizontal_scroll(page)
    screenshot(page, name)


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_home_and_start_page_on_a_phone(phone, lang):
    page, server, requested = phone
    page.goto(f"{server}/?lang={lang}")
    assert page.locator("h1").count() == 1
    assert axe_violations(page, javascript=False) == []
    assert_no_horizontal_scroll(page)
    screenshot(page, f"home-{lang}")
    page.locator(".survey-list a").first.click()
    page.wait_for_load_state()
    assert "/s/ai-at-work-demo" in page.url
    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page, javascript=False) == []
    assert_no_horizontal_scroll(page)
    screenshot(page, f"start-{lang}")
    assert all(url.startswith(server) for url in requested), [u for u in requested if not u.startswith(server)]


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
@pytest.mark.parametrize("lang", ["en", "cy"])
def test_complete_the_whole_survey_on_a_phone(browser, demo_server, app, lang, javascript):
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    prefix = f"journey-{lang}-{'js' if javascript else 'nojs'}"
    page.goto(f"{demo_server}/s/ai-at-work-demo?lang={lang}")
    check_page(page, f"{prefix}-00-start", javascript)
    page.locator("button.start").click()

    # An empty first page shows the error summary, linked to the question.
    page.locator("button[value=continue]").click()
    assert page.locator(".error-summary a").count() == 1
    assert page.title().startswith("Error:" if lang == "en" else "Gwall:")
    check_page(page, f"{prefix}-01-error", javascript)

    for number in range(2, 40):
        if "/check-answers" in page.url:
            break
        assert "/page/" in page.url, page.url
        answer_every_question(page)
        check_page(page, f"{prefix}-{number:02d}-{page.url.rsplit('/', 1)[-1]}", javascript)
        page.locator("button[value=continue]").click()
        assert page.locator(".error-summary").count() == 0, page.locator(".error-summary").inner_text()
    else:
        pytest.fail("never reached check-your-answers")

    check_page(page, f"{prefix}-98-check-answers", javascript)
    page.locator("form button.button").last.click()
    assert page.url.endswith("/s/ai-at-work-demo/thank-you")
    check_page(page, f"{prefix}-99-thank-you", javascript)
    assert page.locator("html").get_attribute("lang") == lang
    assert all(url.startswith(demo_server) for url in requested), [
        u for u in requested if not u.startswith(demo_server)
    ]
    context.close()
