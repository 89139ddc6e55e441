"""Real Chromium at phone size: pages render, pass axe-core, fit the screen, fetch nothing from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from survey.cli import make_demo_survey

from .browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    assert_no_horizontal_scroll,
    axe_violations,
    live_server,
    need_chromium,
    screenshot,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator:
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(app) -> Iterator[str]:
    with app.app_context():
        make_demo_survey()
    with live_server(app) as url:
        yield url


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    yield page, server, requested
    context.close()


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
