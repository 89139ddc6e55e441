"""The negotiators' briefing (/r/<slug>/briefing): two A4 pages and an appendix, for a sector or for
all members. Page 1: whose views, the five largest clear differences from all members (by the
engine's published numbers), the ranked demands; page 2: equality findings within the sector and
the method; then every published question. Any sector with enough responses works, whether or not
sector was published as a breakdown; a sector too small says so."""

from __future__ import annotations

import random
import re
from html import unescape

import pytest

from survey import results
from survey.extensions import db
from survey.models import Survey, SurveyStatus
from survey.questionnaire.loader import load_file, load_text
from survey.web import briefing
from survey.web.limits import limiter

from .browser import SCREENSHOTS, axe_violations, live_server
from .factories import (
    consultation_answers,
    demo_survey,
    insert_responses,
    make_survey,
    probation_consultation,
    publish,
)
from .helpers import FIXTURES, get_page

# Six opinions on one scale; probation's shares are raised by a different amount on each, so the
# five largest differences are known, and a sixth, smaller one, must be left out.
SECTOR_QUESTIONNAIRE = """
format: 1
id: briefing-test
version: 1
languages: [en, cy]
title: {en: Pay and workload, cy: Cyflog a llwyth gwaith}
description: {en: A survey used by the briefing tests., cy: Arolwg a ddefnyddir gan y profion.}
estimated_minutes: 2
scales:
  agree:
    points:
      - {code: 1, label: {en: Disagree, cy: Anghytuno}}
      - {code: 2, label: {en: Neither, cy: Dim y naill na'r llall}}
      - {code: 3, label: {en: Agree, cy: Cytuno}}
    off_scale:
      - {code: dk, label: {en: Don't know, cy: Ddim yn gwybod}}
    positive: [3]
    negative: [1]
sections:
  - id: job
    title: {en: Your job, cy: Eich swydd}
    questions:
      - id: S1
        type: single
        required: true
        text: {en: Where do you work?, cy: Ble ydych chi'n gweithio?}
        options:
          - {code: probation, label: {en: Probation, cy: Prawf}}
          - {code: courts, label: {en: Courts, cy: Llysoedd}}
          - {code: prisons, label: {en: Prisons, cy: Carchardai}}
          - {code: tiny, label: {en: Tiny office, cy: Swyddfa fach}}
  - id: views
    title: {en: Your views, cy: Eich barn}
    questions:
%(questions)s
  - id: about
    title: {en: About you, cy: Amdanoch chi}
    questions:
      - id: disabled
        type: single
        text: {en: Are you disabled?, cy: Ydych chi'n anabl?}
        options:
          - {code: "yes", label: {en: "Yes", cy: Ydw}}
          - {code: "no", label: {en: "No", cy: Nac ydw}}
          - {code: pnts, label: {en: Prefer not to say, cy: Mae'n well gen i beidio â dweud}}
audience:
  sector: S1
dimensions:
  - {id: S1}
  - {id: disabled, protected: true}
"""
RAISED = {"Q1": 0.40, "Q2": 0.32, "Q3": 0.25, "Q4": -0.30, "Q5": 0.20, "Q6": 0.12}  # probation's shares
PLAIN = 0.45  # everyone else's share agreeing
DISABLED_GAP = 0.35  # disabled members in probation agree this much more often with Q6
QUESTION = "      - {id: %s, type: scale, scale: agree, text: {en: Statement %s about work, cy: Datganiad %s am waith}}"
QUESTIONS = "\n".join(QUESTION % (q, q, q) for q in RAISED)
SIZES = {"probation": 500, "courts": 400, "prisons": 400, "tiny": 4}


def _answers(rng: random.Random, sector: str) -> dict:
    disabled = "yes" if rng.random() < 0.4 else "no"
    answers = {"S1": sector, "disabled": disabled}
    for q, raised in RAISED.items():
        share = PLAIN + (raised if sector == "probation" else 0.0)
        if q == "Q6" and sector == "probation":
            share += DISABLED_GAP / 2 if disabled == "yes" else -DISABLED_GAP / 2
        roll = rng.random()
        answers[q] = "3" if roll < share else ("1" if roll < share + (1 - share) / 2 else "2")
    return answers


@pytest.fixture(autouse=True)
def _briefing_rate_limit():
    """Each test starts, and leaves the next module, with a fresh briefing rate limit (20 a minute
    from one address: these tests ask for more than that between them)."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def sectors(app):
    """A published survey of 1,304 responses in four sectors, with only disability published as a
    breakdown (sector is not): probation differs from all members by a known amount on each opinion."""
    questionnaire = load_text(SECTOR_QUESTIONNAIRE % {"questions": QUESTIONS}, "briefing-test")
    survey = make_survey(app, "talks", questionnaire, status=SurveyStatus.CLOSED, threshold=10)
    rng = random.Random(16)
    rows = [(_answers(rng, sector), "en") for sector, n in SIZES.items() for _ in range(n)]
    insert_responses(app, survey, rows, 1)
    publish(app, survey, [q.id for q in questionnaire.questions], ["disabled"])
    return survey


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def _section(html: str, title_id: str) -> str:
    start = html.index(f'id="{title_id}"')
    return html[start : html.index("</section>", start)]


def test_the_five_largest_differences_by_the_engines_published_numbers(app, client, sectors):
    html = get_page(client, "/r/talks/briefing?sector=probation")
    with app.app_context():
        survey = db.session.get(Survey, sectors.id)
        n = next(
            g.n
            for b in results.overview(survey).breakdowns
            if b.dimension == "S1"
            for g in b.groups
            if g.code == "probation"
        )
        published = {}
        for q in RAISED:
            mine = results.question_table(survey, q, None, {"S1": "probation"}).scale[0].positive_percent
            everyone = results.question_table(survey, q).scale[0].positive_percent
            published[q] = (mine, everyone)
    heading = _text(re.search(r"<h1>(.*?)</h1>", html, re.S).group(1))
    assert heading == "Probation"  # the sector's name, then whose views: the engine's published count
    assert f'<p class="briefing-views">The views of {n:,} members</p>' in html
    found = _section(html, "differences-title")
    lines = [_text(li) for li in re.findall(r"<li>(.*?)</li>", found, re.S)]
    largest = sorted(RAISED, key=lambda q: -abs(published[q][0] - published[q][1]))[:5]
    assert len(lines) == 5
    for line, q in zip(lines, largest, strict=True):
        mine, everyone = published[q]
        points = round(mine) - round(everyone)
        direction = f"{points} points higher" if points > 0 else f"{-points} points lower"
        assert line == (
            f"Statement {q} about work “Agree”: {mine:.0f}% in Probation, {everyone:.0f}% of all members ({direction})"
        )
    assert "Statement Q6" not in found  # the sixth is smaller
    # Each percentage once, in plain words: no bases, no "k", no test names.
    page1 = html[html.index("<h1>") : html.index('class="briefing-second"')]
    for word in ("base", "Base", "k =", "p-value", "significan", "Benjamini", "positive"):
        assert word not in page1, word
    for q in largest:
        assert page1.count(f"{published[q][0]:.0f}%") <= 2  # in its own line (and, by chance, one other)


def test_equality_findings_within_the_sector_and_the_appendix(client, sectors):
    html = get_page(client, "/r/talks/briefing?sector=probation")
    equality = _text(_section(html, "equality-title"))
    assert "Where some groups in Probation are affected more" in equality
    assert "Are you disabled? – " in equality and "of everyone else in Probation" in equality
    assert "at least 50 members" in equality
    assert html.index('class="briefing-second"') < html.index('id="equality-title"') < html.index("method-box")
    appendix = html[html.index('id="appendix-title"') :]
    assert all(f"Statement {q} about work" in appendix for q in RAISED)
    assert '<th scope="col" class="num">This sector</th><th scope="col" class="num">All members</th>' in appendix
    assert "in Probation (“This sector”) and among all members" in appendix  # the sector named once
    # The everyone briefing: the answers given most, and no sector column.
    everyone = get_page(client, "/r/talks/briefing")
    assert "<h1>All members</h1>" in everyone and "The views of" in everyone and "What members said most" in everyone
    assert '<th scope="col" class="num">All members</th></tr>' in everyone and "This sector" not in everyone
    assert "differences-title" not in everyone


def test_a_sector_not_published_as_a_breakdown_works_and_a_small_one_says_so(app, client, sectors):
    with app.app_context():
        from survey.core.publication import publication_view_of

        assert "S1" not in publication_view_of(db.session.get(Survey, sectors.id)).breakdowns
    assert client.get("/r/talks/briefing?sector=courts").status_code == 200
    assert "/r/talks/briefing?sector=courts" in get_page(client, "/r/talks")  # offered on the results page too
    small = get_page(client, "/r/talks/briefing?sector=tiny")
    text = _text(small)
    assert "Not shown (small group). Too few members in Tiny office answered" in text
    assert not re.search(r"\d+%", text.split("How these results were made")[0])  # no result of the small group
    assert "fewer than" not in text.lower()
    assert client.get("/r/talks/briefing?sector=nowhere").status_code == 404
    assert client.get("/r/talks/briefing?sector=_none").status_code == 404


def test_the_briefing_in_welsh(client, sectors):
    html = get_page(client, "/r/talks/briefing?sector=probation&lang=cy")
    heading = _text(re.search(r"<h1>(.*?)</h1>", html, re.S).group(1))
    assert heading == "Prawf" and re.search(r'<p class="briefing-views">Barn [\d,]+ o aelodau</p>', html)
    assert "Lle mae'r grŵp Prawf yn fwyaf gwahanol i'r holl aelodau" in html
    assert "pwynt yn uwch" in html and "Datganiad Q1 am waith" in html
    assert "Atodiad: pob cwestiwn a gyhoeddwyd" in html
    assert "points higher" not in html and "Appendix" not in html


def test_the_ranked_demands_show_on_page_one_and_only_when_there_are_some(client, sectors, monkeypatch):
    assert "demands-title" not in get_page(client, "/r/talks/briefing?sector=probation")
    demands = [
        briefing.Demand("Cap caseloads", 81.4, 9.0, 72.4),
        briefing.Demand("Close the office", 20.0, 70.2, -50.2),
    ]
    monkeypatch.setattr(briefing, "ranked_demands", lambda *args: demands)
    html = get_page(client, "/r/talks/briefing?sector=probation")
    table = _text(_section(html, "demands-title"))
    assert "Cap caseloads 81% 9% +72" in table and "Close the office 20% 70% −50" in table
    assert html.index('id="demands-title"') < html.index('class="briefing-second"')


def test_the_briefing_ranks_a_consultations_demands_as_the_engine_publishes_them(app, client):
    questionnaire = load_file(FIXTURES / "consultation-results.yaml")
    survey = make_survey(app, "brief-demands", questionnaire, status=SurveyStatus.CLOSED, threshold=10)
    rng = random.Random(17)
    answers = [(consultation_answers(rng), "en") for _ in range(240)]
    insert_responses(app, survey, answers, batch=1)
    publish(app, survey, ["D1", "D2"], ["region"])
    with app.app_context():
        ranked = results.ranked(db.session.get(Survey, survey.id), "D1")
    table = _text(_section(get_page(client, "/r/brief-demands/briefing"), "demands-title"))
    at = 0
    for row in ranked.rows:  # most net support first, each with the engine's published shares
        cell = row.cells[0]
        whole = round(cell.net)  # in whole points: a net of 0.3 reads "0", not "+0"
        net = f"+{whole}" if whole > 0 else f"−{-whole}" if whole < 0 else "0"
        line = f"{row.label} {cell.support.percent:.0f}% {cell.oppose.percent:.0f}% {net}"
        assert line in table[at:], (line, table)
        at = table.index(line, at)
    assert [row.code for row in ranked.rows] == ["pay", "caseloads", "office", "cameras"]


# --- printed: two A4 pages, then the appendix -----------------------------------------------

A4_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


def pages(pdf: bytes) -> int:
    """Count the pages of a PDF Chromium printed (its /Type /Page objects)."""
    return len(A4_PAGE.findall(pdf))


@pytest.fixture
def demo_published(app):
    """The ai-at-work demo: 2,000 synthetic responses, every question and breakdown published."""
    survey = demo_survey(app, "brief", 2000, 3)
    with app.test_request_context():
        found = db.session.get(Survey, survey.id)
        questions = [q.id for q in found.questionnaire.questions]
        breakdowns = [d.id for d in results.dimensions(found) if not d.fixed]
    publish(app, survey, questions, breakdowns)
    return survey


@pytest.mark.browser
def test_the_briefing_prints_as_two_a4_pages_then_the_appendix(app, browser, demo_published, monkeypatch):
    """Print every case to A4 in Chromium: without the appendix it is exactly two pages; the
    appendix starts on a new page after them. Eight long draft demands and three priorities stand
    in for a consultation's (the most page 1 must hold). The PDFs and page images are kept for review."""
    demands = [
        briefing.Demand(
            f"Demand {i + 1}: no job losses from AI without agreement with the union, at any grade",
            80 - 6 * i,
            8 + 4 * i,
            72 - 10 * i,
        )
        for i in range(8)
    ]
    monkeypatch.setattr(briefing, "ranked_demands", lambda *args: demands)
    top = [briefing.Priority(f"No job losses or downgrading at grade {i}", 70 - 9 * i, 30 - 6 * i) for i in range(3)]
    priorities = [briefing.Priorities("Which three demands matter most to you?", 3, None, top)]
    monkeypatch.setattr(briefing, "top_priorities", lambda *args: priorities)  # and the top priorities after them
    SCREENSHOTS.mkdir(exist_ok=True)
    counted = {}
    with live_server(app) as server:
        context = browser.new_context(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
        page = context.new_page()
        for name, path in [
            ("everyone", "/r/brief/briefing"),
            ("sector", "/r/brief/briefing?sector=acute_hospital"),
            ("everyone-welsh", "/r/brief/briefing?lang=cy"),
            ("sector-welsh", "/r/brief/briefing?sector=acute_hospital&lang=cy"),
        ]:
            page.emulate_media(media="screen")
            page.goto(server + path, timeout=120_000)
            assert axe_violations(page) == [], name
            page.screenshot(path=str(SCREENSHOTS / f"briefing-{name}.png"), full_page=False)
            page.emulate_media(media="print")  # as page.pdf() prints
            whole = page.pdf(format="A4", path=str(SCREENSHOTS / f"briefing-{name}.pdf"))
            for part in (".briefing-second", ".briefing-appendix"):  # each starts a page
                assert page.evaluate(f"getComputedStyle(document.querySelector('{part}')).breakBefore") == "page"
            page.add_style_tag(content=".briefing-appendix { display: none !important; }")
            first = page.pdf(format="A4")
            counted[name] = (pages(first), pages(whole))
        context.close()
    for name, (first, whole) in counted.items():
        assert first == 2, (name, counted)
        assert whole > 2, (name, counted)  # the appendix follows, on pages of its own
    print("pages (first part, with the appendix):", counted)


# --- a sector survey's briefing: its name, its priorities, on a phone -----------------------

WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
                 || e.scrollWidth > e.clientWidth + 1)
    .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
    .slice(0, 8)"""


def test_a_sector_surveys_briefing_is_headed_by_its_sector_with_its_priorities(app, client):
    survey = probation_consultation(app, "brief-probation")
    html = get_page(client, "/r/brief-probation/briefing")
    assert _text(re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)) == "Probation Service (England and Wales)"
    with app.app_context():
        found = db.session.get(Survey, survey.id)
        n = results.overview(found).responses
        priorities = [r for r in results.ranked(found, "D2").rows if r.rank is not None][:3]
    assert f'<p class="briefing-views">The views of {n} members</p>' in html
    assert "Police and justice (police staff, probation, CAFCASS)" in html[: html.index("<h1>")]  # in the caption
    # The appendix: a short column heading, not the sector's long name again and again.
    appendix = html[html.index('id="appendix-title"') :]
    assert '<th scope="col" class="num">This sector</th>' in appendix
    assert "Probation Service (England and Wales)</th>" not in appendix
    assert "not shown" in appendix  # "It is being planned or tried out": too few (it must fit a phone too)
    # The top three priorities, after the demands, with the engine's published shares.
    block = _text(_section(html, "priorities-title-1"))
    assert "Which three demands matter most to you?" in block
    for row in priorities:
        cell = row.cells[0]
        line = f"{row.label} chosen by {cell.chosen.percent:.0f}%, ranked first by {cell.first.percent:.0f}%"
        assert line in block, (line, block)
    assert block.count("chosen by") == 3
    assert html.index('id="demands-title"') < html.index('id="priorities-title-1"') < html.index("briefing-second")

    welsh = get_page(client, "/r/brief-probation/briefing?lang=cy")
    assert _text(re.search(r"<h1>(.*?)</h1>", welsh, re.S).group(1)) == "Y Gwasanaeth Prawf (Cymru a Lloegr)"
    assert f'<p class="briefing-views">Barn {n} o aelodau</p>' in welsh
    assert "Y sector hwn</th>" in welsh and "wedi'i ddewis gan" in welsh and "The views of" not in welsh


@pytest.mark.browser
def test_a_sector_surveys_briefing_fits_a_phone(app, browser):
    probation_consultation(app, "brief-phone")
    with live_server(app) as server:
        for width in (390, 320):
            context = browser.new_context(viewport={"width": width, "height": 844})
            page = context.new_page()
            for language in ("en", "cy"):
                page.goto(f"{server}/r/brief-phone/briefing?lang={language}")
                wide = page.evaluate(WIDER_THAN_THE_SCREEN)
                assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, language, wide)
                heading = page.locator("h1")
                line = float(heading.evaluate("e => getComputedStyle(e).lineHeight").removesuffix("px"))
                lines = heading.bounding_box()["height"] / line
                assert lines <= 3.1, (width, language, lines)  # the sector's name, not a paragraph
                assert axe_violations(page) == [], (width, language)
                page.screenshot(path=str(SCREENSHOTS / f"briefing-phone-{width}-{language}.png"), full_page=True)
            context.close()
