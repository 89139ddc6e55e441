"""Welsh without gaps (issue 17 item 8): every published results page read in Welsh has no English
left in it, except what is marked lang="en" (a member's comment written in English); comments in
the other language are marked on English and staff pages too; the poster can put Welsh first."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from survey import results
from survey.extensions import db
from survey.models import Role, Survey, SurveyStatus

from .factories import PROBATION, TINY, demo_survey, insert_responses, make_survey, make_user, publish, random_records
from .helpers import get_page
from .staff import sign_in

# Words that are English and not Welsh: one of them in a Welsh page's own text is an English sentence
# (or label) left untranslated. ("a", "i", "o" and "y" are Welsh words too, so they are not here.)
ENGLISH = re.compile(
    r"\b(the|and|of|are|this|these|with|from|were|was|who|which|not|shown|answers?|people|members?|"
    r"question|results?|group|groups|comments?|everyone|more|than|only|because|breakdowns?|made|by|"
    r"show|all|each|what|how|they|their|there|has|have|been|about|read|page)\b",
    re.IGNORECASE,
)


class _WelshText(HTMLParser):
    """Collect a page's visible text that claims to be Welsh: outside any element marked lang="en",
    scripts, styles and the language switch (whose "English" link says lang="en" itself)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # (tag, inside English or hidden)
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attributes = dict(attrs)
        outside = self.stack[-1][1] if self.stack else False
        english = attributes.get("lang", "").startswith("en") or tag in ("script", "style", "svg", "title")
        self.stack.append((tag, outside or english))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip() and not (self.stack and self.stack[-1][1]):
            self.text.append(data.strip())

    def handle_startendtag(self, tag, attrs):
        pass


def english_in(html: str) -> list[str]:
    """Return the bits of a Welsh page's own text that read as English."""
    assert '<html lang="cy">' in html
    parser = _WelshText()
    body = html.split("<body", 1)[1]
    parser.feed("<body" + body)
    return [text for text in parser.text if ENGLISH.search(text)]


@pytest.fixture
def published(app):
    """A published ai-at-work survey: every question and breakdown an organiser can choose."""
    survey = demo_survey(app, "pub", 2000, 3)
    with app.test_request_context():
        found = db.session.get(Survey, survey.id)
        questions = [q.id for q in found.questionnaire.questions]
        breakdowns = [d.id for d in results.dimensions(found)]
    publish(app, survey, questions, breakdowns)
    return survey


def _published_paths(app, survey) -> list[str]:
    """Every page a delegate can open: the page, each question by each offered breakdown, the
    comments, the briefing and the conference screen."""
    paths = ["/r/pub", "/r/pub/briefing", "/r/pub/screen"]
    with app.test_request_context():
        found = db.session.get(Survey, survey.id)
        for question in found.questionnaire.questions:
            paths.append(f"/r/pub/q/{question.id}")
            options = results.query_options(found, question.id)
            paths += [f"/r/pub/q/{question.id}?by={by}" for by in (options.by if not options.refused else [])]
    return paths


def test_no_english_is_left_on_the_welsh_results_pages(app, client, published):
    client.get("/?lang=cy")
    left = {}
    for path in _published_paths(app, published):
        found = english_in(get_page(client, path))
        if found:
            left[path] = found[:3]
    assert left == {}


def test_the_engines_english_refusal_never_reaches_a_welsh_page(app, client, published):
    """The sentence of issue 17 (a question reported through the breakdowns made from it) is said
    in Welsh, or not at all, wherever a delegate can meet it."""
    client.get("/?lang=cy")
    for path in _published_paths(app, published):
        html = get_page(client, path)
        assert "reported through the breakdowns" not in html, path
        assert "These results cannot be shown safely" not in html, path


@pytest.fixture
def bilingual_comments(app):
    """A closed survey of the tiny questionnaire whose members answered in English and Welsh, published."""
    survey = make_survey(app, "pub", TINY, status=SurveyStatus.CLOSED, threshold=10)
    records = random_records(TINY, 400, 5)
    insert_responses(app, survey, [(answers, language) for answers, language, _ in records], batch=1)
    publish(app, survey, [q.id for q in TINY.questions])
    return survey, records


def _comment_items(html: str) -> list[tuple[str | None, str]]:
    """(lang attribute or None, text) of each comment in a page's list of comments."""
    found = re.search(r'<ul class="comments">(.*?)</ul>', html, re.S)
    assert found, "no list of comments"
    return [(lang or None, text) for lang, text in re.findall(r'<li(?: lang="(\w+)")?>(.*?)</li>', found.group(1))]


def test_comments_in_the_other_language_are_marked_with_lang(app, client, bilingual_comments):
    survey, records = bilingual_comments
    said = {}  # comment text -> the language its member answered in
    for answers, language, _ in records:
        if answers.get("ai_detail"):
            said.setdefault(answers["ai_detail"], set()).add(language)
    assert {"en", "cy"} <= {language for languages in said.values() for language in languages}

    from html import unescape

    for page_language, other in (("cy", "en"), ("en", "cy")):
        items = _comment_items(get_page(client, f"/r/pub/q/ai_detail?lang={page_language}"))
        assert items and any(lang == other for lang, _ in items)
        for lang, text in items:
            languages = said[unescape(text)]
            if len(languages) == 1:  # the same words from members in both languages: either is true
                (answered,) = languages
                assert lang == (None if answered == page_language else answered), text

    make_user(app, "pat@example.org", Role.ORGANISER, [{}])
    staff = app.test_client()
    sign_in(staff, app, "pat@example.org")
    items = _comment_items(get_page(staff, f"/organise/surveys/{survey.id}/results/q/ai_detail"))
    assert {lang for lang, _ in items} == {None, "cy"}  # staff pages are English: Welsh comments say so


def test_the_api_gives_each_comments_language(app, client, bilingual_comments):
    body = client.get("/api/v1/surveys/pub/comments/ai_detail").get_json()
    assert len(body["languages"]) == len(body["comments"]) and set(body["languages"]) == {"en", "cy"}


def _open_link_survey(app) -> int:
    return make_survey(app, "poster", TINY, audience=PROBATION).id  # open link, open


def test_the_poster_can_put_welsh_first(app, organiser):
    survey_id = _open_link_survey(app)
    english_first = get_page(organiser, f"/organise/surveys/{survey_id}/poster")
    assert '<h1 class="poster-title" id="poster-title">Tiny test survey</h1>' in english_first
    assert "Put Welsh first" in english_first and "?welsh_first=1" in english_first
    html = get_page(organiser, f"/organise/surveys/{survey_id}/poster?welsh_first=1")
    assert '<article class="poster welsh-first" lang="cy"' in html
    assert '<h1 class="poster-title" id="poster-title">Arolwg prawf bach</h1>' in html
    assert '<p class="poster-title-en" lang="en">Tiny test survey</p>' in html
    assert 'Dweud eich dweud <span lang="en">Have your say</span>' in html
    assert re.search(r'Tua \d+ munud <span lang="en">About \d+ minutes</span>', html)
    assert "Mae eich atebion yn ddienw" in html.split("Your answers are anonymous")[0]
    assert '<div class="poster-code" lang="en">' in html  # the QR code's English label says so
    assert "Put English first" in html


@pytest.mark.browser
def test_the_welsh_first_poster_prints_on_one_a4_page(app, browser, organiser):
    from .browser import axe_violations, live_server, screenshot
    from .staff import browser_sign_in

    survey_id = _open_link_survey(app)
    with live_server(app) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        browser_sign_in(page, server, app, "pat@example.org")
        page.goto(f"{server}/organise/surveys/{survey_id}/poster")
        page.click("text=Put Welsh first")
        assert page.locator("h1.poster-title").inner_text() == "Arolwg prawf bach"
        assert axe_violations(page) == []
        screenshot(page, "poster-welsh-first")
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False])
def test_welsh_comments_page_on_a_phone(app, browser, bilingual_comments, javascript):
    """The Welsh comments page at 390 px, with JavaScript on and off: English comments are marked
    lang="en" (axe checks every lang is valid), nothing is wider than the phone."""
    from .browser import PHONE, assert_no_horizontal_scroll, axe_violations, live_server, screenshot

    with live_server(app) as server:
        context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
        page = context.new_page()
        page.goto(f"{server}/r/pub/q/ai_detail?lang=cy")
        assert page.locator("html").get_attribute("lang") == "cy"
        assert page.locator('ul.comments li[lang="en"]').count() > 0
        assert page.locator('ul.comments li[lang="cy"]').count() == 0  # Welsh is the page's own language
        assert axe_violations(page, javascript) == []
        assert_no_horizontal_scroll(page)
        screenshot(page, f"welsh-comments-phone{'' if javascript else '-no-js'}")
        context.close()
