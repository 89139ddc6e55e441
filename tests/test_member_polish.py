"""The member journey's polish (issue 17, items 1 and 2): start page, time estimate, page numbers
that never jump, every problem flagged at once, messages that name the question, Change links
that come back to Check your answers. Through the real stack; the browser checks are in
tests/test_browser_member.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from survey.questionnaire import timing
from survey.questionnaire.answers import read_page
from survey.questionnaire.loader import load_file, load_text

from .factories import TINY, make_survey
from .helpers import get_page
from .journey import csrf_token, errors_on, post_form, start

ROOT = Path(__file__).resolve().parent.parent
AI = load_file(ROOT / "questionnaires" / "ai-at-work.yaml")

PROGRESS = re.compile(r'<p class="progress">(?:Page|Tudalen) (\d+) (?:of|o) (\d+)</p>')


# ---------------------------------------------------------------- start page


def test_start_comes_before_the_promises_which_are_all_in_the_fold(client, demo_survey):
    html = get_page(client, f"/s/{demo_survey}")
    fold = re.search(
        r'<details class="promises-fold">\s*<summary>How we protect you</summary>(.*?)</details>',
        html,
        re.S,
    )
    assert fold, "the promises are folded under 'How we protect you'"
    assert fold.group(1).count("<li>") == 10
    assert html.index("Start now") < html.index("promises-fold")
    # The wording docs/security.md maps to tests is unchanged.
    assert "Your answers are not linked to you." in fold.group(1)
    assert "unless you keep the optional withdrawal code offered when you send them" in fold.group(1)


# ---------------------------------------------------------------- time estimate


def test_the_time_model_on_a_small_questionnaire():
    # tiny.yaml worked by hand would repeat the code; instead check the parts add up.
    per_question = sum(timing.question_seconds(q, "en") for q in TINY.questions)
    pages = sum(
        timing.PAGE_SECONDS
        + (timing.words(s.title["en"]) + timing.words(s.intro["en"] if s.intro else None)) * 60 / timing.READING_WPM
        for s in TINY.sections
    )
    assert timing.seconds(TINY) == pytest.approx(per_question + pages)
    assert timing.words("Don't know: AI-made rotas") == 5


def test_the_estimate_for_everyone_is_the_files_estimated_minutes():
    assert timing.minutes(AI, "en") == AI.estimated_minutes == 20


def test_a_sector_survey_is_estimated_from_the_questions_it_asks(client, app):
    sector = AI.for_audience({"service_group": "police_justice", "sector": "probation"})
    assert timing.seconds(sector) < timing.seconds(AI) - 50  # A1 and A2 are not asked
    # A2's sector lists count once (the longest), not all seven groups of them.
    a2 = AI.question("A2")
    every_label = sum(timing.words(o.label["en"]) for o in a2.choices)
    assert timing.question_seconds(a2, "en") < every_label * 60 / timing.READING_WPM
    make_survey(app, "probation", AI, audience={"service_group": "police_justice", "sector": "probation"})
    expected = f"It takes about {timing.minutes(sector)} minutes"
    assert expected in get_page(client, "/s/probation")


def test_welsh_start_page_gives_the_welsh_estimate(client, demo_survey):
    html = get_page(client, f"/s/{demo_survey}?lang=cy")
    assert f"{timing.minutes(AI, 'cy')} munud" in html


# ---------------------------------------------------------------- page numbers


def _answer(html: str, choose: dict[str, str]) -> dict:
    """Return form data answering every question on a page: the given codes, else the first."""
    data: MultiDict = MultiDict()
    names = dict.fromkeys(re.findall(r'<input type="(?:radio|checkbox)" name="([^"]+)"', html))
    for name in names:
        first = re.search(rf'<input type="(?:radio|checkbox)" name="{re.escape(name)}" value="([^"]+)"', html)
        data.add(name, choose.get(name, first.group(1)))
    for name in re.findall(r'<textarea name="([^"]+)"', html):
        data.add(name, "Something happened.")
    return data


def _walk(client, location: str, choose: dict[str, str]) -> list[tuple[str, int, int]]:
    """Answer page after page until Check your answers; return (page, number, total) seen."""
    seen = []
    while "/page/" in location:
        html = get_page(client, location)
        number, total = map(int, PROGRESS.search(html).groups())
        seen.append((location.rsplit("/", 1)[-1].split("?")[0], number, total))
        data = _answer(html, choose)
        data.add("csrf_token", csrf_token(html))
        response = client.post(location, data=data)
        assert response.status_code == 302, errors_on(response.get_data(as_text=True))
        location = response.location
    assert location.endswith("/check-answers")
    return seen


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_page_total_never_changes_as_answers_reveal_and_hide_pages(client, demo_survey, language):
    client.get(f"/s/{demo_survey}?lang={language}")
    location = start(client, demo_survey)
    reveal = {"B1": "use_me", "I2": "both", "L6": "yes"}
    seen = _walk(client, location, reveal)
    assert {total for _, _, total in seen} == {len(AI.sections)}
    numbers = [number for _, number, _ in seen]
    assert numbers == sorted(set(numbers)) and numbers == list(range(1, len(AI.sections) + 1))
    # Now hide the AI pages: go back to B1, answer "No", and carry on to the end.
    client.get(f"/s/{demo_survey}/page/ai_at_work?change=1")
    page = get_page(client, f"/s/{demo_survey}/page/ai_at_work")
    response = client.post(f"/s/{demo_survey}/page/ai_at_work", data={"csrf_token": csrf_token(page), "B1": "no"})
    hidden = _walk(client, response.location, {"B1": "no", "I2": "no", "L6": "no"})
    assert {total for _, _, total in hidden} == {len(AI.sections)}
    skipped = [number for _, number, _ in hidden]
    assert skipped == sorted(set(skipped)), "the number only goes forward"
    assert "ai_use" not in {page for page, _, _ in hidden}


# ---------------------------------------------------------------- errors that help

GRID = """
format: 1
id: grid-required
version: 1
languages: [en, cy]
title: {en: Grid, cy: Grid}
description: {en: A grid., cy: Grid.}
estimated_minutes: 1
scales:
  yn:
    points:
      - {code: 1, label: {en: "No", cy: Na}}
      - {code: 2, label: {en: "Yes", cy: Ie}}
    positive: [2]
    negative: [1]
sections:
  - id: page
    title: {en: Page, cy: Tudalen}
    questions:
      - id: G
        type: grid
        scale: yn
        required: true
        error: {en: Select whether this applies to you, cy: Dewiswch a yw hyn yn berthnasol i chi}
        text: {en: Do these apply?, cy: Ydy'r rhain yn berthnasol?}
        items:
          - {code: a, text: {en: First, cy: Cyntaf}}
          - {code: b, text: {en: Second, cy: Ail}}
          - {code: c, text: {en: Third, cy: Trydydd}}
      - id: S
        type: single
        required: true
        text: {en: Pick one, cy: Dewiswch un}
        options:
          - {code: x, label: {en: X, cy: X}}
"""


def test_a_required_grid_left_empty_flags_every_row_at_once_and_the_other_question_too():
    questionnaire = load_text(GRID, "grid.yaml")
    section = questionnaire.sections[0]
    result = read_page(questionnaire, section, MultiDict(), {}, "en")
    assert [(p.field, p.code) for p in result.problems] == [
        ("G.a", "required_grid"),
        ("G.b", "required_grid"),
        ("G.c", "required_grid"),
        ("S", "required_single"),
    ]
    half = read_page(questionnaire, section, MultiDict({"G.b": "2", "G.c": "9"}), {}, "en")
    assert [(p.field, p.code) for p in half.problems] == [
        ("G.c", "not_an_option"),
        ("G.a", "required_grid"),
        ("S", "required_single"),
    ]


def test_every_grid_row_is_in_the_summary_with_the_questions_own_message(client, app):
    make_survey(app, "grid", load_text(GRID, "grid.yaml"))
    location = start(client, "grid")
    messages = {"en": "Select whether this applies to you", "cy": "Dewiswch a yw hyn yn berthnasol i chi"}
    rows = {"en": ["First", "Second", "Third"], "cy": ["Cyntaf", "Ail", "Trydydd"]}
    for language, message in messages.items():
        response = post_form(client, f"{location}?lang={language}", {})
        html = response.get_data(as_text=True)
        summary = errors_on(html)
        assert len(summary) == 4
        assert summary[:3] == [f"{row} – {message}" for row in rows[language]]
        assert html.count('class="grid-item has-error"') == 3


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", ["Select your service group"]), ("cy", ["Dewiswch eich grŵp gwasanaeth"])],
)
def test_messages_name_the_question_in_english_and_welsh(client, demo_survey, language, expected):
    client.get(f"/s/{demo_survey}?lang={language}")
    location = start(client, demo_survey)
    html = post_form(client, location, {}).get_data(as_text=True)
    assert errors_on(html) == expected
    assert f"</span> {expected[0]}</p>" in html  # beside the question too


def test_the_workload_message(client, demo_survey):
    location = start(client, demo_survey)
    for section in ("service_group", "your_job", "your_role", "how_you_work", "ai_at_work"):
        assert location.endswith(section), location
        html = get_page(client, location)
        data = _answer(html, {"B1": "no"})
        data.add("csrf_token", csrf_token(html))
        location = client.post(location, data=data).location
    assert location.endswith("/page/workload")
    assert errors_on(post_form(client, location, {}).get_data(as_text=True)) == ["Select how your workload has changed"]


@pytest.mark.parametrize(
    ("language", "empty", "unknown"),
    [
        ("en", "Enter your resume code", "We could not find saved answers with that code"),
        ("cy", "Rhowch eich cod ailddechrau", "Ni allem ddod o hyd i atebion wedi'u cadw"),
    ],
)
def test_an_empty_resume_code_is_asked_for(client, demo_survey, language, empty, unknown):
    url = f"/s/{demo_survey}/resume?lang={language}"
    response = post_form(client, url, {"code": "  "})
    assert response.status_code == 400
    assert errors_on(response.get_data(as_text=True)) == [empty]
    response = post_form(client, url, {"code": "AAAAA-BBBBB-CCCCC-DDDDD"})
    assert errors_on(response.get_data(as_text=True))[0].startswith(unknown)


def test_change_goes_back_to_check_your_answers(client, demo_survey):
    _walk(client, start(client, demo_survey), {"B1": "no"})
    check = get_page(client, f"/s/{demo_survey}/check-answers")
    change = re.search(rf'href="(/s/{demo_survey}/page/training\?change=1)#q-G2"', check)
    assert change, "the Change link says it comes back"
    page = get_page(client, change.group(1))
    assert f'<a class="back-link" href="/s/{demo_survey}/check-answers">' in page
    assert '<input type="hidden" name="change" value="1">' in page
    response = client.post(change.group(1), data={"csrf_token": csrf_token(page), "change": "1", "G2": "5"})
    assert response.location.endswith(f"/s/{demo_survey}/check-answers")


def test_a_change_that_asks_more_goes_through_the_new_pages_and_back(client, demo_survey):
    _walk(client, start(client, demo_survey), {"B1": "no"})
    page = get_page(client, f"/s/{demo_survey}/page/ai_at_work?change=1")
    response = client.post(
        f"/s/{demo_survey}/page/ai_at_work", data={"csrf_token": csrf_token(page), "change": "1", "B1": "use_me"}
    )
    assert response.location.endswith("/check-answers")
    followed = client.get(response.location)
    assert followed.location.endswith("/page/ai_use?change=1"), "B2 is now asked, and required"
    seen = []
    location = followed.location
    while "/page/" in location:
        seen.append(location.split("/page/")[1])
        html = get_page(client, location)
        data = _answer(html, {})
        data.add("csrf_token", csrf_token(html))
        location = client.post(location, data=data).location
        if location.endswith("/check-answers"):  # which sends the member on to what is still missing
            location = client.get(location).location or location
    assert seen == ["ai_use?change=1", "ai_effects?change=1"]
    assert client.get(f"/s/{demo_survey}/check-answers").status_code == 200
