"""When answers reach results (DESIGN §5): invitation surveys once, at close; open-link surveys in
large random steps, never more often than LIVE_RELEASE_SECONDS, always leaving a step waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey.core import submissions
from survey.core import surveys as life_cycle
from survey.core.tracking import tracking as tracking_of
from survey.extensions import db
from survey.models import PendingSubmission, Response, Survey, utcnow

from .factories import make_invitations, make_survey
from .journey import TINY_PAGES, complete

K = 5
STEP = submissions.live_step(K)  # S = max(50, 5k) = 50


def pages(tag: str) -> dict:
    """The tiny questionnaire's answers, with a team name that tells responses apart."""
    return dict(TINY_PAGES, views=dict(TINY_PAGES["views"], team=tag))


def send(app: Flask, slug: str, tag: object, token: str | None = None) -> None:
    """One member answers every page and sends, through the journey as a phone would."""
    phone = app.test_client()
    if token:
        assert phone.get(f"/i/{token}").status_code == 302
    assert complete(phone, slug, pages(str(tag))).location.endswith("/thank-you")


def counts(app: Flask) -> tuple[int, int]:
    """Return (responses released, submissions waiting)."""
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Response, PendingSubmission))


def batches(app: Flask) -> dict[int, list[dict]]:
    """Return the released responses' answers, release by release."""
    with app.app_context():
        found: dict[int, list[dict]] = {}
        for batch, answers in db.session.execute(select(Response.batch, Response.answers)):
            found.setdefault(batch, []).append(answers)
        return found


def close(app: Flask, survey: Survey) -> None:
    with app.app_context():
        life_cycle.close(db.session.get(Survey, survey.id))


@pytest.fixture
def clock(monkeypatch) -> list:
    """Let the test move the time the release pace reads."""
    now = [utcnow()]
    monkeypatch.setattr(submissions, "utcnow", lambda: now[0])
    return now


def test_the_step_is_far_larger_than_k():
    assert submissions.live_step(5) == 50 and submissions.live_step(10) == 50 and submissions.live_step(20) == 100


# --- invitation surveys: once, at close -----------------------------------------------------------


def invited(app: Flask, members: int, after_each=lambda number: None) -> Survey:
    """Make an invitation survey and send a response through each of its invitations."""
    survey = make_survey(app, slug="invited", access="invitation", threshold=K)
    tokens = make_invitations(app, survey, members)
    for number, token in enumerate(tokens):
        send(app, "invited", number, token=token)
        after_each(number)
    return survey


def test_an_invitation_survey_releases_nothing_while_open_and_everything_at_close_in_one_batch(app):
    def nothing_released(number: int) -> None:
        assert counts(app) == (0, number + 1)  # however many submit: nothing released

    survey = invited(app, 30, nothing_released)
    with app.app_context():
        tracking = tracking_of(db.session.get(Survey, survey.id))
    assert (tracking.submitted, tracking.used, tracking.invited) == (30, 30, 30)  # participation only
    close(app, survey)
    assert counts(app) == (30, 0)
    released = batches(app)
    assert list(released) == [1] and sorted(int(a["team"]) for a in released[1]) == list(range(30))


def test_an_invitation_survey_is_not_released_by_a_direct_call_either(app):
    survey = invited(app, 2)
    with app.app_context():
        assert submissions.release_batch(db.session.get(Survey, survey.id)) == 0
    assert counts(app) == (0, 2)


# --- open-link surveys: large random steps -------------------------------------------------------


def test_an_open_link_survey_releases_nothing_below_two_steps_and_leaves_a_step_waiting(app):
    survey = make_survey(app, threshold=K)
    for number in range(2 * STEP - 1):
        send(app, "tiny", number)
    assert counts(app) == (0, 2 * STEP - 1)
    send(app, "tiny", 2 * STEP - 1)  # 2S waiting: a live release of all but S, chosen at random
    assert counts(app) == (STEP, STEP)
    released = sorted(int(a["team"]) for a in batches(app)[1])
    assert released != list(range(STEP))  # a random sample, not the first to arrive (odds 1 in 10^29)
    with app.app_context():
        assert db.session.get(Survey, survey.id).released_at is not None
    close(app, survey)
    assert counts(app) == (2 * STEP, 0) and len(batches(app)[2]) == STEP


def test_nothing_is_released_twice_within_the_live_release_interval(app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_RELEASE_SECONDS", 180)
    make_survey(app, threshold=K)
    for number in range(2 * STEP):
        send(app, "tiny", number)
    assert counts(app) == (STEP, STEP)  # the first live release: none before it
    clock[0] += timedelta(seconds=100)
    for number in range(STEP):
        send(app, "tiny", 1000 + number)
    assert counts(app) == (STEP, 2 * STEP)  # 2S waiting, but too soon after the last release
    clock[0] += timedelta(seconds=81)  # 181 seconds after it
    send(app, "tiny", 2000)
    assert counts(app) == (2 * STEP + 1, STEP)  # all but S of the 2S + 1 waiting
    assert sorted(batches(app)) == [1, 2]


def test_a_flood_of_known_answers_before_one_stranger_isolates_no_one(app):
    """The "9 known + 1" attack: right after a live release the organiser sends answers they know,
    so that one more member's submit triggers the next release, and reads the difference."""
    survey = make_survey(app, threshold=K)
    for number in range(2 * STEP):
        send(app, "tiny", number)
    assert counts(app) == (STEP, STEP)
    for number in range(STEP - 1):  # the attacker fills the waiting rows up to one short of 2S
        send(app, "tiny", f"Mole {number}")
    assert counts(app) == (STEP, 2 * STEP - 1)
    send(app, "tiny", "Stranger")  # the member the attacker wants to read
    assert counts(app) == (2 * STEP, STEP)
    difference = batches(app)[2]
    strangers = [a for a in difference if not a["team"].startswith("Mole")]
    # The difference is S responses drawn at random from 2S waiting, S + 1 of them not the
    # attacker's: about S/2 strangers, fewer than k with odds of about 5e-20.
    assert len(difference) == STEP and len(strangers) >= K
    # The closing remainder is never small: at least S wait after the last live release.
    close(app, survey)
    assert len(batches(app)[3]) >= STEP and counts(app) == (3 * STEP, 0)
