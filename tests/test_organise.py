"""Organisers run a sector survey: create, set the audience, launch, watch it fill, close, publish."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey.core import surveys as life_cycle
from survey.core.codes import sha256
from survey.core.invitations import create_invitations
from survey.core.tracking import segments_shown
from survey.core.tracking import tracking as tracking_of
from survey.extensions import db
from survey.models import AuditEvent, Invitation, LockedSetting, Response, Survey, SurveyStatus, utcnow
from survey.questionnaire.answers import on_page
from survey.results import protection

from .factories import HEALTH, PROBATION, complete_answers, make_survey, make_user
from .helpers import get_page
from .journey import errors_on, post_form
from .journey import start as press_start
from .staff import SURVEY_SETTINGS, create_survey_through_pages, sign_in


def _survey(app, survey_id: int) -> Survey:
    with app.app_context():
        found = db.session.get(Survey, survey_id)
        db.session.expunge(found)
        return found


def _actions(app, survey_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.survey_id == survey_id).order_by(AuditEvent.id)
            )
        )


def test_an_organiser_launches_a_probation_survey(app, organiser):
    survey_id = create_survey_through_pages(organiser)
    draft = _survey(app, survey_id)
    assert draft.status == SurveyStatus.DRAFT and draft.audience == PROBATION and draft.threshold == 10
    page = organiser.get(f"/organise/surveys/{survey_id}")
    assert "Police and justice (police staff, probation, CAFCASS): Probation" in page.text
    assert post_form(organiser, f"/organise/surveys/{survey_id}/launch", {}).status_code == 302
    launched = _survey(app, survey_id)
    assert launched.status == SurveyStatus.OPEN and launched.state() == "open"
    assert organiser.get(f"/s/{launched.slug}").status_code == 200
    assert _actions(app, survey_id) == ["created survey", "changed settings", "launched survey"]


def test_an_organiser_offers_only_their_own_scope(app, organiser):
    made = post_form(organiser, "/organise/surveys/new", {"name": "Mine", "questionnaire": "ai-at-work"})
    form = get_page(organiser, made.location)
    sectors = form.split('name="sector"')[1].split("</select>")[0]
    assert 'value="probation"' in sectors and 'value="acute_hospital"' not in sectors and "All sectors" not in sectors
    survey_id = int(made.location.split("/")[-2])
    forged = post_form(
        organiser, made.location, SURVEY_SETTINGS | {"service_group": "health", "sector": "acute_hospital"}
    )  # values outside the offered lists
    assert forged.status_code == 400
    assert _survey(app, survey_id).audience == PROBATION


def test_an_audience_outside_the_scope_is_refused_even_if_offered(app, client):
    make_user(app, "reg@example.org", scopes=[{"region": "cymru_wales"}])
    sign_in(client, app, "reg@example.org")
    made = post_form(client, "/organise/surveys/new", {"name": "Wales", "questionnaire": "ai-at-work"})
    outside = post_form(client, made.location, SURVEY_SETTINGS | {"region": "scotland"})
    assert outside.status_code == 400
    inside = post_form(client, made.location, SURVEY_SETTINGS | {"region": "cymru_wales"})
    assert inside.status_code == 302


def test_a_sector_must_belong_to_the_service_group(app, client):
    make_user(app, "ada@example.org", scopes=[], role="admin")
    sign_in(client, app, "ada@example.org")
    made = post_form(client, "/organise/surveys/new", {"name": "Mixed", "questionnaire": "ai-at-work"})
    wrong = post_form(client, made.location, SURVEY_SETTINGS | {"service_group": "health"})
    assert wrong.status_code == 400 and "not part of the chosen service group" in wrong.text
    alone = post_form(client, made.location, SURVEY_SETTINGS | {"service_group": ""})
    assert "Choose the service group as well" in alone.text


def test_the_threshold_can_never_be_below_five(app, organiser):
    survey_id = create_survey_through_pages(organiser)
    low = post_form(organiser, f"/organise/surveys/{survey_id}/settings", SURVEY_SETTINGS | {"threshold": "4"})
    assert low.status_code == 400 and "from 5 to 1000" in " ".join(errors_on(low.text))
    assert _survey(app, survey_id).threshold == 10


def test_protections_lock_once_the_survey_opens(app, organiser):
    survey_id = create_survey_through_pages(organiser)
    post_form(organiser, f"/organise/surveys/{survey_id}/launch", {})
    page = get_page(organiser, f"/organise/surveys/{survey_id}/settings")
    assert "Locked to protect members" in page and 'name="threshold"' not in page
    for forged in ({"threshold": "5"}, {"access": "invitation"}, {"sector": ""}, {"opens_at": "2030-01-01T09:00"}):
        response = post_form(organiser, f"/organise/surveys/{survey_id}/settings", SURVEY_SETTINGS | forged)
        assert response.status_code == 400, forged  # refused: locked, or not even a choice offered
    locked = post_form(organiser, f"/organise/surveys/{survey_id}/settings", SURVEY_SETTINGS | {"threshold": "5"})
    assert "locked once a survey has opened" in locked.text
    after = _survey(app, survey_id)
    assert (after.threshold, after.access, after.audience, after.opens_at) == (10, "open_link", PROBATION, None)
    renamed = post_form(organiser, f"/organise/surveys/{survey_id}/settings", SURVEY_SETTINGS | {"name": "New name"})
    assert renamed.status_code == 302 and _survey(app, survey_id).name == "New name"


def test_the_database_layer_refuses_to_change_an_open_surveys_protections(app):
    survey = make_survey(app, "open", status=SurveyStatus.OPEN, threshold=10)
    with app.app_context():
        found = db.session.get(Survey, survey.id)
        found.threshold = 5
        with pytest.raises(LockedSetting):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Survey, survey.id).threshold == 10


def test_members_of_a_sector_survey_are_not_asked_their_sector(app, organiser):
    survey_id = create_survey_through_pages(organiser)
    post_form(organiser, f"/organise/surveys/{survey_id}/launch", {})
    slug = _survey(app, survey_id).slug
    member = app.test_client()
    location = press_start(member, slug)
    with app.app_context():
        questionnaire = db.session.get(Survey, survey_id).member_questionnaire
    assert "service_group" not in location
    answers = complete_answers({"A1": "police_justice", "A2": "probation"})
    while "/page/" in location:
        section = questionnaire.section(location.rsplit("/", 1)[1])
        assert all(q.id not in ("A1", "A2") for q in section.questions)
        response = post_form(member, location, {k: v for k, v in answers.items() if on_page(section, k)})
        assert response.status_code == 302, errors_on(response.text)
        location = response.location
    assert post_form(member, f"/s/{slug}/check-answers", {}).status_code == 302
    with app.app_context():
        life_cycle.close(db.session.get(Survey, survey_id))
        stored = db.session.scalar(select(Response.answers))
    assert stored["A1"] == "police_justice" and stored["A2"] == "probation"


def test_close_then_publish_then_archive(app, organiser):
    survey_id = create_survey_through_pages(organiser)
    early = organiser.post(f"/organise/surveys/{survey_id}/publish", data={"csrf_token": _token(organiser)})
    assert early.status_code == 409 and "Only a closed survey" in early.text
    post_form(organiser, f"/organise/surveys/{survey_id}/launch", {})
    assert "cannot be undone" in get_page(organiser, f"/organise/surveys/{survey_id}/close")
    assert post_form(organiser, f"/organise/surveys/{survey_id}/close", {}).status_code == 302
    assert _survey(app, survey_id).status == SurveyStatus.CLOSED
    assert organiser.get(f"/s/{_survey(app, survey_id).slug}").status_code == 410
    for step, status in (("publish", SurveyStatus.PUBLISHED), ("archive", SurveyStatus.ARCHIVED)):
        response = organiser.post(f"/organise/surveys/{survey_id}/{step}", data={"csrf_token": _token(organiser)})
        assert response.status_code == 302 and _survey(app, survey_id).status == status
    assert _actions(app, survey_id)[-3:] == ["closed survey", "published results", "archived survey"]


def _token(client) -> str:
    from .journey import csrf_token

    return csrf_token(client.get("/organise/").text)


def test_times_are_typed_and_shown_in_uk_time(app, organiser):
    survey_id = create_survey_through_pages(organiser, opens_at="2030-06-01T09:00", closes_at="2030-12-01T09:00")
    stored = _survey(app, survey_id)
    assert stored.opens_at.replace(tzinfo=UTC) == datetime(2030, 6, 1, 8, 0, tzinfo=UTC)  # BST
    assert stored.closes_at.replace(tzinfo=UTC) == datetime(2030, 12, 1, 9, 0, tzinfo=UTC)  # GMT
    page = get_page(organiser, f"/organise/surveys/{survey_id}")
    assert "09:00 on 1 June 2030" in page and "09:00 on 1 December 2030" in page
    form = get_page(organiser, f"/organise/surveys/{survey_id}/settings")
    assert 'value="2030-06-01T09:00"' in form
    backwards = post_form(
        organiser,
        f"/organise/surveys/{survey_id}/settings",
        SURVEY_SETTINGS | {"opens_at": "2030-06-01T09:00", "closes_at": "2030-05-01T09:00"},
    )
    assert "closing time must be after the opening time" in backwards.text


def test_a_scheduled_survey_opens_and_closes_by_itself(app, organiser):
    survey_id = create_survey_through_pages(organiser, opens_at="2030-06-01T09:00")
    post_form(organiser, f"/organise/surveys/{survey_id}/launch", {})
    slug = _survey(app, survey_id).slug
    assert app.test_client().get(f"/s/{slug}").status_code == 403  # not yet open
    assert "Opens at 09:00 on 1 June 2030" in get_page(organiser, f"/organise/surveys/{survey_id}")
    with app.app_context():
        found = db.session.get(Survey, survey_id)
        found.status = SurveyStatus.DRAFT  # rewind the clock: reopen the draft to move its dates
        db.session.commit()
        found.opens_at = utcnow() - timedelta(hours=2)
        found.closes_at = utcnow() - timedelta(minutes=1)
        found.status = SurveyStatus.OPEN
        db.session.commit()
    assert organiser.get("/organise/").status_code == 200  # any organiser page closes what is due
    assert _survey(app, survey_id).status == SurveyStatus.CLOSED
    assert "closed survey at its closing time" in _actions(app, survey_id)


def test_launching_pins_the_questionnaire_as_it_is_then(app, organiser):
    survey_id = create_survey_through_pages(organiser)
    files = app.extensions["questionnaires"]
    original = files["ai-at-work"]
    edited = dataclasses.replace(original, source=original.source + "\n# edited\n", checksum="e" * 64)
    files["ai-at-work"] = edited
    try:
        post_form(organiser, f"/organise/surveys/{survey_id}/launch", {})
        assert _checksum(app, survey_id) == "e" * 64
        files["ai-at-work"] = dataclasses.replace(original, checksum="f" * 64)  # edited again after launch
        assert _checksum(app, survey_id) == "e" * 64
    finally:
        files["ai-at-work"] = original


def _checksum(app, survey_id: int) -> str:
    with app.app_context():
        return db.session.get(Survey, survey_id).questionnaire_version.checksum


def test_the_preview_walks_the_pages_in_welsh_and_stores_nothing(app, organiser):
    survey_id = create_survey_through_pages(organiser)
    with app.app_context():
        counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
        questionnaire = db.session.get(Survey, survey_id).member_questionnaire
    start_page = organiser.get(f"/organise/surveys/{survey_id}/preview/cy")  # the start page first
    assert start_page.status_code == 200 and "This is the start page members see first" in start_page.text
    first = post_form(organiser, f"/organise/surveys/{survey_id}/preview/cy", {})
    location = first.location
    page = organiser.get(location)
    assert '<html lang="cy">' in page.text and "Nothing you enter is stored" in page.text
    empty = post_form(organiser, location, {})
    assert empty.status_code == 400 and errors_on(empty.text)
    answers = complete_answers({"A1": "police_justice", "A2": "probation"}, "cy")
    seen = 0
    while "/page/" in location:
        section = questionnaire.section(location.rsplit("/", 1)[1])
        response = post_form(organiser, location, {k: v for k, v in answers.items() if on_page(section, k)})
        assert response.status_code == 302, errors_on(response.text)
        location, seen = response.location, seen + 1
    assert location.endswith("/preview/cy/check-answers") and seen >= 10
    end = get_page(organiser, location)
    assert "End of the preview" in end and "submit_key" not in end
    with app.app_context():
        after = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
    assert after == counts


def test_tracking_counts_starts_and_submissions(app, organiser):
    survey_id = create_survey_through_pages(organiser)
    post_form(organiser, f"/organise/surveys/{survey_id}/launch", {})
    slug = _survey(app, survey_id).slug
    press_start(app.test_client(), slug)
    press_start(app.test_client(), slug)
    with app.app_context():
        tracking = tracking_of(db.session.get(Survey, survey_id))
    assert (tracking.started, tracking.submitted, tracking.completion) == (2, 0, 0.0)
    page = get_page(organiser, f"/organise/surveys/{survey_id}")
    assert re.search(r"<dt>Started</dt>\s*<dd><span class=\"count-number\">2</span>", page)


def test_segment_response_counts_are_perturbed_and_follow_the_group_rule():
    keys = range(protection.KEYS)
    up = next(key for key in keys if protection.published_count(40, key) > 40)  # 40 of 40, published higher
    rows = [("A", 40, 20, 1234), ("B", 30, 12, 77), ("C", 9, 3, 5), ("D", 40, 40, up)]
    segments = {s.name: s for s in segments_shown(rows, 10)}
    for name, invited, used, key_sum in rows:
        published = protection.published_count(used, key_sum)
        if protection.shown(used, published, 10):
            assert segments[name].responded == published and abs(published - used) <= protection.MAX_NOISE
            assert segments[name].rate == min(published / invited, 1.0)
        else:
            assert segments[name].responded is None and segments[name].rate is None
    assert segments["C"].responded is None  # 3 responded: fewer than k
    assert segments["A"].responded is not None  # one segment hidden hides no other: the counts are perturbed
    assert segments["D"].rate == 1.0  # a rate never reads more than everyone
    # The same used invitations give the same number every time.
    assert segments_shown(rows, 10) == list(segments.values())


def test_viewers_see_surveys_in_scope_but_cannot_change_them(app, client):
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    mine = make_survey(app, "mine", questionnaire, status=SurveyStatus.OPEN, audience=PROBATION, name="Mine")
    make_survey(app, "theirs", questionnaire, status=SurveyStatus.OPEN, audience=HEALTH, name="Theirs")
    make_user(app, "vic@example.org", "viewer", [PROBATION])
    sign_in(client, app, "vic@example.org")
    listing = get_page(client, "/organise/")
    assert "Mine" in listing and "Theirs" not in listing and "Make a new survey" not in listing
    page = get_page(client, f"/organise/surveys/{mine.id}")
    assert "Close now" not in page and "Settings</a>" not in page
    assert client.get("/organise/surveys/new").status_code == 403


def test_the_close_due_command_closes_surveys_past_their_closing_time(app):
    survey = make_survey(app, "due", status=SurveyStatus.OPEN, closes_at=utcnow() - timedelta(minutes=1))
    make_survey(app, "later", status=SurveyStatus.OPEN, closes_at=utcnow() + timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["surveys", "close-due"])
    assert result.exit_code == 0 and "closed 1 survey(s)" in result.output
    assert _survey(app, survey.id).status == SurveyStatus.CLOSED
    assert _actions(app, survey.id) == ["closed survey at its closing time"]


def test_closing_forgets_which_invitation_was_used_but_keeps_the_counts(app, client):
    survey = make_survey(app, "closing", status=SurveyStatus.OPEN, access="invitation")
    with app.app_context():
        tokens = create_invitations(db.session.get(Survey, survey.id), 3)
    assert client.get(f"/i/{tokens[0]}").status_code == 302
    with app.app_context():
        found = db.session.get(Survey, survey.id)
        life_cycle.close(found)
        hashes = set(db.session.scalars(select(Invitation.token_hash)))
        assert not hashes & {sha256(t) for t in tokens}
        assert tracking_of(found).invited == 3
    assert app.test_client().get(f"/i/{tokens[1]}").status_code == 404


def test_retention_deletes_member_data_of_finished_surveys_and_counts_still_reconcile(app):
    from survey.models import Draft, Invitee, SubmissionReceipt

    from .journey import TINY_PAGES, complete

    survey = make_survey(app, "kept", status=SurveyStatus.OPEN, threshold=5)
    for _ in range(3):
        complete(app.test_client(), "kept", TINY_PAGES)
    press_start(app.test_client(), "kept")  # one member never finishes
    with app.app_context():
        found = db.session.get(Survey, survey.id)
        tokens = create_invitations(found, 2)
        db.session.add_all(
            Invitee(invitation_id=i.id, survey_id=survey.id, email="x@example.org", sealed_token=b"x")
            for i in db.session.scalars(select(Invitation))
        )
        found.closes_at = utcnow() - timedelta(seconds=1)  # due: the job closes it
        db.session.commit()
        totals = life_cycle.run_retention()
        assert totals["closed"] == 1
        assert all(
            db.session.scalar(select(func.count()).select_from(t)) == 0 for t in (Draft, Invitee, SubmissionReceipt)
        )
        assert not set(db.session.scalars(select(Invitation.token_hash))) & {sha256(t) for t in tokens}
        tracking = tracking_of(found)
        responses = db.session.scalar(select(func.count()).select_from(Response))
    assert (tracking.started, tracking.submitted, responses, tracking.invited) == (4, 3, 3, 2)
    with app.app_context():
        assert life_cycle.run_retention() == {
            "closed": 0,
            "identities": 0,
            "links": 0,
            "unused": 0,
            "drafts": 0,
            "receipts": 0,
        }
