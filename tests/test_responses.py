"""The member journey through the real app and database: pages, validation, drafts, exactly once."""

from __future__ import annotations

import gzip
import re

import pytest
from sqlalchemy import func, inspect, select

from survey.core import codes
from survey.core import surveys as life_cycle
from survey.extensions import db
from survey.models import Draft, PendingSubmission, Response, Survey

from .factories import make_survey
from .helpers import get_page
from .journey import TINY_PAGES, answer_pages, complete, csrf_token, errors_on, post_form, start, submit


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored_answers(app) -> list[dict]:
    with app.app_context():
        return [r.answers for r in db.session.scalars(select(Response))]


def test_start_page_explains_and_offers_both_languages(client, tiny):
    html = get_page(client, "/s/tiny")
    assert "Tiny test survey" in html and "about 2 minutes" in html
    assert html.count("<li>") >= 10  # the ten promises
    assert "fewer than 5 people" in html  # the survey's own threshold
    assert 'hreflang="cy"' in html
    assert "Start now" in html


def test_a_whole_journey_stores_one_response_of_codes(app, client, tiny):
    assert complete(client).location.endswith("/s/tiny/thank-you")
    html = get_page(client, "/s/tiny/thank-you")
    assert "your answers have been saved" in html
    assert count(app, PendingSubmission) == 1 and count(app, Draft) == 0
    with app.app_context():
        pending = db.session.scalar(select(PendingSubmission))
        assert pending.language == "en"
        assert pending.answers == {
            "group": "health",
            "region": "eastern",
            "sector": "acute",
            "monitoring": ["cctv", "email"],
            "uses_ai": "yes",
            "ai_detail": "Rotas",
            "trust.a": "4",
            "trust.b": "dk",
            "confidence": "5",
            "years": 12,
            "team": "Blue",
            "age": "a16_30",
            "ethnicity": "pnts",
        }


def test_check_answers_lists_labels_with_change_links(client, tiny):
    answer_pages(client)
    html = get_page(client, "/s/tiny/check-answers")
    for label in ("Health", "Acute hospital", "CCTV", "I trust my employer: Agree", "12 years", "Prefer not to say"):
        assert label in html
    assert 'href="/s/tiny/page/sector?change=1#q-monitoring"' in html  # and back here after Continue


def test_progress_back_link_and_title(client, tiny):
    location = start(client)
    html = get_page(client, location)
    # The total counts every page of the survey, the views page too (shown once a group is chosen),
    # so it never changes during the journey (tests/test_member_polish.py).
    assert "Page 1 of 4" in html
    assert 'class="back-link" href="/s/tiny"' in html
    assert "<title>Your work – Tiny test survey" in html


def test_missing_required_answer_reshows_the_page_with_answers_kept(client, tiny):
    location = start(client)
    response = post_form(client, location, {"region": "eastern"})
    assert response.status_code == 200
    assert errors_on(response.text) == ["Which service group are you in? – Select an answer"]
    assert 'href="#q-group"' in response.text and 'id="q-group"' in response.text
    assert re.search(r'value="eastern" id="[^"]+" checked', response.text)
    assert "<title>Error: Your work" in response.text


@pytest.mark.parametrize(
    ("page", "data", "message"),
    [
        ("work", {"group": "nonsense"}, "Select one of the answers shown"),
        ("work", {"group": ["health", "dk"]}, "Select only one answer"),
        ("sector", {"sector": "probation"}, "Select one of the answers shown"),  # not offered to Health
        ("sector", {"sector": "acute", "monitoring": ["cctv", "none"]}, "'None' cannot be selected with other answers"),
        ("sector", {"sector": "acute", "monitoring": ["cctv", "email", "keystrokes"]}, "Select no more than 2"),
        ("sector", {"sector": "acute", "monitoring": ["welsh_tool"]}, "Select one of the answers shown"),
        ("sector", {"sector": "acute", "uses_ai": "yes", "ai_detail": "x" * 201}, "Use 200 characters or fewer"),
        ("sector", {"sector": "acute", "uses_ai": "yes", "ai_detail": "a\x00b"}, "Remove the unusual characters"),
        ("sector", {"sector": "other", "sector.other": "y" * 201}, "Use 200 characters or fewer"),
        ("views", {"trust.a": "4", "trust.b": "9"}, "Select one of the answers shown"),
        ("views", {"trust.a": "4"}, "Select an answer for this row"),
        ("views", {"trust.a": "4", "trust.b": "4", "years": "lots"}, "Enter a whole number"),
        ("views", {"trust.a": "4", "trust.b": "4", "years": "51"}, "Enter a number between 0 and 50"),
        ("views", {"trust.a": "4", "trust.b": "4", "team": "\x07bell"}, "Remove the unusual characters"),
        ("views", {"trust.a": "4", "trust.b": "4", "confidence": "na"}, "Select one of the answers shown"),
    ],
)
def test_bad_values_get_a_clear_message_never_a_500(client, tiny, page, data, message):
    pages = list(TINY_PAGES)
    answer_pages(client, pages={p: TINY_PAGES[p] for p in pages[: pages.index(page)]})
    response = post_form(client, f"/s/tiny/page/{page}", data)
    assert response.status_code == 200
    assert any(message in e for e in errors_on(response.text)), errors_on(response.text)


def test_write_in_is_kept_with_its_option(app, client, tiny):
    pages = dict(TINY_PAGES, sector={"sector": "other", "sector.other": "Hospice"})
    complete(client, pages=pages)
    with app.app_context():
        answers = db.session.scalar(select(PendingSubmission)).answers
    assert answers["sector"] == "other" and answers["sector.other"] == "Hospice"


def test_answers_to_questions_that_became_hidden_are_discarded(app, client, tiny):
    answer_pages(client)
    # Change "uses AI" to no on the sector page: the same-page follow-up answer goes.
    post_form(client, "/s/tiny/page/sector", {"sector": "acute", "uses_ai": "no", "ai_detail": "still here"})
    submit(client)
    with app.app_context():
        answers = db.session.scalar(select(PendingSubmission)).answers
    assert answers["uses_ai"] == "no" and "ai_detail" not in answers


def test_changing_an_earlier_answer_drops_options_no_longer_offered(app, client, tiny):
    answer_pages(client)
    post_form(client, "/s/tiny/page/work", {"group": "police_justice", "region": "eastern"})
    # The saved sector (acute) is not offered to police and justice: the member must answer again.
    response = client.get("/s/tiny/check-answers")
    assert response.status_code == 302 and response.location.endswith("/page/sector?change=1")  # then back


def test_pages_cannot_be_skipped_to_check_answers(client, tiny):
    start(client)
    response = client.get("/s/tiny/check-answers")
    assert response.status_code == 302 and response.location.endswith("/page/work")


def test_an_expired_form_keeps_the_answers_typed_on_it(client, tiny):
    location = start(client)
    response = client.post(location, data={"csrf_token": "expired", "group": "police_justice", "region": "eastern"})
    assert response.status_code == 400
    assert "press Continue again" in response.text
    assert re.search(r'value="police_justice" id="[^"]+" checked', response.text)
    assert post_form(client, location, {"group": "police_justice"}).status_code == 302


def test_an_expired_form_elsewhere_says_so_plainly(client, tiny):
    response = client.post("/s/tiny/start", data={"csrf_token": "expired"})
    assert response.status_code == 400 and "This page had expired" in response.text


def test_save_and_resume_with_a_code_on_another_device(app, client, tiny):
    location = start(client)
    response = post_form(client, location, {"group": "health", "region": "eastern", "action": "save"})
    assert response.location.endswith("/s/tiny/saved")
    html = get_page(client, "/s/tiny/saved")
    code = re.search(r'class="resume-code">([^<]+)<', html).group(1)
    assert re.fullmatch(r"([0-9A-Z]{5}-){4}[0-9A-Z]{5}", code)
    other = app.test_client()
    page = other.get("/s/tiny/resume")
    response = other.post("/s/tiny/resume", data={"csrf_token": csrf_token(page.text), "code": code.lower()})
    assert response.location.endswith("/page/sector")  # the first page not yet answered
    work = get_page(other, "/s/tiny/page/work")
    assert re.search(r'value="health" id="[^"]+" checked', work)


def test_a_wrong_resume_code_says_so(client, tiny):
    page = client.get("/s/tiny/resume")
    response = client.post("/s/tiny/resume", data={"csrf_token": csrf_token(page.text), "code": "AAAAA-BBBBB"})
    assert response.status_code == 400 and "could not find saved answers" in response.text
    assert client.get("/s/tiny/resume/ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ").status_code == 404


def test_drafts_are_encrypted_at_rest(app, client, tiny):
    location = start(client)
    post_form(client, location, {"group": "health", "region": "cymru_wales"})
    with app.app_context():
        draft = db.session.scalar(select(Draft))
    assert b"cymru_wales" not in draft.content and b"health" not in draft.content


def test_language_switch_on_a_page_keeps_answers_and_is_recorded(app, client, tiny):
    location = start(client)
    response = post_form(client, location, {"group": "dk", "language": "cy"})
    assert response.status_code == 302 and "lang=cy" in response.location
    html = get_page(client, response.location)
    assert '<html lang="cy">' in html and "Eich gwaith" in html
    assert re.search(r'value="dk" id="[^"]+" checked', html)
    pages = dict(TINY_PAGES, work={"group": "dk", "region": "eastern"})
    for section_id, data in pages.items():
        post_form(client, f"/s/tiny/page/{section_id}", data)
    submit(client)
    with app.app_context():
        assert db.session.scalar(select(PendingSubmission)).language == "cy"


def test_welsh_error_messages(client, tiny):
    location = start(client)
    client.get(location + "?lang=cy")
    response = post_form(client, location, {})
    assert errors_on(response.text) and all("Select" not in e for e in errors_on(response.text))


def test_double_submit_and_back_button_store_one_response(app, client, tiny):
    answer_pages(client)
    page = client.get("/s/tiny/check-answers")
    fields = {
        "csrf_token": csrf_token(page.text),
        "submit_key": re.search(r'name="submit_key" value="([^"]+)"', page.text).group(1),
    }
    first = client.post("/s/tiny/check-answers", data=fields)
    second = client.post("/s/tiny/check-answers", data=fields)
    assert first.location.endswith("/thank-you") and second.location.endswith("/thank-you")
    back = client.get("/s/tiny/check-answers")
    assert back.status_code == 302 and back.location.endswith("/thank-you")
    assert count(app, PendingSubmission) + count(app, Response) == 1


def test_thank_you_only_after_submitting(client, tiny):
    response = client.get("/s/tiny/thank-you")
    assert response.status_code == 302 and response.location.endswith("/s/tiny")


def test_a_few_responses_wait_until_close_and_are_released_in_one_batch(app, tiny):
    # Far fewer than two live steps (2 × max(50, 5k)) wait: nothing moves until close.
    for n in range(1, 7):
        pages = dict(TINY_PAGES, views=dict(TINY_PAGES["views"], years=str(n)))
        complete(app.test_client(), pages=pages)
    assert count(app, Response) == 0 and count(app, PendingSubmission) == 6
    with app.app_context():
        life_cycle.close(db.session.get(Survey, tiny.id))
        batches = set(db.session.scalars(select(Response.batch)))
    assert count(app, Response) == 6 and count(app, PendingSubmission) == 0
    assert batches == {1}


def test_closing_deletes_drafts(app, client, tiny):
    start(client)
    assert count(app, Draft) == 1
    with app.app_context():
        life_cycle.close(db.session.get(Survey, tiny.id))
    assert count(app, Draft) == 0
    assert client.get("/s/tiny/page/work").status_code == 410


def test_response_rows_hold_no_identifier_or_time(app):
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("response")}
    # `batch` numbers the shuffled release batch (k or more at a time): no time, no order within it.
    # `withdrawal_hash` is a keyed hash of a random code only the member holds (cleared at close);
    # `withdrawing` marks a withdrawn response until the next release deletes it.
    # `record_key` is random, drawn at release: the cell keys of consistent perturbation.
    assert columns == {
        "id",
        "survey_id",
        "questionnaire_version_id",
        "language",
        "answers",
        "batch",
        "record_key",
        "withdrawal_hash",
        "withdrawing",
    }


# --- invitations -------------------------------------------------------------------------------


def test_invitation_link_redirects_without_the_token(client, invited):
    response = client.get(f"/i/{invited[0]}")
    assert response.status_code == 302 and response.location == "/s/invited"
    assert invited[0] not in response.location
    assert "Start now" in get_page(client, "/s/invited")


def test_invitation_tokens_are_stored_only_as_hashes(app, invited):
    with app.app_context():
        from survey.models import Invitation

        hashes = {i.token_hash for i in db.session.scalars(select(Invitation))}
    assert hashes == {codes.sha256(t) for t in invited}
    assert all(len(t) >= 32 for t in invited)  # 192 bits, URL-safe base64


def test_invitation_only_survey_needs_the_link(client, invited):
    assert client.get("/s/invited").status_code == 403
    assert client.get("/i/not-a-real-token").status_code == 404


def test_two_phones_one_invitation_one_response(app, invited):
    phone_a, phone_b = app.test_client(), app.test_client()
    phone_a.get(f"/i/{invited[0]}")
    answer_pages(phone_a, "invited")
    phone_b.get(f"/i/{invited[0]}")
    # The link starts a new draft on the second phone: it never opens the first phone's answers.
    assert answer_pages(phone_b, "invited").endswith("/s/invited/check-answers")
    page_b = phone_b.get("/s/invited/check-answers")
    assert submit(phone_a, "invited").location.endswith("/thank-you")
    key = re.search(r'name="submit_key" value="([^"]+)"', page_b.text).group(1)
    second = phone_b.post("/s/invited/check-answers", data={"csrf_token": csrf_token(page_b.text), "submit_key": key})
    assert second.status_code == 409 and "already been used" in second.text
    assert count(app, PendingSubmission) == 1
    assert phone_b.get(f"/i/{invited[0]}").status_code == 409


def test_used_invitation_page_is_plain_and_409(app, client, invited):
    client.get(f"/i/{invited[1]}")
    complete(client, "invited")
    fresh = app.test_client()
    response = fresh.get(f"/i/{invited[1]}")
    assert response.status_code == 409 and "already been used" in response.text


# --- survey states -----------------------------------------------------------------------------


def test_closed_not_yet_open_and_unknown_surveys(app, client):
    from datetime import timedelta

    from survey.models import utcnow

    make_survey(app, slug="closed", status="closed")
    make_survey(app, slug="later", opens_at=utcnow() + timedelta(days=3))
    assert "has closed" in get_page(client, "/s/closed", status=410)
    assert "not open yet" in get_page(client, "/s/later", status=403)
    assert "Page not found" in get_page(client, "/s/nothing-here", status=404)


# --- weight ------------------------------------------------------------------------------------


def test_pages_are_light(client, tiny, app):
    css = gzip.compress(client.get("/static/css/app.css").data)
    first = gzip.compress(client.get("/s/tiny").data)
    assert len(first) + len(css) <= 30 * 1024
    location = start(client)
    later = gzip.compress(client.get(location).data)
    assert len(later) <= 10 * 1024
    assert "<script" not in get_page(client, location)
