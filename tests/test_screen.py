"""The conference screen as slides: a slide per question with the question as its title and large
labelled bars of the results engine's published percentages, ?slide=N pages that work without
JavaScript, a live poll that updates (JSON) as batches are released, Welsh; and in Chromium at
1920×1080: arrow keys, Pause, every text at least 48 px, a QR code a third of the screen high."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from survey import results
from survey.core import publication as publishing
from survey.extensions import db
from survey.models import AccessMode, Role, Survey, SurveyStatus
from survey.web import screen as screen_module

from .browser import PROJECTOR, axe_violations, live_server, screenshot
from .factories import (
    CONSULTATION,
    LONGEST_LAST,
    PASSWORD,
    demo_survey,
    insert_responses,
    make_survey,
    make_user,
    probation_consultation,
    publish,
    random_answers,
)
from .helpers import get_page
from .slides import bars, ranked, slides_of, title, visible_text
from .staff import fresh_code, sign_in

PULSE_QUESTIONS = ["P1", "P2", "P3", "P4", "P5", "P6"]  # P7 is free text: no slide


# --- fixtures ----------------------------------------------------------------------------------


def _pulse_answers(app, n: int, seed: int) -> list[tuple[dict, str]]:
    questionnaire = app.extensions["questionnaires"]["conference-pulse"]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        language = "cy" if rng.random() < 0.2 else "en"
        out.append((random_answers(questionnaire, rng, language=language), language))
    return out


def release(app, survey, n: int, seed: int, batch: int, at: datetime) -> None:
    """Store a released batch of delegates' answers, as a live release does, and its release time."""
    insert_responses(app, survey, _pulse_answers(app, n, seed), batch)
    with app.app_context():
        db.session.execute(update(Survey).where(Survey.id == survey.id).values(released_at=at))
        db.session.commit()


@pytest.fixture
def pulse(app):
    """An open conference-pulse live poll (open link, k = 10) with one released batch of 160 delegates."""
    survey = make_survey(
        app, "pulse", app.extensions["questionnaires"]["conference-pulse"], access=AccessMode.OPEN_LINK, threshold=10
    )
    release(app, survey, 160, 1, batch=1, at=datetime(2026, 6, 17, 13, 4, 31, tzinfo=UTC))  # 14:04 in London
    return survey


@pytest.fixture
def staff(app):
    make_user(app, "olu@example.org", Role.ORGANISER, scopes=[{}])  # a national organiser
    client = app.test_client()
    sign_in(client, app, "olu@example.org")
    return client


@pytest.fixture
def published(app):
    """A published ai-at-work survey (2,000 synthetic responses) with a grid, scales and free text."""
    survey = demo_survey(app, "pub", 2000, 3)
    publish(app, survey, questions=["B1", "C1", "C2", "E3", "K1"], breakdowns=["A1", "disabled"])
    return survey


SHORT_LINK = '<p class="join-link"><span class="join-host">{host}</span> <span class="join-path">{path}</span></p>'


def engine_bars(app, survey, question_id: str, language: str = "en") -> dict[str, str]:
    """Return the engine's published percentage of each shown answer, for everyone, as the screen shows it."""
    with app.test_request_context():
        table = results.question_table(db.session.get(Survey, survey.id), question_id, None, {}, language)
    return {
        c.label: f"{c.percent:.0f}%"
        for c in table.cells
        if c.group is None and not c.suppressed and c.option != results.NO_ANSWER and c.percent is not None
    }


# --- the slides, through the test client ----------------------------------------------------------


def test_a_live_poll_has_a_slide_per_question_with_the_engines_published_percentages(app, staff, pulse):
    questionnaire = app.extensions["questionnaires"]["conference-pulse"]
    base = f"/organise/surveys/{pulse.id}/live-screen"
    pages = slides_of(staff, base)
    titles = [title(p) for p in pages]
    # One slide per question in the questionnaire's order (a long list goes on over a second slide).
    assert list(dict.fromkeys(titles)) == [questionnaire.question(q).text["en"] for q in PULSE_QUESTIONS]
    for question_id in PULSE_QUESTIONS:
        text = questionnaire.question(question_id).text["en"]
        shown = [bar for page, t in zip(pages, titles, strict=True) if t == text for bar in bars(page)]
        engine = engine_bars(app, pulse, question_id)
        assert dict(shown) == engine, question_id  # every shown answer, at the engine's percentage
        assert len(shown) == len(engine)  # each once
    # The question's answers in their own words, and a scale in its own order.
    readiness = next(p for p in pages if title(p) == questionnaire.question("P6").text["en"])
    assert [label for label, _ in bars(readiness)] == [o.label["en"] for o in questionnaire.question("P6").choices]
    # Single choice: the most chosen first, "Don't know" last.
    agreement = [label for label, _ in bars(next(p for p in pages if "agreement with the employer" in title(p)))]
    engine = engine_bars(app, pulse, "P2")
    substantive = [label for label in agreement if label != "Don't know"]
    assert substantive == sorted(substantive, key=lambda label: -int(engine[label].rstrip("%")))
    assert agreement[-1] == "Don't know"
    for page in pages:
        words = visible_text(page).lower()
        assert "base" not in words and "positive" not in words and "interval" not in words
        assert "Live poll" in page and "Take part:" in page and "<svg" in page
        assert SHORT_LINK.format(host="localhost/", path="s/<wbr>pulse") in page  # the host, then the path
        assert "Updated at 14:04" in page  # the latest batch's release, to the minute, UK time


def test_answers_and_questions_too_small_to_show_are_simply_left_out(app, staff, pulse):
    with app.test_request_context():
        table = results.question_table(db.session.get(Survey, pulse.id), "P1", None, {}, "en")
    hidden = [c.label for c in table.cells if c.group is None and c.suppressed]
    assert hidden  # P1 says who delegates are: its small answers are groups, not shown
    pages = slides_of(staff, f"/organise/surveys/{pulse.id}/live-screen")
    service_group = [p for p in pages if title(p).startswith("Which UNISON service group")]
    assert service_group and not any(label in bars(p) for p in service_group for label in hidden)
    assert not any(label in visible_text(p) for p in service_group for label in hidden)
    for page in pages:
        assert "small group" not in page and "fewer than" not in page.lower()

    # A poll nobody has answered yet shows one slide that says so.
    empty = make_survey(
        app, "empty", app.extensions["questionnaires"]["conference-pulse"], access=AccessMode.OPEN_LINK, threshold=10
    )
    waiting = get_page(staff, f"/organise/surveys/{empty.id}/live-screen")
    assert "Results will appear here when there are enough responses to show them safely." in waiting
    assert "bar-label" not in waiting and "controls-count" not in waiting


def test_slide_n_is_a_page_with_previous_and_next_links_that_go_round(app, staff, pulse):
    base = f"/organise/surveys/{pulse.id}/live-screen"
    pages = slides_of(staff, base)
    total = len(pages)
    assert total >= len(PULSE_QUESTIONS)
    second = pages[1]
    assert f'href="{base}?slide=1" rel="prev"' in second and f'href="{base}?slide=3" rel="next"' in second
    assert f'href="{base}?slide={total}" rel="prev"' in pages[0]  # from the first back to the last
    assert f'href="{base}?slide=1" rel="next"' in pages[-1]  # and round again
    assert title(get_page(staff, f"{base}?slide={total + 2}")) == title(second)
    assert title(get_page(staff, f"{base}?slide=nonsense")) == title(pages[0])
    response = staff.get(f"{base}?slide=2")  # a strict CSP: one script, from this site, nothing inline
    assert response.text.count("<script") == 1 and '<script src="/static/js/screen.js" defer></script>' in response.text
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_long_list_of_answers_goes_on_to_a_second_slide_in_rank_order(app, staff, pulse):
    questionnaire = app.extensions["questionnaires"]["conference-pulse"]
    text = questionnaire.question("P4").text["en"]  # ten priorities, some with long names
    pages = [p for p in slides_of(staff, f"/organise/surveys/{pulse.id}/live-screen") if title(p) == text]
    assert len(pages) >= 2 and "(continued)" in pages[1] and "(continued)" not in pages[0]
    shown = [int(value.rstrip("%")) for page in pages for _, value in bars(page)]
    assert shown == sorted(shown, reverse=True)


def test_the_live_json_follows_released_batches_and_says_when_they_changed(app, staff, client, pulse):
    url = f"/organise/surveys/{pulse.id}/live-screen.json"
    assert client.get(url).status_code in (302, 401, 403)  # staff only, like the live screen
    pages = slides_of(staff, f"/organise/surveys/{pulse.id}/live-screen")
    number = next(n for n, p in enumerate(pages, start=1) if title(p).startswith("How ready"))
    before = staff.get(f"{url}?slide={number}").get_json()
    assert before["batch"] == 1 and before["updated"] == "14:04" and before["updated_text"] == "Updated at 14:04"
    assert [b["text"] for b in before["bars"]] == [value for _, value in bars(pages[number - 1])]
    assert before["question"] == "P6" and before["total"] == len(pages)

    release(app, pulse, 150, 2, batch=2, at=datetime(2026, 6, 17, 13, 9, 58, tzinfo=UTC))
    # The screen asks for its question's slide: a newly shown answer may have moved it along.
    after = staff.get(f"{url}?slide={number}&question=P6&part=1").get_json()
    assert after["batch"] == 2 and after["updated_text"] == "Updated at 14:09" and after["question"] == "P6"
    number = after["slide"]
    assert after["url"] == f"/organise/surveys/{pulse.id}/live-screen?slide={number}"
    engine = engine_bars(app, pulse, "P6")
    labels = {
        o.code: o.label["en"] for o in app.extensions["questionnaires"]["conference-pulse"].question("P6").choices
    }
    assert {labels[b["code"]]: b["text"] for b in after["bars"]} == engine
    assert [b["text"] for b in after["bars"]] != [b["text"] for b in before["bars"]]
    page = get_page(staff, f"/organise/surveys/{pulse.id}/live-screen?slide={number}")
    assert dict(bars(page)) == engine and 'data-batch="2"' in page


def test_the_live_screen_in_welsh(app, staff, pulse):
    questionnaire = app.extensions["questionnaires"]["conference-pulse"]
    pages = slides_of(staff, f"/organise/surveys/{pulse.id}/live-screen", "&lang=cy")
    assert list(dict.fromkeys(title(p) for p in pages)) == [
        questionnaire.question(q).text["cy"] for q in PULSE_QUESTIONS
    ]
    first = pages[0]
    assert '<html lang="cy">' in first and "Pôl byw" in first and "Cymerwch ran:" in first
    assert "Blaenorol" in first and "Nesaf" in first and "Oedi" in first and "Diweddarwyd am 14:04" in first
    assert "Take part" not in first and "Previous" not in first
    engine = engine_bars(app, pulse, "P6", "cy")
    readiness = next(p for p in pages if title(p) == questionnaire.question("P6").text["cy"])
    assert dict(bars(readiness)) == engine


def test_the_published_screen_shows_each_published_question_with_a_grid_as_statements(app, client, published):
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    pages = slides_of(client, "/r/pub/screen")
    titles = list(dict.fromkeys(title(p) for p in pages))
    assert titles == [questionnaire.question(q).text["en"] for q in ["B1", "C1", "C2", "E3"]]  # K1 is free text
    for page in pages:
        assert "All the results:" in page and SHORT_LINK.format(host="localhost/", path="r/<wbr>pub") in page
        assert "<svg" in page
        assert "Live poll" not in page and "data-poll" not in page and "Updated at" not in page
        assert "base" not in visible_text(page).lower()
    grid = [p for p in pages if title(p) == questionnaire.question("C2").text["en"]]
    with app.test_request_context():
        table = results.question_table(db.session.get(Survey, published.id), "C2", None, {}, "en")
    expected = {}
    for part in table.items:
        summary = next(s for s in part.scale if s.group is None)
        if not summary.suppressed:
            expected[part.question] = (f"{summary.positive_percent:.0f}%", f"{summary.negative_percent:.0f}%")
    items = {f"C2.{i.code}": i.text["en"] for i in questionnaire.question("C2").items}
    shown = [row for page in grid for row in ranked(page)]
    assert {label: (left, right) for label, left, right in shown} == {items[k]: v for k, v in expected.items()}
    labels = {o.code: o.label for o in table.options}
    assert f">{labels[table.positive[-1]]} or {labels[table.positive[0]]}<" in grid[0]  # the sides in their own words


def test_the_screen_shows_the_questions_of_the_findings_the_organiser_chose(app, client, published):
    with app.test_request_context():
        found = db.session.get(Survey, published.id)
        choice = publishing.PublicationChoice(
            questions=["B1", "C1", "C2", "E3", "K1"],
            breakdowns=["A1", "disabled"],
            findings=["q:E3", "q:C2.b", "q:C2.a", "q:A5"],  # A5 is not published
            embargo_until=None,
            access_code=None,
        )
        publishing.save_publication(found, choice)
    questionnaire = app.extensions["questionnaires"]["ai-at-work"]
    titles = list(dict.fromkeys(title(p) for p in slides_of(client, "/r/pub/screen")))
    assert titles == [questionnaire.question("E3").text["en"], questionnaire.question("C2").text["en"]]


def test_a_ranked_list_of_statements_fits_the_same_slide(app):
    """Draft statements (demands) are ranked by net support with support and oppose side by side;
    the engine's ranked results come in through screen._statements (see survey/results/consultation.py)."""
    slide = screen_module.Slide(
        "D1",
        "Which of these draft demands do you support?",
        rows=[
            screen_module.Row("a", "A legal duty to consult before AI is introduced", 81.0, 7.0, 74.0),
            screen_module.Row("b", "No job losses or downgrading because of AI", 64.0, 20.0, 44.0),
        ],
        sides=("Support", "Oppose"),
        net=True,
    )
    with app.test_request_context():
        from flask import render_template

        survey = Survey(slug="d", status=SurveyStatus.CLOSED, access=AccessMode.OPEN_LINK)
        page = render_template(
            "published/screen.html",
            screen=screen_module.Screen(survey, [slide], None, "published.screen", {"slug": "d"}, None, live=False),
            survey=type("S", (), {"title": lambda self, language: "Draft demands"})(),
            slide=slide,
            number=1,
            total=1,
            previous_url="/r/d/screen?slide=1",
            next_url="/r/d/screen?slide=1",
            seconds=20,
            poll_seconds=45,
            updated=None,
            short_link=None,
            qr=None,
            waiting="",
            percent=screen_module.percent,
            signed=screen_module.signed,
        )
    assert ranked(page) == [
        ("A legal duty to consult before AI is introduced", "81%", "7%"),
        ("No job losses or downgrading because of AI", "64%", "20%"),
    ]
    assert ">+74<" in page and ">Net support<" in page and ">Support<" in page and ">Oppose<" in page


def _consultation_answers(rng: random.Random) -> dict:
    """One member's answers to the consultation fixture: a clear order of net support, pay first."""
    leaning = {"pay": (8, 1, 1), "caseloads": (5, 3, 2), "office": (3, 3, 3), "cameras": (2, 6, 2)}
    answers = {"region": rng.choice(["north", "south", "wales"])}
    for code, weights in leaning.items():
        answers[f"D1.{code}"] = rng.choices(["support", "oppose", "unsure"], weights)[0]
    answers["D2"] = rng.sample(["pay", "workload", "safety", "training"], 2)
    answers["D3"] = rng.sample(["hours", "leave", "pensions"], 2)
    return answers


@pytest.fixture
def consultation(app):
    """A published consultation (draft demands and priorities) that 240 members answered."""
    survey = make_survey(app, "demands", CONSULTATION, status=SurveyStatus.CLOSED, threshold=10)
    rng = random.Random(16)
    insert_responses(app, survey, [(_consultation_answers(rng), "en") for _ in range(240)], batch=1)
    publish(app, survey, questions=["D1", "D2", "D3"], breakdowns=["region"])
    return survey


def test_draft_demands_are_ranked_by_net_support_with_support_and_oppose(app, client, consultation):
    pages = slides_of(client, "/r/demands/screen")
    assert list(dict.fromkeys(title(p) for p in pages)) == [
        CONSULTATION.question(q).text["en"] for q in ("D1", "D2", "D3")
    ]
    with app.test_request_context():
        found = db.session.get(Survey, consultation.id)
        demands = results.ranked(found, "D1", None, {}, "en")
        priorities = results.ranked(found, "D2", None, {}, "en")
    expected = [
        (r.label, f"{r.cells[0].support.percent:.0f}%", f"{r.cells[0].oppose.percent:.0f}%")
        for r in demands.rows
        if r.rank is not None
    ]
    slide = [p for p in pages if title(p) == CONSULTATION.question("D1").text["en"]]
    assert [row for page in slide for row in ranked(page)] == expected  # in the engine's order, its numbers
    assert expected[0][0] == "A pay rise above inflation"
    nets = [screen_module.signed(r.cells[0].net) for r in demands.rows if r.rank is not None]
    assert re.findall(r'<span class="ranked-net"><span class="value">([^<]*)<', "".join(slide)) == nets
    assert ">Support<" in slide[0] and ">Oppose<" in slide[0] and ">Net support<" in slide[0]
    chosen = [(r.label, f"{r.cells[0].chosen.percent:.0f}%") for r in priorities.rows if r.rank is not None]
    assert [bar for p in pages if title(p) == CONSULTATION.question("D2").text["en"] for bar in bars(p)] == chosen


# --- in Chromium, at 1920×1080 -------------------------------------------------------------------


MEASURE = """() => {
    const texts = [...document.querySelectorAll('body *')].filter(e =>
        [...e.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()) &&
        e.getClientRects().length && !e.closest('svg, script, title, .visually-hidden'));
    const qr = document.querySelector('.join-qr svg');
    const content = [...document.querySelectorAll('.slide, .join, .controls')]
        .map(e => e.getBoundingClientRect().bottom)
        .concat([...document.querySelectorAll('.slide *, .join *')].map(e => e.getBoundingClientRect().bottom));
    return {
        smallest: Math.min(...texts.map(e => parseFloat(getComputedStyle(e).fontSize))),
        texts: texts.length,
        qr: qr ? qr.getBoundingClientRect().height : 0,
        bottom: Math.max(...content),
        right: Math.max(...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right)),
        title: parseFloat(getComputedStyle(document.querySelector('.slide-title')).fontSize),
        chart: Math.max(...[...document.querySelectorAll('.slide *')].map(e => e.getBoundingClientRect().bottom)),
        controls: document.querySelector('.controls').getBoundingClientRect().top,
        chartRight: Math.max(...[...document.querySelectorAll('.slide *')].map(e => e.getBoundingClientRect().right)),
        join: document.querySelector('.join').getBoundingClientRect().left,
        scroll: document.documentElement.scrollHeight,
    };
}"""


def _measure(page, name: str) -> dict:
    sizes = page.evaluate(MEASURE)
    assert sizes["texts"] > 5, name
    assert sizes["smallest"] >= 48, (name, sizes)  # readable from the back of a hall
    assert sizes["qr"] >= PROJECTOR["height"] / 3, (name, sizes)
    assert sizes["bottom"] <= PROJECTOR["height"] and sizes["right"] <= PROJECTOR["width"], (name, sizes)  # one screen
    assert sizes["scroll"] <= PROJECTOR["height"], (name, sizes)  # the buttons were not pushed down
    assert sizes["chart"] <= sizes["controls"], (name, sizes)  # the chart ends above the buttons
    assert sizes["chartRight"] <= sizes["join"], (name, sizes)  # and left of the QR code
    return sizes


@pytest.mark.browser
def test_the_live_poll_on_a_projector(app, browser, pulse, monkeypatch):
    monkeypatch.setitem(app.config, "SCREEN_POLL_SECONDS", 1)
    monkeypatch.setitem(app.config, "SCREEN_SLIDE_SECONDS", 3600)  # moving on by itself is tested below
    make_user(app, "olu@example.org", Role.ORGANISER, scopes=[{}])  # a national organiser
    base = f"/organise/surveys/{pulse.id}/live-screen"
    with live_server(app) as server:
        context = browser.new_context(viewport=PROJECTOR)
        page = context.new_page()
        page.goto(f"{server}{base}")
        page.fill("#email", "olu@example.org")
        page.fill("#password", PASSWORD)
        page.click("button:has-text('Continue')")
        page.fill("#code", fresh_code(app, "olu@example.org"))
        page.click("button:has-text('Sign in')")
        page.goto(f"{server}{base}?slide=1")
        total = int(page.inner_text(".controls-count").split("/")[1])
        measured = {}
        for number in range(1, total + 1):
            assert page.url.endswith(f"?slide={number}")
            name = f"screen-live-{number}"
            measured[name] = _measure(page, name)
            assert axe_violations(page) == [], name
            screenshot(page, name)
            page.keyboard.press("ArrowRight")  # the keyboard alone moves on, no mouse
            page.wait_for_url(f"**{base}?slide={number % total + 1}")
        page.keyboard.press("ArrowLeft")
        page.wait_for_url(f"**{base}?slide={total}")
        page.keyboard.press("ArrowRight")
        page.wait_for_url(f"**{base}?slide=1")

        # Live: a new batch changes the slide's numbers in place and says when.
        page.goto(f"{server}{base}?slide={_slide_of(page, server, base, 'P6')}")
        before = page.inner_text(".bars")
        release(app, pulse, 150, 2, batch=2, at=datetime(2026, 6, 17, 13, 9, 58, tzinfo=UTC))
        page.wait_for_selector('body[data-batch="2"]', state="attached", timeout=30_000)
        assert page.inner_text("#updated") == "Updated at 14:09" and page.inner_text(".bars") != before
        engine = engine_bars(app, pulse, "P6")
        labels, values = page.locator(".bar-label").all_inner_texts(), page.locator(".bar-value").all_inner_texts()
        assert dict(zip(labels, values, strict=True)) == engine
        screenshot(page, "screen-live-updated")

        # Paused (Space), nothing changes and nothing is asked for until Resume.
        page.keyboard.press(" ")
        assert page.get_attribute("#pause", "aria-pressed") == "true" and page.inner_text("#pause") == "Resume"
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        release(app, pulse, 150, 3, batch=3, at=datetime(2026, 6, 17, 13, 15, 2, tzinfo=UTC))
        page.wait_for_timeout(3_000)  # three polls' time: a paused screen asks for none
        assert not [url for url in asked if "live-screen.json" in url]
        assert page.get_attribute("body", "data-batch") == "2" and page.inner_text("#updated") == "Updated at 14:09"
        page.keyboard.press("ArrowRight")  # moving by hand keeps the pause, slide to slide
        page.wait_for_load_state()
        page.keyboard.press("ArrowLeft")
        page.wait_for_load_state()
        assert page.inner_text("#pause") == "Resume"
        page.click("#pause")
        page.wait_for_selector('body[data-batch="3"]', state="attached", timeout=30_000)
        assert page.inner_text("#updated") == "Updated at 14:15"

        page.goto(f"{server}{base}?slide=1&lang=cy")
        _measure(page, "welsh")
        assert axe_violations(page) == []
        screenshot(page, "screen-live-welsh")
        welsh = int(page.inner_text(".controls-count").split("/")[1])
        for number in range(2, welsh + 1):
            page.goto(f"{server}{base}?slide={number}")
            measured[f"welsh-{number}"] = _measure(page, f"welsh-{number}")  # longer: still one screen, 48 px
        print("measured", {k: (v["smallest"], v["qr"], v["chart"], v["controls"]) for k, v in measured.items()})
        context.close()


def _slide_of(page, server: str, base: str, question: str) -> int:
    total = int(page.inner_text(".controls-count").split("/")[1])
    for number in range(1, total + 1):
        page.goto(f"{server}{base}?slide={number}")
        if page.get_attribute("body", "data-question") == question:
            return number
    raise AssertionError(question)


@pytest.mark.browser
def test_the_published_screen_moves_on_by_itself_and_works_without_javascript(app, browser, published, monkeypatch):
    monkeypatch.setitem(app.config, "SCREEN_SLIDE_SECONDS", 2)
    with live_server(app) as server:
        context = browser.new_context(viewport=PROJECTOR)
        page = context.new_page()
        page.goto(f"{server}/r/pub/screen")
        page.wait_for_url("**/r/pub/screen?slide=2", timeout=30_000)  # on by itself
        page.keyboard.press(" ")  # Space pauses (WCAG 2.2.2)
        total = int(page.inner_text(".controls-count").split("/")[1])
        for number in range(1, total + 1):
            page.goto(f"{server}/r/pub/screen?slide={number}")
            name = f"screen-published-{number}"
            _measure(page, name)
            assert axe_violations(page) == [], name
            screenshot(page, name)
        context.close()

        context = browser.new_context(viewport=PROJECTOR, java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{server}/r/pub/screen?slide=1")
        assert page.locator("#pause").is_hidden()  # Pause needs JavaScript; the links do not
        page.click("#next")
        page.wait_for_url("**/r/pub/screen?slide=2")
        page.click("#previous")
        page.wait_for_url("**/r/pub/screen?slide=1")
        _measure(page, "no-javascript")
        screenshot(page, "screen-published-no-javascript")
        context.close()


@pytest.mark.browser
def test_the_ranked_demands_on_a_projector(app, browser, consultation):
    with live_server(app) as server:
        context = browser.new_context(viewport=PROJECTOR)
        page = context.new_page()
        for language in ("en", "cy"):
            page.goto(f"{server}/r/demands/screen?slide=1&lang={language}")
            name = f"screen-demands-{language}"
            print(name, _measure(page, name))
            assert page.locator(".ranked-row").count() == 4
            assert axe_violations(page) == [], name
            screenshot(page, name)
        context.close()


ROWS = """() => {
    const controls = document.querySelector('.controls').getBoundingClientRect().top;
    const join = document.querySelector('.join').getBoundingClientRect().left;
    const rows = [...document.querySelectorAll('.ranked-row, .bar')].map(e => e.getBoundingClientRect());
    const inside = [...document.querySelectorAll('.ranked-row *, .bar *')].map(e => e.getBoundingClientRect());
    const track = document.querySelector('.ranked-track');
    const link = document.querySelector('.join-link');
    const lineHeight = parseFloat(getComputedStyle(link).lineHeight);
    return {
        rows: rows.length,
        lowest: Math.max(...rows.map(r => r.bottom)),
        rightmost: Math.max(...inside.map(r => r.right)),
        controls, join,
        track: track ? track.getBoundingClientRect().width : 0,
        chart: document.querySelector('.slide').getBoundingClientRect().width,
        scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
        host: Math.round(document.querySelector('.join-host').getBoundingClientRect().height / lineHeight),
        link: Math.round(link.getBoundingClientRect().height / lineHeight),
    };
}"""


@pytest.mark.browser
def test_the_consultations_six_demands_fit_one_slide_and_never_pass_under_the_buttons(app, browser):
    """The shipped consultation's six draft demands, shown by their short labels (the statements
    run to 190 characters in Welsh), ranked so that the three longest share a slide, and the other
    way round: the whole ranking on one slide, in English and in Welsh, each row above the buttons
    and left of the QR column, nothing scrolls, the bars have the chart's width, the address reads."""
    question = app.extensions["questionnaires"]["consultation"].question("D1")
    orders = {"longest-last": LONGEST_LAST, "longest-first": tuple(reversed(LONGEST_LAST))}
    measured = {}
    with live_server(app) as server:
        context = browser.new_context(viewport=PROJECTOR)
        page = context.new_page()
        for name, order in orders.items():
            probation_consultation(app, f"screen-{name}", order)
            for language in ("en", "cy"):
                base = f"{server}/r/screen-{name}/screen"
                page.goto(f"{base}?slide=1&lang={language}")
                total = int(page.inner_text(".controls-count").split("/")[1])
                shown = []
                for number in range(1, total + 1):
                    page.goto(f"{base}?slide={number}&lang={language}")
                    if page.get_attribute("body", "data-question") != "D1":
                        continue
                    label = f"consultation-{name}-{language}-{number}"
                    _measure(page, label)
                    sizes = page.evaluate(ROWS)
                    assert sizes["lowest"] <= sizes["controls"], (label, sizes)  # never under the buttons
                    assert sizes["rightmost"] <= sizes["join"], (label, sizes)  # nor over the QR column
                    assert sizes["scroll"] == [PROJECTOR["width"], PROJECTOR["height"]], (label, sizes)  # one screen
                    assert sizes["track"] >= 0.4 * sizes["chart"], (label, sizes)  # the bars have the room (was 18%)
                    assert sizes["host"] == 1 and sizes["link"] <= 3, (label, sizes)  # host, then the path
                    shown += [row[0] for row in ranked(page.content())]
                    measured[label] = (sizes["rows"], round(sizes["lowest"]), round(sizes["controls"]))
                    assert axe_violations(page) == [], label
                    screenshot(page, f"screen-{label}")
                # Every demand once, in the engine's order, on one slide.
                texts = {item.code: item.short[language] for item in question.items}
                assert shown == [texts[code] for code in order], (name, language)
                assert len([label for label in measured if label.startswith(f"consultation-{name}-{language}-")]) == 1
    context.close()
    print("slides of the demands (rows, lowest row, top of the buttons):", measured)
