"""Real Chromium at phone size (390 x 844): Start on the first screen, no page longer than two and
a half screens, focus on the error summary, long words wrapping, GOV.UK-size tap targets; axe
reports nothing, with JavaScript on and off, in English and Welsh."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browser import PHONE, answer_every_question, assert_no_horizontal_scroll, axe_violations, screenshot

pytestmark = pytest.mark.browser

SCREENS = 2.5  # the longest a member page may be, in phone screens
LONGEST: dict[str, tuple[str, int]] = {}  # language -> (page, height), printed for the record


def _phone(browser, javascript: bool):
    return browser.new_context(viewport=PHONE, java_script_enabled=javascript)


def _clean(page, name: str, javascript: bool) -> None:
    assert axe_violations(page, javascript=javascript) == [], name
    assert_no_horizontal_scroll(page)
    screenshot(page, name)


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
@pytest.mark.parametrize("lang", ["en", "cy"])
def test_start_now_is_on_the_first_screen(browser, demo_server, lang, javascript):
    context = _phone(browser, javascript)
    page = context.new_page()
    page.goto(f"{demo_server}/s/ai-at-work-demo?lang={lang}")
    box = page.locator("button.start").bounding_box()
    print(f"start button ({lang}): top {box['y']:.0f}px, bottom {box['y'] + box['height']:.0f}px of 844")
    assert box["y"] + box["height"] <= PHONE["height"]
    fold = page.locator("details.promises-fold")
    assert fold.get_attribute("open") is None
    _clean(page, f"member-start-{lang}-{'js' if javascript else 'nojs'}", javascript)
    fold.locator("summary").click()
    assert fold.locator("ol.promises > li").count() == 10
    assert fold.locator("ol.promises").is_visible()
    _clean(page, f"member-start-{lang}-{'js' if javascript else 'nojs'}-promises", javascript)
    context.close()


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_no_member_page_is_longer_than_two_and_a_half_screens(browser, demo_server, lang):
    """Every page of the demo, reached with answers that show every page (AI in use, Welsh
    questions, follow-ups), with JavaScript off, so every follow-up is on the page."""
    context = _phone(browser, javascript=False)
    page = context.new_page()
    page.goto(f"{demo_server}/s/ai-at-work-demo?lang={lang}")
    page.locator("button.start").click()
    heights = {}
    totals = set()
    while "/page/" in page.url:
        answer_every_question(page)  # the first answers: AI used by me, Wales, "Yes" to L6 and I2
        name = page.url.rsplit("/", 1)[-1]
        heights[name] = page.evaluate("document.documentElement.scrollHeight")
        totals.add(page.locator(".progress").inner_text().split()[-1])
        page.locator("button[value=continue]").click()
        assert page.locator(".error-summary").count() == 0
    assert "/check-answers" in page.url
    assert len(heights) == 27 and totals == {"27"}
    name, height = max(heights.items(), key=lambda kv: kv[1])
    print(f"longest page ({lang}): {name}, {height}px = {height / PHONE['height']:.2f} screens")
    too_long = {n: h for n, h in heights.items() if h > SCREENS * PHONE["height"]}
    assert not too_long, too_long
    context.close()


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_focus_moves_to_the_error_summary_after_a_failed_continue(browser, demo_server, lang):
    for javascript in (True, False):
        context = _phone(browser, javascript)
        page = context.new_page()
        page.goto(f"{demo_server}/s/ai-at-work-demo?lang={lang}")
        page.locator("button.start").click()
        page.locator("button[value=continue]").click()
        summary = page.locator(".error-summary")
        assert summary.get_attribute("tabindex") == "-1"
        if javascript:  # the deferred script may run a moment after the click returns: wait for it
            expect(page.locator(".error-summary")).to_be_focused(timeout=5_000)  # no eval: the CSP forbids it
        else:  # still the first thing under the page's top line, above the heading
            assert summary.bounding_box()["y"] < page.locator("h1").bounding_box()["y"]
            assert summary.bounding_box()["y"] < PHONE["height"] / 2
        _clean(page, f"member-error-{lang}-{'js' if javascript else 'nojs'}", javascript)
        context.close()


def test_tap_targets_are_gov_uk_size(browser, demo_server):
    context = _phone(browser, javascript=False)
    page = context.new_page()
    page.goto(f"{demo_server}/s/ai-at-work-demo")
    page.locator("button.start").click()
    page.locator("input[name=A1]").first.check()
    page.locator("button[value=continue]").click()  # to A2, with a "Please tell us" box
    sizes = page.eval_on_selector_all(
        "input[type=radio], input[type=checkbox]",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })",
    )
    assert sizes and all(w >= 39.5 and h >= 39.5 for w, h in sizes), sizes
    rows = page.eval_on_selector_all(".choice", "els => els.map(e => e.getBoundingClientRect().height)")
    assert min(rows) >= 39.5
    box = page.eval_on_selector(
        ".other input[type=text]",
        "e => { const r = e.getBoundingClientRect(), p = e.parentNode.getBoundingClientRect();"
        " return [r.width, r.height, p.width]; }",
    )
    assert box[0] == pytest.approx(box[2], abs=1) and box[1] >= 39.5, box
    print(f"radio {sizes[0][0]:.0f}x{sizes[0][1]:.0f}px, 'Please tell us' box {box[0]:.0f}x{box[1]:.0f}px")
    context.close()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_thousand_character_word_wraps_on_check_your_answers(browser, demo_server, lang, javascript):
    context = _phone(browser, javascript)
    page = context.new_page()
    page.goto(f"{demo_server}/s/ai-at-work-demo?lang={lang}")
    page.locator("button.start").click()
    while "/page/" in page.url:
        answer_every_question(page)
        if page.url.endswith("/page/comments"):
            page.locator("textarea").fill("x" * 1000)
        page.locator("button[value=continue]").click()
    assert "/check-answers" in page.url
    assert page.get_by_text("x" * 1000).count() == 1
    _clean(page, f"member-check-long-word-{lang}-{'js' if javascript else 'nojs'}", javascript)
    # Change goes back to the page, and Continue comes back here.
    page.locator('a[href*="/page/comments?change=1"]').first.click()
    assert page.locator("a.back-link").get_attribute("href").endswith("/check-answers")
    page.locator("textarea").fill("Shorter")
    page.locator("button[value=continue]").click()
    assert page.url.endswith("/check-answers#q-K1"), "back on the row that was changed"
    assert page.locator("#q-K1").get_by_text("Shorter").count() == 1
    context.close()


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_an_empty_resume_code(browser, demo_server, lang):
    context = _phone(browser, javascript=True)
    page = context.new_page()
    page.goto(f"{demo_server}/s/ai-at-work-demo/resume?lang={lang}")
    page.locator("form button.button").click()
    expected = "Enter your resume code" if lang == "en" else "Rhowch eich cod ailddechrau"
    assert page.locator(".error-summary a").inner_text() == expected
    expect(page.locator(".error-summary")).to_be_focused(timeout=5_000)  # no eval: the CSP forbids it
    _clean(page, f"member-resume-empty-{lang}", javascript=True)
    context.close()
