"""Consultation questions on the member pages: statements (Support / Oppose / Not sure),
priorities (rank the top N or pick exactly N) and a follow-up revealed on the same page."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from survey.extensions import db
from survey.models import PendingSubmission
from survey.questionnaire.answers import read_page
from survey.questionnaire.loader import load_file, load_text
from survey.questionnaire.rules import clean_answers

from .browser import PHONE, assert_no_horizontal_scroll, axe_violations, live_server, screenshot
from .factories import make_survey
from .helpers import ROOT, get_page
from .journey import errors_on, post_form, start, submit

CONSULTATION = load_file(ROOT / "questionnaires" / "consultation.yaml")
SLUG = "consult"
DEMANDS = ("consult", "jobs", "equality", "monitoring", "data", "gains")
ALL_SUPPORT = {f"D1.{code}": "support" for code in DEMANDS}
PAGES = {
    "work": {"C1": "police_justice", "C2": "probation", "C3": "use_me"},
    "demands": ALL_SUPPORT,
    "priorities": {"D2": ["jobs", "monitoring", "data"], "E1": "Keep people in charge."},
    "about_you": {"L6": "no"},
}


@pytest.fixture
def survey(app):
    return make_survey(app, SLUG, CONSULTATION)


def page_url(section: str) -> str:
    return f"/s/{SLUG}/page/{section}"


def walk_to(client, section: str) -> str:
    """Start, and answer every page before `section`; return its address."""
    location = start(client, SLUG)
    for section_id, data in PAGES.items():
        if section_id == section:
            break
        location = post_form(client, location, data).location
    assert location.endswith(page_url(section)), location
    return location


def pending_answers(app) -> dict:
    with app.app_context():
        return db.session.scalar(select(PendingSubmission)).answers


# --- the model, as the loader builds it -------------------------------------------------------


def test_statements_get_a_support_oppose_scale_and_priorities_their_count():
    statements = CONSULTATION.question("D1")
    assert statements.answer_keys() == tuple(f"D1.{code}" for code in DEMANDS)
    scale = statements.scale
    assert scale.id == "statements:D1"
    assert [p.code for p in scale.points] == ["support", "oppose"]
    assert [o.code for o in scale.off_scale] == ["unsure"]
    assert scale.positive == {"support"} and scale.negative == {"oppose"}
    assert statements.codes == ("support", "oppose", "unsure")
    assert scale.points[1].label == {"en": "Oppose", "cy": "Gwrthwynebu"}
    ranking = CONSULTATION.question("D2")
    assert (ranking.rank, ranking.choose) == (3, None)
    assert ranking.codes == DEMANDS
    assert CONSULTATION.question("D1_why").show_if is not None


def consultation_text(**changes: str) -> str:
    text = (ROOT / "questionnaires" / "consultation.yaml").read_text()
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_statement_labels_can_be_changed_one_at_a_time():
    text = consultation_text(
        **{
            "        type: statements\n": "        type: statements\n        labels:\n"
            "          unsure: {en: Undecided, cy: Heb benderfynu}\n"
        }
    )
    scale = load_text(text, "labels.yaml").question("D1").scale
    assert [o.label["en"] for o in scale.points + scale.off_scale] == ["Support", "Oppose", "Undecided"]


def test_a_choose_question_stores_codes_in_option_order():
    text = consultation_text(**{"        rank: 3\n": "        choose: 2\n"})
    questionnaire = load_text(text, "choose.yaml")
    question = questionnaire.question("D2")
    section = questionnaire.section("priorities")
    form = MultiDict([("D2", "data"), ("D2", "consult")])
    result = read_page(questionnaire, section, form, {}, "en")
    assert result.ok and result.answers == {"D2": ["consult", "data"]}
    assert question.choose == 2 and question.rank is None


# --- member pages -----------------------------------------------------------------------------


def test_a_whole_consultation_stores_statements_rows_and_a_ranking(app, client, survey):
    location = walk_to(client, "demands")
    html = get_page(client, location)
    assert html.count('<div class="statement">') == 6
    assert html.count('type="radio" name="D1.jobs"') == 3
    response = post_form(client, location, {**ALL_SUPPORT, "D1.data": "oppose", "D1_why": "Data rights go further."})
    assert response.location.endswith(page_url("priorities"))
    post_form(client, page_url("priorities"), PAGES["priorities"])
    check = post_form(client, page_url("about_you"), PAGES["about_you"]).location
    assert check.endswith("/check-answers")
    summary = get_page(client, check)
    assert "<li>1st: No job losses or downgrading</li><li>2nd: No AI watching or scoring staff</li><li>3rd:" in summary
    assert (
        "<li>Support: Nobody loses their job, is downgraded or loses a route to promotion because of AI.</li>"
        in summary
    )
    assert "Staff data is never sold" in summary and "Data rights go further." in summary
    assert submit(client, SLUG).status_code == 302
    answers = pending_answers(app)
    assert answers["D1.data"] == "oppose" and answers["D1.jobs"] == "support"
    assert answers["D1_why"] == "Data rights go further."
    assert answers["D2"] == ["jobs", "monitoring", "data"]


def test_every_statement_must_be_answered_and_answers_are_kept(client, survey):
    location = walk_to(client, "demands")
    partial = {k: v for k, v in ALL_SUPPORT.items() if k != "D1.equality"}
    response = post_form(client, location, partial)
    assert response.status_code == 200
    assert errors_on(response.text) == [
        "Every AI system is checked for unfair effects on staff with protected characteristics, before it starts "
        "and while it runs, and the results are shared with UNISON. – Select an answer for this statement"
    ]
    assert 'href="#q-D1-equality"' in response.text
    assert re.search(r'name="D1.jobs" value="support" id="q-D1-jobs" checked', response.text)


def test_the_follow_up_is_discarded_when_nothing_is_opposed(app, client, survey):
    location = walk_to(client, "demands")
    post_form(client, location, {**ALL_SUPPORT, "D1_why": "Typed before changing my mind"})
    post_form(client, page_url("priorities"), PAGES["priorities"])
    post_form(client, page_url("about_you"), PAGES["about_you"])
    submit(client, SLUG)
    answers = pending_answers(app)
    assert "D1_why" not in answers and answers["D1.gains"] == "support"


def test_a_follow_up_saved_then_made_irrelevant_is_dropped():
    answers = {**ALL_SUPPORT, "D1.jobs": "oppose", "D1_why": "Because"}
    assert clean_answers(CONSULTATION, answers, "en")["D1_why"] == "Because"
    answers["D1.jobs"] = "unsure"
    assert "D1_why" not in clean_answers(CONSULTATION, answers, "en")


def test_the_follow_up_says_when_it_applies_and_carries_its_rule(client, survey):
    html = get_page(client, walk_to(client, "demands"))
    follow_up = re.search(r'<div class="follow-up" id="q-D1_why-follow-up"([^>]*)>', html)
    assert follow_up, "the follow-up is not wrapped for reveal.js"
    rule = json.loads(re.search(r"data-reveal-rule='([^']+)'", follow_up.group(1)).group(1))
    assert rule["any"][0] == {"equals": ["D1.consult", "oppose"]}
    assert "Answer this only if you answered 'Oppose' above." in unescape(html)
    assert 'aria-describedby="q-D1_why-condition q-D1_why-hint"' in html
    assert '<script src="/static/js/reveal.js" defer></script>' in html
    # Pages with no follow-up load no script at all.
    assert "<script" not in get_page(client, page_url("priorities"))


def test_a_follow_up_reads_answers_from_earlier_pages_through_its_known_values(client, survey):
    html = get_page(client, start(client, SLUG))
    follow_up = re.search(r'<div class="follow-up" id="q-C2-follow-up"[^>]*>', html).group(0)
    assert "data-reveal-known='{}'" in follow_up
    assert "only if you answered 'Police and justice (police staff, probation, CAFCASS)' above." in unescape(html)


def test_a_ranking_is_one_select_box_per_place(client, survey):
    html = get_page(client, walk_to(client, "priorities"))
    assert re.findall(r'<label for="q-D2(?:--\d)?">([^<]+)</label>', html) == [
        "1st choice",
        "2nd choice",
        "3rd choice",
    ]
    assert html.count('<select class="input-select" name="D2"') == 3
    assert html.count('<option value="jobs">No job losses or downgrading</option>') == 3


@pytest.mark.parametrize(
    ("ranked", "error", "kept"),
    [
        ([], "Which three demands matter most to you? – Choose your top 3, 1st choice first", []),
        (["jobs", "", "data"], "Which three demands matter most to you? – Choose your 2nd choice", ["jobs", "data"]),
        (
            ["jobs", "data", "jobs"],
            "Which three demands matter most to you? – Your 3rd choice is "
            "'No job losses or downgrading' again: choose a different priority for each place",
            ["jobs", "data", "jobs"],
        ),
    ],
    ids=["empty", "gap", "repeat"],
)
def test_a_wrong_ranking_is_shown_again_with_a_clear_error(client, survey, ranked, error, kept):
    location = walk_to(client, "priorities")
    response = post_form(client, location, {"D2": ranked or [""] * 3, "E1": "Kept"})
    assert response.status_code == 200
    assert errors_on(response.text) == [error]
    assert "Kept</textarea>" in response.text
    selected = re.findall(r'<option value="(\w+)" selected>', response.text)
    assert selected == kept
    if ranked == ["jobs", "", "data"]:  # the summary links to the place at fault, which is marked
        assert 'href="#q-D2--2"' in response.text
        assert '<div class="rank-place has-error">\n        <label for="q-D2--2">' in response.text


def test_an_optional_ranking_may_be_left_empty_but_not_half_done(app):
    text = consultation_text(**{"        rank: 3\n        required: true\n": "        rank: 3\n"})
    questionnaire = load_text(text, "optional.yaml")
    section = questionnaire.section("priorities")
    empty = read_page(questionnaire, section, MultiDict([("D2", ""), ("D2", ""), ("D2", "")]), {}, "en")
    assert empty.ok and empty.answers == {}
    half = read_page(questionnaire, section, MultiDict([("D2", "jobs"), ("D2", ""), ("D2", "")]), {}, "en")
    assert [p.code for p in half.problems] == ["rank_missing"]


def test_forged_rankings_are_refused():
    section = CONSULTATION.section("priorities")
    for values in (["jobs", "data", "gains", "consult"], ["jobs", "data", "nope"]):
        result = read_page(CONSULTATION, section, MultiDict([("D2", v) for v in values]), {}, "en")
        assert [p.code for p in result.problems] == ["not_an_option"], values
    # and a stored list that is not a whole ranking is dropped, never shifted
    assert "D2" not in clean_answers(CONSULTATION, {"D2": ["jobs", "data"]}, "en")
    assert "D2" not in clean_answers(CONSULTATION, {"D2": ["jobs", "jobs", "data"]}, "en")


@pytest.fixture
def choose_two(app):
    text = consultation_text(
        **{"        rank: 3\n": "        choose: 2\n", "id: consultation\n": "id: consultation-choose\n"}
    )
    return make_survey(app, SLUG, load_text(text, "choose.yaml"))


def test_choose_two_shows_checkboxes_and_wants_exactly_two(client, choose_two):
    location = walk_to(client, "priorities")
    html = get_page(client, location)
    assert html.count('type="checkbox" name="D2"') == 6 and "Choose 2." in html
    response = post_form(client, location, {"D2": ["jobs", "data", "gains"]})
    assert errors_on(response.text) == ["Which three demands matter most to you? – Choose 2 priorities: you chose 3"]
    assert len(re.findall(r'type="checkbox" name="D2" value="\w+" id="[^"]+" checked', response.text)) == 3
    response = post_form(client, location, {"D2": []})
    assert errors_on(response.text) == ["Which three demands matter most to you? – Choose 2 priorities"]
    assert post_form(client, location, {"D2": ["gains", "jobs"]}).status_code == 302


def test_the_pages_in_welsh(client, survey):
    location = walk_to(client, "demands")
    html = get_page(client, location + "?lang=cy")
    assert html.count(">Gwrthwynebu</label>") == 6 and html.count(">Ddim yn siŵr</label>") == 6
    assert "Atebwch hwn dim ond os gwnaethoch chi ateb 'Gwrthwynebu' uchod." in unescape(html)
    post_form(client, location, ALL_SUPPORT)
    html = get_page(client, page_url("priorities"))
    assert re.findall(r'<label for="q-D2(?:--\d)?">([^<]+)</label>', html) == [
        "Dewis cyntaf",
        "Ail ddewis",
        "Trydydd dewis",
    ]
    response = post_form(client, page_url("priorities"), {"D2": ["jobs", "", ""]})
    assert errors_on(response.text) == ["Pa dri gofyniad sydd bwysicaf i chi? – Dewiswch eich ail ddewis"]
    post_form(client, page_url("priorities"), {"D2": ["jobs", "data", "gains"]})
    post_form(client, page_url("about_you"), {})
    summary = get_page(client, f"/s/{SLUG}/check-answers")
    assert (
        "<li>1af: Dim colli swyddi nac israddio</li><li>2il: Cadw data staff o ddwylo preifat</li><li>3ydd:" in summary
    )
    assert "<li>Cefnogi: " in summary


# --- in a real browser, at phone size ---------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_follow_up_on_a_phone(app, browser, survey, javascript):
    from playwright.sync_api import expect

    def shown(locator, visible: bool = True) -> None:
        (expect(locator).to_be_visible if visible else expect(locator).to_be_hidden)()

    name = "js" if javascript else "no-js"
    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = context.new_page()
        page.goto(f"{server}/s/{SLUG}")
        page.click("button:has-text('Start now')")
        follow_up = page.locator("#q-C2-follow-up")
        shown(follow_up, not javascript)
        page.check("input[name=C1][value=police_justice]")
        shown(follow_up)
        page.check("input[name=C2][value=probation]")
        page.check("input[name=C3][value=use_me]")
        page.click("button:has-text('Continue')")

        why = page.locator("#q-D1_why-follow-up")
        for code in DEMANDS:
            page.check(f"input[name='D1.{code}'][value=support]")
        shown(why, not javascript)
        screenshot(page, f"consultation-demands-supported-{name}")
        opposed = page.locator("input[name='D1.data'][value=oppose]")
        if javascript:
            assert opposed.get_attribute("aria-controls") == "q-D1_why-follow-up"
            assert page.locator("input[name='D1.data'][value=support]").get_attribute("aria-controls") is None
        opposed.check()
        shown(why)
        page.fill("#q-D1_why", "It should go further.")
        assert axe_violations(page, javascript=javascript) == []
        assert_no_horizontal_scroll(page)
        screenshot(page, f"consultation-demands-{name}")
        page.click("button:has-text('Continue')")

        page.select_option("#q-D2", "jobs")
        page.select_option("#q-D2--2", "data")
        page.select_option("#q-D2--3", "jobs")
        page.click("button:has-text('Continue')")
        assert "again: choose a different priority" in page.locator(".error-summary").inner_text()
        assert axe_violations(page, javascript=javascript) == []
        assert_no_horizontal_scroll(page)
        screenshot(page, f"consultation-priorities-error-{name}")
        page.select_option("#q-D2--3", "gains")
        page.click("button:has-text('Continue')")
        assert page.url.endswith("/page/about_you")
        page.click("button:has-text('Continue')")
        assert page.url.endswith("/check-answers")
        assert "1st: No job losses or downgrading" in page.locator("main").inner_text()
        assert axe_violations(page, javascript=javascript) == []
        screenshot(page, f"consultation-check-answers-{name}")

        page.set_viewport_size({"width": 320, "height": 700})
        page.goto(f"{server}{page_url('demands')}")
        assert_no_horizontal_scroll(page)
        shown(why)  # a demand is still opposed
        screenshot(page, f"consultation-demands-320-{name}")
        page.goto(f"{server}{page_url('priorities')}?lang=cy")
        assert page.locator("label[for=q-D2--2]").inner_text() == "Ail ddewis"
        assert_no_horizontal_scroll(page)
        screenshot(page, f"consultation-priorities-320-cy-{name}")
        context.close()
