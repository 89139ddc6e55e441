"""Exactly once under concurrency, and no link between an invitation's use and a response."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import PendingSubmission, Response, Survey
from survey.responses import service

from .journey import TINY_PAGES, answer_pages, complete, csrf_token, make_survey


def invited_survey(app, count: int, threshold: int = 5):
    survey = make_survey(app, slug="invited", access="invitation", threshold=threshold)
    with app.app_context():
        return service.create_invitations(db.session.get(Survey, survey.id), count)


def stored(app) -> int:
    with app.app_context():
        return sum(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (PendingSubmission, Response))


def submit_form(client) -> dict:
    page = client.get("/s/invited/check-answers")
    assert page.status_code == 200
    key = re.search(r'name="submit_key" value="([^"]+)"', page.text).group(1)
    return {"csrf_token": csrf_token(page.text), "submit_key": key}


def test_twenty_phones_submitting_one_invitation_at_once_store_one_response(app):
    (token,) = invited_survey(app, 1)
    first = app.test_client()
    first.get(f"/i/{token}")
    answer_pages(first, "invited")
    phones = [first] + [app.test_client() for _ in range(19)]
    forms = []
    for phone in phones:
        phone.get(f"/i/{token}")
        forms.append(submit_form(phone))
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(lambda pf: pf[0].post("/s/invited/check-answers", data=pf[1]), zip(phones, forms, strict=True))
        )
    statuses = sorted(r.status_code for r in results)
    assert all(code in (302, 409) for code in statuses), statuses
    assert sum(1 for r in results if r.status_code == 302 and r.location.endswith("/thank-you")) >= 1
    assert stored(app) == 1


def test_twenty_taps_of_one_submit_button_store_one_response(app):
    (token,) = invited_survey(app, 1)
    phone = app.test_client()
    phone.get(f"/i/{token}")
    answer_pages(phone, "invited")
    form = submit_form(phone)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: phone.post("/s/invited/check-answers", data=form), range(20)))
    # Every tap ends on the thank-you page: the member never sees an error for pressing twice.
    assert all(r.status_code == 302 and r.location.endswith("/thank-you") for r in results), [
        (r.status_code, r.location) for r in results
    ]
    assert stored(app) == 1


@pytest.mark.postgres
def test_order_of_invitation_use_cannot_be_recovered_from_responses(app):
    count, threshold = 30, 15
    tokens = invited_survey(app, count, threshold=threshold)
    for number, token in enumerate(tokens):
        phone = app.test_client()
        phone.get(f"/i/{token}")
        pages = dict(TINY_PAGES, views=dict(TINY_PAGES["views"], years=str(number)))
        assert complete(phone, "invited", pages).location.endswith("/thank-you")
    with app.app_context(), db.engine.connect() as connection:
        used_xmins = set(connection.scalars(sa.text("SELECT xmin::text FROM invitation WHERE used")))
        rows = connection.execute(
            sa.text("SELECT xmin::text, id::text, (answers->>'years')::int FROM response ORDER BY ctid")
        ).all()
        pending = connection.scalar(sa.text("SELECT count(*) FROM pending_submission"))
    assert len(rows) == count and pending == 0 and len(used_xmins) == count
    # No response was written in a transaction that used an invitation.
    assert not used_xmins & {xmin for xmin, _, _ in rows}
    # Responses were written a batch at a time, each batch in one transaction.
    assert len({xmin for xmin, _, _ in rows}) == count // threshold
    # Neither the physical order nor the id order gives the order of use.
    physical = [years for _, _, years in rows]
    by_id = [years for _, _, years in sorted(rows, key=lambda row: row[1])]
    in_order = list(range(count))
    for order in (physical, by_id):
        assert sorted(order) == in_order and order != in_order and order != in_order[::-1]
    for start in range(0, count, threshold):  # within each batch, too
        batch = physical[start : start + threshold]
        assert batch != sorted(batch) and batch != sorted(batch, reverse=True)
