"""Real Chromium: the published page on a phone and the negotiators' briefing printed to A4 PDF (the
conference screen on a 1920×1080 projector: tests/test_screen.py). axe-core finds nothing;
screenshots are kept for review."""

from __future__ import annotations

import pytest

from survey.models import Role

from .browser import PHONE, SCREENSHOTS, assert_no_horizontal_scroll, axe_violations, live_server, screenshot
from .factories import demo_survey, make_user, publish

pytestmark = pytest.mark.browser
MM = 96 / 25.4  # CSS pixels per millimetre
A4_CONTENT = {"width": round((210 - 2 * 14) * MM), "height": round((297 - 2 * 15) * MM)}  # @page margins


@pytest.fixture
def published(app):
    """A published ai-at-work survey with 2,000 synthetic responses, chosen questions and breakdowns."""
    survey = demo_survey(app, "pub", 2000, 3)
    make_user(app, "ada@example.org", Role.ADMIN)
    publish(
        app,
        survey,
        questions=["B1", "B2", "C1", "C2", "D2", "E3", "I1", "K1"],
        breakdowns=["A1", "A2", "disabled", "L2"],
    )
    return survey


def test_the_published_page_on_a_phone(app, browser, published):
    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        for name, path in [
            ("page", "/r/pub"),
            ("page-welsh", "/r/pub?lang=cy"),
            ("question-by-disability", "/r/pub/q/C1?by=disabled&lang=en"),
            ("grid", "/r/pub/q/C2"),
            ("comments", "/r/pub/q/K1"),
        ]:
            page.goto(server + path, timeout=120_000)
            assert page.locator("h1").count() == 1, name
            assert axe_violations(page) == [], name
            assert_no_horizontal_scroll(page)
            screenshot(page, f"published-phone-{name}")
        assert all(url.startswith(server) for url in requested)  # nothing from anywhere else
        assert not any("plotly" in url for url in requested)

        page.goto(server + "/r/pub/q/C1?by=disabled")
        page.click("button:has-text('Show interactive chart')")
        page.wait_for_selector("#chart .main-svg", timeout=15_000)
        assert axe_violations(page) == []
        screenshot(page, "published-phone-chart")
        context.close()


# The conference screen's slides on a 1920×1080 projector: tests/test_screen.py.


@pytest.fixture
def everything(app):
    """A published ai-at-work survey with 2,000 synthetic responses and every question but free text
    published (the default choice): the longest page a delegate can be given."""
    survey = demo_survey(app, "all", 2000, 3)
    publish(app, survey)
    return survey


SCREEN = 844  # a 390 × 844 phone's first screen
TEN_SCREENS = 10 * SCREEN


@pytest.mark.parametrize("width", [390, 320])
def test_the_whole_published_page_fits_a_phone_headlines_first(app, browser, everything, width):
    """At 390 and 320 px: nothing scrolls sideways, the headline findings are on the first screen,
    the whole page is under ten screens before a topic is opened, and axe finds nothing, with
    JavaScript on and off (the topics and the breakdown select need none)."""
    with live_server(app) as server:
        for javascript in (True, False):
            context = browser.new_context(viewport={"width": width, "height": SCREEN}, java_script_enabled=javascript)
            page = context.new_page()
            page.goto(server + "/r/all", timeout=120_000)
            _no_sideways_scroll(page)
            assert page.evaluate("document.documentElement.scrollHeight") <= TEN_SCREENS
            assert page.locator("details.topic").count() >= 10 and page.locator("details.topic[open]").count() == 0
            first = [page.locator(".headline h2"), page.locator(".figures li").first]
            assert all(box["y"] + box["height"] <= SCREEN for box in (f.bounding_box() for f in first))
            if width == 390:  # all five headline findings start on the first screen
                assert all(li.bounding_box()["y"] < SCREEN for li in page.locator(".figures li").all())
            assert axe_violations(page, javascript) == []
            name = f"published-phone-{width}{'' if javascript else '-no-js'}"
            screenshot(page, name)

            page.click("details.topic:nth-of-type(5) > summary")  # a topic opens: a line and a bar a question
            assert page.locator("details.topic[open] .lines > li").first.is_visible()
            _no_sideways_scroll(page)
            assert axe_violations(page, javascript) == []
            screenshot(page, f"{name}-topic")

            page.goto(server + "/r/all/q/C1?by=A5")  # 13 regions: one table, each answer's groups listed
            _no_sideways_scroll(page)
            assert page.locator("table.cross").count() == 1
            assert axe_violations(page, javascript) == []
            screenshot(page, f"published-phone-{width}-by-region{'' if javascript else '-no-js'}")
            page.select_option("#by", "disabled")
            page.click("button:has-text('Show')")
            page.wait_for_url("**/r/all/q/C1?by=disabled")
            assert page.locator("h2", has_text="By disability").count() == 1
            _no_sideways_scroll(page)
            context.close()


WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")
        + " in " + (e.closest("section, details") ? e.closest("section, details").outerHTML.slice(0, 60) : "?")
        + ": " + (e.textContent || "").trim().slice(0, 40))"""


def _no_sideways_scroll(page) -> None:
    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    wide = page.evaluate(WIDER_THAN_THE_SCREEN) if sizes[0] > sizes[1] else []
    assert sizes[0] <= sizes[1], f"{page.url} is {sizes[0]} px wide on a {sizes[1]} px screen: {wide}"


def test_the_briefing_prints_to_a4_without_splitting_a_table(app, browser, published):
    """Chromium prints the briefing to an A4 PDF (kept for review). Whether a table is split is
    checked in print layout: the print stylesheet must give every table, comment block and the
    method box `break-inside: avoid`, and each must fit on one A4 page's printable area, since
    Chromium moves an unbreakable block that fits to the next page instead of splitting it."""
    with live_server(app) as server:
        context = browser.new_context(viewport=A4_CONTENT)
        page = context.new_page()
        page.goto(server + "/r/pub")
        assert page.locator("a[href*='/briefing?sector=']").count() > 5  # one briefing per sector shown
        # The all-members briefing; tests/test_briefing.py prints sectors and Welsh, and counts pages.
        page.goto(server + "/r/pub/briefing", timeout=120_000)
        assert axe_violations(page) == []
        page.emulate_media(media="print")
        blocks = page.evaluate(
            """() => [...document.querySelectorAll('table, figure, .method-box')].map(e => ({
                what: e.tagName + ' ' + (e.querySelector('caption, figcaption, h2')?.textContent || '').trim(),
                avoid: getComputedStyle(e).breakInside,
                height: e.getBoundingClientRect().height,
            }))"""
        )
        assert len([b for b in blocks if b["what"].startswith("TABLE")]) >= 4
        for block in blocks:
            assert block["avoid"] == "avoid", block
            assert block["height"] <= A4_CONTENT["height"], block
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") == "none"
        SCREENSHOTS.mkdir(exist_ok=True)
        pdf = page.pdf(format="A4", print_background=True, path=str(SCREENSHOTS / "published-briefing.pdf"))
        assert (
            pdf.startswith(b"%PDF")
            and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") >= 1
        )
        screenshot(page, "published-briefing-print")
        context.close()
