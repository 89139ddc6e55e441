"""Real Chromium: an organiser launches a Probation survey with invitations and a QR poster, a
member answers through one personal link on a phone, and the organiser sees the count."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from survey.models import Role

from .browser import PHONE, answer_every_question, axe_violations, live_server, screenshot
from .factories import PASSWORD, PROBATION, make_user
from .staff import fresh_code

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 900}
MEMBERS = "email,branch\nann@example.org,Leeds\nbob@example.org,Leeds\ncat@example.org,York\n"


def check(page, name: str) -> None:
    """One h1, no axe violations, and a screenshot to look at."""
    assert page.locator("h1").count() == 1, name
    assert axe_violations(page) == [], name
    screenshot(page, f"organiser-{name}")


def test_an_organiser_launches_a_probation_survey_and_sees_it_fill(app, browser, tmp_path):
    make_user(app, "pat@example.org", scopes=[PROBATION])
    with live_server(app) as server:
        context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
        page = context.new_page()
        page.goto(f"{server}/organise/")
        assert "/staff/sign-in" in page.url
        check(page, "01-sign-in")
        page.fill("#email", "pat@example.org")
        page.fill("#password", "not the password")
        page.click("button:has-text('Continue')")
        expect(page.locator(".error-summary")).to_be_focused(timeout=5_000)  # as on members' pages
        page.fill("#email", "pat@example.org")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Continue')")
        page.fill("#code", fresh_code(app, "pat@example.org"))
        page.click("button:has-text('Sign in')")
        check(page, "02-surveys")

        page.click("text=Make a new survey")
        page.fill("#name", "AI at work – Probation")
        page.check("input[value=ai-at-work]")
        page.click("button:has-text('Continue')")
        assert page.locator("#sector option").all_inner_texts() == [
            "Police and justice: Probation Service (England and Wales)"
        ]
        check(page, "03-settings")
        page.click("button:has-text('Save settings')")
        check(page, "04-survey-draft")
        page.get_by_role("link", name="Launch", exact=True).click()
        check(page, "05-launch")
        page.click("button:has-text('Launch this survey')")
        assert page.locator(".tag").inner_text() == "Open"

        survey_url = page.url
        page.goto(survey_url + "/invitations")
        check(page, "06-invitations")
        members = tmp_path / "members.csv"
        members.write_text(MEMBERS)
        page.set_input_files("input[type=file]", str(members))
        page.click("button:has-text('Upload')")
        assert page.locator(".error-summary").count() == 0
        with page.expect_download() as download:
            page.locator("button:has-text('Download links (CSV)')").first.click()
        rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
        assert [r["email"] for r in rows] == ["ann@example.org", "bob@example.org", "cat@example.org"]
        assert [r["segment"] for r in rows] == ["Leeds", "Leeds", "York"]

        page.goto(survey_url)
        with page.expect_download() as qr:
            page.click("text=QR code (PNG)")
        assert qr.value.path().read_bytes().startswith(b"\x89PNG")
        page.click("text=Print an A4 poster")
        check(page, "07-poster")
        page.emulate_media(media="print")
        poster = page.pdf(format="A4", print_background=True)
        assert poster.count(b"/Type /Page") - poster.count(b"/Type /Pages") == 1  # one A4 page

        member = browser.new_context(viewport=PHONE)
        phone = member.new_page()
        phone.goto(rows[0]["link"])
        assert "/i/" not in phone.url  # the token leaves the address bar at once
        phone.locator("button.start").click()
        for _ in range(40):
            if "/check-answers" in phone.url:
                break
            assert "/page/service_group" not in phone.url  # a Probation survey does not ask it
            answer_every_question(phone)
            phone.locator("button[value=continue]").click()
        phone.locator("form button.button").last.click()
        assert phone.url.endswith("/thank-you")
        member.close()

        page.goto(survey_url)
        sent = page.locator(".count-box", has_text="Sent so far").inner_text()
        assert sent.split() == ["Sent", "so", "far", "1", "response"]  # the headline counts, at the top
        check(page, "08-survey-filling")
        page.set_viewport_size(PHONE)
        check(page, "09-survey-on-a-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        context.close()


def test_administrator_pages_pass_axe_on_a_laptop_and_a_phone(app, browser):
    make_user(app, "ada@example.org", Role.ADMIN)
    make_user(app, "pat@example.org", scopes=[PROBATION])
    with live_server(app) as server:
        context = browser.new_context(viewport=LAPTOP)
        page = context.new_page()
        page.goto(f"{server}/staff/sign-in")
        page.fill("#email", "ada@example.org")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Continue')")
        check(page, "admin-01-code")
        page.fill("#code", fresh_code(app, "ada@example.org"))
        page.click("button:has-text('Sign in')")
        for number, path in enumerate(
            [
                "/admin/users",
                "/admin/users/new",
                "/admin/questionnaires",
                "/admin/questionnaires/files/ai-at-work",
                "/admin/questionnaires/upload",
                "/admin/audit",
                "/staff/two-factor",
                "/staff/password",
            ],
            start=2,
        ):
            page.goto(server + path)
            check(page, f"admin-{number:02d}-{path.strip('/').replace('/', '-')}")
        page.set_viewport_size(PHONE)
        for path in ("/admin/users", "/admin/audit", "/organise/"):
            page.goto(server + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
            check(page, f"admin-phone-{path.strip('/').replace('/', '-')}")
        context.close()
