"""The optional withdrawal code (promise 10): it deletes a response, never shows it, only while open."""

from __future__ import annotations

import http.cookiejar
import logging
import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey import results
from survey.core import codes, submissions, withdrawal
from survey.core import surveys as life_cycle
from survey.extensions import db
from survey.models import AuditEvent, PendingSubmission, Response, Survey

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
from .factories import make_survey
from .helpers import get_page
from .journey import TINY_PAGES, answer_pages, complete, csrf_token, errors_on, post_form

CODE = re.compile(r'<p class="resume-code" id="withdrawal-code">([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})</p>')
OFFICE = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture
def every_submit_releases(monkeypatch) -> None:
    """Make every submit a live release of all that waits (a live step of 0).

    Withdrawal is tested here; the pace and size of live releases in test_release_policy.py.
    """
    monkeypatch.setattr(submissions, "live_step", lambda threshold: 0)


def pages(years: int) -> dict:
    """The tiny questionnaire's answers, with a number that tells responses apart in results."""
    return dict(TINY_PAGES, views=dict(TINY_PAGES["views"], years=str(years)))


def send_with_code(client: FlaskClient, years: int = 7) -> str:
    """Answer every page, tick the withdrawal code and send; return the code the page shows."""
    assert answer_pages(client, pages=pages(years)).endswith("/check-answers")
    response = post_form(client, "/s/tiny/check-answers", {"withdrawal_code": "yes"})
    assert response.status_code == 200, response.status_code
    found = CODE.findall(response.text)
    assert len(found) == 1, "the code is shown exactly once on the thank-you page"
    return found[0]


def send_without_code(app: Flask, years: int = 7) -> None:
    assert complete(app.test_client(), pages=pages(years)).location.endswith("/thank-you")


def withdraw_steps(client: FlaskClient, code: str, slug: str = "tiny", **kwargs):
    """Enter the code, then confirm; return (the confirmation page, the last page)."""
    asked = post_form(client, f"/s/{slug}/withdraw", {"code": code}, **kwargs)
    if asked.status_code != 200:
        return asked, asked
    assert "Are you sure you want to withdraw your response?" in asked.text
    fields = {"csrf_token": csrf_token(asked.text), "code": code, "confirm": "yes"}
    return asked, client.post(f"/s/{slug}/withdraw", data=fields, **kwargs)


def count(app: Flask, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def released(app: Flask, survey: Survey) -> int:
    """Return the number of responses in the results: the true number the engine counts from (the
    number it shows is adjusted, protection.py)."""
    with app.app_context():
        return results.snapshot_for(db.session.get(Survey, survey.id)).n


def years_stored(app: Flask, survey: Survey) -> set[str]:
    """Return the distinct answers to 'years' that released rows hold (the rows, not results)."""
    with app.app_context():
        return {
            str(r.answers["years"]) for r in db.session.scalars(select(Response).where(Response.survey_id == survey.id))
        }


def every_stored_value(app: Flask) -> str:
    """Return every value of every row of every table, as one text to search."""
    with app.app_context(), db.engine.connect() as connection:
        return "\n".join(
            repr(tuple(row)) for table in db.metadata.sorted_tables for row in connection.execute(table.select())
        )


# --- getting a code --------------------------------------------------------------------------


def test_the_code_is_offered_unticked_and_explained(client, tiny):
    answer_pages(client)
    html = get_page(client, "/s/tiny/check-answers")
    box = re.search(r'<input type="checkbox" name="withdrawal_code"[^>]*>', html).group(0)
    assert "checked" not in box and 'id="withdrawal-code"' in box and 'aria-describedby="withdrawal-code-hint"' in box
    assert '<label for="withdrawal-code">Give me a code so I can withdraw my response later' in html
    assert "nobody can use it to see your answers" in html and "until the survey closes" in html
    assert "Keep it private" in html and "unless you keep the optional withdrawal code" in html


def test_without_the_choice_no_code_is_made(app, client, tiny):
    response = complete(client)
    assert response.status_code == 302 and response.location.endswith("/thank-you")
    html = get_page(client, "/s/tiny/thank-you")
    assert 'id="withdrawal-code"' not in html and not CODE.search(html)
    with app.app_context():
        assert db.session.scalar(select(PendingSubmission.withdrawal_hash)) is None


def test_the_code_is_shown_once_and_only_its_keyed_hash_is_stored(app, client, tiny):
    answer_pages(client)
    page = client.get("/s/tiny/check-answers")
    form = {
        "csrf_token": csrf_token(page.text),
        "submit_key": re.search(r'name="submit_key" value="([^"]+)"', page.text).group(1),
        "withdrawal_code": "yes",
    }
    first = client.post("/s/tiny/check-answers", data=form)
    assert first.status_code == 200 and "your answers have been saved" in first.text
    (code,) = CODE.findall(first.text)
    assert "Write this code down" in first.text and 'href="/s/tiny/withdraw"' in first.text
    assert 'hreflang="cy"' not in first.text  # switching language would reload the page without the code

    # Only an HMAC under the app's secret is stored, on the waiting submission; the code is nowhere.
    with app.app_context():
        stored = db.session.scalar(select(PendingSubmission.withdrawal_hash))
        assert stored == codes.withdrawal_hash(code)
        assert stored != codes.sha256(code) and stored != codes.sha256(code.replace("-", ""))
    everything = every_stored_value(app)
    assert code not in everything and code.replace("-", "") not in everything

    # Not in the session cookie either, in clear or encoded.
    cookie = client.get_cookie("session").value
    with client.session_transaction() as session:
        assert code not in repr(dict(session))
    assert code not in cookie and code.replace("-", "") not in cookie

    # A reload sends the same form again: the thank-you page, without the code. Nor on a later visit.
    again = client.post("/s/tiny/check-answers", data=form)
    assert again.status_code == 302 and again.location.endswith("/s/tiny/thank-you")
    later = get_page(client, "/s/tiny/thank-you")
    assert code not in later and not CODE.search(later) and "We cannot show the code again" in later
    assert count(app, PendingSubmission) == 1


def test_the_code_never_appears_in_an_address_or_a_log(app, caplog):
    make_survey(app, slug="logged")
    caplog.set_level(logging.DEBUG)  # every logger, every level
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    addresses = []

    def get(url: str) -> tuple[str, str]:
        with browser.open(url, timeout=10) as response:
            addresses.append(response.geturl())
            return response.geturl(), response.read().decode()

    def post(url: str, html: str, data: dict) -> tuple[str, str]:
        fields = {"csrf_token": csrf_token(html), **data}
        key = re.search(r'name="submit_key" value="([^"]+)"', html)
        if key:
            fields["submit_key"] = key.group(1)
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        with browser.open(url, data=body, timeout=10) as response:
            addresses.append(response.geturl())
            return response.geturl(), response.read().decode()

    with live_server(app) as base:
        url, html = get(f"{base}/s/logged")
        url, html = post(f"{base}/s/logged/start", html, {})
        for answers in TINY_PAGES.values():
            url, html = post(url, html, answers)
        assert url.endswith("/check-answers")
        url, html = post(url, html, {"withdrawal_code": "yes"})
        (code,) = CODE.findall(html)
        url, html = get(f"{base}/s/logged/withdraw")
        url, html = post(url, html, {"code": code.lower()})
        assert "Are you sure" in html
        url, html = post(url, html, {"code": code.lower(), "confirm": "yes"})
        assert "Your response has been withdrawn" in html
    text = caplog.text
    assert "POST /s/logged/withdraw" in text  # the request lines are there, but not the code
    for form in (code, code.replace("-", ""), code.lower()):
        assert form not in text
        assert not [a for a in addresses if form in a]
    assert [c.name for c in jar] == ["session"] and all(code not in c.value for c in jar)


# --- withdrawing ------------------------------------------------------------------------------


def test_withdrawing_a_waiting_submission_deletes_it_at_once(app, client, tiny):
    code = send_with_code(client)
    send_without_code(app)
    assert count(app, PendingSubmission) == 2
    member = app.test_client()  # another device, with nothing in its session
    assert 'href="/s/tiny/withdraw"' in get_page(member, "/s/tiny")
    html = get_page(member, "/s/tiny/withdraw")
    assert '<label class="question-text" for="withdrawal-code">' in html
    asked, done = withdraw_steps(member, " " + code.lower().replace("-", " ") + " ")  # typed loosely
    assert done.status_code == 200 and "Your response has been withdrawn" in done.text
    assert "had not yet been added to the results" in done.text
    assert count(app, PendingSubmission) == 1 and count(app, Response) == 0
    for page in (asked.text, done.text):  # the answers are never shown
        assert "Rotas" not in page and "Blue" not in page and "Acute" not in page
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "a member withdrew a response"))
        assert event.actor == "a member" and event.survey_id == tiny.id and event.detail == {}


def test_a_released_response_stays_until_the_next_release_deletes_it(app, client, tiny, every_submit_releases):
    code = send_with_code(client, years=40)
    for n in range(1, 5):
        send_without_code(app, years=n)
    assert count(app, Response) == 5 and count(app, PendingSubmission) == 0
    assert released(app, tiny) == 5 and "40" in years_stored(app, tiny)

    _, done = withdraw_steps(app.test_client(), code)
    assert done.status_code == 200 and "when the next group of responses is added" in done.text
    assert "at the latest when the survey closes" in done.text
    with app.app_context():
        marked = db.session.scalar(select(Response).where(Response.withdrawing.is_(True)))
        assert marked.answers["years"] == 40 and marked.withdrawal_hash is None
    assert released(app, tiny) == 5  # results do not move by one response

    send_without_code(app, years=9)  # the next release adds it, and the withdrawn one goes
    assert count(app, PendingSubmission) == 0 and count(app, Response) == 5
    assert count(app, Response, Response.withdrawing.is_(True)) == 0
    assert released(app, tiny) == 5 and "40" not in years_stored(app, tiny)
    with app.app_context():
        table = results.question_table(db.session.get(Survey, tiny.id), "years")
        # The 5 responses left, as published: adjusted by 3 at most (below k = 5, not shown).
        assert table.refused or abs(table.numbers[0].n - 5) <= 3


def test_a_wrong_or_empty_code_says_so(app, client, tiny):
    send_with_code(client)
    member = app.test_client()
    wrong = post_form(member, "/s/tiny/withdraw", {"code": "ABCD-EFGH-JKMN-PQRS"})
    assert wrong.status_code == 400
    assert errors_on(wrong.text) == [
        "We could not find a response to this survey with that code. Check it and try again. Each code works only once."
    ]
    assert 'aria-describedby="withdrawal-code-hint withdrawal-code-error"' in wrong.text
    assert wrong.text.count('href="#withdrawal-code"') == 1 and "<title>Error:" in wrong.text
    empty = post_form(member, "/s/tiny/withdraw", {"code": "  "})
    assert empty.status_code == 400 and errors_on(empty.text) == ["Enter your withdrawal code"]
    forged = member.post(
        "/s/tiny/withdraw", data={"csrf_token": csrf_token(empty.text), "code": "ABCD-EFGH-JKMN-PQRS", "confirm": "yes"}
    )
    assert forged.status_code == 400 and errors_on(forged.text)
    assert count(app, PendingSubmission) == 1


def test_a_code_works_once(app, client, tiny, every_submit_releases):
    first = send_with_code(client)
    _, done = withdraw_steps(app.test_client(), first)
    assert done.status_code == 200
    asked, again = withdraw_steps(app.test_client(), first)
    assert again.status_code == 400 and "Each code works only once" in again.text

    for n in range(5):
        send_without_code(app, years=n)
    released_code = send_with_code(app.test_client())
    for n in range(4):
        send_without_code(app, years=n)  # the code's response is now released
    assert count(app, PendingSubmission) == 0
    member = app.test_client()
    asked = post_form(member, "/s/tiny/withdraw", {"code": released_code})
    confirm = {"csrf_token": csrf_token(asked.text), "code": released_code, "confirm": "yes"}
    assert member.post("/s/tiny/withdraw", data=confirm).status_code == 200
    assert member.post("/s/tiny/withdraw", data=confirm).status_code == 400  # a second tap, or a replay
    assert count(app, Response, Response.withdrawing.is_(True)) == 1
    with app.app_context():
        events = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "a member withdrew a response")
        )
    assert events == 2


def test_a_code_only_works_for_its_own_survey(app, client, tiny):
    make_survey(app, slug="other")
    code = send_with_code(client)
    asked, _ = withdraw_steps(app.test_client(), code, slug="other")
    assert asked.status_code == 400 and count(app, PendingSubmission) == 1


def test_a_closed_survey_refuses_and_forgets_every_code(app, client, tiny):
    codes = [send_with_code(app.test_client(), years=n) for n in range(10)]  # all waiting for close
    waiting = send_with_code(client, years=49)
    _, done = withdraw_steps(app.test_client(), codes[0])
    assert done.status_code == 200 and "had not yet been added to the results" in done.text
    assert count(app, PendingSubmission) == 10 and count(app, Response) == 0
    member = app.test_client()
    page = member.get("/s/tiny/withdraw")
    with app.app_context():
        life_cycle.close(db.session.get(Survey, tiny.id))
    # At close everything waiting is released, and every code forgotten.
    assert count(app, PendingSubmission) == 0 and count(app, Response) == 10
    assert count(app, Response, Response.withdrawal_hash.is_not(None)) == 0
    assert released(app, tiny) == 10 and "0" not in years_stored(app, tiny)

    refused = member.post("/s/tiny/withdraw", data={"csrf_token": csrf_token(page.text), "code": waiting})
    assert refused.status_code == 410
    assert "This survey has closed; responses can no longer be withdrawn." in refused.text
    shown = member.get("/s/tiny/withdraw")
    assert shown.status_code == 410 and "responses can no longer be withdrawn" in shown.text
    assert count(app, Response) == 10


def test_closing_with_nothing_waiting_still_deletes_withdrawn_responses(app, tiny, every_submit_releases):
    codes = [send_with_code(app.test_client(), years=n) for n in range(10)]
    assert released(app, tiny) == 10
    withdraw_steps(app.test_client(), codes[3])
    assert released(app, tiny) == 10
    with app.app_context():
        life_cycle.close(db.session.get(Survey, tiny.id))
    assert count(app, Response) == 9 and released(app, tiny) == 9
    assert "3" not in years_stored(app, tiny)


def test_a_survey_past_its_closing_time_refuses_before_the_retention_job(app, client, tiny):
    code = send_with_code(client)
    with app.app_context():
        db.session.execute(sa.update(Survey).where(Survey.id == tiny.id).values(closes_at=sa.func.current_timestamp()))
        db.session.commit()
        assert withdrawal.withdraw(db.session.get(Survey, tiny.id), code) is withdrawal.Withdrawal.CLOSED
    assert app.test_client().get("/s/tiny/withdraw").status_code == 410
    assert count(app, PendingSubmission) == 1


def confirm_form(app: Flask, code: str) -> tuple[FlaskClient, dict]:
    """Return a device on the confirmation page, and the form its button would send."""
    member = app.test_client()
    asked = post_form(member, "/s/tiny/withdraw", {"code": code})
    assert asked.status_code == 200
    return member, {"csrf_token": csrf_token(asked.text), "code": code, "confirm": "yes"}


def test_ten_taps_of_confirm_withdraw_once(app, client, tiny, every_submit_releases):
    code = send_with_code(client, years=40)
    for n in range(4):
        send_without_code(app, years=n)
    member, form = confirm_form(app, code)
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(lambda _: member.post("/s/tiny/withdraw", data=form).status_code, range(10)))
    assert statuses == [200] + [400] * 9
    assert count(app, Response, Response.withdrawing.is_(True)) == 1
    assert count(app, AuditEvent, AuditEvent.action == "a member withdrew a response") == 1


def test_a_withdrawal_racing_a_live_release_is_never_lost(app, client, tiny, monkeypatch):
    monkeypatch.setattr(submissions, "live_step", lambda threshold: 2)  # 4 waiting: 2 of them released
    code = send_with_code(client, years=40)
    for n in range(2):
        send_without_code(app, years=n)
    fourth = app.test_client()
    answer_pages(fourth, pages=pages(4))
    page = fourth.get("/s/tiny/check-answers")
    send = {
        "csrf_token": csrf_token(page.text),
        "submit_key": re.search(r'name="submit_key" value="([^"]+)"', page.text).group(1),
    }
    member, form = confirm_form(app, code)
    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = pool.submit(fourth.post, "/s/tiny/check-answers", data=send)
        withdrawn = pool.submit(member.post, "/s/tiny/withdraw", data=form)
        assert sent.result().status_code == 302 and withdrawn.result().status_code == 200
    # Whichever came first, the response is gone from the waiting rows or marked for deletion.
    assert "40" not in {str(a["years"]) for a in answers_left(app, unmarked_only=True)}
    assert count(app, PendingSubmission) + count(app, Response) in (3, 4)


def answers_left(app: Flask, unmarked_only: bool) -> list[dict]:
    with app.app_context():
        waiting = list(db.session.scalars(select(PendingSubmission.answers)))
        query = select(Response.answers)
        if unmarked_only:
            query = query.where(Response.withdrawing.is_(False))
        return waiting + list(db.session.scalars(query))


# --- limits and languages -------------------------------------------------------------------


def test_withdrawal_codes_cannot_be_guessed_quickly(app, client, tiny, limits):
    limits["RATE_RESUME"] = "5 per minute"
    page = client.get("/s/tiny/withdraw", environ_base=OFFICE)
    token = csrf_token(page.text)
    statuses = [
        client.post(
            "/s/tiny/withdraw", data={"csrf_token": token, "code": f"AAAA-AAAA-AAAA-AAA{i}"}, environ_base=OFFICE
        ).status_code
        for i in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    assert client.get("/s/tiny/withdraw", environ_base=OFFICE).status_code == 200  # reading the page is not limited


def test_welsh_pages(app, client, tiny):
    client.get("/s/tiny?lang=cy")
    start = get_page(client, "/s/tiny")
    assert "Mae gen i god tynnu'n ôl" in start
    answer_pages(client)
    check = get_page(client, "/s/tiny/check-answers")
    assert "Rhowch god i mi" in check and "Give me a code" not in check
    code = send_with_code_in_welsh(client)
    form = get_page(client, "/s/tiny/withdraw")
    assert "Tynnu eich ymateb yn ôl" in form and "Withdraw your response" not in form
    asked, done = withdraw_steps_in_welsh(client, code)
    assert "Ydych chi'n siŵr" in asked.text and "Mae eich ymateb wedi'i dynnu'n ôl" in done.text
    wrong = post_form(client, "/s/tiny/withdraw", {"code": code})
    assert wrong.status_code == 400 and errors_on(wrong.text) and "could not find" not in wrong.text
    with app.app_context():
        life_cycle.close(db.session.get(Survey, tiny.id))
    closed = client.get("/s/tiny/withdraw")
    assert closed.status_code == 410 and "ni ellir tynnu ymatebion yn ôl" in closed.text


def send_with_code_in_welsh(client: FlaskClient) -> str:
    response = post_form(client, "/s/tiny/check-answers", {"withdrawal_code": "yes"})
    assert response.status_code == 200 and "Eich cod tynnu'n ôl" in response.text
    return CODE.findall(response.text)[0]


def withdraw_steps_in_welsh(client: FlaskClient, code: str):
    asked = post_form(client, "/s/tiny/withdraw", {"code": code})
    assert asked.status_code == 200
    done = client.post("/s/tiny/withdraw", data={"csrf_token": csrf_token(asked.text), "code": code, "confirm": "yes"})
    return asked, done


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "cy"])
def test_getting_and_using_a_code_on_a_phone(app, tiny, lang):
    need_chromium()
    from playwright.sync_api import sync_playwright

    with live_server(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))

        def check(name: str) -> None:
            assert page.locator("h1").count() == 1, name
            assert axe_violations(page, javascript=False) == [], name
            assert_no_horizontal_scroll(page)
            screenshot(page, f"withdrawal-{lang}-{name}")

        page.goto(f"{server}/s/tiny?lang={lang}")
        page.locator("button.start").click()
        while "/page/" in page.url:
            for name in page.eval_on_selector_all("input[type=radio]", "els => [...new Set(els.map(e => e.name))]"):
                page.locator(f'input[name="{name}"]').first.check()
            for name in page.eval_on_selector_all("input[type=checkbox]", "els => [...new Set(els.map(e => e.name))]"):
                page.locator(f'input[name="{name}"]').first.check()
            for box in page.locator("input.input-number").all():
                box.fill("3")
            for box in page.locator("input.input-text, textarea").all():
                box.fill("Testun prawf / test text")
            page.locator("button[value=continue]").click()
        assert page.url.endswith("/check-answers")
        box = page.locator("#withdrawal-code")
        assert not box.is_checked()
        check("1-check-answers")
        box.check()  # its label is the click target on a phone
        page.locator("form button.button").last.click()
        code = page.locator("#withdrawal-code").inner_text()
        assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
        assert code not in page.url and page.locator("html").get_attribute("lang") == lang
        check("2-thank-you-with-code")

        page.locator('a[href="/s/tiny/withdraw"]').first.click()
        page.locator("button.button").click()  # nothing typed
        assert page.locator(".error-summary a").count() == 1
        check("3-withdraw-error")
        page.locator("#withdrawal-code").fill(code)
        page.locator("button.button").click()
        check("4-confirm")
        page.locator("button.warning").click()
        check("5-withdrawn")
        assert all(code not in url for url in requested)
        assert all(url.startswith(server) for url in requested)
        browser.close()
    assert count(app, PendingSubmission) == 0
