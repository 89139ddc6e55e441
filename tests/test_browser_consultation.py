"""Issue 16, done when: the whole consultation in real Chromium, from launch to the delegate's phone.

An organiser (password and a two-factor code) makes a survey of the consultation questionnaire,
which ships with the app in questionnaires/ and so is offered at once (an administrator uploads
only questionnaires that do not ship), for Probation members, as an open link with a threshold of
5, and launches it. 25 members answer on 390×844 phones: three in Chromium (one with JavaScript
off, one who switches to Welsh, one who finds the survey on the home page) and, to keep the run
short, 22 through the Flask test client against the same app and database (the same pages, forms
and submit; only the browser is left out). Five demands are backed almost unanimously; one is
opposed by about half, who say why in the follow-up; everyone ranks three priorities. Fewer than
the live step of 50 (ADR 0020) answered, so nothing is released until the organiser closes the
survey; then they publish it with the default choice. A signed-out delegate on a 390 px phone
finds "Results" on the home page, opens them and sees each demand's support as the results
engine publishes it (`results.ranked`); the briefing and the conference screen show the demands
ranked by net support, with the engine's numbers; axe finds nothing on the home page, the
results page, the screen and the briefing.
Screenshots: tests/screenshots/whole-consultation-*.png.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey import results
from survey.extensions import db
from survey.models import Survey, SurveyStatus

from .browser import PHONE, PROJECTOR, assert_no_horizontal_scroll, axe_violations, live_server, screenshot
from .factories import DEMANDS, PASSWORD, PROBATION, make_user
from .journey import post_form, start, submit
from .slides import ranked, title
from .staff import fresh_code

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 900}

OPPOSED = "gains"  # the demand about half the members oppose
RANKINGS = (
    ["jobs", "monitoring", "consult"],
    ["monitoring", "jobs", "data"],
    ["jobs", "data", "equality"],
    ["consult", "jobs", "monitoring"],
)
AI_AT_WORK = ("use_me", "use_not_me", "planned", "dk")
AGES = ("25_30", "31_39", "40_49", "50_59", "pnts")


def fast_member(n: int) -> dict[str, dict]:
    """Member n's answers, page by page (a Probation survey does not ask C1 or C2): every demand
    but one supported, with a few "Not sure"; the savings demand opposed by every other member."""
    demands = {f"D1.{code}": "support" for code in DEMANDS}
    if n % 11 == 3:
        demands["D1.equality"] = "unsure"
    if n == 7:
        demands["D1.data"] = "unsure"
    demands[f"D1.{OPPOSED}"] = "oppose" if n % 2 == 0 else ("unsure" if n % 3 == 0 else "support")
    if demands[f"D1.{OPPOSED}"] == "oppose":
        demands["D1_why"] = "Savings should go back into the service first; pay is for the pay talks."
    about = {} if n % 4 == 3 else {"L1": AGES[n % len(AGES)], "L6": "yes" if n % 5 == 0 else "no"}
    if about.get("L6") == "yes":
        about["L7"] = "a_little"
    return {
        "work": {"C3": AI_AT_WORK[n % len(AI_AT_WORK)]},
        "demands": demands,
        "priorities": {"D2": RANKINGS[n % len(RANKINGS)], "E1": "Talk to us before the pilots start."},
        "about_you": about,
    }


def answer_with_the_test_client(app, slug: str, n: int) -> None:
    """One member on the fast path: a fresh session, every page posted as the phone would, then sent."""
    client = app.test_client()
    location = start(client, slug)
    for section, data in fast_member(n).items():
        assert location.endswith(f"/page/{section}"), (n, location)
        response = post_form(client, location, data)
        assert response.status_code == 302, (n, section, response.status_code)
        location = response.location
    assert location.endswith("/check-answers"), location
    sent = submit(client, slug)
    assert sent.status_code == 302 and sent.location.endswith("/thank-you"), (n, sent.status_code)


def answer_on_a_phone(
    page, name: str, oppose: tuple[str, ...], why: str, ranking: list[str], support="Support", javascript=True
) -> None:
    """From the start page: every page answered by tapping, as a member on a phone would."""
    page.click("button.start")
    assert page.url.endswith("/page/work"), page.url
    assert page.locator("input[name=C1]").count() == 0  # a Probation survey does not ask it
    page.check("input[name=C3][value=use_me]")
    page.click("button[value=continue]")
    assert page.url.endswith("/page/demands"), page.url
    assert page.locator("label[for=q-D1-consult]").inner_text() == support  # in the member's language
    for code in DEMANDS:
        page.check(f"input[name='D1.{code}'][value={'oppose' if code in oppose else 'support'}]")
    # The follow-up: always shown without JavaScript; with it, only once a demand is opposed.
    assert page.locator("#q-D1_why-follow-up").is_visible() == (bool(oppose) or not javascript)
    if why:
        page.locator("#q-D1_why").fill(why)
    assert_no_horizontal_scroll(page)
    screenshot(page, f"whole-consultation-member-{name}-demands")
    page.click("button[value=continue]")
    assert page.url.endswith("/page/priorities"), page.url
    for place, code in zip(("#q-D2", "#q-D2--2", "#q-D2--3"), ranking, strict=True):
        page.select_option(place, code)
    page.click("button[value=continue]")
    assert page.url.endswith("/page/about_you"), page.url
    page.click("button[value=continue]")  # the equality questions are optional
    assert page.url.endswith("/check-answers"), page.url
    page.locator("form button.button").last.click()
    assert page.url.endswith("/thank-you"), page.url
    assert_no_horizontal_scroll(page)


def checked(page, name: str) -> None:
    """One h1, axe finds nothing, and a screenshot to look at."""
    assert page.locator("h1").count() == 1, name
    assert axe_violations(page) == [], name
    screenshot(page, f"whole-consultation-{name}")


ROW = "xpath=ancestor-or-self::*[self::li or self::tr or contains(concat(' ', @class, ' '), ' line ')][1]"


def rows_showing(page, label: str) -> list[str]:
    """Return the text of every row (list item, table row or line) that shows a demand where a
    delegate can see it, opening the folded sections it is in, as a delegate would tap them."""
    rows = []
    for found in page.get_by_text(label).all():
        folded = found.locator("xpath=ancestor::details[not(@open)][1]")
        if folded.count():
            folded.locator("summary").first.click()
        if found.is_visible():
            rows.append(found.locator(ROW).inner_text())
    return rows


def test_a_probation_consultation_from_launch_to_the_delegates_phone(app, browser):
    make_user(app, "pat@example.org", scopes=[PROBATION], totp=True)
    with live_server(app) as server:
        # --- 1. The organiser signs in (with a code) and launches the consultation for Probation.
        staff = browser.new_context(viewport=LAPTOP)
        organiser = staff.new_page()
        organiser.goto(f"{server}/organise/")
        organiser.fill("#email", "pat@example.org")
        organiser.fill("#password", PASSWORD)
        organiser.click("button:has-text('Continue')")
        organiser.fill("#code", fresh_code(app, "pat@example.org"))
        organiser.click("button:has-text('Sign in')")
        organiser.get_by_role("link", name="Make a new survey", exact=True).click()
        organiser.fill("#name", "Draft AI demands – Probation")
        organiser.check("input[name=questionnaire][value=consultation]")  # shipped: no upload needed
        organiser.click("button:has-text('Continue')")
        assert organiser.locator("#service_group").input_value() == PROBATION["service_group"]
        assert organiser.locator("#sector").input_value() == PROBATION["sector"]
        organiser.check("input[name=access][value=open_link]")
        organiser.fill("#threshold", "5")
        organiser.click("button:has-text('Save settings')")
        organiser.get_by_role("link", name="Launch", exact=True).click()
        organiser.click("button:has-text('Launch this survey')")
        assert organiser.locator(".tag").inner_text() == "Open"
        survey_url = organiser.url
        link = organiser.locator("#member-link").input_value()
        slug = link.rstrip("/").rsplit("/", 1)[-1]
        with app.app_context():
            survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
            assert (survey.threshold, survey.access, survey.audience) == (5, "open_link", PROBATION)
            survey_id = survey.id

        # --- 2. 25 members answer on phones: three in Chromium, 22 on the fast path.
        phone = browser.new_context(viewport=PHONE)  # an ordinary member finds it on the home page
        page = phone.new_page()
        page.goto(f"{server}/")
        page.locator(".survey-list a", has_text="AI at work: draft negotiating demands").click()
        answer_on_a_phone(page, "ordinary", (), "", ["jobs", "monitoring", "data"])
        phone.close()

        phone = browser.new_context(viewport=PHONE, java_script_enabled=False)  # from the link, no script
        page = phone.new_page()
        page.goto(link)
        assert page.locator("#q-D1_why").count() == 0  # not on the first page
        why = "The savings demand mixes pay with services. Keep it for the pay talks."
        answer_on_a_phone(page, "no-js", (OPPOSED,), why, ["monitoring", "jobs", "consult"], javascript=False)
        phone.close()

        phone = browser.new_context(viewport=PHONE)  # switches to Welsh on the start page
        page = phone.new_page()
        page.goto(link)
        page.click("nav.language a[hreflang=cy]")
        assert page.locator("html").get_attribute("lang") == "cy"
        assert page.locator("h1").inner_text() == "AI yn y gwaith: gofynion negodi drafft"
        why = "Dylai arbedion fynd i'r gwasanaeth yn gyntaf."
        answer_on_a_phone(page, "welsh", (OPPOSED,), why, ["jobs", "data", "consult"], support="Cefnogi")
        assert page.locator("html").get_attribute("lang") == "cy"
        phone.close()

        for n in range(22):
            answer_with_the_test_client(app, slug, n)

        organiser.goto(survey_url)
        sent = organiser.locator("main").inner_text()
        assert re.search(r"(Sent so far|Submitted)\s+25\b", sent), sent  # the organiser sees all 25 sent
        with app.test_request_context():  # fewer than the live step of 50: no release before closing
            assert results.overview(db.session.get(Survey, survey_id)).batch == 0

        # --- 3. The organiser closes the survey (all 25 are released) and publishes the results.
        organiser.get_by_role("link", name="Close now", exact=True).click()
        organiser.click("button:has-text('Close this survey')")
        assert organiser.locator(".tag").inner_text() == "Closed"
        organiser.get_by_role("link", name="Publish results", exact=True).click()
        assert organiser.is_checked("#question-D1") and organiser.is_checked("#question-D2")
        assert not organiser.is_checked("#question-D1_why")  # written comments are off by default
        organiser.click("button:has-text('Save and preview')")
        organiser.locator(".preview-banner button:has-text('Publish')").click()
        assert organiser.locator(".tag").inner_text() == "Published"
        staff.close()

        with app.test_request_context():
            survey = db.session.get(Survey, survey_id)
            assert survey.status == SurveyStatus.PUBLISHED
            taking_part = results.overview(survey).responses
            demands = [row for row in results.ranked(survey, "D1").rows if row.rank is not None]
        assert len(demands) == len(DEMANDS)
        assert demands[-1].code == OPPOSED and demands[-1].cells[0].oppose.percent > 25
        support = [(row.label, f"{row.cells[0].support.percent:.0f}%") for row in demands]
        items = app.extensions["questionnaires"]["consultation"].question("D1").items
        short = {item.code: item.short["en"] for item in items}  # the hall reads each demand's few words
        on_screen = [(short[row.code], percent) for row, (_, percent) in zip(demands, support, strict=True)]
        nets = [row.cells[0].net for row in demands]
        assert nets == sorted(nets, reverse=True)

        # --- 4. A delegate, signed out, on a 390 px phone: home page, Results, each demand's support.
        phone = browser.new_context(viewport=PHONE)
        page = phone.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{server}/")
        results_list = page.locator("section[aria-labelledby=results-title]")
        assert results_list.locator("h2").inner_text() == "Results"
        checked(page, "delegate-home")
        results_list.locator("a", has_text="AI at work: draft negotiating demands").click()
        assert page.url == f"{server}/r/{slug}", page.url
        assert f"{taking_part} members took part." in page.locator("main").inner_text()
        assert_no_horizontal_scroll(page)
        checked(page, "delegate-results")
        for label, percent in support:
            rows = rows_showing(page, label)
            said = re.compile(rf"support\W+{percent}|(?<![\d.]){percent}\W+support", re.IGNORECASE)
            assert any(said.search(row) for row in rows), f"{label!r}: {percent} support is not shown, only {rows}"
        assert_no_horizontal_scroll(page)
        screenshot(page, "whole-consultation-delegate-results-open")

        # --- 5. The negotiators' briefing, from the results page: the demands, ranked.
        page.click("section.briefings a:has-text('All members')")
        assert page.url.startswith(f"{server}/r/{slug}/briefing"), page.url
        checked(page, "briefing")
        shown = [
            (r.locator("th").inner_text().strip(), r.locator("td").first.inner_text().strip())
            for r in page.locator("table.briefing-demands tbody tr").all()
        ]
        assert shown == support, f"the briefing's demands {shown} are not the engine's, ranked: {support}"
        assert all(url.startswith(server) for url in requested)  # nothing fetched from anywhere else
        phone.close()

        # --- and the conference screen: a slide of the demands ranked by net support.
        projector = browser.new_context(viewport=PROJECTOR)
        hall = projector.new_page()
        hall.goto(f"{server}/r/{slug}/screen?slide=1")
        slides = int(hall.locator(".controls-count").inner_text().split("/")[1])
        question = app.extensions["questionnaires"]["consultation"].question("D1").text["en"]
        shown, parts = [], 0
        for number in range(1, slides + 1):
            hall.goto(f"{server}/r/{slug}/screen?slide={number}")
            if title(hall.content()) == question:  # the demands may go on to a second slide
                parts += 1
                checked(hall, f"screen-demands-{parts}")
                shown += [(label, support_shown) for label, support_shown, _ in ranked(hall.content())]
        assert shown == on_screen, f"the screen's demands {shown} are not the engine's, ranked: {on_screen}"
        assert parts == 1  # the whole ranking on one slide
        projector.close()
