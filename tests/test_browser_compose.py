"""Real Chromium on a 390 px phone, JavaScript off for the organiser: an organiser composes a
Probation survey from the question bank plus a question of their own, in English and Welsh,
without touching a file; it passes the checker, an administrator approves it, the organiser
launches it and a member answers it in Welsh. Every page is axe clean."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import PendingSubmission, Response, Role, Survey

from .browser import PHONE, answer_every_question, assert_no_horizontal_scroll, axe_violations, live_server, screenshot
from .factories import PASSWORD, PROBATION, make_user
from .staff import fresh_code

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 900}


def check(page, name: str, javascript: bool = True) -> None:
    """One h1, no axe violations, no sideways scrolling on the phone, and a screenshot to look at."""
    assert page.locator("h1").count() == 1, name
    assert axe_violations(page, javascript) == [], name
    assert_no_horizontal_scroll(page)
    screenshot(page, f"compose-{name}")


def signed_in(app, browser, server: str, email: str, javascript: bool = True, viewport=PHONE):
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{server}/staff/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Continue')")
    page.fill("#code", fresh_code(app, email))
    page.click("button:has-text('Sign in')")
    return context, page


def compose(page) -> None:
    """Title, bank questions, an own question, a move, all through forms (no JavaScript)."""
    page.click("text=Compose a questionnaire from the question bank")
    check(page, "01-list", javascript=False)
    page.click("button:has-text('Start a new questionnaire')")
    page.fill("#title_en", "Rotas in Probation")
    page.fill("#title_cy", "Rotâu yn y Gwasanaeth Prawf")
    page.fill("#intro_en", "Tell us how computer-made rotas affect you.")
    page.click("button:has-text('Save title and introduction')")
    assert page.locator(".error-summary").inner_text().count("Enter the introduction in Welsh") == 1
    assert page.input_value("#title_cy") == "Rotâu yn y Gwasanaeth Prawf"  # nothing typed is lost
    check(page, "02-heading-error", javascript=False)
    page.fill("#intro_cy", "Dywedwch wrthym sut mae rotâu gan gyfrifiadur yn effeithio arnoch chi.")
    page.click("button:has-text('Save title and introduction')")

    page.click("text=Add questions from the bank")
    for section, key in (
        ("Your service group", "A1"),
        ("Your job", "A2"),
        ("Workload and pressure", "C1"),
        ("About you", "L1"),
    ):
        page.locator("summary", has_text=section).first.click()
        page.check(f'input[value="ai-at-work:{key}"]')
    check(page, "03-bank", javascript=False)
    page.click("button:has-text('Add the questions you ticked')")
    page.fill("#q", "monitoring")
    page.click("button:has-text('Search')")
    assert page.locator('input[value="ai-at-work:D1"]').is_visible()  # found pages are open
    check(page, "04-bank-search", javascript=False)
    page.click("text=Back to your questionnaire")

    page.click("text=Write your own question")
    page.fill("#text_en", "Has your team been told how the new rota system works?")
    page.fill("#text_cy", "Ydy eich tîm wedi cael gwybod sut mae'r system rota newydd yn gweithio?")
    page.fill("#options_en", "Yes\nNo\nNot sure")
    page.fill("#options_cy", "Do\nNaddo")
    page.click("button:has-text('Add your question')")
    assert "as many Welsh answers as English ones" in page.locator(".error-summary").inner_text()
    check(page, "05-own-error", javascript=False)
    page.fill("#options_cy", "Do\nNaddo\nDdim yn siŵr")
    page.click("button:has-text('Add your question')")
    own = page.locator("#own-own_1")
    own.get_by_role("button", name="Move up question 5 (own_1)").click()  # above L1
    texts = page.locator(".compose-list .entry-text").all_inner_texts()
    assert [t.split(".")[0] for t in texts] == ["1", "2", "3", "4", "5"]
    assert "new rota system" in texts[3] and "How old are you?" in texts[4]
    check(page, "06-draft", javascript=False)


def test_an_organiser_composes_a_sector_survey_that_is_approved_launched_and_answered(app, browser):
    make_user(app, "pat@example.org", scopes=[PROBATION])
    make_user(app, "ada@example.org", Role.ADMIN)
    with live_server(app) as server:
        organiser, page = signed_in(app, browser, server, "pat@example.org", javascript=False)
        compose(page)
        page.click("a[lang=cy]:has-text('yn Gymraeg')")
        assert page.locator("h1").inner_text() == "Rotâu yn y Gwasanaeth Prawf"
        check(page, "07-preview-start-cy", javascript=False)
        page.click("button.start")
        assert "Ym mha grŵp gwasanaeth UNSAIN ydych chi?" in page.content()
        check(page, "08-preview-page-cy", javascript=False)
        page.click("text=Leave the preview")
        page.click("button:has-text('Submit for approval')")
        assert "waiting for an administrator's approval" in page.locator(".notice").last.inner_text()
        check(page, "09-submitted", javascript=False)

        admin, desk = signed_in(app, browser, server, "ada@example.org", viewport=LAPTOP)  # at a desk
        desk.goto(f"{server}/admin/questionnaires")
        desk.click("text=composed-1 version 1")
        assert "Ydy eich tîm wedi cael gwybod" in desk.content()
        check(desk, "10-admin-review")
        desk.click("button:has-text('Approve for use')")
        admin.close()

        page.reload()
        page.click("text=Make a survey from it")
        page.fill("#name", "Rotas – Probation")
        page.locator(".choice", has_text="Rotas in Probation").locator("input").check()
        page.click("button:has-text('Continue')")
        assert page.locator("#sector option").all_inner_texts() == [
            "Police and justice: Probation Service (England and Wales)"
        ]
        page.click("button:has-text('Save settings')")
        page.get_by_role("link", name="Launch", exact=True).click()
        page.click("button:has-text('Launch this survey')")
        assert page.locator(".tag").inner_text() == "Open"
        organiser.close()
        with app.app_context():
            slug = db.session.scalar(select(Survey.slug).where(Survey.name == "Rotas – Probation"))

        member = browser.new_context(viewport=PHONE)
        phone = member.new_page()
        phone.goto(f"{server}/s/{slug}")
        phone.click("a[lang=cy]")
        assert phone.locator("h1").inner_text() == "Rotâu yn y Gwasanaeth Prawf"
        phone.locator("button.start").click()
        for _ in range(10):
            if "/check-answers" in phone.url:
                break
            assert "/page/service_group" not in phone.url  # a Probation survey does not ask it
            answer_every_question(phone)
            phone.locator("button[value=continue]").click()
        assert "Ydy eich tîm wedi cael gwybod" in phone.content()  # the own question, in Welsh
        check(phone, "11-member-check-answers-cy")
        phone.locator("form button.button").last.click()
        assert phone.url.endswith("/thank-you")
        member.close()
    with app.app_context():
        stored = [*db.session.scalars(select(PendingSubmission.answers)), *db.session.scalars(select(Response.answers))]
    [answers] = stored  # sent, and waiting to be released to results with the next batch
    assert answers["own_1"] == "yes" and answers["A2"] == "probation" and "C1" in answers
