"""Exactly once under concurrency, and no link between an invitation's use and a response."""

from __future__ import annotations

import math
import random
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from survey.core import invitations
from survey.core import surveys as life_cycle
from survey.extensions import db
from survey.models import Invitee, PendingSubmission, Response, Survey, User

from .factories import invited_survey, make_survey, make_user
from .helpers import get_page
from .journey import TINY_PAGES, answer_pages, complete, csrf_token


def stored(app) -> int:
    with app.app_context():
        return sum(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (PendingSubmission, Response))


def submit_form(client) -> dict:
    page = get_page(client, "/s/invited/check-answers")
    key = re.search(r'name="submit_key" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_token(page), "submit_key": key}


def test_twenty_phones_submitting_one_invitation_at_once_store_one_response(app):
    (token,) = invited_survey(app, 1)
    phones = [app.test_client() for _ in range(20)]
    forms = []
    for phone in phones:  # the link starts a draft of its own on each phone
        phone.get(f"/i/{token}")
        answer_pages(phone, "invited")
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


# --- PostgreSQL system columns, read as an attacker would -----------------------------------------


def kendall_z(order: list[int]) -> float:
    """Return Kendall's tau between positions and values as a z score (no ties): about N(0, 1) by chance."""
    n = len(order)
    concordant = sum((order[j] > order[i]) - (order[j] < order[i]) for i in range(n) for j in range(i + 1, n))
    tau = concordant / (n * (n - 1) / 2)
    return tau / math.sqrt(2 * (2 * n + 5) / (9 * n * (n - 1)))


def by(rows: list[dict], key: str) -> list[dict]:
    """Return rows sorted as an attacker would sort them: by a system column, as numbers where they are."""
    return sorted(rows, key=lambda row: row[key])


def matches(first: list, second: list) -> int:
    """Return how many places two orders agree: pairing them place by place, how many pairs are right."""
    return sum(a == b for a, b in zip(first, second, strict=False))


SYSTEM = (
    "xmin::text::bigint AS xmin, xmax::text::bigint AS xmax,"
    " (ctid::text::point)[0] * 100000 + (ctid::text::point)[1] AS ctid"  # (page, item) as one number
)


def system_rows(connection, table: str, *columns: str) -> list[dict]:
    """Return every live row of a table with its system columns (xmin, xmax, ctid as one number)."""
    names = ", ".join(columns)
    return [dict(row._mapping) for row in connection.execute(sa.text(f"SELECT {SYSTEM}, {names} FROM {table}"))]


@pytest.mark.postgres
def test_system_columns_cannot_place_a_member_in_the_order_of_submits(app):
    """30 members use their links in a known order; an attacker who reads xmin, xmax and ctid of every
    row tries to pair invitations with answers, before and after close: no better than chance."""
    survey = make_survey(app, slug="invited", access="invitation", threshold=5)
    user = make_user(app)
    with app.app_context():
        invitations.make_links(db.session.get(User, user.id), db.session.get(Survey, survey.id), 30)
        sealed = dict(db.session.execute(sa.select(Invitee.invitation_id, Invitee.sealed_token)).all())
        tokens = {invitation_id: invitations.unseal(value) for invitation_id, value in sealed.items()}
    used_order = sorted(tokens)
    random.Random(15).shuffle(used_order)  # the order members use their links in: known to the test
    with app.app_context(), db.engine.connect() as connection:
        before = {t: system_rows(connection, t, "*") for t in ("invitation", "unused_invitation", "invitee")}
    for rank, invitation_id in enumerate(used_order):
        phone = app.test_client()
        assert phone.get(f"/i/{tokens[invitation_id]}").status_code == 302
        pages = dict(TINY_PAGES, views=dict(TINY_PAGES["views"], years=str(rank)))
        assert complete(phone, "invited", pages).location.endswith("/thank-you")
    truth = list(range(30))  # the rank of use of each submit, in the order of use
    with app.app_context(), db.engine.connect() as connection:
        side = {t: system_rows(connection, t, "*") for t in ("invitation", "unused_invitation", "invitee")}
        pending = system_rows(connection, "pending_submission", "(answers->>'years')::int AS rank")
        receipts = system_rows(connection, "submission_receipt", "key_hash")
    assert len(pending) == 30 and not side["unused_invitation"]  # nothing released while open

    # Invitation side: nothing was written by any submit. Every live row is as it was made, in one
    # transaction: same xmin, xmax and place, so no order of them says anything about use.
    assert {t: sorted(map(str, rows)) for t, rows in side.items() if t != "unused_invitation"} == {
        t: sorted(map(str, rows)) for t, rows in before.items() if t != "unused_invitation"
    }
    made = {row["xmin"] for rows in before.values() for row in rows}
    assert len(made) == 1
    written_by_submits = {row["xmin"] for row in pending} | {row["xmin"] for row in receipts}
    invitation_side = {row[c] for rows in side.values() for row in rows for c in ("xmin", "xmax")}
    assert not written_by_submits & invitation_side
    # Pairing invitations (in any order of theirs) with submits (in any order of the pending rows):
    # a random permutation of 30 has 6 or more fixed points with odds of about 1 in 1,400.
    rank_of = {invitation_id: rank for rank, invitation_id in enumerate(used_order)}
    for column in ("xmin", "xmax", "ctid"):
        members = [rank_of[row["id"]] for row in by(side["invitation"], column)]
        for pending_column in ("xmin", "ctid"):
            answers = [row["rank"] for row in by(pending, pending_column)]
            assert matches(members, answers) < 6, (column, pending_column)

    with app.app_context():
        life_cycle.close(db.session.get(Survey, survey.id))
    with app.app_context(), db.engine.connect() as connection:
        closed = system_rows(connection, "invitation", "id", "used")
        responses = system_rows(connection, "response", "id::text AS uuid", "batch", "(answers->>'years')::int AS rank")
        left = {t: connection.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in ("unused_invitation", "invitee")}
    assert left == {"unused_invitation": 0, "invitee": 0} and all(row["used"] for row in closed)
    # Close writes every invitation in one statement (one xmin); the release is one other transaction.
    assert len({row["xmin"] for row in closed}) == 1 and len({row["xmin"] for row in responses}) == 1
    assert not {row["xmin"] for row in responses} & {row[c] for row in closed for c in ("xmin", "xmax")}
    assert {row["batch"] for row in responses} == {1} and sorted(row["rank"] for row in responses) == truth
    for column in ("ctid", "uuid"):
        order = [row["rank"] for row in by(responses, column)]
        assert abs(kendall_z(order)) < 3.9, column  # p < 0.0001 by chance
        for invitation_column in ("xmin", "ctid", "id"):
            members = [rank_of[row["id"]] for row in by(closed, invitation_column)]
            assert matches(members, order) < 6, (column, invitation_column)
