"""Comments held back because they may identify someone: hidden until an organiser approves
them, through the real pages, database, engine and API."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from survey.core import reviews
from survey.extensions import db
from survey.models import AuditEvent, CommentReview, Response, Role, Survey
from survey.results import comments, forget, snapshot_for
from survey.results.held import held_keys, may_identify

from .factories import HEALTH, PROBATION, commented_answers, commented_survey, insert_responses, make_user
from .factories import HELD_COMMENTS as HELD
from .factories import PLAIN_COMMENTS as PLAIN
from .helpers import get_page
from .journey import csrf_token
from .staff import sign_in


@pytest.fixture
def held(app):
    """A published probation survey: 16 plain comments, 6 held back, and 3 members who wrote none."""
    assert all(may_identify(t) for t in HELD) and not any(may_identify(t) for t in PLAIN)
    return commented_survey(app, "held", PLAIN + HELD + [None, None, None])


def _review(survey, **query) -> str:
    query = {"q": "ai_detail"} | query
    return f"/organise/surveys/{survey.id}/results/review?" + "&".join(f"{k}={v}" for k, v in query.items())


def _items(page: str) -> dict[str, str]:
    """Each listed comment's text (marks removed) by the key its Approve or Keep hidden button sends."""
    found = {}
    for item in page.split('<ol class="comments review"')[1].split("</ol>")[0].split("<li>")[1:]:
        label = re.search(r"<label [^>]*>(.*?)</label>", item, re.S).group(1)
        text = html.unescape(re.sub(r"<[^>]+>", "", label.split("</span>", 1)[1]))
        found[re.search(r'name="selected" value="([^"]+)"', item).group(1)] = text
    return found


def _key(page: str, text: str) -> str:
    return next(key for key, shown in _items(page).items() if shown == text)


def _decide(client, survey, page: str, **form) -> None:
    data = {"csrf_token": csrf_token(page), "q": "ai_detail", "show": "waiting", "page": "1"} | form
    response = client.post(f"/organise/surveys/{survey.id}/results/review", data=data)
    assert response.status_code == 302 and "/results/review?" in response.location


def _shown(client, survey) -> list[str]:
    page = get_page(client, f"/organise/surveys/{survey.id}/results/q/ai_detail")
    listed = page.split('<ul class="comments">')[1].split("</ul>")[0]
    return [html.unescape(t) for t in re.findall(r"<li>(.*?)</li>", listed, re.S)]


def test_held_back_comments_stay_hidden_until_an_organiser_approves_them(app, organiser, held):
    shown = _shown(organiser, held)
    assert sorted(shown) == sorted(PLAIN)
    dashboard = get_page(organiser, f"/organise/surveys/{held.id}/results/q/ai_detail")
    assert "6 comments held back" in dashboard and f'href="/organise/surveys/{held.id}/results/review' in dashboard

    page = get_page(organiser, _review(held))  # a title, no repeated ids
    assert sorted(_items(page).values()) == sorted(HELD)
    # the suspicious part, marked with its kind
    assert 'Ring me on <mark data-kind="phone">07700 900123</mark> about the rota tool.' in page
    assert '<mark data-kind="email">pat.smith@example.org</mark>' in page
    assert '<mark data-kind="number">12345678</mark>' in page
    assert "Contains a phone number" in page

    _decide(organiser, held, page, one=f"approve:{_key(page, HELD[0])}")
    page = get_page(organiser, _review(held))
    assert "1 comment approved." in page
    assert HELD[0] not in _items(page).values()  # decided: no longer waiting
    assert sorted(_shown(organiser, held)) == sorted([*PLAIN, HELD[0]])

    selected = [_key(page, HELD[1]), _key(page, HELD[2])]
    _decide(organiser, held, page, selected_action="approve", selected=selected)
    assert sorted(_shown(organiser, held)) == sorted([*PLAIN, *HELD[:3]])
    assert "3 comments held back" in get_page(organiser, f"/organise/surveys/{held.id}/results/q/ai_detail")

    with app.app_context():
        survey = db.session.get(Survey, held.id)
        found = comments(survey, "ai_detail", decisions=reviews.decisions(survey, "ai_detail"))
        _, ids, texts = snapshot_for(survey).text("ai_detail")
    # Approved comments take their place among the others: everything in random response-id order.
    by_id = sorted(zip(ids, texts, strict=True))
    assert found.comments == [t for _, t in by_id if t in PLAIN or t in HELD[:3]]
    assert found.held_for_review == 3 and "3 approved by an organiser" in found.summary


def test_keep_hidden_stays_hidden_and_a_decision_can_be_changed(app, organiser, held):
    page = get_page(organiser, _review(held))
    _decide(organiser, held, page, one=f"hide:{_key(page, HELD[3])}")
    assert HELD[3] not in _shown(organiser, held)
    assert HELD[3] not in _items(get_page(organiser, _review(held))).values()  # no longer waiting
    everything = organiser.get(_review(held, show="all")).text
    assert HELD[3] in _items(everything).values() and "Kept hidden." in everything

    _decide(organiser, held, everything, one=f"approve:{_key(everything, HELD[3])}")
    assert HELD[3] in _shown(organiser, held)
    everything = organiser.get(_review(held, show="all")).text
    _decide(organiser, held, everything, one=f"hide:{_key(everything, HELD[3])}")
    assert HELD[3] not in _shown(organiser, held)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CommentReview)) == 1  # one row, changed


def test_only_organisers_and_administrators_in_scope_may_review(app, held):
    make_user(app, "ada@example.org", Role.ADMIN)
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    make_user(app, "hal@example.org", Role.ORGANISER, [HEALTH])
    make_user(app, "vic@example.org", Role.VIEWER, [PROBATION])
    url = f"/organise/surveys/{held.id}/results/review"
    key = next(iter(_held_keys_of(app, held)))
    expected = {"ada@example.org": 200, "pat@example.org": 200, "hal@example.org": 404, "vic@example.org": 403}
    for email, status in expected.items():
        client = app.test_client()
        sign_in(client, app, email)
        page = client.get(url)
        assert page.status_code == status, email
        dashboard = client.get(f"/organise/surveys/{held.id}/results/q/ai_detail")
        if status != 404:
            assert ("Review them" in dashboard.text) == (status == 200), email
        token = csrf_token(client.get("/organise/").text)
        form = {"csrf_token": token, "q": "ai_detail", "one": f"approve:{key}"}
        if status != 200:
            assert client.post(url, data=form).status_code == status, email
    stranger = app.test_client()
    assert "/staff/sign-in" in stranger.get(url).location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CommentReview)) == 0


def test_a_decision_needs_a_csrf_token(app, organiser, held):
    page = get_page(organiser, _review(held))
    response = organiser.post(
        f"/organise/surveys/{held.id}/results/review", data={"q": "ai_detail", "one": f"approve:{_key(page, HELD[0])}"}
    )
    assert response.status_code == 400
    assert HELD[0] not in _shown(organiser, held)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CommentReview)) == 0


def test_the_audit_log_records_decisions_and_counts_never_comments(app, organiser, held):
    page = get_page(organiser, _review(held))
    keys = _items(page)
    _decide(organiser, held, page, selected_action="approve", selected=list(keys)[:2])
    _decide(organiser, held, get_page(organiser, _review(held)), one=f"hide:{list(keys)[4]}")
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.survey_id == held.id).order_by(AuditEvent.id)
        ).all()
        response_ids = db.session.scalars(select(Response.id).where(Response.survey_id == held.id)).all()
    decisions = [(e.action, e.detail, e.actor) for e in events]
    assert decisions == [
        ("approved held-back comments", {"question": "ai_detail", "count": 2}, "pat@example.org"),
        ("kept held-back comments hidden", {"question": "ai_detail", "count": 1}, "pat@example.org"),
    ]
    written = repr(decisions)
    for text in HELD + list(keys):
        assert text not in written
    for response_id in response_ids:
        assert response_id.hex not in written and str(response_id) not in written


def test_a_question_with_too_few_comments_offers_nothing_to_review(app, organiser):
    small = commented_survey(app, "small", PLAIN[:5] + HELD[:4])  # 9 comments: fewer than 10
    page = get_page(organiser, _review(small))
    assert "fewer than 10 comments" in page and 'name="one"' not in page
    assert all(text not in page for text in HELD + [html.escape(t) for t in HELD])
    keys = _held_keys_of(app, small)
    assert len(keys) == 4
    token = csrf_token(page)
    form = {"csrf_token": token, "q": "ai_detail", "selected_action": "approve", "selected": list(keys)}
    assert organiser.post(f"/organise/surveys/{small.id}/results/review", data=form).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CommentReview)) == 0
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.survey_id == small.id)) == 0
        )
    assert "shown once at least 10" in get_page(organiser, f"/organise/surveys/{small.id}/results/q/ai_detail")


def test_approval_survives_a_snapshot_rebuild_and_new_batches(app, organiser, held):
    page = get_page(organiser, _review(held))
    _decide(organiser, held, page, one=f"approve:{_key(page, HELD[5])}")
    forget(held.id)  # the next read builds the snapshot again from the database
    assert HELD[5] in _shown(organiser, held)
    insert_responses(
        app, held, [(commented_answers(t), "en") for t in ["Another plain one.", "Mail a.b@example.com"]], batch=2
    )
    shown = _shown(organiser, held)
    assert HELD[5] in shown and "Another plain one." in shown and "Mail a.b@example.com" not in shown
    waiting = _items(get_page(organiser, _review(held))).values()
    assert "Mail a.b@example.com" in waiting and HELD[5] not in waiting


def test_the_api_agrees_with_the_page(app, organiser, held):
    page = get_page(organiser, _review(held))
    _decide(organiser, held, page, selected_action="approve", selected=[_key(page, HELD[0]), _key(page, HELD[4])])
    api = app.test_client().get(f"/api/v1/surveys/{held.slug}/comments/ai_detail")  # published: anyone may read
    assert api.status_code == 200
    body = api.get_json()
    assert body["comments"] == _shown(organiser, held)
    assert body["held_for_review"] == 4 and body["n"] == len(PLAIN) + len(HELD)
    assert HELD[0] in body["comments"] and HELD[1] not in body["comments"]


def _held_keys_of(app, survey) -> dict[str, str]:
    """The form keys of a survey's held-back comments, straight from the engine (as a forger might guess them)."""
    with app.app_context():
        snapshot = snapshot_for(db.session.get(Survey, survey.id))
        return {key: response for response, key in held_keys(snapshot, "ai_detail").values()}


@pytest.mark.browser
def test_the_review_page_in_a_real_browser_on_a_phone(app, browser, held):
    from .browser import PHONE, assert_no_horizontal_scroll, axe_violations, live_server, screenshot
    from .staff import browser_sign_in

    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        browser_sign_in(page, server, app, "pat@example.org")
        page.goto(f"{server}/organise/surveys/{held.id}/results/q/ai_detail")
        page.click("a:has-text('Review them')")
        assert page.locator("ol.review > li").count() == len(HELD)
        assert page.locator("mark", has_text="07700 900123").count() == 1
        shown_kind = "getComputedStyle(document.querySelector('mark[data-kind=phone]'), '::after').content"
        assert page.evaluate(shown_kind) == '" (phone)"'  # each marked part says what it is
        assert axe_violations(page) == []
        assert_no_horizontal_scroll(page)
        screenshot(page, "comment-review-phone")
        page.locator("ol.review > li", has_text="07700 900123").get_by_role("button", name="Approve").click()
        assert page.locator(".notice", has_text="1 comment approved.").count() == 1
        assert page.locator("ol.review > li").count() == len(HELD) - 1
        page.goto(f"{server}/organise/surveys/{held.id}/results/q/ai_detail")
        assert page.locator("ul.comments li", has_text="07700 900123").count() == 1
        context.close()
