"""Compose a questionnaire from the question bank (survey/core/compose.py, survey/organise/compose.py):
through the organisers' real pages and the administrators' upload path, on the real database."""

from __future__ import annotations

import re
from dataclasses import replace

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey.core.compose_file import Composition, Entry
from survey.core.question_bank import current_bank
from survey.core.questionnaires import store_upload
from survey.extensions import db
from survey.models import ComposedDraft, QuestionnaireVersion, Role
from survey.questionnaire import timing
from survey.questionnaire.loader import Problem, load_text

from .factories import PROBATION, make_user
from .journey import csrf_token
from .staff import sign_in

SECTOR_PICKS = ["ai-at-work:A1", "ai-at-work:A2", "ai-at-work:C1", "ai-at-work:L1", "ai-at-work:L5", "ai-at-work:A5"]
OWN_SINGLE = {
    "type": "single",
    "text_en": "Has your team been told about the new rota system?",
    "text_cy": "Ydy eich tîm wedi cael gwybod am y system rota newydd?",
    "options_en": "Yes\nNo\nNot sure",
    "options_cy": "Do\nNaddo\nDdim yn siŵr",
}


def post(client: FlaskClient, url: str, data: dict | None = None, **kwargs):
    """POST with the session's CSRF token (taken from the compose list page)."""
    token = csrf_token(client.get("/organise/compose").text)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def new_draft(client: FlaskClient) -> str:
    """Start a draft; return its page's address."""
    response = post(client, "/organise/compose/new")
    assert response.status_code == 302
    return response.location


def heading(client: FlaskClient, draft: str, **overrides) -> object:
    fields = {
        "title_en": "AI and rotas in Probation",
        "title_cy": "AI a rotâu yn y Gwasanaeth Prawf",
        "intro_en": "Tell us how computer-made rotas affect you.",
        "intro_cy": "Dywedwch wrthym sut mae rotâu gan gyfrifiadur yn effeithio arnoch chi.",
    }
    return post(client, f"{draft}/heading", fields | overrides)


def composed(client: FlaskClient, picks=SECTOR_PICKS) -> str:
    draft = new_draft(client)
    assert heading(client, draft).status_code == 302
    assert post(client, f"{draft}/bank", {"pick": picks}).status_code == 302
    assert post(client, f"{draft}/own", OWN_SINGLE).status_code == 302
    for place in (6, 5):  # above L1 and L5: equality questions come last
        assert post(client, f"{draft}/order", {"change": f"up:{place}"}).status_code == 302
    return draft


def versions(app: Flask) -> list[QuestionnaireVersion]:
    with app.app_context():
        return list(db.session.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.origin == "upload")))


def test_a_composed_questionnaire_passes_the_checker_and_is_an_ordinary_upload(app, organiser):
    draft = composed(organiser)
    page = organiser.get(draft).text
    assert page.index("Which UNISON service group") < page.index("new rota system")
    text = organiser.get(f"{draft}/file").text  # the file it becomes, read before submitting
    response = post(organiser, f"{draft}/submit")
    assert response.status_code == 302, response.text
    assert "waiting for an administrator" in organiser.get(draft).text
    [version] = versions(app)
    assert (version.origin, version.approved, version.version) == ("upload", False, 1)
    with app.app_context():
        made = db.session.get(QuestionnaireVersion, version.id).questionnaire
        bank = app.extensions["questionnaires"]["ai-at-work"]
        # The YAML route: the same file uploaded by an administrator is the same stored version.
        again = store_upload("by-hand.yaml", text.encode())
        assert (again.new, again.version.id) == (False, version.id)
        assert load_text(text, "by-hand.yaml") == made
    # Bank questions are copied unchanged: ids, wording in both languages, codes, rules.
    for key in SECTOR_PICKS:
        question_id = key.partition(":")[2]
        mine, theirs = made.question(question_id), bank.question(question_id)
        assert mine == replace(theirs, section_id=mine.section_id, position=mine.position)
    assert [q.id for q in made.questions] == ["A1", "A2", "A5", "C1", "own_1", "L1", "L5"]
    own = made.question("own_1")
    assert (own.id, own.type, own.codes) == ("own_1", "single", ("yes", "no", "not_sure"))
    assert own.text["cy"] == OWN_SINGLE["text_cy"] and own.options[1].label["cy"] == "Naddo"
    # What the bank brings with the questions: the sector survey's audience, breakdowns and variables.
    assert made.audience == {"service_group": "A1", "sector": "A2", "region": "A5"}
    assert {d.id for d in made.dimensions if d.protected} >= {"L1", "ethnic_group", "young_member"}
    assert "wales" in {d.id for d in made.derived}
    assert made.languages == ("en", "cy") and made.title["cy"] == "AI a rotâu yn y Gwasanaeth Prawf"
    assert made.estimated_minutes == timing.minutes(made) > 1


def test_an_administrator_approves_it_and_an_organiser_makes_a_sector_survey_of_it(app, client):
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    make_user(app, "ada@example.org", Role.ADMIN)
    sign_in(client, app, "pat@example.org")
    draft = composed(client)
    post(client, f"{draft}/submit")
    [version] = versions(app)
    assert f"upload-{version.id}" not in client.get("/organise/surveys/new").text
    post(client, "/staff/sign-out")
    sign_in(client, app, "ada@example.org")
    review = client.get(f"/admin/questionnaires/uploads/{version.id}").text
    assert "Has your team been told about the new rota system?" in review and "Naddo" in review
    assert post(client, f"/admin/questionnaires/uploads/{version.id}/approve").status_code == 302
    post(client, "/staff/sign-out")
    signed_in = sign_in(client, app, "pat@example.org")
    assert signed_in.status_code == 302 and "/sign-in" not in signed_in.location, signed_in.text[-2000:]
    assert "<strong>approved</strong>" in client.get(draft).text
    made = post(client, "/organise/surveys/new", {"name": "Rotas", "questionnaire": f"upload-{version.id}"})
    assert made.status_code == 302 and "/settings" in made.location


def test_equality_questions_cannot_be_written_by_hand_or_changed(app, organiser):
    draft = new_draft(organiser)
    for text in ("What is your age?", "Do you consider yourself disabled?", "What is your ethnic group?"):
        response = post(organiser, f"{draft}/own", OWN_SINGLE | {"text_en": text})
        assert response.status_code == 400
        assert "can only come from the question bank" in response.text
        assert OWN_SINGLE["text_cy"] in response.text  # what was typed is all still there
    refused = post(organiser, f"{draft}/own", OWN_SINGLE | {"options_en": "Under 30\nGay\nOther"})
    assert refused.status_code == 400 and "can only come from the question bank" in refused.text
    # Bank questions are kept by name only: there is no way to change one.
    post(organiser, f"{draft}/bank", {"pick": ["ai-at-work:L5"]})
    assert organiser.get(f"{draft}/own/L5").status_code == 404
    assert post(organiser, f"{draft}/own/L5", OWN_SINGLE).status_code == 404
    with app.app_context():
        [stored] = db.session.scalars(select(ComposedDraft)).all()
        assert stored.content["entries"] == [{"bank": "ai-at-work:L5"}]
    named = post(organiser, f"{draft}/own", OWN_SINGLE | {"text_en": "What is your payroll number?"})
    assert named.status_code == 400 and "Answers are anonymous" in named.text
    # Words that only look like one are fine.
    assert (
        post(organiser, f"{draft}/own", OWN_SINGLE | {"text_en": "Does your manager explain each page?"}).status_code
        == 302
    )


def test_own_question_ids_are_unique_and_never_a_bank_id(app, organiser):
    draft = new_draft(organiser)
    for number in range(3):
        post(organiser, f"{draft}/own", OWN_SINGLE | {"text_en": f"Question {number}?"})
    post(organiser, f"{draft}/order", {"change": "remove:1"})
    post(organiser, f"{draft}/own", OWN_SINGLE | {"text_en": "Another?"})
    with app.app_context():
        entries = db.session.scalars(select(ComposedDraft)).one().content["entries"]
        ids = [e["own"]["id"] for e in entries]
        bank_ids = {q.id for q in current_bank().questions}
    assert ids == ["own_1", "own_3", "own_4"]  # a removed id is never given again
    assert not set(ids) & bank_ids and all(not i.startswith("own_") for i in bank_ids)


def test_bad_input_is_shown_again_with_everything_kept(app, organiser):
    draft = new_draft(organiser)
    response = heading(organiser, draft, title_cy="  ", intro_en="Our own words & more")
    assert response.status_code == 400
    assert "Enter the title in Welsh" in response.text and 'href="#title_cy"' in response.text
    assert "Our own words &amp; more" in response.text and "AI and rotas in Probation" in response.text
    typed = OWN_SINGLE | {"options_cy": "Do\nNaddo", "hint_en": "Only this year", "required": "yes"}
    response = post(organiser, f"{draft}/own", typed)
    assert response.status_code == 400
    assert "as many Welsh answers as English ones (3)" in response.text and "Enter the hint in Welsh" in response.text
    for kept in ("Yes\nNo\nNot sure", "Do\nNaddo", "Only this year", OWN_SINGLE["text_cy"]):
        assert kept in response.text.replace("&#39;", "'"), kept
    assert re.search(r'id="required" checked', response.text)
    number = post(organiser, f"{draft}/own", {**OWN_SINGLE, "type": "number", "min": "10", "max": "ten"})
    assert number.status_code == 400 and "as a whole number" in number.text and 'value="10"' in number.text
    with app.app_context():
        assert db.session.scalars(select(ComposedDraft)).one().content["entries"] == []


def test_questions_that_depend_on_others_carry_them_or_are_refused(app, organiser):
    draft = new_draft(organiser)
    heading(organiser, draft)
    post(organiser, f"{draft}/bank", {"pick": ["ai-at-work:A2", "ai-at-work:L9"]})
    refused = post(organiser, f"{draft}/submit")
    assert refused.status_code == 400
    assert (
        "Question 1 (A2, “Which part of your sector do you work in?”): it depends on the answer to A1 "
        "(“Which UNISON service group are you in?”)"
    ) in refused.text
    assert "Question 2 (L9" in refused.text and "depends on the answer to A5" in refused.text
    assert versions(app) == []
    post(organiser, f"{draft}/bank", {"pick": ["ai-at-work:A1", "ai-at-work:A5"]})  # added at the end
    later = post(organiser, f"{draft}/submit")
    assert later.status_code == 400 and "move that question above it" in later.text
    for _ in range(2):  # A1 from third place to first, with Move up
        post(organiser, f"{draft}/order", {"change": "up:2" if _ == 0 else "up:1"})
    post(organiser, f"{draft}/order", {"change": "up:3"})  # A5 above L9
    assert post(organiser, f"{draft}/submit").status_code == 302
    [version] = versions(app)
    with app.app_context():
        made = db.session.get(QuestionnaireVersion, version.id).questionnaire
    assert [q.id for q in made.questions] == ["A1", "A2", "A5", "L9"]
    assert {d.id for d in made.derived} >= {"wales", "nation"}  # what L9's rule needs came with it


def test_equality_questions_come_last(app, organiser):
    draft = new_draft(organiser)
    heading(organiser, draft)
    post(organiser, f"{draft}/bank", {"pick": ["ai-at-work:L1", "ai-at-work:C1"]})  # bank order: C1, L1
    post(organiser, f"{draft}/order", {"change": "up:1"})
    refused = post(organiser, f"{draft}/submit")
    assert refused.status_code == 400
    assert "Question 2 (C1" in refused.text and "equality questions come last" in refused.text
    post(organiser, f"{draft}/order", {"change": "down:0"})
    assert post(organiser, f"{draft}/submit").status_code == 302


def test_two_bank_questions_with_one_id_cannot_sit_together(app, organiser):
    draft = new_draft(organiser)
    post(organiser, f"{draft}/bank", {"pick": ["ai-at-work:D1"]})
    response = post(organiser, f"{draft}/bank", {"pick": ["consultation:D1"]}, follow_redirects=True)
    assert "already has a question D1" in response.text
    with app.app_context():
        assert db.session.scalars(select(ComposedDraft)).one().content["entries"] == [{"bank": "ai-at-work:D1"}]


def test_a_draft_is_its_owners_alone(app, organiser):
    draft = new_draft(organiser)
    make_user(app, "other@example.org", Role.ORGANISER, [PROBATION])
    other = app.test_client()
    sign_in(other, app, "other@example.org")
    assert other.get(draft).status_code == 404
    assert other.get(f"{draft}/file").status_code == 404
    token = csrf_token(other.get("/organise/compose").text)
    assert other.post(f"{draft}/heading", data={"csrf_token": token, "title_en": "x"}).status_code == 404


def test_the_bank_lists_every_shipped_question_grouped_by_page_and_searchable(app, organiser):
    draft = new_draft(organiser)
    page = organiser.get(f"{draft}/bank").text
    with app.app_context():
        questions = current_bank().questions
    assert len(questions) == sum(len(q.questions) for q in app.extensions["questionnaires"].values())
    assert all(f'value="{q.key}"' in page for q in questions)
    found = organiser.get(f"{draft}/bank?q=workload+changed").text
    assert 'value="ai-at-work:C1"' in found and 'value="ai-at-work:A1"' not in found
    assert 'value="ai-at-work:C3"' not in found  # every word must be there
    welsh = organiser.get(f"{draft}/bank?q=oedran").text  # Welsh words find questions too
    assert 'value="ai-at-work:L1"' in welsh and 'value="ai-at-work:C1"' not in welsh
    nothing = organiser.get(f"{draft}/bank?q=zebra").text
    assert "No question in the bank has all of those words" in nothing and 'name="pick"' not in nothing
    whole = post(organiser, f"{draft}/bank", {"section": "ai-at-work:health_religion"})
    assert whole.status_code == 302
    with app.app_context():
        entries = db.session.scalars(select(ComposedDraft)).one().content["entries"]
    assert entries == [{"bank": f"ai-at-work:{i}"} for i in ("L6", "L7", "L10")]


def test_checker_problems_are_named_by_question():
    entry = Entry(0, "own_1", {"en": "Has your team been told?"}, "single", own={})
    problems = [
        Problem("composed-1.yaml", 40, "section more_questions, question own_1, option 'yes': too long"),
        Problem("composed-1.yaml", 2, "title: missing 'cy'"),
    ]
    worded = Composition(entries=[entry]).explain(problems)
    assert worded == ["Question 1 (own_1, “Has your team been told?”): option 'yes': too long", "title: missing 'cy'"]


def test_the_preview_shows_a_draft_as_members_see_it_in_welsh(app, organiser):
    draft = composed(organiser)
    start = organiser.get(f"{draft}/preview/cy")
    assert start.status_code == 200 and "AI a rotâu yn y Gwasanaeth Prawf" in start.text
    first = post(organiser, f"{draft}/preview/cy")
    assert first.status_code == 302 and first.location.endswith("/page/service_group")
    page = organiser.get(first.location).text
    assert "Ym mha grŵp gwasanaeth UNSAIN ydych chi?" in page
    with app.app_context():
        assert db.session.scalars(select(QuestionnaireVersion)).all() == []


def test_texts_that_mean_something_in_yaml_come_back_exactly(app):
    awkward = [
        "yes",
        "no",
        "123",
        "null",
        "- x",
        "a: b",
        "#x",
        "'q'",
        '"dq"',
        "two\nlines",
        "{a, b}",
        "&a *b !c %d @e `f",
    ]
    entries = [
        {
            "own": {
                "id": f"own_{n}",
                "type": "single",
                "text": {"en": f"{t}?", "cy": t},
                "options": [{"en": t, "cy": t}, {"en": "???", "cy": "!!!"}, {"en": f"{t}!", "cy": "x"}],
            }
        }
        for n, t in enumerate(awkward, start=1)
    ]
    content = {"title": {"en": "yes", "cy": "a: b"}, "intro": {"en": "#x\n\n- y", "cy": "null"}, "entries": entries}
    with app.app_context():
        from survey.core.compose_file import compose_text

        made = load_text(compose_text(content, current_bank(), "composed-9", 1).text, "composed-9.yaml")
    assert (made.title, made.description) == (content["title"], content["intro"])
    for question, text in zip(made.questions, awkward, strict=True):
        assert question.text == {"en": f"{text}?", "cy": text}
        assert [o.label["en"] for o in question.options] == [text, "???", f"{text}!"]
        assert len(set(question.codes)) == 3 and question.codes[1] == "answer_2"


def test_submitting_again_without_a_change_stores_nothing_new(app, organiser):
    draft = composed(organiser)
    post(organiser, f"{draft}/submit")
    again = post(organiser, f"{draft}/submit", follow_redirects=True)
    assert "Nothing has changed since it was submitted" in again.text
    assert len(versions(app)) == 1
    post(organiser, f"{draft}/order", {"change": "remove:3"})  # C1 (bank order: A1, A2, A5, C1, …)
    assert post(organiser, f"{draft}/submit").status_code == 302
    assert sorted(v.version for v in versions(app)) == [1, 2]


def test_an_own_question_is_changed_in_place_and_a_draft_can_be_deleted(app, organiser):
    draft = composed(organiser)
    form = organiser.get(f"{draft}/own/own_1").text
    assert OWN_SINGLE["text_cy"] in form.replace("&#39;", "'") and "Naddo" in form
    changed = OWN_SINGLE | {"type": "scale", "scale": "agree5", "text_en": "Rotas are fair."}
    assert post(organiser, f"{draft}/own/own_1", changed).status_code == 302
    with app.app_context():
        entries = db.session.scalars(select(ComposedDraft)).one().content["entries"]
    assert entries[4]["own"] == {
        "id": "own_1",
        "type": "scale",
        "scale": "agree5",
        "required": False,
        "text": {"en": "Rotas are fair.", "cy": OWN_SINGLE["text_cy"]},
    }
    assert len(entries) == len(SECTOR_PICKS) + 1
    kept = post(organiser, f"{draft}/delete", follow_redirects=True)
    assert "Nothing was deleted" in kept.text and organiser.get(draft).status_code == 200
    assert post(organiser, f"{draft}/delete", {"confirm": "yes"}).status_code == 302
    assert organiser.get(draft).status_code == 404


def test_checker_problems_reach_the_compose_page_named_by_question_and_nothing_is_stored(app, organiser):
    draft = new_draft(organiser)
    heading(organiser, draft)
    post(organiser, f"{draft}/own", OWN_SINGLE | {"type": "number", "min": "1", "max": "5"})
    with app.app_context():  # a draft the form would not make now: the checker is the last word
        stored = db.session.scalars(select(ComposedDraft)).one()
        entries = [{"own": stored.content["entries"][0]["own"] | {"min": 9, "max": 2}}]
        stored.content = stored.content | {"entries": entries}
        db.session.commit()
    refused = post(organiser, f"{draft}/submit")
    assert refused.status_code == 400
    assert "Question 1 (own_1, “Has your team been told about the new rota system?”): min (9) is above max (2)" in (
        refused.text
    )
    assert versions(app) == []
    with app.app_context():
        assert db.session.scalars(select(ComposedDraft)).one().content["entries"] == entries  # nothing lost
