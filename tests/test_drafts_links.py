"""A link is not a key (DESIGN §5): holding an invitation link starts a response; it never reads,
changes or sends one already saved. Drafts open only with the resume code the member holds."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from survey.core import codes, drafts, member_survey
from survey.core import surveys as life_cycle
from survey.extensions import db
from survey.models import Draft, PendingSubmission, Response, Survey

from .helpers import get_page
from .journey import TINY_PAGES, answer_pages, csrf_token, post_form, start, submit

MEMBER_A = dict(
    TINY_PAGES,
    sector=dict(TINY_PAGES["sector"], ai_detail="Rota planning for ward seven"),
    views=dict(TINY_PAGES["views"], team="Alder ward"),
)
HOLDER = dict(TINY_PAGES, views=dict(TINY_PAGES["views"], team="Link holder"))
A_SECRETS = ("Rota planning for ward seven", "Alder ward")


def stored_answers(app: Flask) -> list[dict]:
    with app.app_context():
        return [*db.session.scalars(select(PendingSubmission.answers)), *db.session.scalars(select(Response.answers))]


def test_an_invitation_link_alone_never_shows_changes_or_sends_saved_answers(app, invited):
    member = app.test_client()
    member.get(f"/i/{invited[0]}")
    assert answer_pages(member, "invited", MEMBER_A).endswith("/check-answers")
    assert all(text in get_page(member, "/s/invited/check-answers") for text in A_SECRETS)

    holder = app.test_client()  # an organiser who downloaded the links, say
    assert holder.get(f"/i/{invited[0]}").location == "/s/invited"
    first = holder.get("/s/invited")
    assert "Start now" in first.text and "Continue where you left off" not in first.text
    shown = holder.get("/s/invited/check-answers", follow_redirects=True)
    assert not any(text in shown.text for text in A_SECRETS)
    # Start opens a new, empty draft under a new code: none of A's answers on any page.
    assert start(holder, "invited").endswith("/page/work")
    for section_id in TINY_PAGES:
        page = holder.get(f"/s/invited/page/{section_id}", follow_redirects=True).text
        assert not any(text in page for text in A_SECRETS)
    # Sending from the holder's device uses the invitation, with the holder's own answers only.
    assert answer_pages(holder, "invited", HOLDER).endswith("/check-answers")
    assert not any(text in get_page(holder, "/s/invited/check-answers") for text in A_SECRETS)
    assert submit(holder, "invited").location.endswith("/thank-you")
    refused = submit(member, "invited")
    assert refused.status_code == 409 and "already been used" in refused.text
    (sent,) = stored_answers(app)
    assert sent["team"] == "Link holder" and not any(text in str(sent) for text in A_SECRETS)


def test_a_session_from_before_resume_codes_never_opens_a_draft_by_its_token(app, invited):
    # Before, the token was the draft's secret: {"secret": token, "invited": True}, and its draft
    # was found and sealed by the token. Such a session now holds only an invitation.
    with app.app_context():
        found = member_survey.find_survey("invited")
        drafts.start_draft(found, invited[0], "en")
        drafts.save_answers(
            found, invited[0], found.member_questionnaire.sections[0], {"group": "health", "region": "eastern"}, "en"
        )
    old = app.test_client()
    with old.session_transaction() as session:
        session["drafts"] = {"invited": {"secret": invited[0], "invited": True}}
    assert old.get("/s/invited/check-answers").location.endswith("/s/invited")
    assert old.get("/s/invited/page/work").location.endswith("/s/invited")
    page = get_page(old, "/s/invited")
    assert "Start now" in page
    location = start(old, "invited")  # a new draft, under a new code, with the token sealed inside
    assert location.endswith("/page/work")
    assert not re.search(r'value="health" id="[^"]+" checked', get_page(old, location))
    with old.session_transaction() as session:
        entry = session["drafts"]["invited"]
    assert entry["token"] == invited[0] and entry["secret"] != invited[0]
    # The link route never makes the token a draft's secret either.
    fresh = app.test_client()
    fresh.get(f"/i/{invited[0]}")
    with fresh.session_transaction() as session:
        assert session["drafts"]["invited"] == {"secret": None, "token": invited[0]}


def test_an_invited_member_saves_gets_a_code_and_sends_from_another_device(app, invited):
    phone = app.test_client()
    phone.get(f"/i/{invited[1]}")
    start_page = get_page(phone, "/s/invited")
    assert 'href="/s/invited/resume"' in start_page  # "I have a code to carry on where I left off"
    location = start(phone, "invited")
    saved = post_form(phone, location, {**TINY_PAGES["work"], "action": "save"})
    page = get_page(phone, saved.location)
    code = re.search(r'class="resume-code">([^<]+)<', page).group(1)
    assert "does not bring back these answers on another phone or computer" in page
    # The same phone opening the link again carries on with its own draft.
    phone.get(f"/i/{invited[1]}")
    assert "Continue where you left off" in get_page(phone, "/s/invited")
    # Another device, with the code only: the invitation travels inside the draft.
    laptop = app.test_client()
    assert laptop.get("/s/invited").status_code == 403  # by invitation only, without the link or a code
    asked = laptop.get("/s/invited/resume")
    resumed = laptop.post("/s/invited/resume", data={"csrf_token": csrf_token(asked.text), "code": code.lower()})
    assert resumed.location.endswith("/page/sector")
    for section_id in list(TINY_PAGES)[1:]:
        assert post_form(laptop, f"/s/invited/page/{section_id}", TINY_PAGES[section_id]).status_code == 302
    assert submit(laptop, "invited").location.endswith("/thank-you")
    assert app.test_client().get(f"/i/{invited[1]}").status_code == 409  # the invitation was used
    assert phone.post("/s/invited/start", data={"csrf_token": csrf_token(start_page)}).status_code == 409


def test_drafts_are_keyed_by_codes_and_hold_no_readable_token(app, invited):
    phone = app.test_client()
    phone.get(f"/i/{invited[2]}")
    start(phone, "invited")
    with app.app_context():
        (draft,) = db.session.scalars(select(Draft))
        found = member_survey.find_survey("invited")
        assert drafts.load_draft(found, invited[2]) is None  # the token opens nothing
        assert draft.lookup != codes.sha256("draft-lookup:" + invited[2])
        assert invited[2].encode() not in draft.content
    with phone.session_transaction() as session:
        entry = session["drafts"]["invited"]
    with app.app_context():
        assert drafts.load_draft(member_survey.find_survey("invited"), entry["secret"]).token == invited[2]


def test_closing_deletes_drafts_holding_tokens(app, invited):
    phone = app.test_client()
    phone.get(f"/i/{invited[0]}")
    start(phone, "invited")
    with app.app_context():
        life_cycle.close(db.session.get(Survey, db.session.scalar(select(Survey.id))))
        assert db.session.scalars(select(Draft)).all() == []
